// A revert that failed is never silent (issue O), end to end in the simulator: the template rendered as deploy renders
// it (the built function inlined, notifications on) is deployed through the CloudFormation SDK into a member account,
// and a member admin acts through the SDK as a real one would.
//  - The feature: revokes fail in the account (the failRevoke fault), port 22 is opened; each attempt is a `failed`
//    line; after five receives the event waits in the dead-letter queue and the alarm publishes to the topic. The fault
//    is lifted, and a retry invocation (`{"guardrail":"retry","maxMessages":N}`, as `guardrail retry` sends it)
//    reverts the still-open rule, logs it via the dead-letter queue and empties the queue. An event EventBridge could
//    not deliver waits there too; a retry when its rule is already gone logs `ignored`; one that fails again stays.
//  - The attacks, each failing: a forged event sent to the dead-letter queue by the admin (the queue's policy, no SCP);
//    a retry request that carries an event or anything else (refused whole; the rule it names stays); a message moved
//    into the dead-letter queue from a queue of the admin's own (refused: SQS names its source queue); a message whose
//    envelope names another account (refused), and neither is acted on.
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadFunctionCode,
  loadTemplateSource,
  renderTemplate,
  type TemplateSettings,
} from '../../src/stack/template.js';
import { whenLoopIdle } from '../sim/loop.js';
import type { SimServer } from '../sim/server.js';
import { findQueueByArn, sendAsEventBridge } from '../sim/services/sqs.js';
import { regionState } from '../sim/state.js';
import {
  assumeInto,
  clientConfig,
  errorOf,
  memberIds,
  startTestSim,
  templateUrl,
  waitFor,
  type TestCredentials,
} from '../sim/test/helpers.js';

const REGION = 'us-east-1';
const STACK = 'guardrail';

const settings: TemplateSettings = {
  mode: 'enforce',
  directions: ['ingress', 'egress'],
  onModify: 'revoke',
  allowPrincipals: [],
  exemptTag: 'guardrail:exempt=true',
  exemptGroups: [],
  onlyVpcs: [],
  onlyTag: null,
  notificationEmail: 'secops@example.com',
  notificationTopicArn: null,
  createTrail: false,
  homeRegion: REGION,
  trailRetentionDays: 30,
};

interface Line {
  action?: string;
  reason?: string;
  via?: string;
  groupId?: string | null;
  ruleIds?: string[];
  level?: string;
  eventName?: string | null;
}
interface Counts {
  received: number;
  reverted: number;
  ignored: number;
  allowed: number;
  failed: number;
  remaining: number;
}

let sim: SimServer;
let member: string;
let other: string;
let deployer: TestCredentials;
let admin: TestCredentials;
let outputs: Record<string, string>;
const clients: { destroy(): void }[] = [];
const track = <T extends { destroy(): void }>(c: T): T => {
  clients.push(c);
  return c;
};
let ec2: EC2Client;

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}
async function advance(seconds: number): Promise<void> {
  await post('/_sim/clock', { advanceSeconds: seconds });
  await whenLoopIdle(sim.state, 30_000);
}

const rs = () => regionState(sim.state, member, REGION);
/** Every decision line the function wrote in the member account (what activity reads from the log group). */
function lines(): Line[] {
  return rs()
    .invocations.flatMap((i) => i.logs)
    .flatMap((l) => {
      try {
        const v = JSON.parse(l) as unknown;
        return typeof v === 'object' && v !== null && 'action' in v ? [v as Line] : [];
      } catch {
        return [];
      }
    });
}
const dlq = () => findQueueByArn(sim.state, outputs.DeadLetterQueueArn!)!.queue;
const waiting = () => (dlq().messages ?? []).length;

async function rulesOf(groupId: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId!);
}
async function newGroup(name: string): Promise<string> {
  return (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name }))).GroupId!;
}
async function open(groupId: string, port: number): Promise<string> {
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  await whenLoopIdle(sim.state, 30_000);
  return out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
}

/**
 * Opens the port while revokes fail, and moves the clock until the event has been tried five times and waits in the
 * DLQ.
 */
