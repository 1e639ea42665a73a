// guardrail activity end to end: deploy, then changes in three accounts (reverted, allowed, monitored) made through
// the real EC2 API, decided by the deployed function, logged to CloudWatch Logs, and read back by bin/guardrail in
// table, JSON and CSV; --action filters; a target whose logs cannot be read is reported and fails the run.
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

const REGION = 'us-east-1';
let e: E2E;
let members: string[];
const made: { account: string; action: string; principal: string; ruleText: string }[] = [];

async function ec2As(account: string, roleName?: string, sessionName = 'e2e'): Promise<EC2Client> {
  return new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, account, { roleName, sessionName })));
}

async function defaultGroup(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  return out.SecurityGroups![0]!.GroupId!;
}

/**
 * Waits for the function to decide the change just made, then moves the simulator's clock a minute on, so that the next
 * change's CloudTrail eventTime (whole seconds, what activity orders by) and log timestamp are later than this one's.
 */
async function aMinuteLater(): Promise<void> {
  expect(await whenLoopIdle(e.sim.state, 30_000)).toBe(true);
  const res = await fetch(`${e.sim.endpoint}/_sim/clock`, {
    method: 'POST',
    body: JSON.stringify({ advanceSeconds: 60 }),
  });
  expect(res.status).toBe(200);
}

/**
 * `guardrail activity` with its window ending at the simulator's "now". The window ends at this machine's clock by
 * default, and the simulator's clock is two minutes ahead of it once the changes are made (as if this machine's clock
 * were behind AWS's), so without --until the latest changes would fall after the window's end.
 */
async function activity(args: string[]) {
  const clock = (await (await fetch(`${e.sim.endpoint}/_sim/clock`)).json()) as { now: string };
  return e.run(['activity', ...args, '--until', clock.now]);
}

async function openPort(account: string, port: number, roleName?: string, session = 'e2e'): Promise<void> {
  const ec2 = await ec2As(account, roleName, session);
  try {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: await defaultGroup(ec2),
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
  } finally {
    ec2.destroy();
  }
}

beforeAll(async () => {
  e = await startE2E({ accounts: 4, regions: [REGION] });
  members = memberIds(e.sim);
  await fetch(`${e.sim.endpoint}/_sim/roles`, {
    method: 'POST',
    body: JSON.stringify({
      account: members[1],
      roleName: 'NetworkAdmin',
      trustedAccount: e.sim.state.org.managementAccountId,
    }),
  });
  e.config(
    [
      `regions: [${REGION}]`,
      'policy: { mode: enforce, onModify: alert, allowPrincipals: ["arn:aws:iam::*:role/NetworkAdmin"] }',
      'deploy: { pollSeconds: 1 }',
      '',
    ].join('\n'),
  );
  const deploy = await e.run(['deploy', '--all-accounts', '--yes']);
  expect(deploy.code, deploy.stderr).toBe(0);

  // 1. an engineer opens port 22 to the world: reverted
  await openPort(members[0]!, 22, undefined, 'intern');
  made.push({
    account: members[0]!,
    action: 'reverted',
    principal: 'assumed-role/OrganizationAccountAccessRole/intern',
    ruleText: 'tcp/22 0.0.0.0/0',
  });
  await aMinuteLater();
  // 2. a network admin opens 443: allowed
  await openPort(members[1]!, 443, 'NetworkAdmin', 'alice');
  made.push({
    account: members[1]!,
    action: 'allowed',
    principal: 'assumed-role/NetworkAdmin/alice',
    ruleText: 'tcp/443 0.0.0.0/0',
  });
  await aMinuteLater();
  // 3. a rule is modified in place (onModify: alert): monitored
  const ec2 = await ec2As(members[2]!, undefined, 'bob');
  const groupId = await defaultGroup(ec2);
  const rules = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  const ingress = rules.SecurityGroupRules!.find((r) => !r.IsEgress)!;
  await ec2.send(
    new ModifySecurityGroupRulesCommand({
      GroupId: groupId,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: ingress.SecurityGroupRuleId!,
          SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, CidrIpv4: '198.51.100.0/24' },
        },
      ],
    }),
  );
  ec2.destroy();
  made.push({
    account: members[2]!,
    action: 'monitored',
    principal: 'assumed-role/OrganizationAccountAccessRole/bob',
    ruleText: 'tcp/3389 198.51.100.0/24',
  });
  await whenLoopIdle(e.sim.state);
}, 90_000);

