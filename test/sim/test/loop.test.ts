import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { emitCloudTrailEvent, warmEnvironments, whenLoopIdle } from '../loop.js';
import type { ServiceContext } from '../types.js';
import { assumeInto, clientConfig, memberIds, startTestSim, waitFor } from './helpers.js';
import { authorizeRecord, GUARDRAIL_PATTERN, putFunction, putRule, putTopic } from './sim-resources.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let ctx: ServiceContext;

const PUBLISH_CODE = `
const { SNSClient, PublishCommand } = require('@aws-sdk/client-sns');
const sns = new SNSClient({});
let warm = 0;
exports.handler = async (event) => {
  warm++;
  const out = await sns.send(new PublishCommand({ TopicArn: process.env.TOPIC_ARN,
    Message: JSON.stringify({ id: event.id, eventName: event.detail.eventName, groupId: event.detail.requestParameters.groupId }) }));
  console.log(JSON.stringify({ published: out.MessageId, warm }));
  return { messageId: out.MessageId, warm };
};`;

const REVERT_CODE = `
const { EC2Client, RevokeSecurityGroupIngressCommand } = require('@aws-sdk/client-ec2');
const ec2 = new EC2Client({});
exports.handler = async (event) => {
  const items = event.detail.responseElements.securityGroupRuleSet.items;
  await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: event.detail.requestParameters.groupId,
    SecurityGroupRuleIds: items.map((i) => i.securityGroupRuleId) }));
  return { reverted: items.map((i) => i.securityGroupRuleId) };
};`;

const FAILING_CODE = `exports.handler = async () => { throw new Error('boom'); };`;

/**
 * How long to wait for the loop to settle: a cold start took 9.5 s while the machine ran three other suites, so the
 * deadlines are generous. They bound a wait; they do not measure speed.
 */
const IDLE_MS = 60_000;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 3 });
  mgmt = sim.state.org.managementAccountId;
  ctx = { state: sim.state, endpoint: sim.endpoint, now: () => Date.now() };
});
afterAll(async () => {
  await sim.close();
});

