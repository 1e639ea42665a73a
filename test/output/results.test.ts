import { describe, expect, it } from 'vitest';
import { resultTable, type ResultRow } from '../../src/output/results.js';

const row = (account: string, region: string, fields: Partial<ResultRow> = {}): ResultRow => ({
  account,
  accountName: `acct-${account.slice(-2)}`,
  region,
  result: 'succeeded',
  action: 'create',
  stackStatus: 'CREATE_COMPLETE',
  ...fields,
});
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2'];

describe('the result table prints each failure once', () => {
  it('an account whose every region failed alike is one row; a different error in the same account keeps its own', () => {
    const denied = 'Could not assume arn:aws:iam::222222222222:role/Nope (AccessDenied)';
    const rows = [
      ...REGIONS.map((r) => row('111111111111', r)),
      ...REGIONS.map((r) => row('222222222222', r, { result: 'failed', action: 'none', error: denied })),
      row('333333333333', 'us-east-1', { result: 'failed', error: 'Throttling: Rate exceeded' }),
      row('333333333333', 'us-west-2', { result: 'failed', error: 'AccessDenied: cloudformation:CreateStack' }),
    ];
    const text = resultTable('deploy', rows, { targets: rows.length, succeeded: 3, failed: 5 }, false);
    expect(text.split('\n').filter((l) => l.includes(denied))).toEqual([
      `✗ acct-22 (222222222222)/3 regions  failed     none    ${denied}`,
    ]);
    expect(text).toMatch(/acct-33 \(333333333333\)\/us-east-1 .*Throttling/);
    expect(text).toMatch(/acct-33 \(333333333333\)\/us-west-2 .*AccessDenied/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('deploy: 8 targets · 3 succeeded · 5 failed');
  });

  it("the first failed resource is not repeated below when the row's error already names it", () => {
    const firstFailure = {
      logicalId: 'RevertFunction',
      type: 'AWS::Lambda::Function',
      status: 'CREATE_FAILED',
      reason: 'role cannot be assumed by Lambda',
    };
    const named = row('111111111111', 'us-east-1', {
      result: 'failed',
      stackStatus: 'ROLLBACK_COMPLETE',
      firstFailure,
      error: 'RevertFunction (AWS::Lambda::Function) CREATE_FAILED: role cannot be assumed by Lambda',
    });
    const text = resultTable('deploy', [named], { targets: 1, failed: 1 }, false);
    expect(text.split('\n').filter((l) => l.includes('cannot be assumed by Lambda'))).toHaveLength(1);
    expect(text).not.toMatch(/First failed resource/);
    // an error that does not say it (a timeout while waiting) keeps the section
    const unnamed = resultTable(
      'deploy',
      [{ ...named, error: 'timed out waiting for the stack' }],
      { targets: 1, failed: 1 },
      false,
    );
    expect(unnamed).toMatch(
      /First failed resource of each failed stack:\n {2}acct-11 \(111111111111\)\/us-east-1: RevertFunction/,
    );
  });

  it('past 60 targets the rows not listed are counted by what they did, not as "need nothing"', () => {
    const created = Array.from({ length: 100 }, (_, i) => row(String(100000000000 + i), 'us-east-1'));
    const current = Array.from({ length: 17 }, (_, i) =>
      row(String(200000000000 + i), 'us-east-1', { result: 'unchanged', action: 'none' }),
    );
    const failed = row('300000000000', 'us-east-1', { result: 'failed', error: 'boom' });
    const text = resultTable(
      'deploy',
      [...created, ...current, failed],
      { targets: 118, succeeded: 100, unchanged: 17, failed: 1 },
      false,
    );
    expect(text).toContain('(117 more targets not listed: 100 succeeded · 17 unchanged)');
    expect(text).not.toMatch(/need nothing/);
    const idle = resultTable(
      'deploy',
      [...current, ...current, ...current, ...current, failed],
      { targets: 69, unchanged: 68, failed: 1 },
      false,
    );
    expect(idle).toContain('(68 more targets need nothing)');
  });
});
