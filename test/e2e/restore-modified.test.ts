// Issue M's acceptance, with the built bin/guardrail and member admins acting through the SDK: a modified rule is put
// back to what it was, never deleted. Three member accounts hold rules from before the deploy: the first gets a
// baseline (`guardrail baseline`), the second records AWS Config history and has no baseline, the third has neither.
// Then, in each: a widening of tcp/5432 10.0.0.0/16 to 0.0.0.0/0 is restored (same id, activity shows `restored`
// with before and after), a description edit and a narrowing are kept; with neither source, the modification follows
// onModifyUnknown (alert: logged failed, notified, nothing deleted).
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

const REGION = 'us-east-1';
let e: E2E;
let baselined: string;
let withConfig: string;
let unknown: string;
const ec2s = new Map<string, EC2Client>();
/** per account: the group and its three rules' ids */
const made = new Map<string, { groupId: string; db: string; web: string; cache: string }>();

async function ec2Of(account: string): Promise<EC2Client> {
  let c = ec2s.get(account);
  if (!c) {
    c = new EC2Client({
      ...clientConfig(e.sim, REGION, await assumeInto(e.sim, account, { sessionName: 'dba' })),
      maxAttempts: 1,
    });
    ec2s.set(account, c);
  }
  return c;
}

async function rulesOf(account: string): Promise<Map<string, SecurityGroupRule>> {
  const ec2 = await ec2Of(account);
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [made.get(account)!.groupId] }] }),
  );
  return new Map((out.SecurityGroupRules ?? []).map((r) => [r.SecurityGroupRuleId!, r]));
}

/** A group with the three rules an application relies on, made before guardrail is deployed. */
async function makeRules(account: string): Promise<void> {
  const ec2 = await ec2Of(account);
  const g = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'orders-db', Description: 'orders database' }));
  const add = async (port: number, cidr: string, description: string) => {
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g.GroupId!,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr, Description: description }] },
        ],
      }),
    );
    return out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
  };
  made.set(account, {
    groupId: g.GroupId!,
    db: await add(5432, '10.0.0.0/16', 'orders app'),
    web: await add(443, '10.2.0.0/16', 'internal web'),
    cache: await add(6379, '10.0.0.0/8', 'cache clients'),
  });
}

async function modify(account: string, ruleId: string, port: number, cidr: string, description: string): Promise<void> {
  const ec2 = await ec2Of(account);
  await ec2.send(
    new ModifySecurityGroupRulesCommand({
      GroupId: made.get(account)!.groupId,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: ruleId,
          SecurityGroupRule: {
            IpProtocol: 'tcp',
            FromPort: port,
            ToPort: port,
            CidrIpv4: cidr,
            Description: description,
          },
        },
      ],
    }),
  );
}

