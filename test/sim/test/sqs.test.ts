// SQS in the simulator through the real @aws-sdk/client-sqs and CloudFormation: queue policies (an IAM caller's
// explicit Deny, EventBridge allowed only for its rule), a rule's dead-letter queue, the event source mapping's
// batches with batch item failures, redelivery after the visibility timeout on the simulated clock, the redrive to
// the dead-letter queue, and ChangeMessageVisibility's answers for valid, made-up and stale receipt handles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  DeleteQueueCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  DeleteMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  GetEventSourceMappingCommand,
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { SimServer } from '../server.js';
import { regionState, type Invocation } from '../state.js';
import { whenLoopIdle } from '../loop.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, waitFor } from './helpers.js';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { evaluateResourcePolicy } from '../services/resource-policy.js';
import { waitForStack } from './cloudformation.fixtures.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let sqs: SQSClient;
const IDLE_MS = 60_000;

// The revert function's provenance check, in miniature: each record's receipt handle must be an in-flight message
// of its own queue (ChangeMessageVisibility succeeds), else the record is refused. A body {"fail":true} is reported
// as a batch item failure (deferred for 0 s extra: it stays in flight for the queue's visibility timeout).
const FUNCTION_CODE = `
const { SQSClient, ChangeMessageVisibilityCommand } = require('@aws-sdk/client-sqs');
const sqs = new SQSClient({});
exports.handler = async (event) => {
  const failures = [];
  const seen = [];
  for (const r of event.Records || []) {
    let proven = false;
    try {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: process.env.QUEUE_URL, ReceiptHandle: r.receiptHandle, VisibilityTimeout: 60 }));
      proven = true;
    } catch (err) {
      seen.push({ messageId: r.messageId, refused: err.name, code: err.Code });
      continue;
    }
    const body = JSON.parse(r.body);
    seen.push({ messageId: r.messageId, proven, receiveCount: r.attributes.ApproximateReceiveCount, senderId: r.attributes.SenderId,
      eventSource: r.eventSource, eventSourceARN: r.eventSourceARN, awsRegion: r.awsRegion, md5OfBody: r.md5OfBody, detail: body.detail });
    if (body.detail && body.detail.fail) failures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures: failures, seen };
};`;

const TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    RevertDlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'revert-dlq', MessageRetentionPeriod: 1209600 } },
    TargetDlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'target-dlq' } },
    Events: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: 'revert-events',
        VisibilityTimeout: 60,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['RevertDlq', 'Arn'] }, maxReceiveCount: 2 },
      },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'provenance',
        EventPattern: { source: ['app.test'] },
        State: 'ENABLED',
        Targets: [
          {
            Id: 'queue',
            Arn: { 'Fn::GetAtt': ['Events', 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TargetDlq', 'Arn'] } },
            RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
          },
        ],
      },
    },
    // a second rule on the same queue, which the queue policy does not name
    Other: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'intruder',
        EventPattern: { source: ['app.other'] },
        State: 'ENABLED',
        Targets: [
          {
            Id: 'queue',
            Arn: { 'Fn::GetAtt': ['Events', 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TargetDlq', 'Arn'] } },
          },
        ],
      },
    },
    EventsPolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'Events' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FromTheRule',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['Events', 'Arn'] },
              Condition: {
                ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['Rule', 'Arn'] } },
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              },
            },
            {
              Sid: 'NothingElseSends',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['Events', 'Arn'] },
              Condition: { ArnNotEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['Rule', 'Arn'] } } },
            },
          ],
        },
      },
    },
    TargetDlqPolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'TargetDlq' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['TargetDlq', 'Arn'] },
              Condition: {
                ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['Rule', 'Arn'] }, { 'Fn::GetAtt': ['Other', 'Arn'] }] },
              },
            },
          ],
        },
      },
    },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: 'revert-role',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'revert',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Timeout: 10,
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: FUNCTION_CODE },
        Environment: { Variables: { QUEUE_URL: { Ref: 'Events' } } },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Events', 'Arn'] },
        FunctionName: { Ref: 'Fn' },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        Enabled: true,
      },
    },
  },
  Outputs: {
    QueueUrl: { Value: { Ref: 'Events' } },
    DlqUrl: { Value: { Ref: 'RevertDlq' } },
    TargetDlqUrl: { Value: { Ref: 'TargetDlq' } },
    MappingId: { Value: { Ref: 'Mapping' } },
  },
});

