import { describe, expect, it } from 'vitest';
import { isUnreachable } from '../../src/aws/reachability.js';
import { AssumeRoleError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/output/print-error.js';

const sdk = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
const socket = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('isUnreachable: an outage, not an answer', () => {
  it.each([
    ['connection refused', socket('ECONNREFUSED'), true],
    ['a name that does not resolve', socket('ENOTFOUND'), true],
    ['a reset connection', socket('ECONNRESET'), true],
    ["the SDK's timeout", Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['a 503 that outlasted the retries', sdk('ServiceUnavailable', 503), true],
    [
      'deep in the cause chain',
      new AssumeRoleError('222222222222', 'arn:aws:iam::222222222222:role/R', { cause: socket('ECONNREFUSED') }),
      true,
    ],
    ['AccessDenied (a refusal, 403)', sdk('AccessDenied', 403), false],
    ['throttling (400)', sdk('Throttling', 400), false],
    ['a plain bug', new TypeError('x is undefined'), false],
    ['not an error', 'ECONNREFUSED', false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isUnreachable(err)).toBe(expected);
  });

  it('an SDK error that could not reach AWS and stopped the run exits 4; a refusal does not', () => {
    expect(exitCodeFor(socket('ECONNREFUSED'))).toBe(4);
    expect(exitCodeFor(sdk('AccessDeniedException', 403))).toBe(1);
  });
});
