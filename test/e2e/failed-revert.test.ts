// Issue O's acceptance, in order, with the built bin/guardrail and a member admin acting through the SDK: revokes
// fail in one account and port 22 is opened there; activity shows the failed attempts; status marks the target
// unhealthy with pendingReverts ≥ 1 and exits 1; the dead-letter alarm publishes to the topic; the fault is lifted and
// `guardrail retry --yes` reverts the rule and empties the queue; status is healthy again. Time passes on the
// simulator's clock (the queue's visibility timeouts and the alarm's evaluation), never by sleeping.
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { liveStacks, startE2E, type CliRun, type E2E } from './harness.js';

const REGION = 'us-east-1';
let e: E2E;
let member: string;
let ec2: EC2Client;
let groupId: string;

const rs = () => regionState(e.sim.state, member, REGION);
function deadLetters(): number {
  const url = liveStacks(e)
    .get(`${member}/${REGION}`)!
    .outputs.find((o) => o.OutputKey === 'DeadLetterQueueUrl')!.OutputValue;
  return (rs().queues.get(url.split('/').pop()!)?.messages ?? []).length;
}
async function advance(seconds: number): Promise<void> {
  await fetch(`${e.sim.endpoint}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
  await whenLoopIdle(e.sim.state, 30_000);
}
const targetOf = (r: CliRun) => r.json!.targets.find((t) => t.account === member && t.region === REGION)!;

beforeAll(async () => {
  e = await startE2E({ accounts: 2, regions: [REGION], stackMs: 40 });
  e.config(`regions: [${REGION}]\ndeploy: { pollSeconds: 1 }\nnotifications: { email: secops@example.com }\n`);
  const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(deploy.code, deploy.stderr).toBe(0);
  member = memberIds(e.sim)[0]!;
  ec2 = new EC2Client({ ...clientConfig(e.sim, REGION, await assumeInto(e.sim, member)), maxAttempts: 1 });
  groupId = (
    await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }))
  ).SecurityGroups![0]!.GroupId!;
}, 120_000);
afterAll(async () => {
  ec2?.destroy();
  await e?.close();
});

describe('a revert that failed is loud, and can be retried (issue O, in order)', () => {
  it('fails in one account, shows in activity, status, the alarm; retry reverts it and status is healthy again', async () => {
    // 1. revokes fail in the account, and port 22 is opened there. The alarm is evaluated on every move of the clock,
    // so it may go to ALARM in the same move that puts the event in the queue: count the topic's messages from here.
    const sent = rs().snsMessages.length;
    await e.faults({ failRevoke: [member] });
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    await whenLoopIdle(e.sim.state, 30_000);
    for (let i = 0; i < 8 && deadLetters() === 0; i++) await advance(30);
    expect(deadLetters(), 'the event never reached the dead-letter queue').toBe(1);

    // 2. activity shows the failed attempts
    const activity = await e.run(['activity', '--since', '1h', '--action', 'failed', '--output', 'json']);
    expect(activity.code, activity.stderr).toBe(0);
    const failed = (activity.json as unknown as { events: { account: string; reason: string }[] }).events.filter(
      (x) => x.account === member,
    );
    expect(failed.length).toBeGreaterThanOrEqual(5);
    // (the fault's default: EC2's throttling answer, as issue O has it)
    expect(failed.every((x) => /RequestLimitExceeded/.test(x.reason))).toBe(true);

    // 3. status: unhealthy with pendingReverts ≥ 1, exit 1
    const sick = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(sick.code, sick.stderr).toBe(1);
    expect(targetOf(sick)).toMatchObject({ healthy: false });
    expect(Number(targetOf(sick).pendingReverts)).toBeGreaterThanOrEqual(1);

    // 4. the dead-letter alarm publishes to the topic, once
    await advance(60);
    expect(
      rs()
        .snsMessages.slice(sent)
        .filter((m) => m.publishedBy === 'cloudwatch.amazonaws.com' && /^ALARM: .*dead-letters/.test(m.subject ?? '')),
    ).toHaveLength(1);

    // 5. the fault is lifted; retry --yes reverts the rule and empties the queue
    await e.faults({ failRevoke: [] });
    const retry = await e.run(['retry', '--all-accounts', '--yes', '--output', 'json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(targetOf(retry)).toMatchObject({ result: 'succeeded', reverted: 1, stillFailing: 0 });
    const rules = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect((rules.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId)).not.toContain(ruleId);
    expect(deadLetters()).toBe(0);

    // 6. status is healthy again
    const well = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(well.code, well.stderr).toBe(0);
    expect(targetOf(well)).toMatchObject({ healthy: true, pendingReverts: 0 });
  }, 240_000);
});
