import { describe, expect, it } from 'vitest';
import { AbortError, AssumeRoleError, AuthError, ConfigError, GuardrailError, UsageError } from '../../src/errors.js';
import { describe as describeError, exitCodeFor, printError } from '../../src/output/print-error.js';

function capture(err: unknown, debug = false): { code: number; text: string } {
  let text = '';
  const code = printError(err, { write: (chunk: string) => (text += chunk) }, { debug });
  return { code, text };
}

/** Shaped like an AWS SDK v3 service exception. */
function sdkError(name: string, status: number, requestId: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  Object.assign(err, { $fault: 'client', $metadata: { httpStatusCode: status, requestId, attempts: 1 } });
  return err;
}

describe('exit codes', () => {
  it.each([
    { err: new ConfigError('bad file'), code: 2 },
    { err: new UsageError('bad flag'), code: 2 },
    { err: new AuthError('no credentials'), code: 3 },
    { err: new AssumeRoleError('222222222222', 'arn:aws:iam::222222222222:role/R'), code: 1 },
    { err: new AbortError(), code: 130 },
    { err: Object.assign(new Error('aborted'), { name: 'AbortError' }), code: 130 },
    { err: sdkError('ExpiredToken', 400, 'r1', 'The security token included in the request is expired'), code: 3 },
    { err: Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), code: 3 },
    { err: sdkError('ThrottlingException', 400, 'r2', 'Rate exceeded'), code: 1 },
    { err: new TypeError('x is undefined'), code: 1 },
    { err: 'a string', code: 1 },
  ])('$err.name → $code', ({ err, code }) => {
    expect(exitCodeFor(err)).toBe(code);
    expect(capture(err).code).toBe(code);
  });
});

describe('printError', () => {
  it('prints SDK errors as name (HTTP status, request id …) and walks the cause chain', () => {
    const denied = sdkError('AccessDenied', 403, 'req-123', 'User is not authorized to perform sts:AssumeRole');
    const err = new AssumeRoleError('222222222222', 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole', {
      from: '111111111111',
      cause: denied,
    });
    const { text } = capture(err);
    expect(text).toBe(
      [
        'error: Could not assume arn:aws:iam::222222222222:role/OrganizationAccountAccessRole from 111111111111 (AccessDenied)',
        '  caused by: AccessDenied (HTTP 403, request id req-123): User is not authorized to perform sts:AssumeRole',
        "hint: Check the role's trust policy, or exclude the account in accounts.yaml.",
        '',
      ].join('\n'),
    );
  });

  it('an interruption is its one line, not an error with a --debug hint', () => {
    expect(capture(new AbortError('Interrupted: nothing was changed.'))).toEqual({
      code: 130,
      text: 'Interrupted: nothing was changed.\n',
    });
    // Node's own AbortError (not guardrail's) is still an error worth its hint
    expect(capture(Object.assign(new Error('Aborted with Ctrl+C'), { name: 'AbortError' })).text).toMatch(
      /^error: AbortError: .*\nhint: .*--debug/,
    );
  });

  it('prints the problems of a configuration error, one per line', () => {
    const err = new ConfigError('accounts.yaml has 2 problems', {
      problems: [
        {
          file: 'accounts.yaml',
          line: 3,
          col: 22,
          path: 'regions[1]',
          message: 'unknown region "eu-west-9"',
          didYouMean: 'eu-west-1',
        },
        { path: '--concurrency', message: 'must be a whole number from 1 to 1000, got "0"' },
      ],
    });
    expect(capture(err).text).toBe(
      [
        'error: accounts.yaml has 2 problems',
        '  accounts.yaml:3:22  regions[1]  unknown region "eu-west-9" (did you mean "eu-west-1"?)',
        '  --concurrency  must be a whole number from 1 to 1000, got "0"',
        '',
      ].join('\n'),
    );
  });

  it('shows stack traces only with --debug', () => {
    const err = new GuardrailError('X', 1, 'outer', { cause: new Error('inner') });
    const plain = capture(err).text;
    const debug = capture(err, true).text;
    expect(plain).not.toMatch(/\n\s+at /);
    expect(plain).toContain('caused by: inner');
    expect(debug).toMatch(/GuardrailError: outer\n\s+at /);
    expect(debug).toMatch(/Error: inner\n\s+at /);
  });

  it('suggests --debug for unexpected errors', () => {
    expect(capture(new TypeError('boom')).text).toBe(
      'error: TypeError: boom\nhint: run again with --debug for details\n',
    );
  });

  it('survives a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(capture(a).text.match(/caused by/g)).toHaveLength(1);
  });

  it.each([
    {
      err: sdkError('ValidationError', 400, 'abc', 'Stack does not exist'),
      line: 'ValidationError (HTTP 400, request id abc): Stack does not exist',
    },
    { err: Object.assign(new Error(''), { name: 'Unknown', $metadata: {} }), line: 'Unknown' },
    { err: new Error('plain'), line: 'plain' },
    { err: new RangeError('range'), line: 'RangeError: range' },
    { err: 42, line: '42' },
  ])('describes $line', ({ err, line }) => {
    expect(describeError(err)).toBe(line);
  });
});
