// Time-boxed approvals end to end: the built bin/guardrail deploys the approval store and the targets, approves
// tcp/443 from 203.0.113.0/24 on a member's group for 10 minutes; an Authorize of 443 from 203.0.113.0/25 together
// with 22 from 0.0.0.0/0 keeps the first (approved, recorded, tagged) and reverts the second; a forged
// guardrail:approval tag is taken off (forged) and its rule left alone; 11 simulated minutes later the sweep revokes
// the kept rule as expired. A principal from outside the organisation cannot read the store, and a throttled store
// follows onLookupError (keep: for the grace, then the event is decided again).
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, errorOf, memberIds } from '../sim/test/helpers.js';
import { decisionsOf, startE2E, type E2E } from './harness.js';
import { captureRun } from '../cli/capture.js';

const REGION = 'us-east-1';
const config = (onLookupError = 'revert') =>
  [
    'regions: [us-east-1]',
    'trail: { mode: existing }',
    'deploy: { pollSeconds: 1 }',
    `approvals: { enabled: true, maxDuration: 1d, sweepMinutes: 1, onLookupError: ${onLookupError} }`,
    '',
  ].join('\n');

interface Decision {
  groupId: string;
  ruleIds: string[];
  action: string;
  reason: string;
  approvalId?: string;
  approver?: string;
  expiresAt?: string;
}

let e: E2E;
let member: string;
let ec2: EC2Client;
let groupId: string;

async function rules(): Promise<SecurityGroupRule[]> {
  return (
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroupRules ?? []
  );
}

/** The decisions of the member's function since `from` invocations. */
function decisionsSince(from: number): Decision[] {
  return regionState(e.sim.state, member, REGION)
    .invocations.slice(from)
    .flatMap((i) => decisionsOf<Decision>(i.result));
}
const invocationCount = () => regionState(e.sim.state, member, REGION).invocations.length;

async function authorize(...perms: [number, string][]): Promise<string[]> {
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
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

/**
 * The CLI in-process (as bin/guardrail runs it), to keep the file's cost down; deploy and the first approval spawn
 * the built bin/guardrail. The SDK reads the endpoint and credentials from process.env (this file's own process).
 */
async function cli(args: string[]): Promise<{
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown> & { targets: Record<string, unknown>[] };
}> {
  const r = await captureRun(args, { env: e.env, cwd: e.dir });
  let json;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown> & { targets: Record<string, unknown>[] };
  } catch {
    /* a table */
  }
  return { ...r, json };
}

async function approveJson(
  args: string[],
  spawned = false,
): Promise<{ id: string; expiresAt: string; approver: string }> {
  const argv = ['approve', '--account', member, '--region', REGION, '--group', groupId, ...args, '--output', 'json'];
  const r = spawned ? await e.run(argv) : await cli(argv);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as unknown as { approval: { id: string; expiresAt: string; approver: string } }).approval;
}

beforeAll(async () => {
  e = await startE2E({ accounts: 1, regions: [REGION], stackMs: 20 });
  e.config(config());
  Object.assign(process.env, e.env);
  const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(deploy.code, deploy.stderr).toBe(0);
  expect((deploy.json as unknown as { approvalStore: { result: string } }).approvalStore.result).toBe('succeeded');
  member = memberIds(e.sim)[0]!;
  ec2 = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, member)));
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  groupId = groups.SecurityGroups![0]!.GroupId!;
}, 60_000);

afterAll(async () => {
  ec2?.destroy();
  await e?.close();
});