describe('the closed loop', () => {
  it('a matching event invokes the function with its role credentials; a warm environment serves the next one', async () => {
    const topic = putTopic(sim, mgmt, REGION, 'loop-alerts');
    const rule = putRule(sim, mgmt, REGION, 'guardrail', GUARDRAIL_PATTERN, [
      `arn:aws:lambda:${REGION}:${mgmt}:function:notify`,
    ]);
    const fn = putFunction(sim, mgmt, REGION, {
      name: 'notify',
      code: PUBLISH_CODE,
      environment: { TOPIC_ARN: topic.arn },
      allowRule: rule.arn,
      roleName: 'guardrail-exec',
    });
    const rs = regionState(sim.state, mgmt, REGION);

    emitCloudTrailEvent(ctx, mgmt, REGION, authorizeRecord(mgmt, REGION, 'sg-aaa'));
    const first = await waitFor(() => rs.snsMessages.find((m) => m.topicArn === topic.arn));
    expect(JSON.parse(first.message)).toMatchObject({ eventName: 'AuthorizeSecurityGroupIngress', groupId: 'sg-aaa' });
    expect(first.publishedBy).toBe(`arn:aws:sts::${mgmt}:assumed-role/guardrail-exec/notify`);
    const recorded = rs.events.at(-1)!;
    expect(recorded.matchedRules).toEqual(['guardrail']);
    expect(recorded.event).toMatchObject({
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account: mgmt,
      region: REGION,
      resources: [],
    });
    await whenLoopIdle(sim.state, IDLE_MS);
    const inv = rs.invocations.filter((i) => i.functionArn === fn.functionArn);
    expect(inv).toHaveLength(1);
    expect(inv[0]).toMatchObject({ status: 'succeeded', attempt: 1, eventId: recorded.event.id, result: { warm: 1 } });
    expect(inv[0]!.logs.some((l) => l.includes('"published"'))).toBe(true);

    // warm: the second event runs in the same environment (the count the function keeps says so), which takes a few
    // milliseconds on an idle machine; the 5 s bound only catches a wait that should not be there, on a loaded one
    const started = Date.now();
    emitCloudTrailEvent(ctx, mgmt, REGION, authorizeRecord(mgmt, REGION, 'sg-bbb'));
    await waitFor(() => rs.snsMessages.find((m) => m.message.includes('sg-bbb')));
    expect(Date.now() - started).toBeLessThan(5_000);
    await whenLoopIdle(sim.state, IDLE_MS);
    expect(rs.invocations.filter((i) => i.functionArn === fn.functionArn).at(-1)?.result).toMatchObject({ warm: 2 });
    expect(warmEnvironments(sim.state, fn.functionArn)).toBe(1);

    const admin = (await (await fetch(`${sim.endpoint}/_sim/invocations?account=${mgmt}&region=${REGION}`)).json()) as {
      invocations: unknown[];
    };
    expect(admin.invocations.length).toBeGreaterThanOrEqual(2);
  });

  it('a disabled rule does not fire, a non-matching event does not fire, and other accounts see nothing', async () => {
    const rs = regionState(sim.state, mgmt, REGION);
    const before = rs.invocations.length;
    const messages = rs.snsMessages.length;
    rs.rules.get('guardrail')!.state = 'DISABLED';
    emitCloudTrailEvent(ctx, mgmt, REGION, authorizeRecord(mgmt, REGION, 'sg-ccc'));
    rs.rules.get('guardrail')!.state = 'ENABLED';
    emitCloudTrailEvent(ctx, mgmt, REGION, {
      ...authorizeRecord(mgmt, REGION, 'sg-ddd'),
      errorCode: 'Client.InvalidPermission.Duplicate',
    });
    const member = memberIds(sim)[0]!;
    emitCloudTrailEvent(ctx, member, REGION, authorizeRecord(member, REGION, 'sg-eee'));
    // delivery is synchronous (an invocation counts as in flight before emitCloudTrailEvent returns), so waiting for
    // the loop to be idle waits for anything these events started; no time needs to pass
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    expect(rs.invocations.length).toBe(before);
    expect(rs.snsMessages.length).toBe(messages);
    expect(rs.events.slice(-2).map((e) => e.matchedRules)).toEqual([[], []]);
    const memberRs = regionState(sim.state, member, REGION);
    expect(memberRs.events).toHaveLength(1);
    expect(memberRs.invocations).toHaveLength(0);
  });

  it('without a Lambda permission for the rule, delivery is refused and the code never runs', async () => {
    const topic = putTopic(sim, mgmt, REGION, 'never');
    const rule = putRule(sim, mgmt, REGION, 'unpermitted', GUARDRAIL_PATTERN, [
      `arn:aws:lambda:${REGION}:${mgmt}:function:locked`,
    ]);
    putFunction(sim, mgmt, REGION, {
      name: 'locked',
      code: PUBLISH_CODE,
      environment: { TOPIC_ARN: topic.arn },
      allowRule: `${rule.arn}-other`,
    });
    const rs = regionState(sim.state, mgmt, REGION);
    emitCloudTrailEvent(ctx, mgmt, REGION, authorizeRecord(mgmt, REGION, 'sg-fff'));
    await whenLoopIdle(sim.state, IDLE_MS);
    const inv = rs.invocations.filter((i) => i.functionArn.endsWith(':locked'));
    expect(inv).toHaveLength(1);
    expect(inv[0]).toMatchObject({ status: 'failed', error: { name: 'AccessDeniedException' } });
    expect(rs.snsMessages.some((m) => m.topicArn === topic.arn)).toBe(false);
    rs.rules.delete('unpermitted');
  });

  it('a failing function is retried per its EventInvokeConfig, then the event goes to the OnFailure queue', async () => {
    const account = memberIds(sim)[1]!;
    const rs = regionState(sim.state, account, REGION);
    const queueArn = `arn:aws:sqs:${REGION}:${account}:guardrail-dlq`;
    rs.queues.set('guardrail-dlq', {
      name: 'guardrail-dlq',
      arn: queueArn,
      url: `https://sqs.${REGION}.amazonaws.com/${account}/guardrail-dlq`,
      attributes: {},
    });
    const rule = putRule(sim, account, REGION, 'guardrail', GUARDRAIL_PATTERN, [
      `arn:aws:lambda:${REGION}:${account}:function:fails`,
    ]);
    putFunction(sim, account, REGION, {
      name: 'fails',
      code: FAILING_CODE,
      allowRule: rule.arn,
      invokeConfig: { maximumRetryAttempts: 1, onFailure: queueArn },
    });
    emitCloudTrailEvent(ctx, account, REGION, authorizeRecord(account, REGION, 'sg-ggg'));
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    const inv = rs.invocations.filter((i) => i.functionArn.endsWith(':fails'));
    expect(inv.map((i) => [i.attempt, i.status, i.error?.message])).toEqual([
      [1, 'failed', 'boom'],
      [2, 'failed', 'boom'],
    ]);
    const queued = rs.queues.get('guardrail-dlq')!.messages ?? [];
    expect(queued).toHaveLength(1);
    expect(JSON.parse(queued[0]!.body)).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2 },
      requestPayload: { detail: { requestParameters: { groupId: 'sg-ggg' } } },
      responsePayload: { errorType: 'Error', errorMessage: 'boom' },
    });
  });

  // About 0.5 s cold on an idle 2-core machine (worker start, loading the EC2 client), and up to 9.5 s seen when the
  // machine ran three other suites alongside: the 30 s bound only catches a revert that waits on something it should
  // not. The revert is the first attempt of one invocation (asserted below), whatever the time.
  it('closes over EC2: opening port 22 to the world is reverted, in that account only', async () => {
    const [a, b] = memberIds(sim);
    const credsA = await assumeInto(sim, a!);
    const credsB = await assumeInto(sim, b!);
    const ec2A = new EC2Client(clientConfig(sim, REGION, credsA));
    const ec2B = new EC2Client(clientConfig(sim, REGION, credsB));
    try {
      const rule = putRule(sim, a!, REGION, 'revert', GUARDRAIL_PATTERN, [
        `arn:aws:lambda:${REGION}:${a}:function:revert`,
      ]);
      const fn = putFunction(sim, a!, REGION, { name: 'revert', code: REVERT_CODE, allowRule: rule.arn });
      const sgA = (await ec2A.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }))).GroupId!;
      const sgB = (await ec2B.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }))).GroupId!;
      const open = {
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      };
      const started = Date.now();
      const added = await ec2A.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgA, ...open }));
      const ruleId = added.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
      expect(ruleId).toMatch(/^sgr-/);
      await ec2B.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgB, ...open }));
      const ingressOf = async (client: EC2Client, groupId: string) =>
        (
          (
            await client.send(
              new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
            )
          ).SecurityGroupRules ?? []
        ).filter((r) => !r.IsEgress);
      for (;;) {
        if ((await ingressOf(ec2A, sgA)).length === 0) break;
        if (Date.now() - started > 30_000) throw new Error('the rule was not reverted within 30 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(Date.now() - started).toBeLessThan(30_000);
      await whenLoopIdle(sim.state, IDLE_MS);
      const invocations = regionState(sim.state, a!, REGION).invocations.filter(
        (i) => i.functionArn === fn.functionArn,
      );
      expect(invocations).toHaveLength(1);
      expect(invocations[0]).toMatchObject({ status: 'succeeded', attempt: 1, result: { reverted: [ruleId] } });
      // account B has no guardrail: its rule stays
      expect(await ingressOf(ec2B, sgB)).toHaveLength(1);
    } finally {
      ec2A.destroy();
      ec2B.destroy();
    }
  });

  it('closing the server terminates the warm environments', async () => {
    expect(warmEnvironments(sim.state)).toBeGreaterThan(0);
    const state = sim.state;
    await sim.close();
    expect(warmEnvironments(state)).toBe(0);
    sim = await startTestSim({ accounts: 1 });
  });
});
