// Child process of bench/handler.ts: loads the built revert function (lambda-bundle/dist/index.js, with the SDK it
// requires) as Lambda would, pointed at the simulator, then times its handler on real CloudTrail events.
//   node --import tsx bench/handler-worker.ts ENDPOINT RUNS
// For each run: a fresh group, port 22 opened to 0.0.0.0/0 (the simulator records the CloudTrail event), the
// event read back from the simulator and put on the function's queue, received as the event source mapping would,
// then handler(batch) timed alone: the proof of the record (ChangeMessageVisibility), the decision and the revert.
// It checks every revert really happened.
// The last stdout line is `BENCH_RESULT {json}`; the function's own log lines come before it, as in Lambda.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './sim-process.js';

const [endpoint, runsArg] = process.argv.slice(2);
if (!endpoint) throw new Error('usage: handler-worker.ts ENDPOINT [RUNS]');
const runs = Number(runsArg ?? 25);
const region = 'us-east-1';

// a static key is the simulator's management account: the calls, and so the events, are filed under it
const org = (await (await fetch(`${endpoint}/_sim/state`)).json()) as { org: { managementAccountId: string } };
const account = org.org.managementAccountId;
Object.assign(process.env, {
  AWS_ENDPOINT_URL: endpoint,
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: 'AKIDBENCHHANDLER',
  AWS_SECRET_ACCESS_KEY: 'simulated',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
const { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } =
  await import('@aws-sdk/client-sqs');
const sqs = new SQSClient({ region, endpoint });
const { QueueUrl } = await sqs.send(
  new CreateQueueCommand({ QueueName: 'bench-events', Attributes: { VisibilityTimeout: '60' } }),
);
const queueArn = `arn:aws:sqs:${region}:${account}:bench-events`;
Object.assign(process.env, {
  GUARDRAIL_MODE: 'enforce',
  GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true',
  GUARDRAIL_ON_MODIFY: 'revoke',
  GUARDRAIL_SELF_ROLE_ARN: `arn:aws:iam::${account}:role/guardrail-function`,
  GUARDRAIL_EVENT_QUEUE_URL: QueueUrl,
  GUARDRAIL_EVENT_QUEUE_ARN: queueArn,
});

interface Decision {
  action: string;
  groupId: string | null;
  ruleIds: string[];
}
type Handler = (event: unknown) => Promise<{ batchItemFailures: unknown[]; results: { decisions: Decision[] }[] }>;

const loadStart = performance.now();
const bundle = createRequire(import.meta.url)(join(ROOT, 'lambda-bundle', 'dist', 'index.js')) as { handler: Handler };
const loadMs = performance.now() - loadStart;
// imported after the bundle, so `loadMs` includes loading the SDK client the function requires
const {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} = await import('@aws-sdk/client-ec2');

const ec2 = new EC2Client({ region, endpoint });

interface StateDoc {
  accounts: Record<string, { regions: Record<string, { events: { event: Record<string, unknown> }[] }> }>;
}

async function lastEvent(account: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${endpoint}/_sim/state`);
  const state = (await res.json()) as StateDoc;
  const events = state.accounts[account]?.regions[region]?.events ?? [];
  const last = events[events.length - 1];
  if (!last) throw new Error('the simulator recorded no CloudTrail event');
  return last.event;
}

async function ruleCount(groupId: string): Promise<number> {
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return out.SecurityGroupRules?.length ?? 0;
}

/** The event as the event source mapping hands it over: sent to the queue, received, wrapped in a batch. */
async function asBatch(event: Record<string, unknown>): Promise<Record<string, unknown>> {
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(event) }));
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All'] }),
  );
  const m = out.Messages?.[0];
  if (!m) throw new Error('the queue gave back no message');
  return {
    Records: [
      {
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: m.Attributes ?? {},
        messageAttributes: {},
        md5OfBody: m.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: region,
      },
    ],
  };
}

const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `bench-${i}`, Description: 'bench' }));
  const groupId = group.GroupId!;
  const before = await ruleCount(groupId);
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const batch = await asBatch(await lastEvent(account));
  const t0 = performance.now();
  const result = await bundle.handler(batch);
  times.push(performance.now() - t0);
  const decisions = result.results.flatMap((r) => r.decisions);
  const d = decisions[0];
  if (
    decisions.length !== 1 ||
    d?.action !== 'reverted' ||
    d.groupId !== groupId ||
    result.batchItemFailures.length > 0
  ) {
    throw new Error(`event ${i}: expected one reverted decision for ${groupId}, got ${JSON.stringify(result)}`);
  }
  const after = await ruleCount(groupId);
  if (after !== before) throw new Error(`event ${i}: ${after} rules after the revert, ${before} before`);
}

ec2.destroy();
sqs.destroy();
process.stdout.write(`BENCH_RESULT ${JSON.stringify({ loadMs, times })}\n`);
