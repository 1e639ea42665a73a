// End to end, through the built bin/guardrail: a revert that failed is never silent. `status` counts the events in a
// target's dead-letter queue (`pendingReverts`) and calls the target unhealthy; `retry` asks for --yes without a
// terminal and changes nothing, leaves targets with nothing waiting unchanged, and, against the function's retry
// contract ({"retry":{received,reverted,ignored,allowed,failed,remaining}}), reverts the rule whose event waited.
//
// How an event gets there without a fault in the function: the member's event source mapping is paused (in the
// simulator's state, as UpdateEventSourceMapping would), port 22 is opened through the SDK as a member admin, and the
// event that lands on the event queue is moved by the queue's own redrive, as after five failed receives (the
// simulator's receive code with the receive count at maxReceiveCount). Then the mapping is resumed.
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedrive, receiveMessages } from '../sim/services/sqs.js';
import { regionState, type SqsQueue } from '../sim/state.js';
import { assumeInto, clientConfig, memberIds, waitFor } from '../sim/test/helpers.js';
import { countCalls, liveStacks, startE2E, type CliRun, type E2E } from './harness.js';

const REGION = 'us-east-1';

interface Row {
  account: string;
  region: string;
  result: string;
  action: string;
  healthy: boolean;
  problems: string[];
  error: string | null;
  reason: string;
  pendingReverts: number | null;
  retried: number | null;
  reverted: number | null;
  stillFailing: number | null;
}
const rows = (r: CliRun) => (r.json?.targets ?? []) as unknown as Row[];
const rowOf = (r: CliRun, account: string) => rows(r).find((t) => t.account === account && t.region === REGION);