let out: { QueueUrl: string; DlqUrl: string; TargetDlqUrl: string; MappingId: string };

function revertInvocations(): Invocation[] {
  return regionState(sim.state, mgmt, REGION).invocations.filter((i) => i.functionArn.endsWith(':function:revert'));
}

type Seen = {
  messageId: string;
  proven?: boolean;
  refused?: string;
  receiveCount?: string;
  detail?: Record<string, unknown>;
  senderId?: string;
};
const seenOf = (i: Invocation) => (i.result as { seen?: Seen[] } | undefined)?.seen ?? [];

async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(a.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

async function advance(seconds: number): Promise<void> {
  const res = await fetch(`${sim.endpoint}/_sim/clock`, {
    method: 'POST',
    body: JSON.stringify({ advanceSeconds: seconds }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sim = await startTestSim({ stackMs: 40, accounts: 2 });
  mgmt = sim.state.org.managementAccountId;
  sqs = new SQSClient(clientConfig(sim, REGION));
  const cfn = new CloudFormationClient(clientConfig(sim, REGION));
  await cfn.send(
    new CreateStackCommand({ StackName: 'provenance', TemplateBody: TEMPLATE, Capabilities: ['CAPABILITY_NAMED_IAM'] }),
  );
  expect((await waitForStack(cfn, 'provenance')).pop()).toBe('CREATE_COMPLETE');
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'provenance' }))).Stacks![0]!;
  out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!])) as typeof out;
  cfn.destroy();
});
afterAll(async () => {
  sqs.destroy();
  await sim.close();
});

describe('the template', () => {
  it('creates the queues with their attributes, the policy, and the mapping (Ref is its UUID)', async () => {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: out.QueueUrl, AttributeNames: ['All'] })))
      .Attributes!;
    expect(a).toMatchObject({
      QueueArn: `arn:aws:sqs:${REGION}:${mgmt}:revert-events`,
      VisibilityTimeout: '60',
      SqsManagedSseEnabled: 'true',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    expect(JSON.parse(a.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:${REGION}:${mgmt}:revert-dlq`,
      maxReceiveCount: 2,
    });
    expect(JSON.parse(a.Policy!).Statement).toHaveLength(2);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'revert-events' }))).QueueUrl).toBe(out.QueueUrl);
    const lambda = new LambdaClient(clientConfig(sim, REGION));
    const mapping = await lambda.send(new GetEventSourceMappingCommand({ UUID: out.MappingId }));
    expect(mapping).toMatchObject({
      UUID: out.MappingId,
      EventSourceArn: a.QueueArn,
      FunctionArn: `arn:aws:lambda:${REGION}:${mgmt}:function:revert`,
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      State: 'Enabled',
    });
    expect(
      (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'revert' }))).EventSourceMappings,
    ).toHaveLength(1);
    lambda.destroy();
    const events = new EventBridgeClient(clientConfig(sim, REGION));
    const targets = await events.send(new ListTargetsByRuleCommand({ Rule: 'provenance' }));
    expect(targets.Targets?.[0]).toMatchObject({
      DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${mgmt}:target-dlq` },
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
    });
    events.destroy();
  });
});

