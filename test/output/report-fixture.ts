// A ReportData made in memory (no AWS), for the renderer's tests and the size/open-time bench.
import type { ActivityRow } from '../../src/activity/line.js';
import { newestFirst } from '../../src/activity/read.js';
import { summariseActivity } from '../../src/activity/summary.js';
import type { ReportData, ReportStatusRow } from '../../src/report/gather.js';

const ACTIONS = ['reverted', 'allowed', 'monitored', 'ignored', 'failed', 'approved'];

export function statusRow(
  account: string,
  name: string,
  region: string,
  extra: Partial<ReportStatusRow> = {},
): ReportStatusRow {
  return {
    account,
    accountName: name,
    region,
    stackName: 'guardrail',
    deployed: true,
    stackStatus: 'CREATE_COMPLETE',
    version: 'current',
    code: 'current',
    rule: 'ENABLED',
    pendingReverts: 0,
    drift: 'IN_SYNC',
    driftedResources: [],
    notCheckedResources: [],
    healthy: true,
    problems: [],
    error: null,
    durationMs: 10,
    ...extra,
  };
}

/** `accounts` accounts × 2 regions, one tampered; `lines` decisions spread over 30 days (seeded, deterministic). */
export function reportFixture(opts: {
  accounts: number;
  lines: number;
  names?: (i: number) => string;
  extraRow?: Partial<ReportStatusRow>;
}): ReportData {
  const until = Date.parse('2026-11-29T12:00:00Z');
  const since = until - 30 * 86_400_000;
  const rows: ReportStatusRow[] = [];
  for (let i = 0; i < opts.accounts; i++) {
    const id = String(100000000000 + i);
    for (const region of ['eu-west-1', 'us-east-1']) {
      const tampered = i === 1 && region === 'us-east-1';
      rows.push(
        statusRow(
          id,
          opts.names?.(i) ?? `account-${i}`,
          region,
          tampered
            ? {
                healthy: false,
                rule: 'DISABLED',
                drift: 'DRIFTED',
                problems: ['rule DISABLED', 'ChangeRule MODIFIED (State)'],
                driftedResources: [
                  {
                    logicalId: 'ChangeRule',
                    type: 'AWS::Events::Rule',
                    status: 'MODIFIED',
                    differences: [{ path: 'State', expected: 'ENABLED', actual: 'DISABLED' }],
                  },
                ],
              }
            : opts.extraRow,
        ),
      );
    }
  }
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const events: ActivityRow[] = Array.from({ length: opts.lines }, (_, i) => {
    const account = String(100000000000 + Math.floor(rand() * opts.accounts));
    const action = ACTIONS[Math.floor(rand() * ACTIONS.length)]!;
    return {
      time: new Date(since + Math.floor(rand() * (until - since))).toISOString(),
      account,
      accountName: opts.names?.(Number(account) - 100000000000) ?? `account-${Number(account) - 100000000000}`,
      region: rand() < 0.5 ? 'us-east-1' : 'eu-west-1',
      eventName: 'AuthorizeSecurityGroupIngress',
      eventId: `e-${i}`,
      groupId: `sg-${(i * 7919).toString(16).padStart(17, '0')}`,
      vpcId: 'vpc-0123456789abcdef0',
      direction: 'ingress',
      rules: [
        {
          ruleId: `sgr-${i.toString(16).padStart(17, '0')}`,
          protocol: 'tcp',
          fromPort: 22,
          toPort: 22,
          source: '0.0.0.0/0',
        },
      ],
      rulesOmitted: 0,
      principal: `arn:aws:sts::${account}:assumed-role/Dev/user${i % 37}`,
      sourceIPAddress: '198.51.100.7',
      userAgent: 'aws-cli/2.15.0',
      action,
      reason: action === 'reverted' ? 'revoked 1 ingress rule(s) by id' : `${action} by policy`,
      approvalId: action === 'approved' ? `apv-${i}` : null,
    };
  }).sort(newestFirst);
  const targets = rows.map((r) => ({
    account: r.account,
    accountName: r.accountName,
    region: r.region,
    status: 'read' as const,
    events: 0,
    error: null,
    durationMs: 5,
  }));
  const healthy = rows.filter((r) => r.healthy).length;
  return {
    generatedAt: new Date(until).toISOString(),
    version: '0.1.0',
    configDigest: 'sha256:abc',
    caller: { account: '100000000000', arn: 'arn:aws:iam::100000000000:root' },
    status: {
      engine: 'direct',
      notes: [],
      version: 'f58eba0977853193',
      settingsDigest: '0123456789abcdef',
      codeSha256: 'PbFWUF4ff7',
      codeReference: 'local bundle',
      targets: rows,
      excluded: [],
      interrupted: false,
      summary: {
        targets: rows.length,
        healthy,
        unhealthy: rows.length - healthy,
        drifted: 1,
        outdated: 0,
        configurationDiffers: 0,
        removed: 0,
        missing: 0,
        failed: 0,
        targetsWithPendingReverts: 0,
        pendingReverts: 0,
        targetsWithSharedPrefixLists: 0,
        sharedPrefixLists: 0,
        excludedAccounts: 0,
        protected: 0,
        protectionOutdated: 0,
        unprotected: 0,
      },
      protectionError: null,
    },
    activity: {
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      filterPattern: '{ $.action = "*" }',
      rows: events,
      targets,
      summary: summariseActivity(events, targets),
      interrupted: false,
    },
  };
}