describe('failed reverts: status counts them, retry decides them again', () => {
  let e: E2E;
  let member: string;
  let ec2: EC2Client;
  let groupId: string;

  /** The member's stack's queue named by an output (the DeadLetterQueueUrl or EventQueueUrl). */
  function queue(output: 'DeadLetterQueueUrl' | 'EventQueueUrl'): SqsQueue {
    const url = liveStacks(e)
      .get(`${member}/${REGION}`)
      ?.outputs.find((o) => o.OutputKey === output)?.OutputValue;
    const q = url ? regionState(e.sim.state, member, REGION).queues.get(url.split('/').pop()!) : undefined;
    if (!q) throw new Error(`no ${output} queue in ${member}/${REGION}`);
    return q;
  }

  /** The member's event source mapping on its event queue, paused or resumed. */
  function mapping(enabled: boolean): void {
    const arn = queue('EventQueueUrl').arn;
    const esm = [...(regionState(e.sim.state, member, REGION).eventSourceMappings?.values() ?? [])].find(
      (m) => m.eventSourceArn === arn,
    );
    if (!esm) throw new Error('no event source mapping on the event queue');
    esm.enabled = enabled;
  }

  async function rulesOn(port: number): Promise<string[]> {
    const out = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    return (out.SecurityGroupRules ?? [])
      .filter((r) => !r.IsEgress && r.FromPort === port && r.CidrIpv4 === '0.0.0.0/0')
      .map((r) => r.SecurityGroupRuleId!);
  }

  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: [REGION], stackMs: 60 });
    e.config(`regions: [${REGION}]\ndeploy:\n  pollSeconds: 1\n`);
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    member = memberIds(e.sim)[0]!;
    ec2 = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, member)));
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
    );
    groupId = groups.SecurityGroups![0]!.GroupId!;
  });

  afterAll(async () => {
    ec2?.destroy();
    await e?.close();
  });

  it('status: every dead-letter queue empty, every target healthy, the counts at zero; one call a target for each read, no other', async () => {
    await e.resetCalls();
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const calls = await e.calls();
    // (the prefix lists other accounts share in are the deep check's, without --no-drift: shared-prefix-lists.test.ts)
    expect(
      [
        'cloudformation.DescribeStacks',
        'sqs.GetQueueAttributes',
        'lambda.GetFunction',
        'events.DescribeRule',
        'ec2.DescribeManagedPrefixLists',
      ].map((op) => countCalls(calls, [op])),
    ).toEqual([3, 3, 3, 3, 0]);
    expect(rows(r).map((t) => t.pendingReverts)).toEqual([0, 0, 0]);
    expect(r.json?.summary).toMatchObject({ targets: 3, healthy: 3, targetsWithPendingReverts: 0, pendingReverts: 0 });
  });

  it('retry without --yes and without a terminal exits 2 and changes nothing', async () => {
    await e.resetCalls();
    const r = await e.run(['retry', '--all-accounts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Retrying the failed reverts needs confirmation, and there is no terminal to ask on/);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(
      countCalls(await e.calls(), ['lambda.Invoke', 'sqs.GetQueueAttributes', 'cloudformation.DescribeStacks']),
    ).toBe(0);
  });

  it('retry --yes with nothing waiting: every target unchanged, no function invoked', async () => {
    await e.resetCalls();
    const r = await e.run(['retry', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r).map((t) => [t.result, t.action, t.reason, t.pendingReverts])).toEqual(
      Array(3).fill(['unchanged', 'none', 'nothing waiting', 0]),
    );
    expect(r.json?.summary).toMatchObject({ targets: 3, unchanged: 3, failed: 0, retried: 0, stillFailing: 0 });
    expect(countCalls(await e.calls(), ['lambda.Invoke'])).toBe(0);
    const table = await e.run(['retry', '--all-accounts', '--yes']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/unchanged +none +CREATE_COMPLETE · nothing waiting/);
    expect(table.stdout.trim().split('\n').at(-1)).toBe('retry: 3 targets · 3 unchanged');
  });

  describe('one event whose revert never happened', () => {
    let ruleId: string;

    beforeAll(async () => {
      mapping(false);
      const out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
      ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
      const events = queue('EventQueueUrl');
      const m = await waitFor(() => events.messages?.[0], 30_000, {
        what: () => 'the event never reached the event queue',
      });
      // five receives that failed, then the redrive on the next one
      m.receiveCount = parseRedrive(events.attributes.RedrivePolicy)!.maxReceiveCount;
      m.visibleAt = 0;
      expect(receiveMessages(e.sim.state, events, 10, 0)).toEqual([]);
      expect(queue('DeadLetterQueueUrl').messages?.map((x) => x.systemAttributes?.DeadLetterQueueSourceArn)).toEqual([
        events.arn,
      ]);
      mapping(true);
      expect(await rulesOn(22)).toEqual([ruleId]);
    });

    it('status counts it: the target is unhealthy, says what to run, and exits 1', async () => {
      const r = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(r.code, r.stderr).toBe(1);
      expect(rowOf(r, member)).toMatchObject({
        healthy: false,
        pendingReverts: 1,
        problems: ['1 event(s) not undone in the dead-letter queue (guardrail retry)'],
      });
      expect(
        rows(r)
          .filter((t) => t.account !== member)
          .every((t) => t.healthy && t.pendingReverts === 0),
      ).toBe(true);
      expect(r.json?.summary).toMatchObject({ unhealthy: 1, targetsWithPendingReverts: 1, pendingReverts: 1 });
      const table = await e.run(['status', '--no-drift']);
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(new RegExp(`\\(${member}\\)\\s+↺`));
      expect(table.stdout).toMatch(
        /1 with pending reverts\) · 1 event\(s\) not undone in dead-letter queues: guardrail retry/,
      );
    });

    it('retry --yes: the function decides it again and reverts the rule; the queue is empty and status healthy', async () => {
      await e.resetCalls();
      const r = await e.run(['retry', '--account', member, '--yes', '--output', 'json']);
      expect(rowOf(r, member), r.stderr).toMatchObject({
        result: 'succeeded',
        action: 'retry',
        pendingReverts: 1,
        retried: 1,
        reverted: 1,
        stillFailing: 0,
      });
      expect(r.code).toBe(0);
      expect(r.json?.summary).toMatchObject({ targets: 1, succeeded: 1, retried: 1, reverted: 1, stillFailing: 0 });
      expect(countCalls(await e.calls(), ['lambda.Invoke'], member)).toBe(1);
      expect(await rulesOn(22)).toEqual([]);
      expect(queue('DeadLetterQueueUrl').messages ?? []).toEqual([]);
      const after = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(after.code, after.stderr).toBe(0);
      expect(rowOf(after, member)).toMatchObject({ healthy: true, pendingReverts: 0 });
    });
  });
});
