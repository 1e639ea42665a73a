// What issue O needs of the simulator, through the real SDK and CloudFormation:
//  - SQS's redrive to a dead-letter queue is no SendMessage request: a queue policy that denies every sender but
//    EventBridge's rules does not stop it (docs/threat-model.md has the sources), and the moved message carries
//    DeadLetterQueueSourceArn; an IAM caller's SendMessage is denied;
//  - the failRevoke fault: this account's revokes answer EC2's 503 RequestLimitExceeded (or, with failRevokeError,
//    its 500 InternalError) until it is lifted;
//  - ReservedConcurrentExecutions on AWS::Lambda::Function: GetFunction shows it, an invocation beyond it is
//    throttled (429, ReservedFunctionConcurrentInvocationLimitExceeded), and a reservation that would leave fewer
//    than 100 unreserved fails the stack with Lambda's message;
//  - AWS::CloudWatch::Alarm, evaluated on the clock: the dead-letter queue's depth puts it in ALARM and CloudWatch's
//    notification goes to the topic; an empty queue turns it OK again without a notification (no OKActions).
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { GetFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';
import { waitForStack } from './cloudformation.fixtures.js';

const REGION = 'us-east-1';
let sim: SimServer;
let account: string;
let creds: TestCredentials;
const clients: { destroy(): void }[] = [];
const track = <T extends { destroy(): void }>(c: T): T => {
  clients.push(c);
  return c;
};

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}

async function createStack(name: string, template: unknown): Promise<string> {
  const cfn = track(new CloudFormationClient(clientConfig(sim, REGION, creds)));
  await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: JSON.stringify(template),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  const seen = await waitForStack(cfn, name);
  const status = seen.at(-1)!;
  if (status !== 'CREATE_COMPLETE') {
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: name }))).StackEvents ?? [];
    return `${status}: ${events.find((e) => e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason ?? ''}`;
  }
  return status;
}

async function outputs(name: string): Promise<Record<string, string>> {
  const cfn = track(new CloudFormationClient(clientConfig(sim, REGION, creds)));
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 1, regions: [REGION], stackMs: 20 });
  account = memberIds(sim)[0]!;
  creds = await assumeInto(sim, account);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim?.close();
});

describe('redrive into a dead-letter queue whose policy denies every other sender', () => {
  it("moves the message all the same, marked with its source queue; a caller's SendMessage is denied", async () => {
    const template = {
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
        Source: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            VisibilityTimeout: 1,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 1 },
          },
        },
        DlqPolicy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: {
            Queues: [{ Ref: 'Dlq' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Sid: 'NobodyElseSends',
                  Effect: 'Deny',
                  Principal: '*',
                  Action: 'sqs:SendMessage',
                  Resource: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
                  Condition: {
                    ArnNotEquals: { 'aws:SourceArn': `arn:aws:events:${REGION}:${account}:rule/only-this-one` },
                  },
                },
              ],
            },
          },
        },
      },
      Outputs: {
        Dlq: { Value: { Ref: 'Dlq' } },
        Source: { Value: { Ref: 'Source' } },
        SourceArn: { Value: { 'Fn::GetAtt': ['Source', 'Arn'] } },
      },
    };
    expect(await createStack('redrive', template)).toBe('CREATE_COMPLETE');
    const out = await outputs('redrive');
    const sqs = track(new SQSClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 }));
    expect((await errorOf(sqs.send(new SendMessageCommand({ QueueUrl: out.Dlq, MessageBody: 'forged' })))).name).toBe(
      'AccessDenied',
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: out.Source, MessageBody: 'failed five times' }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: out.Source }))).Messages).toHaveLength(1);
    await post('/_sim/clock', { advanceSeconds: 2 });
    // the receive that would exceed maxReceiveCount moves it instead
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: out.Source }))).Messages ?? []).toEqual([]);
    const moved =
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: out.Dlq, MessageSystemAttributeNames: ['All'] })))
        .Messages ?? [];
    expect(moved.map((m) => [m.Body, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([
      ['failed five times', out.SourceArn],
    ]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: out.Dlq, ReceiptHandle: moved[0]!.ReceiptHandle }));
  });
});

describe('the failRevoke fault', () => {
  it("answers this account's revokes with EC2's 503 RequestLimitExceeded, or its 500 InternalError, until it is lifted", async () => {
    const ec2 = track(new EC2Client({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 }));
    const group = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'fail-revoke', Description: 'x' })))
      .GroupId!;
    const perm = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: perm }));
    expect(await post('/_sim/faults', { failRevoke: [account] })).toMatchObject({ failRevoke: [account] });
    const err = await errorOf(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: perm })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['RequestLimitExceeded', 503]);
    await post('/_sim/faults', { failRevokeError: 'InternalError' });
    const internal = await errorOf(
      ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: perm })),
    );
    expect([internal.name, internal.$metadata?.httpStatusCode]).toEqual(['InternalError', 500]);
    const res = await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ failRevokeError: 'Boom' }),
    });
    expect(res.status).toBe(400);
    await post('/_sim/faults', { failRevoke: [], failRevokeError: 'RequestLimitExceeded' });
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: perm }));
  });
});

