// One product on both engines (issue P): with deploy.engine stacksets, 10 accounts × 2 regions, the built CLI and
// the instance stacks' functions against the simulator. A switch from direct to stacksets keeps the decision history
// whole (activity over the switch lists both engines' lines, each once); an approval in a member account keeps the
// approved part of a request and reverts the rest, and the sweep in the instance expires it when the clock moves; an
// account created later in a targeted OU, with no guardrail run, keeps an approved rule and reverts the rest; the
// report draws the instances' decisions.
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, memberIds, waitFor } from '../sim/test/helpers.js';
import { decisionsOf, startE2E, type CliRun, type E2E } from './harness.js';

const REGION = 'us-east-1';
const config = (engine: 'direct' | 'stacksets') =>
  e.config(
    [
      'regions: [us-east-1, us-west-2]',
      `deploy: { engine: ${engine}, pollSeconds: 1 }`,
      'approvals: { enabled: true, maxDuration: 1d, sweepMinutes: 1 }',
      '',
    ].join('\n'),
  );

interface Decision {
  eventId?: string;
  groupId: string;
  ruleIds: string[];
  action: string;
  approvalId?: string;
}
interface Row {
  account: string;
  region: string;
  action: string;
  eventId?: string;
  approvalId?: string;
}

let e: E2E;
const clients: EC2Client[] = [];

async function groupIn(account: string): Promise<{ ec2: EC2Client; groupId: string }> {
  const ec2 = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, account)));
  clients.push(ec2);
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  return { ec2, groupId: groups.SecurityGroups![0]!.GroupId! };
}

async function authorize(g: { ec2: EC2Client; groupId: string }, ...perms: [number, string][]): Promise<string[]> {
  const out = await g.ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: g.groupId,
      IpPermissions: perms.map(([port, cidr]) => ({
        IpProtocol: 'tcp',
        FromPort: port,
        ToPort: port,
        IpRanges: [{ CidrIp: cidr }],
      })),
    }),
  );
  await whenLoopIdle(e.sim.state, 20_000);
  return (out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId!);
}

async function ruleIds(g: { ec2: EC2Client; groupId: string }): Promise<string[]> {
  const out = await g.ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [g.groupId] }] }),
  );
  return (out.SecurityGroupRules ?? []).map((r: SecurityGroupRule) => r.SecurityGroupRuleId!);
}

const invocations = (account: string) => regionState(e.sim.state, account, REGION).invocations;
const decisionsSince = (account: string, from: number) =>
  invocations(account)
    .slice(from)
    .flatMap((i) => decisionsOf<Decision>(i.result));