async function failFiveTimes(groupId: string, port: number): Promise<string> {
  await post('/_sim/faults', { failRevoke: [member], failRevokeError: 'InternalError' });
  const before = waiting();
  const ruleId = await open(groupId, port);
  // each failed attempt puts the record back for 5 s × its number; the sixth receive moves it to the dead-letter queue
  for (let i = 0; i < 8 && waiting() === before; i++) await advance(30);
  expect(waiting(), 'the event never reached the dead-letter queue').toBe(before + 1);
  await post('/_sim/faults', { failRevoke: [] });
  return ruleId;
}

/**
 * Opens the port while the event queue cannot be reached, as when EventBridge's delivery fails: the rule's target
 * sends the event to the dead-letter queue instead (its DeadLetterConfig), with EventBridge's attributes.
 */
async function openUndelivered(groupId: string, port: number): Promise<string> {
  const rule = rs().rules.get(`${STACK}-sg-changes`)!;
  rule.state = 'DISABLED';
  const before = waiting();
  let ruleId: string;
  try {
    ruleId = await open(groupId, port);
  } finally {
    rule.state = 'ENABLED';
  }
  const recorded = rs().events.at(-1)!.event;
  expect(recorded.detail).toMatchObject({ eventName: 'AuthorizeSecurityGroupIngress' });
  const attr = (v: string) => ({ DataType: 'String', StringValue: v });
  expect(
    sendAsEventBridge(sim.state, outputs.DeadLetterQueueArn!, JSON.stringify(recorded), rule.arn, {
      RULE_ARN: attr(rule.arn),
      TARGET_ARN: attr(outputs.EventQueueArn!),
      ERROR_CODE: attr('SDK_CLIENT_ERROR'),
      ERROR_MESSAGE: attr('undeliverable'),
    }),
  ).toEqual({ ok: true });
  expect(waiting()).toBe(before + 1);
  return ruleId;
}

/** The retry as `guardrail retry` sends it: a synchronous invocation by the deploy role. */
async function invoke(payload: unknown, creds = deployer): Promise<Record<string, unknown>> {
  const lambda = track(new LambdaClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 }));
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: `${STACK}-revert`,
      InvocationType: 'RequestResponse',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  expect(out.FunctionError).toBeUndefined();
  await whenLoopIdle(sim.state, 30_000);
  return JSON.parse(Buffer.from(out.Payload!).toString()) as Record<string, unknown>;
}
const retry = async (maxMessages = 10) => (await invoke({ guardrail: 'retry', maxMessages })).retry as Counts;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, regions: [REGION], stackMs: 20 });
  [member, other] = memberIds(sim) as [string, string];
  deployer = await assumeInto(sim, member);
  await post('/_sim/roles', { account: member, roleName: 'Admin' });
  admin = await assumeInto(sim, member, { roleName: 'Admin', sessionName: 'mallory' });
  ec2 = track(new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 }));
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  const cfn = track(new CloudFormationClient(clientConfig(sim, REGION, deployer)));
  const TemplateURL = await templateUrl(sim, REGION, deployer, renderTemplate(source, code, settings).body);
  await cfn.send(new CreateStackCommand({ StackName: STACK, TemplateURL, Capabilities: ['CAPABILITY_IAM'] }));
  const stack = await waitFor(
    async () => {
      const s = (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
      if (s?.StackStatus === 'CREATE_COMPLETE') return s;
      if (!s?.StackStatus?.endsWith('_IN_PROGRESS'))
        throw new Error(`stack ended in ${s?.StackStatus}: ${s?.StackStatusReason}`);
      return undefined;
    },
    30_000,
    { everyMs: 25 },
  );
  outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  const queue = [...rs().queues.values()].find((q) => q.url === outputs.DeadLetterQueueUrl)!;
  outputs.DeadLetterQueueArn = queue.arn;
  outputs.EventQueueArn = [...rs().queues.values()].find((q) => q.url === outputs.EventQueueUrl)!.arn;
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim?.close();
});