afterAll(async () => {
  await e?.close();
});

describe('guardrail activity', () => {
  it('lists the three changes newest first, with principal and rule, in JSON', async () => {
    const r = await activity(['--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json as unknown as {
      events: Record<string, unknown>[];
      summary: Record<string, unknown>;
      targets: unknown[];
    };
    const ours = doc.events.filter((x) => x.action !== 'ignored');
    expect(ours.map((x) => [x.account, x.action])).toEqual([...made].reverse().map((m) => [m.account, m.action]));
    for (const m of made) {
      const row = ours.find((x) => x.account === m.account)!;
      expect(String(row.principal)).toContain(m.principal);
      expect(
        (row.rules as { protocol: string; fromPort: number; source: string }[]).map(
          (x) => `${x.protocol}/${x.fromPort} ${x.source}`,
        ),
      ).toContain(m.ruleText);
      expect(row).toMatchObject({
        region: REGION,
        sourceIPAddress: expect.any(String),
        eventName: expect.stringMatching(/^(Authorize|Modify)/),
      });
    }
    expect(doc.summary).toMatchObject({
      byAction: { reverted: 1, allowed: 1, monitored: 1 },
      unreadable: 0,
      notDeployed: 0,
    });
    expect((doc.summary.topPrincipals as { principal: string }[]).length).toBe(3);
    expect(doc.targets).toHaveLength(5);
  });

  it('--action reverted keeps only the revert; table and CSV carry the principal and the rule', async () => {
    const json = await activity(['--action', 'reverted', '--output', 'json']);
    const events = (json.json as unknown as { events: { action: string; account: string }[] }).events;
    expect(events.map((x) => [x.action, x.account])).toEqual([['reverted', members[0]]]);

    const table = await activity(['--since', '1h', '--action', 'reverted,allowed,monitored']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    const order = made.map((m) => lines.findIndex((l) => l.includes(m.account) && l.includes(m.action)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(table.stdout).toContain('tcp/22 0.0.0.0/0');
    expect(table.stdout).toMatch(/activity .*: 3 decision\(s\) · 1 allowed, 1 monitored, 1 reverted/);
    expect(table.stdout).toContain('top principals:');

    const csv = await activity(['--action', 'reverted', '--output', 'csv']);
    const [header, row, ...rest] = csv.stdout.trim().split('\r\n');
    expect(header).toBe(
      'time,account,accountName,region,action,reason,eventName,eventId,groupId,vpcId,direction,rules,principal,sourceIPAddress,userAgent,approvalId,prefixListId,versionBefore,versionAfter,entriesAdded,entriesRemoved,networkInterfaceId,instanceId',
    );
    expect(rest).toEqual([]);
    expect(row).toContain(`,${members[0]},`);
    expect(row).toContain('tcp/22 0.0.0.0/0');
    expect(row).toContain('assumed-role/OrganizationAccountAccessRole/intern');
  });

  it('a target whose logs cannot be read is reported and exits 1; an account never deployed is "not deployed"; a removed one\'s kept log is read', async () => {
    const rm = await e.run(['remove', '--account', members[2]!, '--yes']);
    expect(rm.code, rm.stderr).toBe(0);
    await e.faults({ denyAssume: [members[3]!] });
    const added = await fetch(`${e.sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'newcomer' }),
    });
    const newcomer = ((await added.json()) as { id: string }).id;
    try {
      const r = await activity(['--output', 'json']);
      expect(r.code).toBe(1);
      const doc = r.json as unknown as {
        targets: { account: string; status: string; error: string | null }[];
        summary: Record<string, number>;
      };
      expect(doc.targets.find((t) => t.account === members[3])).toMatchObject({
        status: 'unreadable',
        error: expect.stringContaining('AccessDenied'),
      });
      expect(doc.targets.find((t) => t.account === newcomer)).toMatchObject({ status: 'not-deployed', error: null });
      expect(doc.summary).toMatchObject({ unreadable: 1, notDeployed: 1, byAction: { monitored: 1 } });
      expect(doc.targets.find((t) => t.account === members[2])).toMatchObject({ status: 'read', error: null });
      const table = await activity([]);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain('Could not read:');
      expect(table.stdout).toContain(members[3]);
    } finally {
      await e.faults({ denyAssume: [] });
    }
  });
});