async function approve(account: string, groupId: string, rule: string): Promise<string> {
  const r = await e.run([
    'approve',
    '--account',
    account,
    '--region',
    REGION,
    '--group',
    groupId,
    '--rule',
    rule,
    '--for',
    '10m',
    '--reason',
    'partner test',
    '--output',
    'json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as unknown as { approval: { id: string } }).approval.id;
}

const rowsOf = (r: CliRun) => (r.json as unknown as { events: Row[] }).events;

beforeAll(async () => {
  e = await startE2E({ accounts: 10, stackMs: 20, stackSetStartMs: 10, stackSetInstanceMs: 5 });
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.destroy();
  await e?.close();
});

describe('approvals, activity and report with engine stacksets (10 accounts × 2 regions)', () => {
  let switched = '';

  it("a switch from direct to stacksets keeps the history: activity lists both engines' lines, each once", async () => {
    config('direct');
    const direct = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(direct.code, direct.stderr).toBe(0);
    switched = memberIds(e.sim)[0]!;
    const g = await groupIn(switched);
    await authorize(g, [3389, '0.0.0.0/0']);

    config('stacksets');
    const sets = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(sets.code, sets.stderr).toBe(0);
    expect((sets.json as unknown as { engine: string }).engine).toBe('stacksets');
    expect((sets.json as unknown as { approvalStore: { result: string } }).approvalStore.result).not.toBe('failed');
    await authorize(g, [5900, '0.0.0.0/0']);

    const r = await e.run([
      'activity',
      '--since',
      '1h',
      '--account',
      switched,
      '--regions',
      REGION,
      '--output',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const reverted = rowsOf(r).filter((x) => x.action === 'reverted');
    expect(reverted).toHaveLength(2);
    expect(new Set(reverted.map((x) => x.eventId)).size).toBe(2);
  });

  it('an approval in a member keeps the approved part of a request, reverts the rest, and expires with the clock', async () => {
    const member = memberIds(e.sim)[1]!;
    const g = await groupIn(member);
    const approvalId = await approve(member, g.groupId, 'tcp/443 203.0.113.0/24');
    const before = invocations(member).length;
    const [kept, opened] = await authorize(g, [443, '203.0.113.0/25'], [22, '0.0.0.0/0']);
    const now = await ruleIds(g);
    expect(now).toContain(kept);
    expect(now).not.toContain(opened);
    const decided = decisionsSince(member, before);
    expect(decided.find((d) => d.action === 'approved')).toMatchObject({ ruleIds: [kept], approvalId });
    expect(decided.find((d) => d.action === 'reverted')).toMatchObject({ ruleIds: [opened] });

    const status = await e.run(['status', '--no-drift', '--account', member, '--output', 'json']);
    const row = status.json!.targets.find((t) => t.region === REGION)!;
    expect(String(row.stackName)).toMatch(/^StackSet-guardrail-/);
    expect(row.approvals).toBe(1);

    const sweepFrom = invocations(member).length;
    await fetch(`${e.sim.endpoint}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 11 * 60 }) });
    await whenLoopIdle(e.sim.state, 20_000);
    expect(await ruleIds(g)).not.toContain(kept);
    expect(decisionsSince(member, sweepFrom).find((d) => d.action === 'expired')).toMatchObject({
      ruleIds: [kept],
      approvalId,
    });
  });

  it('an account created later in a targeted OU keeps an approved rule and reverts the rest, with no guardrail run', async () => {
    const prod = [...e.sim.state.org.ous.values()].find((o) => o.name === 'Prod')!.id;
    const res = await fetch(`${e.sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'newcomer', parentId: prod }),
    });
    const { id } = (await res.json()) as { id: string };
    await waitFor(() => (instanceReady(id) ? true : undefined), 20_000, {
      what: () => `no stack set instance in ${id}/${REGION}`,
    });
    const g = await groupIn(id);
    const approvalId = await approve(id, g.groupId, 'tcp/8443 198.51.100.0/24');
    const before = invocations(id).length;
    const [kept, opened] = await authorize(g, [8443, '198.51.100.7/32'], [3306, '0.0.0.0/0']);
    const now = await ruleIds(g);
    expect(now).toContain(kept);
    expect(now).not.toContain(opened);
    expect(decisionsSince(id, before).find((d) => d.action === 'approved')).toMatchObject({
      ruleIds: [kept],
      approvalId,
    });

    // the simulator's clock moved on for the sweep above and the CLI's did not, as a machine whose clock is behind
    // AWS's: without --until the window reaches the logs' end, so these decisions are read all the same
    const r = await e.run(['activity', '--since', '2h', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json!.targets as { status: string }[]).filter((t) => t.status !== 'read')).toEqual([]);
    const mine = rowsOf(r).filter((x) => x.account === id);
    expect(
      mine
        .filter((x) => x.action === 'approved' || x.action === 'reverted')
        .map((x) => x.action)
        .sort(),
    ).toEqual(['approved', 'reverted']);
    expect(mine.find((x) => x.action === 'approved')?.approvalId).toBe(approvalId);

    const page = await e.run(['report', '--out', '-', '--no-drift', '--since', '2h']);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toContain(switched);
    expect(page.stdout).toMatch(/Logs read from (\d+) of \1 targets; 0 not deployed; 0 could not be read/);
  });
});

/** The account's stack set instance in REGION has been created. */
function instanceReady(account: string): boolean {
  const live = (
    e.sim.state.accounts.get(account)?.regions.get(REGION)?.cfn as
      { live?: Map<string, { stackName: string; status: string }> } | undefined
  )?.live;
  return [...(live?.values() ?? [])].some(
    (s) => s.stackName.startsWith('StackSet-guardrail-') && s.status === 'CREATE_COMPLETE',
  );
}