describe('queue policy', () => {
  it("refuses an IAM caller's SendMessage under the explicit Deny, with SQS's AccessDenied", async () => {
    const err = await errorOf(
      sqs.send(new SendMessageCommand({ QueueUrl: out.QueueUrl, MessageBody: '{"detail":{}}' })),
    );
    expect(err.name).toBe('AccessDenied');
    expect(err.$metadata?.httpStatusCode).toBe(403);
    expect(err.message).toContain('with an explicit deny in a resource-based policy');
    expect(await counts(out.QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("lets EventBridge deliver only for the rule it names; the other rule's event goes to its dead-letter queue", async () => {
    const events = new EventBridgeClient(clientConfig(sim, REGION));
    await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app.other', DetailType: 'test', Detail: '{"n":0}' }] }),
    );
    const rs = regionState(sim.state, mgmt, REGION);
    const failure = rs.targetFailures?.at(-1);
    expect(failure).toMatchObject({
      ruleArn: `arn:aws:events:${REGION}:${mgmt}:rule/intruder`,
      errorCode: 'NO_PERMISSIONS',
      deadLetterArn: `arn:aws:sqs:${REGION}:${mgmt}:target-dlq`,
    });
    expect(failure?.deadLetterError).toBeUndefined();
    const dl = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: out.TargetDlqUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SenderId'],
      }),
    );
    expect(dl.Messages).toHaveLength(1);
    expect(JSON.parse(dl.Messages![0]!.Body!)).toMatchObject({ source: 'app.other', detail: { n: 0 } });
    expect(
      Object.fromEntries(Object.entries(dl.Messages![0]!.MessageAttributes!).map(([k, v]) => [k, v.StringValue])),
    ).toMatchObject({
      RULE_ARN: `arn:aws:events:${REGION}:${mgmt}:rule/intruder`,
      TARGET_ARN: `arn:aws:sqs:${REGION}:${mgmt}:revert-events`,
      ERROR_CODE: 'NO_PERMISSIONS',
    });
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: out.TargetDlqUrl, ReceiptHandle: dl.Messages![0]!.ReceiptHandle! }),
    );
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    expect(revertInvocations()).toHaveLength(0);
    events.destroy();
  });
});

