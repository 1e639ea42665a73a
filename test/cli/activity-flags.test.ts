// activity and report flags: a bad window, action or principal pattern is a usage error (exit 2) naming the flag,
// found before any AWS call. Table-driven, in-process.
import { describe, expect, it } from 'vitest';
import { parseDecisionLine } from '../../src/activity/line.js';
import { buildQuery, filterPattern, principalMatches } from '../../src/activity/query.js';
import { compileFilterPattern } from '../sim/logs-filter.js';
import { captureRun } from './capture.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

describe('activity flags', () => {
  it.each([
    [['--since', 'yesterday'], '--since "yesterday" is not a duration or a time'],
    [['--since', '2999-01-01'], 'is in the future'],
    [['--since', '1h', '--until', '2h'], '--until 2h is before --since 1h'],
    [['--action', 'deleted'], '--action deleted: not an action'],
    [['--principal', 'x" || $.a = "b'], 'is not an ARN pattern'],
    [['--output', 'xml'], 'xml'],
  ])('activity %j exits 2', async (args, text) => {
    const r = await captureRun(['activity', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('report needs --out, and checks --since', async () => {
    const none = await captureRun(['report']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--out FILE');
    const bad = await captureRun(['report', '--out', '-', '--since', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "soon"');
  });

  it('windows: durations, ISO times, the default', () => {
    expect(buildQuery({}, NOW).sinceMs).toBe(NOW - 86_400_000);
    expect(buildQuery({ since: '7d' }, NOW).sinceMs).toBe(NOW - 7 * 86_400_000);
    expect(buildQuery({ since: '2026-11-01', until: '2026-11-02T06:00:00Z' }, NOW)).toMatchObject({
      sinceMs: Date.parse('2026-11-01T00:00:00Z'),
      untilMs: Date.parse('2026-11-02T06:00:00Z'),
    });
  });

  it('the filter pattern says what was asked, and principal patterns match as documented', () => {
    expect(filterPattern(buildQuery({}, NOW))).toBe('{ $.action = "*" }');
    expect(filterPattern(buildQuery({ action: 'reverted' }, NOW))).toBe('{ $.action = "reverted" }');
    expect(filterPattern(buildQuery({ action: 'reverted,failed', principal: 'arn:aws:iam::*:role/Dev*' }, NOW))).toBe(
      '{ ($.action = "reverted" || $.action = "failed") && ($.principal = "arn:aws:iam::*:role/Dev*" || $.roleArn = "arn:aws:iam::*:role/Dev*") }',
    );
    expect(
      principalMatches('arn:aws:sts::*:assumed-role/Dev/*', 'arn:aws:sts::111122223333:assumed-role/Dev/bob'),
    ).toBe(true);
    expect(
      principalMatches('arn:aws:sts::*:assumed-role/Dev/*', 'arn:aws:sts::111122223333:assumed-role/Ops/bob'),
    ).toBe(false);
    expect(principalMatches('arn:*', null)).toBe(false);
  });

  it("--principal matches the caller or its session's issuer (roleArn), read back from the line", () => {
    const session = 'arn:aws:sts::111122223333:assumed-role/Dev/bob';
    const role = 'arn:aws:iam::111122223333:role/team/Dev';
    expect(principalMatches('arn:aws:iam::*:role/team/Dev', session, role)).toBe(true);
    expect(principalMatches('arn:aws:iam::*:role/*Dev', session, role)).toBe(true);
    expect(principalMatches('arn:aws:sts::*:assumed-role/Dev/*', session, role)).toBe(true);
    expect(principalMatches('arn:aws:iam::*:role/Ops', session, role)).toBe(false);
    expect(principalMatches('arn:aws:iam::*:role/Dev', null, null)).toBe(false);
    const line = JSON.stringify({ action: 'reverted', principal: session, roleArn: role });
    const row = parseDecisionLine(line, NOW, { account: '111122223333', accountName: 'dev', region: 'us-east-1' });
    expect(row).toMatchObject({ principal: session, roleArn: role });
    expect(principalMatches('arn:aws:iam::*:role/team/Dev', row!.principal, row!.roleArn)).toBe(true);
    // a line from before roleArn was logged
    const old = parseDecisionLine(JSON.stringify({ action: 'reverted', principal: session }), NOW, {
      account: '1',
      accountName: 'a',
      region: 'r',
    });
    expect(old?.roleArn).toBeNull();
    // the simulator's CloudWatch filter pattern agrees: either field matches
    const matches = compileFilterPattern(filterPattern(buildQuery({ principal: 'arn:aws:iam::*:role/team/Dev' }, NOW)));
    expect(matches(line)).toBe(true);
    expect(
      matches(JSON.stringify({ action: 'reverted', principal: session, roleArn: 'arn:aws:iam::1:role/Ops' })),
    ).toBe(false);
  });
});
