// A status row's pending reverts, judged once for both engines: events waiting in the dead-letter queue make a target
// unhealthy with a finding that says what to run, a queue that could not be read does too (with the reason), and
// the summary counts the targets and the events; the matrix marks such a cell apart from tampering.
import { describe, expect, it } from 'vitest';
import { baseRow, findings, summariseStatus, type StatusRow } from '../../src/engines/status-row.js';
import { statusMatrix } from '../../src/output/status-matrix.js';
import { healthKind } from '../../src/output/report-matrix.js';

const settings = {
  driftChecked: true,
  protection: { required: false, terminationProtection: true, allowPrincipals: [] },
};

function deployed(account: string, fields: Partial<StatusRow> = {}): StatusRow {
  const row = baseRow({ account, accountName: `acct-${account.slice(-3)}`, region: 'us-east-1' }, 'guardrail', false);
  Object.assign(
    row,
    {
      deployed: true,
      stackStatus: 'CREATE_COMPLETE',
      version: 'current',
      code: 'current',
      rule: 'ENABLED',
      drift: 'IN_SYNC',
      terminationProtection: true,
      pendingReverts: 0,
    },
    fields,
  );
  row.problems = findings(row, settings);
  row.healthy = row.problems.length === 0;
  return row;
}

describe('pending reverts', () => {
  it('an empty dead-letter queue is healthy', () => {
    expect(deployed('111111111111')).toMatchObject({ healthy: true, problems: [], pendingReverts: 0 });
  });

  it('events waiting make the target unhealthy, and the finding says what to run', () => {
    const r = deployed('111111111111', { pendingReverts: 3 });
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual(['3 event(s) not undone in the dead-letter queue (guardrail retry)']);
  });

  it('a queue that could not be read is unhealthy too, with the reason', () => {
    const r = deployed('111111111111', {
      pendingReverts: null,
      pendingRevertsError: 'AccessDenied: not authorized to perform sqs:GetQueueAttributes',
    });
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([
      'dead-letter queue could not be read (AccessDenied: not authorized to perform sqs:GetQueueAttributes)',
    ]);
  });

  it('a target that is not deployed has no count and only the one finding', () => {
    const row = baseRow({ account: '111111111111', accountName: 'a', region: 'us-east-1' }, 'guardrail', false);
    expect(row.pendingReverts).toBeNull();
    expect(findings(row, settings)).toEqual(['not deployed']);
  });

  it('the summary counts targets with pending reverts and the events in total', () => {
    const rows = [
      deployed('111111111111', { pendingReverts: 3 }),
      deployed('222222222222'),
      deployed('333333333333', { pendingReverts: 1 }),
      deployed('444444444444', { pendingReverts: null, pendingRevertsError: 'x' }),
    ];
    expect(summariseStatus(rows, 0)).toMatchObject({
      targets: 4,
      healthy: 1,
      unhealthy: 3,
      targetsWithPendingReverts: 2,
      pendingReverts: 4,
    });
  });

  it('the matrix and the report mark the cell as failed reverts, below tampering', () => {
    const pending = deployed('111111111111', { pendingReverts: 2 });
    const both = deployed('222222222222', { pendingReverts: 2, rule: 'DISABLED' });
    const text = statusMatrix([pending, both], false);
    expect(text).toMatch(/acct-111 \(111111111111\) +↺/);
    expect(text).toMatch(/acct-222 \(222222222222\) +✗/);
    expect(text).toContain('↺ reverts failed (guardrail retry)');
    expect(text).toContain('111111111111)/us-east-1: 2 event(s) not undone in the dead-letter queue (guardrail retry)');
    expect([healthKind(pending), healthKind(both)]).toEqual(['pending', 'tampered']);
  });
});

describe('prefix lists owned by other accounts', () => {
  const partners = {
    id: 'pl-0a1b2c3d4e5f60718',
    name: 'partners',
    owner: '999999999999',
    groups: ['sg-0aaaaaaaaaaaaaaaa'],
  };

  it('are information, not a finding: the target stays healthy, and the summary counts targets and distinct lists', () => {
    const using = deployed('111111111111', { sharedPrefixLists: [partners] });
    const also = deployed('222222222222', {
      sharedPrefixLists: [partners, { ...partners, id: 'pl-0ffffffffffffffff', name: '' }],
    });
    const unread = deployed('333333333333', {
      sharedPrefixLists: null,
      sharedPrefixListsError: 'UnauthorizedOperation (HTTP 403)',
    });
    expect([using.healthy, also.healthy, unread.healthy]).toEqual([true, true, true]);
    expect(
      summariseStatus([using, also, unread, deployed('444444444444', { sharedPrefixLists: [] })], 0),
    ).toMatchObject({ healthy: 4, targetsWithSharedPrefixLists: 2, sharedPrefixLists: 2 });
    expect(
      baseRow({ account: '1', accountName: 'a', region: 'us-east-1' }, 'guardrail', false).sharedPrefixLists,
    ).toBeNull();
  });

  it('the matrix lists them per target below the cells, with owner and groups; unreadable targets by reason', () => {
    const text = statusMatrix(
      [
        deployed('111111111111', { sharedPrefixLists: [partners] }),
        deployed('222222222222', { sharedPrefixLists: [{ ...partners, name: '' }] }),
        deployed('333333333333', {
          sharedPrefixLists: null,
          sharedPrefixListsError: 'UnauthorizedOperation (HTTP 403)',
        }),
        deployed('444444444444', {
          sharedPrefixLists: null,
          sharedPrefixListsError: 'UnauthorizedOperation (HTTP 403)',
        }),
        deployed('555555555555', { sharedPrefixLists: [] }),
      ],
      false,
    );
    expect(text).toContain('Prefix lists owned by other accounts');
    expect(text).toContain(
      'acct-111 (111111111111)/us-east-1: pl-0a1b2c3d4e5f60718 (partners, owned by 999999999999) in sg-0aaaaaaaaaaaaaaaa',
    );
    expect(text).toContain(
      'acct-222 (222222222222)/us-east-1: pl-0a1b2c3d4e5f60718 (owned by 999999999999) in sg-0aaaaaaaaaaaaaaaa',
    );
    expect(text).toContain('2 targets: not checked (UnauthorizedOperation (HTTP 403))');
    expect(text).not.toContain('555555555555)/us-east-1');
    expect(text).not.toContain('Unhealthy:');
    expect(statusMatrix([deployed('555555555555', { sharedPrefixLists: [] })], false)).not.toContain(
      'Prefix lists owned by other accounts',
    );
  });
});