describe('a revert that failed is never silent', () => {
  it('fails five times into the dead-letter queue (a failed line each time, the alarm to the topic); a retry reverts it and empties the queue', async () => {
    const group = await newGroup('failing');
    const sent = rs().snsMessages.length;
    const ruleId = await failFiveTimes(group, 22);
    expect(await rulesOf(group)).toContain(ruleId);
    const failed = lines().filter((l) => l.action === 'failed' && /InternalError/.test(l.reason ?? ''));
    expect(failed.map((l) => /^attempt (\d)/.exec(l.reason ?? '')?.[1])).toEqual(['1', '2', '3', '4', '5']);
    expect(failed.every((l) => l.level === 'error' && l.via === undefined)).toBe(true);
    // the dead-letter alarm goes to ALARM (at the next evaluation, or the move of the clock that moved the event) and
    // tells the topic once
    await advance(60);
    expect(rs().alarms!.get(`${STACK}-alarm-dead-letters`)!.state).toBe('ALARM');
    expect(
      rs()
        .snsMessages.slice(sent)
        .filter((m) => m.publishedBy === 'cloudwatch.amazonaws.com')
        .map((m) => m.subject),
    ).toEqual([`ALARM: "${STACK}-alarm-dead-letters" in US East (N. Virginia)`]);

    const counts = await retry();
    expect(counts).toEqual({ received: 1, reverted: 1, ignored: 0, allowed: 0, failed: 0, remaining: 0 });
    expect(await rulesOf(group)).not.toContain(ruleId);
    expect(lines().filter((l) => l.via === 'dead-letter-queue' && l.ruleIds?.includes(ruleId))).toEqual([
      expect.objectContaining({ action: 'reverted', groupId: group, eventName: 'AuthorizeSecurityGroupIngress' }),
    ]);
    expect(waiting()).toBe(0);
    await advance(60);
    expect(rs().alarms!.get(`${STACK}-alarm-dead-letters`)!.state).toBe('OK');
  }, 180_000);

  it('an event EventBridge could not deliver waits there too; a retry when its rule is already gone logs ignored, and deletes it', async () => {
    const group = await newGroup('gone');
    const ruleId = await openUndelivered(group, 2222);
    expect(await rulesOf(group)).toContain(ruleId);
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, SecurityGroupRuleIds: [ruleId] }));
    expect(await retry()).toEqual({ received: 1, reverted: 0, ignored: 1, allowed: 0, failed: 0, remaining: 0 });
    expect(lines().filter((l) => l.via === 'dead-letter-queue' && l.ruleIds?.includes(ruleId))).toEqual([
      expect.objectContaining({
        action: 'ignored',
        reason: expect.stringMatching(/nothing left to revert now: already gone/),
      }),
    ]);
    expect(waiting()).toBe(0);
  }, 60_000);

  it('a retry while the fault is still on keeps the message, with a failed line of its own', async () => {
    const group = await newGroup('still-failing');
    const ruleId = await openUndelivered(group, 3333);
    await post('/_sim/faults', { failRevoke: [member], failRevokeError: 'InternalError' });
    expect(await retry()).toMatchObject({ received: 1, reverted: 0, failed: 1 });
    expect(
      lines()
        .filter((l) => l.via === 'dead-letter-queue' && l.action === 'failed')
        .at(-1)?.reason,
    ).toMatch(/InternalError.*the message stays there/);
    expect(waiting()).toBe(1);
    await post('/_sim/faults', { failRevoke: [] });
    await advance(61);
    expect(await retry()).toMatchObject({ received: 1, reverted: 1, remaining: 0 });
    expect(await rulesOf(group)).not.toContain(ruleId);
  }, 60_000);
});

