// activity's table on a terminal: it fits the width, and the principal keeps who did it (the role and session, or
// the user) while the middle of a long role path gives way. Piped output keeps every column whole.
import { describe, expect, it } from 'vitest';
import { activityTable, fitPrincipal } from '../../src/output/activity-table.js';
import { reportFixture } from './report-fixture.js';

const DEEP =
  'arn:aws:sts::123456789012:assumed-role/platform/teams/networking/emergency-break-glass/NetworkAdmin/alice@example.com';

describe('fitPrincipal', () => {
  it.each([
    [DEEP, 60, 'NetworkAdmin/alice@example.com'],
    ['arn:aws:iam::123456789012:user/ops/contractors/bob', 30, 'bob'],
    ['arn:aws:iam::123456789012:role/a/very/long/path/of/roles/DeployRole', 40, 'DeployRole'],
  ])('%s in %i keeps the end whole', (p, n, tail) => {
    const out = fitPrincipal(p, n);
    expect(out.length).toBeLessThanOrEqual(n);
    expect(out.endsWith(`…${tail}`)).toBe(true);
    expect(out.startsWith('arn:aws:')).toBe(true);
  });

  it('never cuts the end, even when it alone is wider than the room', () => {
    expect(fitPrincipal(DEEP, 10)).toBe('…NetworkAdmin/alice@example.com');
  });

  it('leaves a principal that fits as it is', () => {
    expect(fitPrincipal('arn:aws:iam::123456789012:user/bob', 80)).toBe('arn:aws:iam::123456789012:user/bob');
  });
});

describe('activityTable on a terminal', () => {
  const report = () => {
    const data = reportFixture({ accounts: 3, lines: 6 }).activity;
    data.rows[0]!.principal = DEEP;
    data.rows[1]!.reason = 'r'.repeat(300);
    return data;
  };

  it.each([
    [100, 'arn:aws:sts::123456789012:assumed-role/Dev/alice'],
    [130, DEEP],
    [160, DEEP],
  ])('fits %i columns, and keeps who did it (%s)', (columns, principal) => {
    const data = report();
    data.rows[0]!.principal = principal;
    const out = activityTable(data, false, { columns });
    const table = out.split('\n\n')[0]!.split('\n');
    for (const line of table) expect(line.length, line).toBeLessThanOrEqual(columns);
    const who = principal.split('/').slice(-2).join('/');
    expect(table.some((l) => l.includes(who))).toBe(true);
  });

  it('piped (no width), the principal is cut at 72 characters in the middle, never at the end', () => {
    const out = activityTable(report(), false);
    expect(out).toContain(fitPrincipal(DEEP, 72));
    expect(fitPrincipal(DEEP, 72)).toMatch(/…NetworkAdmin\/alice@example\.com$/);
  });
});
