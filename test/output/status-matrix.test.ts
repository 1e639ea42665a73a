import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../src/engines/direct/status.js';
import { accountsToList, statusMatrix } from '../../src/output/status-matrix.js';

const REGIONS = ['eu-west-1', 'us-east-1'];

function row(account: string, region: string, healthy: boolean): StatusRow {
  return {
    account,
    accountName: `acct-${account.slice(-3)}`,
    region,
    stackName: 'guardrail',
    deployed: true,
    stackStatus: 'CREATE_COMPLETE',
    version: 'current',
    code: 'current',
    rule: healthy ? 'ENABLED' : 'DISABLED',
    pendingReverts: 0,
    drift: 'IN_SYNC',
    driftedResources: [],
    notCheckedResources: [],
    healthy,
    problems: healthy ? [] : ['rule DISABLED'],
    error: null,
    durationMs: 1,
  };
}

/** `n` accounts in two regions; the accounts at `bad` indexes have an unhealthy us-east-1. */
function org(n: number, bad: number[]): StatusRow[] {
  const out: StatusRow[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(100000000000 + i);
    for (const region of REGIONS) out.push(row(id, region, !(bad.includes(i) && region === 'us-east-1')));
  }
  return out;
}

const accountLines = (text: string) => text.split('\n').filter((l) => /^acct-\d{3} \(\d{12}\)/.test(l));

describe('status matrix', () => {
  it('lists every account by id when no screen limit applies (not a terminal, or --all)', () => {
    const text = statusMatrix(org(800, [5, 700]), false);
    const lines = accountLines(text);
    expect(lines).toHaveLength(800);
    expect(lines[0]).toMatch(/^acct-000 /);
    expect(text).not.toContain('healthy accounts (--all');
  });

  it('on a screen: unhealthy accounts first, healthy ones until the screen is full, the rest counted', () => {
    const text = statusMatrix(org(800, [5, 700]), false, { screenRows: 24 });
    const lines = accountLines(text);
    // 24 rows: 7 frame lines (header, two legends, the count, the status and protection lines), 2 unhealthy
    // accounts, 15 healthy ones
    expect(lines).toHaveLength(17);
    expect(lines[0]).toMatch(/^acct-005 \(100000000005\)\s+✓\s+✗/);
    expect(lines[1]).toMatch(/^acct-700 /);
    expect(lines[2]).toMatch(/^acct-000 /);
    expect(text).toContain('… and 783 healthy accounts (--all shows every row)');
    // the details of every unhealthy target are still there
    expect(text).toContain('acct-005 (100000000005)/us-east-1: rule DISABLED');
    expect(text).toContain('acct-700 (100000000700)/us-east-1: rule DISABLED');
  });

  it('keeps the plain order when everything fits on the screen', () => {
    const text = statusMatrix(org(10, [7]), false, { screenRows: 40 });
    expect(accountLines(text).map((l) => l.slice(0, 8))).toEqual(Array.from({ length: 10 }, (_, i) => `acct-00${i}`));
    expect(text).not.toContain('--all shows every row');
  });

  it('never hides an unhealthy account, even when they alone overflow the screen', () => {
    const bad = Array.from({ length: 30 }, (_, i) => i * 2);
    const { listed, hidden } = accountsToList(
      Array.from({ length: 60 }, (_, i) => `a${String(i).padStart(2, '0')}`),
      new Set(bad.map((i) => `a${String(i).padStart(2, '0')}`)),
      24,
    );
    expect(listed).toHaveLength(30);
    expect(hidden).toBe(30);
    expect(statusMatrix(org(1, []), false, { screenRows: 3 })).toContain('… and 1 healthy account (--all');
  });
});

describe('status details', () => {
  it("an account whose regions all say the same is one line; a region's own finding keeps its line", () => {
    const denied = 'could not inspect: Could not assume arn:aws:iam::100000000001:role/Nope (AccessDenied)';
    const rows = [
      ...REGIONS.map((r) => ({ ...row('100000000001', r, false), error: denied, problems: [denied] })),
      row('100000000002', 'eu-west-1', true),
      row('100000000002', 'us-east-1', false),
    ];
    const details = statusMatrix(rows, false).split('Unhealthy:\n')[1]!.trimEnd().split('\n');
    expect(details).toEqual([
      `  acct-001 (100000000001), 2 regions: ${denied}`,
      '  acct-002 (100000000002)/us-east-1: rule DISABLED',
    ]);
  });
});
