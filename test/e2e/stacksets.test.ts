// The stacksets engine end to end: the built CLI against the simulator with 30 member accounts × 2 regions. The
// management account is deployed directly; the members through one service-managed stack set. An unchanged re-run
// writes nothing, a policy change updates the stack set (canary first), an account created later in a targeted OU
// is protected with no guardrail run (its change is reverted), status has the direct engine's shape, and remove
// takes one account, then all (the stack set too).
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCalls, liveStacks, progressVerdicts, startE2E, type CliRun, type E2E } from './harness.js';
import { assumeInto, clientConfig } from '../sim/test/helpers.js';
import { stackSetsOf } from '../sim/stacksets/model.js';

const WRITES = [
  'CreateStackSet',
  'UpdateStackSet',
  'DeleteStackSet',
  'CreateStackInstances',
  'UpdateStackInstances',
  'DeleteStackInstances',
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'CreateChangeSet',
  'ExecuteChangeSet',
  'ActivateOrganizationsAccess',
].map((op) => `cloudformation.${op}`);

let e: E2E;
/** the account created in a targeted OU after the deploy */
let newcomer = '';
const config = (extra = '') => e.config(`deploy:\n  engine: stacksets\n  pollSeconds: 1\n${extra}`);
const rowsOf = (r: CliRun) => r.json!.targets;
const instanceCount = () => [...stackSetsOf(e.sim.state).stackSets.values()].reduce((n, s) => n + s.instances.size, 0);

beforeAll(async () => {
  e = await startE2E({ accounts: 30, stackMs: 60, stackSetStartMs: 20, stackSetInstanceMs: 10 });
  config();
});
afterAll(async () => {
  await e.close();
});