describe('the dead-letter queue cannot be turned against its owner', () => {
  it('a member admin can neither put a forged event on it nor read, purge or drain it (the queue policy, no SCP)', async () => {
    const sqs = track(new SQSClient({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 }));
    const forged = {
      version: '0',
      id: 'forged',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account: member,
      region: REGION,
      detail: {},
    };
    for (const call of [
      () =>
        sqs.send(new SendMessageCommand({ QueueUrl: outputs.DeadLetterQueueUrl, MessageBody: JSON.stringify(forged) })),
      () => sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs.DeadLetterQueueUrl })),
      () => sqs.send(new PurgeQueueCommand({ QueueUrl: outputs.DeadLetterQueueUrl })),
    ])
      expect((await errorOf(call())).name).toBe('AccessDenied');
    // reading its depth stays open (status counts what waits there)
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.DeadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  /** An event naming a legitimate rule of the default group (the group's own rule), as an attacker would write it. */
  function eventNaming(account: string, groupId: string, ruleId: string) {
    return {
      version: '0',
      id: 'made-up',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account,
      region: REGION,
      detail: {
        eventVersion: '1.10',
        eventSource: 'ec2.amazonaws.com',
        eventName: 'AuthorizeSecurityGroupIngress',
        awsRegion: REGION,
        recipientAccountId: account,
        eventID: 'made-up',
        userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/nobody` },
        requestParameters: { groupId, ipPermissions: { items: [] } },
        responseElements: {
          _return: true,
          securityGroupRuleSet: {
            items: [{ groupId, securityGroupRuleId: ruleId, isEgress: false, ipProtocol: '-1' }],
          },
        },
      },
    };
  }
  async function legitimateRule(): Promise<{ groupId: string; ruleId: string }> {
    const sg = [...rs().securityGroups.values()].find((g) => g.groupName === 'default')!;
    const rule = [...sg.rules.values()].find((r) => !r.isEgress)!;
    return { groupId: sg.groupId, ruleId: rule.ruleId };
  }

  it('a retry request that carries an event, or anything more, is refused whole: the rule it names stays', async () => {
    const { groupId, ruleId } = await legitimateRule();
    const event = eventNaming(member, groupId, ruleId);
    for (const payload of [
      { guardrail: 'retry', maxMessages: 10, event },
      { guardrail: 'retry', event },
      { guardrail: 'retry', maxMessages: 10, queueUrl: 'https://elsewhere.example/123456789012/q' },
      { guardrail: 'retry', maxMessages: 100000 },
    ]) {
      const r = await invoke(payload);
      expect(r.retry, JSON.stringify(payload)).toBeUndefined();
      expect((r.decisions as Line[]).map((d) => d.action)).toEqual(['refused']);
      expect(await rulesOf(groupId)).toContain(ruleId);
    }
  });

  it("a message moved in from a queue of the admin's own, or one naming another account, is refused and not acted on", async () => {
    const { groupId, ruleId } = await legitimateRule();
    // the admin's own queue, whose redrive policy names guardrail's dead-letter queue (SQS allows it by default)
    const sqs = track(new SQSClient({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 }));
    const own = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'mallory',
          Attributes: {
            VisibilityTimeout: '1',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: outputs.DeadLetterQueueArn, maxReceiveCount: 1 }),
          },
        }),
      )
    ).QueueUrl!;
    await sqs.send(
      new SendMessageCommand({ QueueUrl: own, MessageBody: JSON.stringify(eventNaming(member, groupId, ruleId)) }),
    );
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: own }));
    await advance(2);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: own }));
    expect(waiting()).toBe(1);
    // and, as EventBridge would deliver it for the stack's own rule, an event of another account
    const ruleArn = `arn:aws:events:${REGION}:${member}:rule/${STACK}-sg-changes`;
    expect(
      sendAsEventBridge(
        sim.state,
        outputs.DeadLetterQueueArn!,
        JSON.stringify(eventNaming(other, groupId, ruleId)),
        ruleArn,
      ),
    ).toEqual({ ok: true });
    expect(waiting()).toBe(2);
    const sent = rs().snsMessages.length;
    expect(await retry()).toEqual({ received: 2, reverted: 0, ignored: 0, allowed: 0, failed: 2, remaining: 0 });
    expect(await rulesOf(groupId)).toContain(ruleId);
    const refused = lines()
      .filter((l) => l.via === 'dead-letter-queue' && l.action === 'refused')
      .map((l) => l.reason);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/moved here from arn:aws:sqs:.*:mallory, not from this function's event queue/),
        expect.stringMatching(new RegExp(`an event of ${other}/${REGION}, not of this function's ${member}/${REGION}`)),
      ]),
    );
    expect(
      rs()
        .snsMessages.slice(sent)
        .some((m) => m.subject?.includes('REFUSED')),
    ).toBe(true);
    expect(waiting()).toBe(0);
  });
});