describe('guardrail approve and the approved decision', () => {
  it('refuses bad input with exit 2, naming the problem', async () => {
    const base = ['approve', '--account', member, '--region', REGION, '--group', groupId, '--reason', 'partner test'];
    const cases: [string[], RegExp][] = [
      [[...base, '--rule', 'tcp/99999 203.0.113.0/24', '--for', '1h'], /ports must be 0-65535/],
      [[...base, '--rule', 'tcp/443 203.0.113.0/24', '--for', '0h'], /--for.*expected a duration/s],
      [[...base, '--rule', 'tcp/443 203.0.113.0/24', '--for', '2d'], /longer than approvals.maxDuration \(1d\)/],
      [
        [
          'approve',
          '--account',
          '999999999999',
          '--region',
          REGION,
          '--group',
          groupId,
          '--rule',
          'tcp/443 203.0.113.0/24',
          '--for',
          '1h',
          '--reason',
          'x',
        ],
        /account 999999999999 is not an account of this organisation/,
      ],
      [
        [
          'approve',
          '--account',
          member,
          '--region',
          REGION,
          '--group',
          'sg-0123456789abcdef0',
          '--rule',
          'tcp/443 203.0.113.0/24',
          '--for',
          '1h',
          '--reason',
          'x',
        ],
        /sg-0123456789abcdef0 does not exist/,
      ],
      [['approvals', 'revoke', 'apr-00000000deadbeef', '--reason', 'x'], /no approval apr-00000000deadbeef/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    writeFileSync(join(e.dir, 'off.yaml'), 'regions: [us-east-1]\n');
    const off = await cli(['approvals', '--config', 'off.yaml']);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('approvals are disabled in the configuration');
  });

  it('keeps the approved rule (tagged), reverts the rest of the same request, then the sweep expires it', async () => {
    const approval = await approveJson(
      ['--rule', 'tcp/443 203.0.113.0/24', '--for', '10m', '--reason', 'partner test'],
      true,
    );
    expect(approval.id).toMatch(/^apr-[0-9a-f]{16}$/);
    expect(approval.approver).toBe(`arn:aws:iam::${e.sim.state.org.managementAccountId}:root`);
    const text = await cli(['approvals']);
    expect(text.stdout).toContain(approval.id);
    expect(text.stdout).toContain('ingress tcp/443 from 203.0.113.0/24');

    const before = invocationCount();
    const [kept, opened] = await authorize([443, '203.0.113.0/25'], [22, '0.0.0.0/0']);
    const now = await rules();
    expect(now.map((r) => r.SecurityGroupRuleId)).toContain(kept);
    expect(now.map((r) => r.SecurityGroupRuleId)).not.toContain(opened);
    const tags = Object.fromEntries(
      (now.find((r) => r.SecurityGroupRuleId === kept)!.Tags ?? []).map((t) => [t.Key, t.Value]),
    );
    expect(tags).toEqual({ 'guardrail:approval': approval.id, 'guardrail:expires': approval.expiresAt });
    const decisions = decisionsSince(before);
    expect(decisions.find((d) => d.action === 'approved')).toMatchObject({
      ruleIds: [kept],
      approvalId: approval.id,
      approver: approval.approver,
      expiresAt: approval.expiresAt,
    });
    expect(decisions.find((d) => d.action === 'reverted')).toMatchObject({ ruleIds: [opened] });
    const logged = regionState(e.sim.state, member, REGION)
      .invocations.slice(before)
      .flatMap((i) => i.logs)
      .map((l) => JSON.parse(l) as Decision);
    expect(logged.find((l) => l.action === 'approved')?.approvalId).toBe(approval.id);

    const status = await cli(['status', '--no-drift', '--output', 'json']);
    const row = status.json!.targets.find((t) => t.account === member)!;
    expect(row.approvals).toBe(1);
    expect(row.healthy).toBe(true);

    // a forged tag on a rule nobody approved (the default group's egress rule): the tag goes, the rule stays
    const egress = now.find((r) => r.IsEgress)!.SecurityGroupRuleId!;
    const forgedFrom = invocationCount();
    await ec2.send(
      new CreateTagsCommand({
        Resources: [egress],
        Tags: [{ Key: 'guardrail:approval', Value: 'apr-1111111111111111' }],
      }),
    );
    await whenLoopIdle(e.sim.state, 20_000);
    expect(decisionsSince(forgedFrom).find((d) => d.action === 'forged')).toMatchObject({ ruleIds: [egress] });
    expect((await rules()).find((r) => r.SecurityGroupRuleId === egress)?.Tags ?? []).toEqual([]);

    const sweepFrom = invocationCount();
    const res = await fetch(`${e.sim.endpoint}/_sim/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceSeconds: 11 * 60 }),
    });
    expect(((await res.json()) as { fired: number }).fired).toBeGreaterThan(0);
    await whenLoopIdle(e.sim.state, 20_000);
    const left = (await rules()).map((r) => r.SecurityGroupRuleId);
    expect(left).not.toContain(kept);
    expect(left).toContain(egress);
    const swept = decisionsSince(sweepFrom);
    expect(swept.find((d) => d.action === 'expired')).toMatchObject({ ruleIds: [kept], approvalId: approval.id });
    const all = await cli(['approvals', '--all', '--output', 'json']);
    expect((all.json as unknown as { approvals: { id: string; state: string }[] }).approvals).toContainEqual(
      expect.objectContaining({ id: approval.id, state: 'expired' }),
    );
  });

  it('a principal outside the organisation cannot read the store', async () => {
    await fetch(`${e.sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account: '999999999999', roleName: 'guardrail-FunctionRole-OUTSIDE' }),
    });
    const outsider = new DynamoDBClient({
      ...clientConfig(
        e.sim,
        REGION,
        await assumeInto(e.sim, '999999999999', { roleName: 'guardrail-FunctionRole-OUTSIDE' }),
      ),
      maxAttempts: 1,
    });
    const table = `arn:aws:dynamodb:${REGION}:${e.sim.state.org.managementAccountId}:table/guardrail-approvals`;
    const err = await errorOf(
      outsider.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: `${member}/${REGION}/${groupId}` } },
        }),
      ),
    );
    outsider.destroy();
    expect(err.name).toBe('AccessDeniedException');
  });

  it('revoke ends an approval early; the next sweep removes what it kept', async () => {
    const approval = await approveJson(['--rule', 'tcp/8443 198.51.100.0/24', '--for', '1h', '--reason', 'vendor']);
    const [kept] = await authorize([8443, '198.51.100.7/32']);
    expect((await rules()).map((r) => r.SecurityGroupRuleId)).toContain(kept);
    const revoke = await cli(['approvals', 'revoke', approval.id, '--reason', 'vendor done']);
    expect(revoke.code, revoke.stderr).toBe(0);
    const from = invocationCount();
    await fetch(`${e.sim.endpoint}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 60 }) });
    await whenLoopIdle(e.sim.state, 20_000);
    expect((await rules()).map((r) => r.SecurityGroupRuleId)).not.toContain(kept);
    expect(decisionsSince(from).find((d) => d.action === 'expired')?.reason).toContain('was revoked');
  });

  it('a throttled store follows onLookupError: revert, then keep', async () => {
    await approveJson(['--rule', 'tcp/9443 192.0.2.0/24', '--for', '1h', '--reason', 'lookup errors']);
    await e.faults({ throttleRate: 1, throttleServices: ['dynamodb'] });
    try {
      let from = invocationCount();
      const [first] = await authorize([9443, '192.0.2.0/25']);
      expect((await rules()).map((r) => r.SecurityGroupRuleId)).not.toContain(first);
      expect(decisionsSince(from).find((d) => d.action === 'reverted')?.reason).toMatch(
        /approval store unreadable \(ProvisionedThroughputExceededException\); reverted \(onLookupError=revert\)/,
      );

      await e.faults({ throttleRate: 0 });
      e.config(config('keep'));
      const redeploy = await cli(['deploy', '--all-accounts', '--yes', '--output', 'json']);
      expect(redeploy.code, redeploy.stderr).toBe(0);
      await e.faults({ throttleRate: 1 });
      from = invocationCount();
      const [second] = await authorize([9443, '192.0.2.0/26']);
      expect((await rules()).map((r) => r.SecurityGroupRuleId)).toContain(second);
      expect(decisionsSince(from).find((d) => d.action === 'allowed')?.reason).toMatch(
        /kept for 60 min, then decided again \(onLookupError=keep\)/,
      );
      // the grace ends with the store still unreadable: the event comes back from the queue and is reverted
      from = invocationCount();
      await fetch(`${e.sim.endpoint}/_sim/clock`, {
        method: 'POST',
        body: JSON.stringify({ advanceSeconds: 61 * 60 }),
      });
      await whenLoopIdle(e.sim.state, 20_000);
      // an hour on, this test's own session has expired: a fresh one
      ec2.destroy();
      ec2 = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, member)));
      expect((await rules()).map((r) => r.SecurityGroupRuleId)).not.toContain(second);
      expect(decisionsSince(from).find((d) => d.ruleIds.includes(second!) && d.action === 'reverted')?.reason).toMatch(
        /still unreadable after the 60-minute grace/,
      );
    } finally {
      await e.faults({ throttleRate: 0, throttleServices: [] });
    }
  });
});