describe('deploy, status and remove with engine stacksets (30 accounts × 2 regions)', () => {
  it('without trusted access: exit 2 before anything changes, naming what to run', async () => {
    const r = await e.run(['deploy', '--all-accounts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trusted access/);
    expect(r.stderr).toMatch(/activate-organizations-access/);
    expect(countCalls(await e.calls(), WRITES)).toBe(0);
  });

  it('plans the stack set, the management account directly, and changes nothing with --plan', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--plan', '--output', 'json']);
    expect(r.code).toBe(0);
    const doc = r.json as unknown as { engine: string; notes: string[] };
    expect(doc.engine).toBe('stacksets');
    expect(doc.notes.join('\n')).toMatch(/Management account \d{12} is deployed directly/);
    expect(doc.notes.join('\n')).toMatch(/trusted access/);
    // the template buckets it would create, each named once: the stack set's region is also one of the management
    // account's, whose direct part names its bucket first
    const named = doc.notes.join('\n').match(/guardrail-templates-\d{12}-[a-z0-9-]+/g) ?? [];
    expect(named.length).toBeGreaterThan(0);
    expect(named).toEqual([...new Set(named)]);
    expect([...(r.json!.templateBuckets as string[])].sort()).toEqual([...named].sort());
    expect(rowsOf(r)).toHaveLength(62);
    expect(countCalls(await e.calls(), WRITES)).toBe(0);
  });

  it('deploys: the stack set with instances in every member, the management account directly', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 62, succeeded: 62, failed: 0 });
    const mgmt = e.sim.state.org.managementAccountId;
    const rows = rowsOf(r);
    expect(rows.filter((t) => t.account === mgmt).every((t) => t.stackName === 'guardrail')).toBe(true);
    expect(
      rows
        .filter((t) => t.account !== mgmt)
        .every((t) => /^StackSet-guardrail-[0-9a-f-]{36}$/.test(String(t.stackName))),
    ).toBe(true);
    expect(instanceCount()).toBe(60);
    // canary first: one account's instances, then the rest
    const ops = (r.json as unknown as { operations: { what: string }[] }).operations.map((o) => o.what);
    expect(ops[0]).toMatch(/^canary: add instances for 1 account/);
    expect(ops[1]).toMatch(/add instances for 29 account/);
    // the stack set's template went as TemplateURL, from the management account's template bucket in its region
    const version = String((r.json as unknown as { templateVersion: string }).templateVersion);
    const holding = [...e.sim.state.buckets.values()].filter(
      (b) => b.name.startsWith(`guardrail-templates-${mgmt}-`) && b.objects?.has(`guardrail/${version}.yaml`),
    );
    expect(holding.map((b) => b.name)).toEqual([`guardrail-templates-${mgmt}-us-east-1`]);
    expect(holding[0]!.owner).toBe(mgmt);
  });

  it('an unchanged re-run makes no writing call and reports every target unchanged', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 62, unchanged: 62 });
    expect(countCalls(await e.calls(), WRITES)).toBe(0);
  });

  it('a policy change updates the stack set, canary first, and every instance follows', async () => {
    config('policy:\n  onModify: alert\n');
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ succeeded: 62 });
    const ops = (r.json as unknown as { operations: { what: string }[] }).operations.map((o) => o.what);
    expect(ops[0]).toMatch(/^canary: update the stack set/);
    expect(ops[1]).toMatch(/^update the stack set/);
    const sets = [...stackSetsOf(e.sim.state).stackSets.values()];
    expect([...sets[0]!.instances.values()].every((i) => i.status === 'CURRENT')).toBe(true);
  });

  it('protects an account created later in a targeted OU without any guardrail run: its change is reverted', async () => {
    const prod = [...e.sim.state.org.ous.values()].find((o) => o.name === 'Prod')!.id;
    const res = await fetch(`${e.sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'newcomer', parentId: prod }),
    });
    const { id } = (await res.json()) as { id: string };
    const deadline = Date.now() + 20_000;
    while (!['us-east-1', 'us-west-2'].every((r) => stackIn(id, r))) {
      if (Date.now() > deadline) throw new Error('the new account got no instances');
      await sleep(50);
    }
    const creds = await assumeInto(e.sim, id);
    const ec2 = new EC2Client(clientConfig(e.sim, 'us-east-1', creds));
    const group = (
      await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }))
    ).SecurityGroups![0]!.GroupId!;
    const added = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: group,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const ruleId = added.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    let gone = false;
    for (const until = Date.now() + 15_000; Date.now() < until && !gone; await sleep(25)) {
      const rules = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [group] }] }),
      );
      gone = !(rules.SecurityGroupRules ?? []).some((x) => x.SecurityGroupRuleId === ruleId);
    }
    ec2.destroy();
    expect(gone).toBe(true);
    newcomer = id;
  });

  it('activity and report read the instance stacks\' decision logs, not "not deployed"', async () => {
    const r = await e.run(['activity', '--since', '1h', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const targets = rowsOf(r) as { account: string; region: string; status: string }[];
    expect(
      targets.filter((t) => t.status !== 'read'),
      'every target has guardrail: its log is read',
    ).toEqual([]);
    const events = (r.json as unknown as { events: { account: string; action: string; principal: string }[] }).events;
    expect(events.filter((x) => x.account === newcomer && x.action === 'reverted')).toHaveLength(1);
    const page = await e.run(['report', '--out', '-', '--no-drift', '--since', '1h']);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toContain(newcomer);
    expect(page.stdout).toMatch(/Logs read from (\d+) of \1 targets; 0 not deployed; 0 could not be read/);
  });

  it("status has the direct engine's shape, with the engine named, and counts the new account as healthy", async () => {
    const r = await e.run(['status', '--output', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((r.json as unknown as { engine: string }).engine).toBe('stacksets');
    expect(r.json!.summary).toMatchObject({ targets: 64, healthy: 64, drifted: 0, missing: 0 });
    const keys = [
      'account',
      'accountName',
      'region',
      'stackName',
      'deployed',
      'stackStatus',
      'version',
      'code',
      'rule',
      'drift',
      'driftedResources',
      'healthy',
    ];
    for (const row of rowsOf(r)) for (const k of keys) expect(row).toHaveProperty(k);
    const member = rowsOf(r).find((t) => String(t.stackName).startsWith('StackSet-'))!;
    // the stack set's tags reach its instances' stacks: the settings digest is judged as for a direct stack
    expect(member).toMatchObject({
      instanceStatus: 'CURRENT',
      drift: 'IN_SYNC',
      code: 'current',
      rule: 'ENABLED',
      configuration: 'same',
    });
    expect(progressVerdicts(r.stderr)).toEqual(
      new Map(rowsOf(r).map((t) => [`${String(t.account)}/${String(t.region)}`, t.healthy ? 'healthy' : 'unhealthy'])),
    );
  });

  it("removes one account's instances (naming the retained trail bucket), then everything and the stack set", async () => {
    const mgmt = e.sim.state.org.managementAccountId;
    const one = [...e.sim.state.org.accounts.keys()].find((id) => id !== mgmt)!;
    const r1 = await e.run(['remove', '--account', one, '--yes', '--output', 'json']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.json!.summary).toMatchObject({ succeeded: 2 });
    expect((r1.json as unknown as { retainedBuckets: unknown[] }).retainedBuckets).toHaveLength(1);
    expect(instanceCount()).toBe(60);
    // the account without instances is `removed` (remove's marker), not unhealthy: status exits 0
    const st = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(st.code, st.stdout).toBe(0);
    for (const row of rowsOf(st).filter((t) => t.account === one))
      expect(row).toMatchObject({ healthy: true, deployed: false, problems: [] });
    expect(st.json!.summary).toMatchObject({ removed: 2, unhealthy: 0 });
    const r2 = await e.run(['remove', '--all-accounts', '--yes', '--output', 'json']);
    expect(r2.code, r2.stderr).toBe(0);
    expect((r2.json as unknown as { notes: string[] }).notes.join('\n')).toMatch(/Deleted the stack set guardrail/);
    expect(stackSetsOf(e.sim.state).stackSets.size).toBe(0);
    expect(liveStacks(e).size).toBe(0);
  });
});

function stackIn(account: string, region: string): boolean {
  const rs = e.sim.state.accounts.get(account)?.regions.get(region);
  const live = (rs?.cfn as { live?: Map<string, { stackName: string; status: string }> } | undefined)?.live;
  return [...(live?.values() ?? [])].some(
    (s) => s.stackName.startsWith('StackSet-guardrail-') && s.status === 'CREATE_COMPLETE',
  );
}
