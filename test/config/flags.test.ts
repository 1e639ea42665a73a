import { describe, expect, it } from 'vitest';
import { parseConfigFlags, type ConfigFlags, type RawConfigFlags } from '../../src/config/resolve.js';
import { UsageError } from '../../src/errors.js';

describe('parseConfigFlags: accepted values', () => {
  it.each<{ raw: RawConfigFlags; parsed: ConfigFlags }>([
    { raw: {}, parsed: {} },
    { raw: { regions: 'all' }, parsed: { regions: 'all' } },
    { raw: { regions: ' all ' }, parsed: { regions: 'all' } },
    { raw: { regions: 'eu-west-1' }, parsed: { regions: ['eu-west-1'] } },
    { raw: { regions: 'us-east-1, ap-southeast-7,,' }, parsed: { regions: ['us-east-1', 'ap-southeast-7'] } },
    { raw: { regions: 'cn-north-1,us-gov-west-1' }, parsed: { regions: ['cn-north-1', 'us-gov-west-1'] } },
    { raw: { concurrency: '1' }, parsed: { concurrency: 1 } },
    { raw: { concurrency: '1000' }, parsed: { concurrency: 1000 } },
    { raw: { failureTolerance: '0' }, parsed: { failureTolerance: 0 } },
    { raw: { failureTolerance: '3' }, parsed: { failureTolerance: 3 } },
    { raw: { failureTolerance: '10%' }, parsed: { failureTolerance: '10%' } },
    { raw: { failureTolerance: '100%' }, parsed: { failureTolerance: '100%' } },
    { raw: { roleName: 'GuardrailDeploy' }, parsed: { roleName: 'GuardrailDeploy' } },
    { raw: { externalId: 'ext-123:abc' }, parsed: { externalId: 'ext-123:abc' } },
    { raw: { account: '012345678901' }, parsed: { accounts: ['012345678901'] } },
    {
      raw: { account: '111111111111,222222222222,111111111111' },
      parsed: { accounts: ['111111111111', '222222222222'] },
    },
  ])('$raw', ({ raw, parsed }) => {
    expect(parseConfigFlags(raw)).toEqual(parsed);
  });
});

describe('parseConfigFlags: rejected values name the flag', () => {
  it.each<{ raw: RawConfigFlags; flag: string; message: RegExp }>([
    { raw: { regions: '' }, flag: '--regions', message: /expected "all" or a comma-separated list/ },
    { raw: { regions: 'eu-west-9' }, flag: '--regions', message: /unknown region "eu-west-9"/ },
    { raw: { regions: 'us-east-1,all' }, flag: '--regions', message: /"all" stands alone/ },
    { raw: { regions: 'us-east-1,us-east-1' }, flag: '--regions', message: /duplicate region "us-east-1"/ },
    { raw: { concurrency: '0' }, flag: '--concurrency', message: /1 to 1000, got "0"/ },
    { raw: { concurrency: '1001' }, flag: '--concurrency', message: /1 to 1000, got "1001"/ },
    { raw: { concurrency: '2.5' }, flag: '--concurrency', message: /whole number/ },
    { raw: { concurrency: 'many' }, flag: '--concurrency', message: /got "many"/ },
    { raw: { failureTolerance: '-1' }, flag: '--failure-tolerance', message: /got "-1"/ },
    { raw: { failureTolerance: '101%' }, flag: '--failure-tolerance', message: /got "101%"/ },
    { raw: { failureTolerance: '10 %' }, flag: '--failure-tolerance', message: /got "10 %"/ },
    { raw: { roleName: 'has space' }, flag: '--role-name', message: /role name must be/ },
    { raw: { roleName: 'x'.repeat(65) }, flag: '--role-name', message: /role name must be/ },
    { raw: { externalId: 'x' }, flag: '--external-id', message: /external id must be 2-1224/ },
    { raw: { account: '12345678901' }, flag: '--account', message: /12 digits, got "12345678901" \(11 digits\)/ },
    { raw: { account: '111111111111,abc' }, flag: '--account', message: /got "abc"$/ },
    { raw: { account: ',' }, flag: '--account', message: /one or more 12-digit account ids/ },
  ])('$raw', ({ raw, flag, message }) => {
    let caught: unknown;
    try {
      parseConfigFlags(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    const error = caught as UsageError;
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(flag);
    expect(error.problems.some((problem) => problem.path === flag && message.test(problem.message))).toBe(true);
  });

  it('reports every bad flag at once', () => {
    expect(() => parseConfigFlags({ regions: 'mars-1', concurrency: '0', account: '1' })).toThrow(
      /Invalid value for --regions, --concurrency, --account/,
    );
  });

  it('suggests the nearest region', () => {
    try {
      parseConfigFlags({ regions: 'eu-wset-1' });
      expect.unreachable();
    } catch (err) {
      expect((err as UsageError).problems[0]?.didYouMean).toBe('eu-west-1');
    }
  });
});
