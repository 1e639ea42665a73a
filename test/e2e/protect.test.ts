// End to end, through the built bin/guardrail: `protect` plans and attaches the guardrail-protect SCP; status then
// says every member is `protected` (the management account `not-applicable`), `outdated` after a stack-name change,
// `unprotected` after a hand detach. A member admin's DisableRule, UpdateFunctionCode and DeleteStack on guardrail
// are denied by the SCP, while guardrail's own deploy role still updates and removes its stacks.
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { DetachPolicyCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeInto, clientConfig, errorOf, memberIds, type TestCredentials } from '../sim/test/helpers.js';
import { zipSingleFile } from '../sim/zip.js';
import { countCalls, liveStacks, startE2E, type CliRun, type E2E } from './harness.js';

const REGION = 'us-east-1';
const CONFIG = `regions: [${REGION}]\ndeploy:\n  pollSeconds: 1\n`;

interface Row {
  account: string;
  protection: string;
  healthy: boolean;
  problems: string[];
  terminationProtection: boolean | null;
}
const rows = (r: CliRun) => (r.json?.targets ?? []) as unknown as Row[];
const protectionOf = (r: CliRun) => Object.fromEntries(rows(r).map((t) => [t.account, t.protection]));

describe('guardrail protect (3 members, 1 region)', () => {
  let e: E2E;
  let members: string[];
  let mgmt: string;
  let org: OrganizationsClient;
  let admin: TestCredentials;
  let policyId: string;

  const expectAll = (r: CliRun, value: string) => {
    const p = protectionOf(r);
    expect(p[mgmt]).toBe('not-applicable');
    for (const m of members) expect(p[m], m).toBe(value);
  };

  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: [REGION], stackMs: 40 });
    e.config(CONFIG);
    members = memberIds(e.sim);
    mgmt = e.sim.state.org.managementAccountId;
    org = new OrganizationsClient({ ...clientConfig(e.sim), maxAttempts: 1 });
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    // an administrator of the first member account who is not guardrail's deploy role
    await fetch(`${e.sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account: members[0], roleName: 'Admin' }),
    });
    admin = await assumeInto(e.sim, members[0]!, { roleName: 'Admin', sessionName: 'mallory' });
  });

  afterAll(async () => {
    org?.destroy();
    await e?.close();
  });

  it('--plan with SCPs off prints the plan that starts by enabling them (exit 0, nothing written); --attach needs --yes without a terminal', async () => {
    await e.resetCalls();
    const root = e.sim.state.org.rootId;
    const plan = await e.run(['protect', '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`^  enable service control policies on the root ${root}$`, 'm'));
    expect(plan.stdout).toMatch(/^ {2}policy: create$/m);
    expect(plan.stdout).toMatch(
      new RegExp(`^  attach to ${root} \\(ROOT\\): not attached \\(SCPs off: FullAWSAccess will be 1 of 5\\)$`, 'm'),
    );
    expect(plan.stdout).toMatch(/protect --plan \(nothing changed\)/);
    const json = await e.run(['protect', '--plan', '--output', 'json']);
    expect(json.json).toMatchObject({ applied: false, enablePolicyType: true, policyAction: 'create', rootId: root });
    expect(
      countCalls(await e.calls(), [
        'organizations.EnablePolicyType',
        'organizations.CreatePolicy',
        'organizations.AttachPolicy',
      ]),
    ).toBe(0);
    const attach = await e.run(['protect', '--attach']);
    expect(attach.code).toBe(2);
    expect(attach.stderr).toMatch(/--yes/);
  });

  it('--attach enables SCPs, creates guardrail-protect and attaches it to the root; --plan then has nothing to do', async () => {
    const r = await e.run(['protect', '--attach', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ command: 'protect', applied: true, enablePolicyType: true, policyAction: 'create' });
    expect(r.json?.targets).toEqual([
      expect.objectContaining({ targetId: e.sim.state.org.rootId, action: 'attach', result: 'succeeded' }),
    ]);
    policyId = String(r.json?.policyId);
    const plan = await e.run(['protect', '--plan', '--output', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json).toMatchObject({ applied: false, enablePolicyType: false, policyAction: 'none' });
    expect(plan.json?.targets).toEqual([expect.objectContaining({ action: 'none' })]);
  });

  it('status: every member protected, the management account not-applicable, stacks termination-protected', async () => {
    const r = await e.run(['status', '--no-drift', '--require-protection', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expectAll(r, 'protected');
    expect(rows(r).every((t) => t.terminationProtection === true)).toBe(true);
    expect(r.json?.summary).toMatchObject({ protected: 3, unprotected: 0, protectionOutdated: 0 });
    const table = await e.run(['status', '--no-drift']);
    expect(table.stdout).toMatch(
      /protection: 3 account\(s\) protected · 0 outdated · 0 unprotected · management account not covered by SCPs/,
    );
    expect(table.stdout).toMatch(/SCP: ✓ protected/);
  });

  it("denies a member admin's DisableRule, UpdateFunctionCode, DeleteStack and UpdateTerminationProtection", async () => {
    const events = new EventBridgeClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    const lambda = new LambdaClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    const cfn = new CloudFormationClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    try {
      const scp = /with an explicit deny in a service control policy/;
      const disable = await errorOf(events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' })));
      expect(disable.name).toBe('AccessDeniedException');
      expect(disable.message).toMatch(scp);
      expect(disable.message).toContain(
        `assumed-role/Admin/mallory is not authorized to perform: events:DisableRule on resource: arn:aws:events:${REGION}:${members[0]}:rule/guardrail-sg-changes`,
      );
      const code = await errorOf(
        lambda.send(
          new UpdateFunctionCodeCommand({
            FunctionName: 'guardrail-revert',
            ZipFile: zipSingleFile('index.js', 'exports.handler = async () => ({})'),
          }),
        ),
      );
      expect(code.name).toBe('AccessDeniedException');
      expect(code.message).toMatch(scp);
      const del = await errorOf(cfn.send(new DeleteStackCommand({ StackName: 'guardrail' })));
      expect(del.name).toBe('AccessDenied');
      expect(del.message).toMatch(scp);
      const tp = await errorOf(
        cfn.send(
          new UpdateTerminationProtectionCommand({ StackName: 'guardrail', EnableTerminationProtection: false }),
        ),
      );
      expect(tp.message).toMatch(scp);
      // the same admin may still manage everything else: a rule of another name is not the SCP's business
      const other = await errorOf(events.send(new DisableRuleCommand({ Name: 'my-own-rule' })));
      expect(other.name).toBe('ResourceNotFoundException');
      const rule = await events.send(new DescribeRuleCommand({ Name: 'guardrail-sg-changes' }));
      expect(rule.State).toBe('ENABLED');
      const stack = await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }));
      expect(stack.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    } finally {
      events.destroy();
      lambda.destroy();
      cfn.destroy();
    }
  });

  it('does not lock out the deploy role: a policy change deploys as updates through CloudFormation', async () => {
    e.config(`${CONFIG}policy:\n  mode: monitor\n`);
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.summary).toMatchObject({ targets: 4, succeeded: 4, failed: 0 });
    expect(rows(r).every((t) => (t as unknown as { action: string }).action === 'update')).toBe(true);
  });

  it('termination protection turned off by hand: status says so, deploy turns it back on and changes nothing else', async () => {
    const deployer = new CloudFormationClient({
      ...clientConfig(e.sim, REGION, await assumeInto(e.sim, members[2]!)),
      maxAttempts: 1,
    });
    try {
      const before = (await deployer.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks?.[0];
      await deployer.send(
        new UpdateTerminationProtectionCommand({ StackName: 'guardrail', EnableTerminationProtection: false }),
      );
      const s = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(s.code).toBe(1);
      const row = rows(s).find((t) => t.account === members[2]);
      expect(row).toMatchObject({ terminationProtection: false, healthy: false });
      expect(row?.problems.join()).toMatch(/termination protection is off/);
      const d = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
      expect(d.code, d.stderr).toBe(0);
      expect(d.json?.summary).toMatchObject({ succeeded: 1, unchanged: 3 });
      expect(d.json?.targets).toContainEqual(
        expect.objectContaining({
          account: members[2],
          action: 'update',
          result: 'succeeded',
          reason: 'termination protection is off: turn it back on',
        }),
      );
      const stack = await deployer.send(new DescribeStacksCommand({ StackName: 'guardrail' }));
      // only termination protection changed: no stack operation ran
      expect(stack.Stacks?.[0]).toMatchObject({ EnableTerminationProtection: true, StackStatus: before?.StackStatus });
      expect(stack.Stacks?.[0]?.LastUpdatedTime).toEqual(before?.LastUpdatedTime);
    } finally {
      deployer.destroy();
    }
  });

  it('a changed stack name makes the attached policy outdated', async () => {
    e.config(`${CONFIG}stackName: guardrail-v2\n`);
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expectAll(r, 'outdated');
    expect(r.json?.summary).toMatchObject({ protectionOutdated: 3 });
    const plan = await e.run(['protect', '--plan', '--output', 'json']);
    expect(plan.json).toMatchObject({ policyAction: 'update' });
    e.config(`${CONFIG}policy:\n  mode: monitor\n`);
  });

  it('detached by hand: unprotected, unhealthy only with --require-protection', async () => {
    await org.send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: e.sim.state.org.rootId }));
    const plain = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(plain.code, plain.stderr).toBe(0);
    expectAll(plain, 'unprotected');
    const required = await e.run(['status', '--no-drift', '--require-protection', '--output', 'json']);
    expect(required.code).toBe(1);
    const unhealthy = rows(required)
      .filter((t) => !t.healthy)
      .map((t) => t.account)
      .sort();
    expect(unhealthy).toEqual([...members].sort());
    expect(
      rows(required)
        .find((t) => t.account === members[0])
        ?.problems.join(),
    ).toMatch(/no guardrail SCP applies/);
    // and the member admin is no longer stopped: the check is the SCP, not something else
    const events = new EventBridgeClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    try {
      await events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' }));
    } finally {
      events.destroy();
    }
    const again = await e.run(['protect', '--attach', '--yes', '--output', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ enablePolicyType: false, policyAction: 'none' });
  });

  it('remove, with the SCP attached, lifts termination protection for exactly the stacks it deletes', async () => {
    const r = await e.run(['remove', '--account', members[1]!, '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.summary).toMatchObject({ succeeded: 1 });
    const live = liveStacks(e);
    expect([...live.keys()].sort()).toEqual([mgmt, members[0], members[2]].map((a) => `${a}/${REGION}`).sort());
    expect([...live.values()].every((stack) => stack.terminationProtection === true)).toBe(true);
  });
});

describe('guardrail protect refusals (exit 2, nothing attached)', () => {
  let e: E2E;
  let org: OrganizationsClient;

  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: [REGION], stackMs: 40 });
    org = new OrganizationsClient({ ...clientConfig(e.sim), maxAttempts: 1 });
  });
  afterAll(async () => {
    org?.destroy();
    await e?.close();
  });

  const attachedAnywhere = async () => {
    const { ListPoliciesCommand, ListTargetsForPolicyCommand } = await import('@aws-sdk/client-organizations');
    const list = await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }));
    const mine = (list.Policies ?? []).filter((p) => p.Name === 'guardrail-protect');
    let n = 0;
    for (const p of mine)
      n += (await org.send(new ListTargetsForPolicyCommand({ PolicyId: p.Id! }))).Targets?.length ?? 0;
    return { policies: mine.length, attachments: n };
  };

  it('a policy over 5,120 characters (many allowed principals)', async () => {
    const many = Array.from(
      { length: 80 },
      (_, i) => `    - arn:aws:iam::*:role/break-glass-operator-number-${i}`,
    ).join('\n');
    e.config(`${CONFIG}protection:\n  allowPrincipals:\n${many}\n`);
    const print = await e.run(['protect']);
    expect(print.code).toBe(2);
    expect(print.stderr).toMatch(/characters; Organizations allows 5120 per SCP/);
    const attach = await e.run(['protect', '--attach', '--yes']);
    expect(attach.code).toBe(2);
    expect(attach.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(await attachedAnywhere()).toEqual({ policies: 0, attachments: 0 });
  });

  it('5 SCPs already on one of the targets: neither target gets it', async () => {
    const { AttachPolicyCommand, CreatePolicyCommand, EnablePolicyTypeCommand } =
      await import('@aws-sdk/client-organizations');
    const ous = [...e.sim.state.org.ous.values()];
    const full = ous.find((o) => o.name === 'Security')!.id;
    const fine = ous.find((o) => o.name === 'Sandbox')!.id;
    await org.send(
      new EnablePolicyTypeCommand({ RootId: e.sim.state.org.rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }),
    );
    for (let i = 0; i < 4; i++) {
      const p = await org.send(
        new CreatePolicyCommand({
          Name: `team-${i}`,
          Type: 'SERVICE_CONTROL_POLICY',
          Description: '',
          Content: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Action: `s3:PutBucketTagging${i}`, Resource: '*' }],
          }),
        }),
      );
      await org.send(new AttachPolicyCommand({ PolicyId: p.Policy!.PolicySummary!.Id!, TargetId: full }));
    }
    e.config(`${CONFIG}organization:\n  includeOUs: [${fine}, ${full}]\n`);
    const r = await e.run(['protect', '--attach', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${full} already has 5 service control policies`);
    expect(await attachedAnywhere()).toEqual({ policies: 0, attachments: 0 });
  });

  it('a stale guardrail-protect policy that guardrail did not make', async () => {
    const { CreatePolicyCommand } = await import('@aws-sdk/client-organizations');
    await org.send(
      new CreatePolicyCommand({
        Name: 'guardrail-protect',
        Type: 'SERVICE_CONTROL_POLICY',
        Description: 'hand-made, long ago',
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'events:DisableRule', Resource: '*' }],
        }),
      }),
    );
    e.config(CONFIG);
    const r = await e.run(['protect', '--attach', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/guardrail did not make it/);
    expect(await attachedAnywhere()).toEqual({ policies: 1, attachments: 0 });
  });
});