interface Line {
  account: string;
  action: string;
  rules: { ruleId?: string }[];
  reason: string;
  before?: { source: string };
  after?: { source: string };
}
const idsOf = (d: Line) => d.rules.map((r) => r.ruleId);
async function decisionsIn(account: string): Promise<Line[]> {
  const r = await e.run(['activity', '--since', '1h', '--account', account, '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as unknown as { events: Line[] }).events;
}

beforeAll(async () => {
  e = await startE2E({ accounts: 3, regions: [REGION], stackMs: 40 });
  [baselined, withConfig, unknown] = memberIds(e.sim) as [string, string, string];
  // the second account records its security groups in AWS Config before its rules are made
  const on = await fetch(`${e.sim.endpoint}/_sim/config`, {
    method: 'POST',
    body: JSON.stringify({ account: withConfig, region: REGION, recording: true }),
  });
  expect(on.status).toBe(200);
  for (const a of [baselined, withConfig, unknown]) await makeRules(a);
  // the defaults: onModify restore, onModifyUnknown alert
  e.config(`regions: [${REGION}]\ndeploy: { pollSeconds: 1 }\nnotifications: { email: secops@example.com }\n`);
  const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(deploy.code, deploy.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const c of ec2s.values()) c.destroy();
  await e?.close();
});

describe('restore, never destroy (issue M)', () => {
  it('guardrail baseline records the rules that were there before the deploy, and needs --yes without a terminal', async () => {
    const refused = await e.run(['baseline', '--account', baselined]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs confirmation.*--yes/s);
    const r = await e.run(['baseline', '--account', baselined, '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json as unknown as {
      table: string;
      targets: Record<string, unknown>[];
      summary: Record<string, number>;
    };
    expect(doc.table).toBe('guardrail-approvals-rules');
    expect(doc.targets).toEqual([expect.objectContaining({ account: baselined, region: REGION, result: 'succeeded' })]);
    // the three rules of orders-db, the default group's egress rule, and the group's own default egress rule
    expect(doc.summary.rules).toBeGreaterThanOrEqual(4);
    expect(doc.summary.recorded).toBe(doc.summary.rules);
  });

  it('widening 10.0.0.0/16 to 0.0.0.0/0 is restored with the same id, from the baseline and from AWS Config', async () => {
    for (const account of [baselined, withConfig]) {
      const { db } = made.get(account)!;
      await modify(account, db, 5432, '0.0.0.0/0', 'orders app');
    }
    await whenLoopIdle(e.sim.state, 30_000);
    for (const account of [baselined, withConfig]) {
      const rule = (await rulesOf(account)).get(made.get(account)!.db);
      expect(rule, `${account}: the rule is gone`).toBeDefined();
      expect(rule).toMatchObject({ CidrIpv4: '10.0.0.0/16', FromPort: 5432, ToPort: 5432, Description: 'orders app' });
      const restored = (await decisionsIn(account)).find((d) => d.action === 'restored');
      expect(restored && idsOf(restored)).toEqual([made.get(account)!.db]);
      expect(restored, `${account}: no restored line`).toMatchObject({
        before: { source: '10.0.0.0/16' },
        after: { source: '0.0.0.0/0' },
      });
    }
  });

  it('a description edit and a narrowing are kept', async () => {
    for (const account of [baselined, withConfig]) {
      const { web, cache } = made.get(account)!;
      await modify(account, web, 443, '10.2.0.0/16', 'internal web (ticket 4711)');
      await modify(account, cache, 6379, '10.20.0.0/16', 'cache clients');
    }
    await whenLoopIdle(e.sim.state, 30_000);
    for (const account of [baselined, withConfig]) {
      const rules = await rulesOf(account);
      const { web, cache } = made.get(account)!;
      expect(rules.get(web)).toMatchObject({ CidrIpv4: '10.2.0.0/16', Description: 'internal web (ticket 4711)' });
      expect(rules.get(cache)).toMatchObject({ CidrIpv4: '10.20.0.0/16', FromPort: 6379 });
      const kept = (await decisionsIn(account)).filter(
        (d) => d.action === 'allowed' && (idsOf(d).includes(web) || idsOf(d).includes(cache)),
      );
      expect(kept.map((d) => idsOf(d)[0]).sort()).toEqual([web, cache].sort());
    }
  });

  it('a rule guardrail has never seen, with no Config: onModifyUnknown alert logs failed, notifies, deletes nothing', async () => {
    const { groupId, db } = made.get(unknown)!;
    const sent = regionState(e.sim.state, unknown, REGION).snsMessages.length;
    await modify(unknown, db, 5432, '0.0.0.0/0', 'orders app');
    await whenLoopIdle(e.sim.state, 30_000);
    expect((await rulesOf(unknown)).get(db)).toMatchObject({ CidrIpv4: '0.0.0.0/0', GroupId: groupId });
    const line = (await decisionsIn(unknown)).find((d) => idsOf(d).includes(db) && d.action !== 'ignored');
    expect(line).toMatchObject({ action: 'failed' });
    expect(line!.reason).toMatch(/previous definition/i);
    const notes = regionState(e.sim.state, unknown, REGION).snsMessages.slice(sent);
    expect(notes.some((m) => m.message.includes(db))).toBe(true);
  });

  it('baseline --all-accounts records every account; run again, it records what is there now', async () => {
    const first = await e.run(['baseline', '--all-accounts', '--yes', '--output', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const doc = first.json as unknown as { targets: { account: string; result: string; recorded: number }[] };
    expect(doc.targets.map((t) => t.account).sort()).toEqual([...e.sim.state.org.accounts.keys()].sort());
    for (const t of doc.targets) expect(t.result).toBe('succeeded');
    // the function's record of the restored rule stays what it restored (it was seen later than nothing older)
    const widened = await e.run(['baseline', '--account', unknown, '--yes', '--output', 'json']);
    expect(widened.code, widened.stderr).toBe(0);
    expect(
      (widened.json as unknown as { summary: { openToWorld: number } }).summary.openToWorld,
    ).toBeGreaterThanOrEqual(1);
    expect(widened.stdout).toMatch(/open to 0\.0\.0\.0\/0 or ::\/0 were recorded as they are/);
  });
});