describe('the event source mapping', () => {
  it("delivers the rule's events in Lambda's SQS shape; a reported failure is redelivered after the visibility timeout, then redriven", async () => {
    const events = new EventBridgeClient(clientConfig(sim, REGION));
    const t0 = performance.now();
    await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'app.test', DetailType: 'test', Detail: '{"n":1}' },
          { Source: 'app.test', DetailType: 'test', Detail: '{"n":2,"fail":true}' },
        ],
      }),
    );
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    const first = revertInvocations();
    expect(first.length).toBeGreaterThanOrEqual(1);
    console.log(`PutEvents → first SQS batch invocation recorded: ${(performance.now() - t0).toFixed(0)} ms (cold)`);
    expect(first.every((i) => i.status === 'succeeded')).toBe(true);
    const seen = first.flatMap(seenOf);
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.proven && s.receiveCount === '1')).toBe(true);
    expect(seen[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${mgmt}:revert-events`,
      awsRegion: REGION,
    });
    // the successful record is deleted; the failed one stays in flight
    expect(await counts(out.QueueUrl)).toEqual({ visible: 0, inFlight: 1 });

    // not before the visibility timeout (the function set it to 60 s when it proved the record)
    await advance(30);
    expect(revertInvocations()).toHaveLength(first.length);
    await advance(31);
    await waitFor(() => (revertInvocations().length > first.length ? true : undefined));
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    const second = revertInvocations().slice(first.length);
    expect(second.flatMap(seenOf)).toEqual([
      expect.objectContaining({ proven: true, receiveCount: '2', detail: { n: 2, fail: true } }),
    ]);

    // a third receive would exceed maxReceiveCount 2: the message moves to the dead-letter queue instead
    await advance(61);
    expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
    expect(revertInvocations()).toHaveLength(first.length + second.length);
    expect(await counts(out.QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: out.DlqUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(dlq.Messages).toHaveLength(1);
    expect(JSON.parse(dlq.Messages![0]!.Body!)).toMatchObject({ detail: { n: 2, fail: true } });
    expect(dlq.Messages![0]!.Attributes).toMatchObject({
      DeadLetterQueueSourceArn: `arn:aws:sqs:${REGION}:${mgmt}:revert-events`,
    });
    events.destroy();
  });

  it('an invalid batchItemFailures response fails the whole batch (nothing is deleted)', async () => {
    const rs = regionState(sim.state, mgmt, REGION);
    const fn = rs.functions.get('revert')!;
    const code = fn.code;
    fn.code = `exports.handler = async (event) => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }], n: event.Records.length });`;
    fn.revisionId = 'bad-response';
    try {
      const events = new EventBridgeClient(clientConfig(sim, REGION));
      const before = revertInvocations().length;
      await events.send(
        new PutEventsCommand({ Entries: [{ Source: 'app.test', DetailType: 'test', Detail: '{"n":3}' }] }),
      );
      expect(await whenLoopIdle(sim.state, IDLE_MS)).toBe(true);
      expect(revertInvocations().length).toBe(before + 1);
      expect(await counts(out.QueueUrl)).toEqual({ visible: 0, inFlight: 1 });
      events.destroy();
    } finally {
      fn.code = code;
      fn.revisionId = 'restored';
    }
    await sqs.send(new PurgeQueueCommand({ QueueUrl: out.QueueUrl }));
    expect(await counts(out.QueueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('a direct invoke with a made-up record is refused by the provenance check (ReceiptHandleIsInvalid)', async () => {
    const lambda = new LambdaClient(clientConfig(sim, REGION));
    const payload = {
      Records: [
        {
          messageId: 'forged',
          receiptHandle: 'AQEBforgedforgedforged',
          body: '{"detail":{"n":9}}',
          attributes: {},
          eventSource: 'aws:sqs',
        },
      ],
    };
    const res = await lambda.send(
      new InvokeCommand({ FunctionName: 'revert', Payload: Buffer.from(JSON.stringify(payload)) }),
    );
    const result = JSON.parse(Buffer.from(res.Payload!).toString('utf8')) as { seen: Seen[] };
    expect(result.seen).toEqual([
      { messageId: 'forged', refused: 'ReceiptHandleIsInvalid', code: 'ReceiptHandleIsInvalid' },
    ]);
    lambda.destroy();
  });
});

describe('receipt handles', () => {
  let url: string;
  beforeAll(async () => {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: 'handles', Attributes: { VisibilityTimeout: '20' } })))
      .QueueUrl!;
  });

  it("ChangeMessageVisibility: in flight succeeds; made-up, another queue's, or a deleted message's handle fails with SQS's codes", async () => {
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hello', DelaySeconds: 0 }));
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
    );
    const m = got.Messages![0]!;
    expect(m).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'hello',
      MD5OfBody: '5d41402abc4b2a76b9719d911017c592',
    });
    expect(m.ReceiptHandle!.length).toBeGreaterThan(100);
    expect(m.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: mgmt });
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 5 }),
    );

    const madeUp = await errorOf(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: 'AQEBmadeup', VisibilityTimeout: 5 }),
      ),
    );
    expect(madeUp.name).toBe('ReceiptHandleIsInvalid');
    expect(madeUp.$metadata?.httpStatusCode).toBe(404);
    expect((madeUp as { Code?: string }).Code).toBe('ReceiptHandleIsInvalid');

    const other = (await sqs.send(new CreateQueueCommand({ QueueName: 'handles-other' }))).QueueUrl!;
    const elsewhere = await errorOf(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: other, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 5 }),
      ),
    );
    expect(elsewhere.name).toBe('ReceiptHandleIsInvalid');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: other }));

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    // deleting again succeeds and does nothing, as SQS does
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    const stale = await errorOf(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 5 }),
      ),
    );
    expect((stale as { Code?: string }).Code).toBe('InvalidParameterValue');
    expect(stale.message).toContain('Message does not exist or is not available for visibility timeout change');
    const missing = await errorOf(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })));
    expect(missing.name).toBe('ReceiptHandleIsInvalid');
    expect(missing.message).toBe('The input receipt handle "garbage" is not a valid receipt handle.');
  });

  it('a handle whose visibility timeout ran out: ChangeMessageVisibility answers success and changes nothing; a new receive gets a new handle', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages![0]!;
    await advance(21);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first.ReceiptHandle!,
        VisibilityTimeout: 300,
      }),
    );
    const second = (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      )
    ).Messages![0]!;
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(second.Attributes?.ApproximateReceiveCount).toBe('2');
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: second.ReceiptHandle! },
          { Id: 'b', ReceiptHandle: 'nope' },
        ],
      }),
    );
    expect(del.Successful).toEqual([{ Id: 'a' }]);
    expect(del.Failed).toEqual([
      expect.objectContaining({ Id: 'b', Code: 'ReceiptHandleIsInvalid', SenderFault: true }),
    ]);
  });

  it('DelaySeconds runs on the simulated clock; unknown queues are QueueDoesNotExist with the query code', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 120 }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages ?? []).toEqual([]);
    await advance(121);
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.Body).toBe('later');
    const err = await errorOf(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
    expect(err.name).toBe('QueueDoesNotExist');
    expect((err as { Code?: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'revert' }))).QueueUrls).toHaveLength(2);
    const bad = await errorOf(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '99999' } })),
    );
    expect(bad.name).toBe('InvalidAttributeValue');
  });
});

describe('policies beyond the queue policy', () => {
  it('a service principal has no aws:PrincipalArn: a Deny on ArnNotEquals aws:PrincipalArn refuses EventBridge too', () => {
    const queueArn = `arn:aws:sqs:${REGION}:${mgmt}:q`;
    const ruleArn = `arn:aws:events:${REGION}:${mgmt}:rule/r`;
    const allow = {
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
    };
    const denyOthers = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:*',
      Resource: queueArn,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${mgmt}:role/admin` } },
    };
    const exemptServices = {
      ...denyOthers,
      Condition: { ...denyOthers.Condition, BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } },
    };
    const events = (sourceArn: string) => ({
      kind: 'service' as const,
      service: 'events.amazonaws.com',
      sourceArn,
      sourceAccount: mgmt,
    });
    const verdict = (statements: unknown[], who: Parameters<typeof evaluateResourcePolicy>[2]) =>
      evaluateResourcePolicy(
        { Version: '2012-10-17', Statement: statements },
        sim.state,
        who,
        'sqs:SendMessage',
        queueArn,
        REGION,
      );
    expect(verdict([allow], events(ruleArn))).toBe('allow');
    expect(verdict([allow], events(`${ruleArn}2`))).toBe('none');
    expect(verdict([allow, denyOthers], events(ruleArn))).toBe('deny');
    expect(verdict([allow, exemptServices], events(ruleArn))).toBe('allow');
    const admin = {
      accessKeyId: 'k',
      accountId: mgmt,
      arn: `arn:aws:sts::${mgmt}:assumed-role/admin/s`,
      roleArn: `arn:aws:iam::${mgmt}:role/admin`,
      assumedRole: true,
      userId: 'AROAX:s',
    };
    expect(verdict([allow, exemptServices], { kind: 'iam', caller: admin })).toBe('none');
    expect(
      verdict([allow, exemptServices], {
        kind: 'iam',
        caller: { ...admin, roleArn: `arn:aws:iam::${mgmt}:role/other` },
      }),
    ).toBe('deny');
  });

  it("an SCP denying sqs:SendMessage on a queue ARN refuses a member account's call (AccessDenied with the query code)", async () => {
    const member = memberIds(sim)[0]!;
    const creds = await assumeInto(sim, member);
    const memberSqs = new SQSClient(clientConfig(sim, REGION, creds));
    const url = (await memberSqs.send(new CreateQueueCommand({ QueueName: 'member-queue' }))).QueueUrl!;
    await memberSqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'before' }));
    const org = new OrganizationsClient(clientConfig(sim, 'us-east-1'));
    const rootId = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    const policy = await org.send(
      new CreatePolicyCommand({
        Name: 'no-sqs-send',
        Type: 'SERVICE_CONTROL_POLICY',
        Description: '',
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:*:${member}:member-*` }],
        }),
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: policy.Policy!.PolicySummary!.Id!, TargetId: member }));
    const err = await errorOf(memberSqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after' })));
    expect(err.name).toBe('AccessDenied');
    expect(err.$metadata?.httpStatusCode).toBe(403);
    expect(err.message).toContain(
      `sqs:SendMessage on resource: arn:aws:sqs:${REGION}:${member}:member-queue with an explicit deny in a service control policy`,
    );
    expect((await memberSqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.[0]?.Body).toBe('before');
    memberSqs.destroy();
    org.destroy();
  });

  it("GET /_sim/state shows a queue's messages as counts, never its receipt handles; GET /_sim/sqs lists them", async () => {
    const state = (await (await fetch(`${sim.endpoint}/_sim/state`)).json()) as {
      accounts: Record<
        string,
        { regions: Record<string, { queues: Record<string, { messages?: unknown; handles?: unknown }> }> }
      >;
    };
    const q = state.accounts[mgmt]!.regions[REGION]!.queues['revert-dlq']!;
    // received once above, and visible again since: the clock moved past the dead-letter queue's 30 s timeout
    expect(q.messages).toEqual({ visible: 1, inFlight: 0, delayed: 0, total: 1 });
    expect(q.handles).toBeUndefined();
    const view = (await (await fetch(`${sim.endpoint}/_sim/sqs?account=${mgmt}&queue=revert-dlq`)).json()) as {
      queues: { messages: { state: string; receiveCount: number }[] }[];
      eventSourceMappings: unknown[];
    };
    expect(view.queues[0]!.messages).toEqual([expect.objectContaining({ state: 'visible', receiveCount: 1 })]);
    expect(view.eventSourceMappings).toHaveLength(1);
  });

  it("a rule target's RetryPolicy and DeadLetterConfig are validated as PutTargets does", async () => {
    const cfn = new CloudFormationClient(clientConfig(sim, REGION));
    const template = JSON.stringify({
      Resources: {
        R: {
          Type: 'AWS::Events::Rule',
          Properties: {
            EventPattern: { source: ['x'] },
            Targets: [
              {
                Id: 't',
                Arn: `arn:aws:sqs:${REGION}:${mgmt}:revert-events`,
                RetryPolicy: { MaximumRetryAttempts: 186 },
              },
            ],
          },
        },
      },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'bad-retry', TemplateBody: template }));
    expect((await waitForStack(cfn, 'bad-retry')).pop()).toBe('ROLLBACK_COMPLETE');
    cfn.destroy();
  });
});

describe('the Lambda event source mapping API', () => {
  it('creates, lists and deletes a mapping; refuses a queue whose visibility timeout is below the function timeout', async () => {
    const lambda = new LambdaClient(clientConfig(sim, REGION));
    await sqs.send(new CreateQueueCommand({ QueueName: 'api-mapped', Attributes: { VisibilityTimeout: '30' } }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'too-short', Attributes: { VisibilityTimeout: '5' } }));
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'revert',
        EventSourceArn: `arn:aws:sqs:${REGION}:${mgmt}:api-mapped`,
        BatchSize: 5,
      }),
    );
    expect(created).toMatchObject({
      State: 'Creating',
      BatchSize: 5,
      FunctionArn: `arn:aws:lambda:${REGION}:${mgmt}:function:revert`,
    });
    expect(
      (
        await lambda.send(
          new ListEventSourceMappingsCommand({ EventSourceArn: `arn:aws:sqs:${REGION}:${mgmt}:api-mapped` }),
        )
      ).EventSourceMappings,
    ).toHaveLength(1);
    expect((await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID! }))).State).toBe('Deleting');
    expect((await errorOf(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID! })))).name).toBe(
      'ResourceNotFoundException',
    );
    const short = await errorOf(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'revert',
          EventSourceArn: `arn:aws:sqs:${REGION}:${mgmt}:too-short`,
        }),
      ),
    );
    expect(short.name).toBe('InvalidParameterValueException');
    expect(short.message).toContain('Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds');
    const gone = await errorOf(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'revert',
          EventSourceArn: `arn:aws:sqs:${REGION}:${mgmt}:nope`,
        }),
      ),
    );
    expect(gone.message).toContain('AWS.SimpleQueueService.NonExistentQueue');
    lambda.destroy();
  });
});
