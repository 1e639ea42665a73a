// The side doors' decisions (issue N) read back from the function's log: the same fields in activity's table, its CSV
// and the report. The line is the function's own (lambda-bundle/src/log.ts), so this pins the contract both ends keep.
import { describe, expect, it } from 'vitest';
import { decisionLine } from '../../lambda-bundle/src/log.js';
import { parseDecisionLine, sideDoorText } from '../../src/activity/line.js';
import { summariseActivity } from '../../src/activity/summary.js';
import { activityCsv, activityTable, rulesOf } from '../../src/output/activity-table.js';
import { reportHtml } from '../../src/output/report-html.js';
import { reportFixture } from './report-fixture.js';

const TARGET = { account: '111122223333', accountName: 'dev', region: 'us-east-1' };
const META = { eventId: 'e-1', eventName: 'ModifyManagedPrefixList', account: TARGET.account, region: TARGET.region };

const restoredLine = JSON.stringify(
  decisionLine(
    META,
    {
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'restored',
      reason: 'version 2 added 0.0.0.0/0, which no policy allows: restored version 1',
      prefixListId: 'pl-0a1b2c3d4e5f60718',
      versionBefore: 1,
      versionAfter: 2,
      entriesAdded: ['0.0.0.0/0'],
      entriesRemoved: ['10.2.0.0/16'],
    },
    { origin: { eventTime: '2026-12-01T10:00:00Z', sourceIPAddress: null, userAgent: null } },
  ),
);
const attachedLine = JSON.stringify(
  decisionLine(
    { ...META, eventName: 'ModifyInstanceAttribute' },
    {
      groupId: 'sg-0f1e2d3c4b5a69788',
      ruleIds: ['sgr-0open'],
      direction: null,
      action: 'monitored',
      reason: 'exempt group attached',
      networkInterfaceId: 'eni-0a9b8c7d6e5f40312',
      instanceId: 'i-0123456789abcdef0',
      vpcId: 'vpc-0123456789abcdef0',
    },
    { origin: { eventTime: '2026-12-01T10:01:00Z', sourceIPAddress: null, userAgent: null } },
  ),
);

describe('side-door decisions in activity and report', () => {
  const restored = parseDecisionLine(restoredLine, 0, TARGET)!;
  const attached = parseDecisionLine(attachedLine, 0, TARGET)!;

  it("the log line's fields come back in the row: list id, versions, entries; interface, instance, VPC", () => {
    expect(restored).toMatchObject({
      action: 'restored',
      groupId: null,
      prefixListId: 'pl-0a1b2c3d4e5f60718',
      versionBefore: 1,
      versionAfter: 2,
      entriesAdded: ['0.0.0.0/0'],
      entriesRemoved: ['10.2.0.0/16'],
    });
    expect(attached).toMatchObject({
      action: 'monitored',
      groupId: 'sg-0f1e2d3c4b5a69788',
      networkInterfaceId: 'eni-0a9b8c7d6e5f40312',
      instanceId: 'i-0123456789abcdef0',
      vpcId: 'vpc-0123456789abcdef0',
    });
    expect(sideDoorText(restored)).toBe('v1→v2 +0.0.0.0/0 -10.2.0.0/16');
    expect(sideDoorText(attached)).toBe('on eni-0a9b8c7d6e5f40312 (i-0123456789abcdef0)');
    expect(rulesOf(attached)).toContain('on eni-0a9b8c7d6e5f40312 (i-0123456789abcdef0); ');
  });

  it('bad values in a forged line are dropped, not shown', () => {
    const row = parseDecisionLine(
      JSON.stringify({
        action: 'restored',
        versionBefore: -3,
        versionAfter: 'x',
        entriesAdded: 'all',
        prefixListId: {},
      }),
      0,
      TARGET,
    )!;
    expect(row).not.toHaveProperty('versionBefore');
    expect(row).not.toHaveProperty('versionAfter');
    expect(row).not.toHaveProperty('entriesAdded');
    expect(row).not.toHaveProperty('prefixListId');
  });

  const report = {
    rows: [attached, restored],
    since: '2026-12-01T00:00:00Z',
    until: '2026-12-02T00:00:00Z',
    summary: summariseActivity([attached, restored], [{ status: 'read' }]),
    targets: [],
  } as unknown as Parameters<typeof activityTable>[0];

  it('the table shows the list where the group would be, and the change in the rules column; the CSV has each field', () => {
    const table = activityTable(report, false);
    expect(table).toMatch(/restored\s+-\s+pl-0a1b2c3d4e5f60718\s+v1→v2 \+0\.0\.0\.0\/0 -10\.2\.0\.0\/16/);
    expect(table).toContain('on eni-0a9b8c7d6e5f40312 (i-0123456789abcdef0)');
    const [header, ...rows] = activityCsv(report).trim().split('\r\n');
    expect(header).toContain(
      'prefixListId,versionBefore,versionAfter,entriesAdded,entriesRemoved,networkInterfaceId,instanceId',
    );
    expect(rows[1]).toContain('pl-0a1b2c3d4e5f60718,1,2,0.0.0.0/0,10.2.0.0/16,,');
    expect(rows[0]).toMatch(/,eni-0a9b8c7d6e5f40312,i-0123456789abcdef0$/);
  });

  it('the report shows the same cells', () => {
    const data = reportFixture({ accounts: 1, lines: 0 });
    data.activity.rows.push(restored, attached);
    data.activity.summary = summariseActivity(data.activity.rows, [{ status: 'read' }]);
    const html = reportHtml(data);
    expect(html).toContain('pl-0a1b2c3d4e5f60718');
    expect(html).toContain('v1→v2 +0.0.0.0/0 -10.2.0.0/16');
  });
});