const fnTemplate = (reserved: number, name: string) => ({
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: name,
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        ReservedConcurrentExecutions: reserved,
        Code: { ZipFile: 'exports.handler = async () => ({ ok: true });' },
      },
    },
  },
});

describe('ReservedConcurrentExecutions', () => {
  it('is shown by GetFunction; 0 throttles every invocation (429); a reservation of 1 runs one', async () => {
    expect(await createStack('reserved-0', fnTemplate(0, 'reserved-0'))).toBe('CREATE_COMPLETE');
    expect(await createStack('reserved-1', fnTemplate(1, 'reserved-1'))).toBe('CREATE_COMPLETE');
    const lambda = track(new LambdaClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 }));
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'reserved-0' }))).Concurrency).toEqual({
      ReservedConcurrentExecutions: 0,
    });
    const throttled = await errorOf(
      lambda.send(new InvokeCommand({ FunctionName: 'reserved-0', Payload: Buffer.from('{}') })),
    );
    expect([throttled.name, throttled.$metadata?.httpStatusCode, throttled.Reason]).toEqual([
      'TooManyRequestsException',
      429,
      'ReservedFunctionConcurrentInvocationLimitExceeded',
    ]);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'reserved-1', Payload: Buffer.from('{}') }));
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ ok: true });
    expect(
      (regionState(sim.state, account, REGION).throttles ?? []).filter((t) => t.functionArn.endsWith(':reserved-0')),
    ).toHaveLength(1);
  });

  it("a reservation that leaves fewer than 100 unreserved fails the stack with Lambda's message", async () => {
    expect(await createStack('reserved-too-much', fnTemplate(950, 'reserved-too-much'))).toMatch(
      /^ROLLBACK_COMPLETE: .*decreases account's UnreservedConcurrentExecution below its minimum value of \[100\]/,
    );
  });
});

describe('AWS::CloudWatch::Alarm', () => {
  it('goes to ALARM when the dead-letter queue holds a message and notifies the topic; back to OK when it is empty', async () => {
    const template = {
      Resources: {
        Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: 'sim-alarm-dead-letters',
            AlarmDescription: 'waiting',
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Dlq', 'QueueName'] } }],
            Statistic: 'Maximum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [{ Ref: 'Topic' }],
          },
        },
      },
      Outputs: {
        Dlq: { Value: { Ref: 'Dlq' } },
        Topic: { Value: { Ref: 'Topic' } },
        Alarm: { Value: { 'Fn::GetAtt': ['Alarm', 'Arn'] } },
      },
    };
    expect(await createStack('alarms', template)).toBe('CREATE_COMPLETE');
    const out = await outputs('alarms');
    expect(out.Alarm).toBe(`arn:aws:cloudwatch:${REGION}:${account}:alarm:sim-alarm-dead-letters`);
    const rs = regionState(sim.state, account, REGION);
    const alarm = () => rs.alarms!.get('sim-alarm-dead-letters')!;
    expect(alarm().state).toBe('INSUFFICIENT_DATA');
    await post('/_sim/clock', { advanceSeconds: 60 });
    expect(alarm().state).toBe('OK');
    const sqs = track(new SQSClient(clientConfig(sim, REGION, creds)));
    await sqs.send(new SendMessageCommand({ QueueUrl: out.Dlq, MessageBody: 'not undone' }));
    const before = rs.snsMessages.length;
    await post('/_sim/clock', { advanceSeconds: 60 });
    expect(alarm().state).toBe('ALARM');
    const [note, ...more] = rs.snsMessages.slice(before);
    expect(more).toEqual([]);
    expect(note).toMatchObject({
      topicArn: out.Topic,
      subject: 'ALARM: "sim-alarm-dead-letters" in US East (N. Virginia)',
      publishedBy: 'cloudwatch.amazonaws.com',
    });
    expect(JSON.parse(note!.message)).toMatchObject({
      AlarmName: 'sim-alarm-dead-letters',
      AWSAccountId: account,
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      AlarmArn: out.Alarm,
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    });
    // staying in ALARM notifies nobody again
    await post('/_sim/clock', { advanceSeconds: 60 });
    expect(rs.snsMessages.length).toBe(before + 1);
    const [m] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: out.Dlq }))).Messages!;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: out.Dlq, ReceiptHandle: m!.ReceiptHandle }));
    await post('/_sim/clock', { advanceSeconds: 60 });
    expect(alarm().state).toBe('OK');
    expect(rs.snsMessages.length).toBe(before + 1);
  });

  it('refuses what it does not evaluate, and a bad operator, as a failed resource', async () => {
    const bad = (props: Record<string, unknown>) => ({
      Resources: {
        A: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            Namespace: 'AWS/Lambda',
            MetricName: 'Errors',
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            ...props,
          },
        },
      },
    });
    expect(await createStack('alarm-bad-op', bad({ ComparisonOperator: 'Above' }))).toMatch(
      /ComparisonOperator: Above is not a valid enum value/,
    );
    expect(await createStack('alarm-metrics', bad({ Metrics: [] }))).toMatch(/single-metric alarms/);
  });
});
