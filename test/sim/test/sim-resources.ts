// Test fixtures for the Lambda/EventBridge/CloudTrail/SNS tests: put resources straight into the simulator's state,
// as the CloudFormation engine would create them.
import { createHash } from 'node:crypto';
import type { SimServer } from '../server.js';
import { regionState, type EventRule, type LambdaFunction, type SnsTopic } from '../state.js';

export interface FunctionSpec {
  name: string;
  code: string;
  handler?: string;
  environment?: Record<string, string>;
  timeout?: number;
  roleName?: string;
  /** grant events.amazonaws.com InvokeFunction for this rule ARN (the string 'any': no SourceArn) */
  allowRule?: string;
  invokeConfig?: LambdaFunction['invokeConfig'];
}

export function putFunction(sim: SimServer, account: string, region: string, spec: FunctionSpec): LambdaFunction {
  const rs = regionState(sim.state, account, region);
  const fn: LambdaFunction = {
    functionName: spec.name,
    functionArn: `arn:aws:lambda:${region}:${account}:function:${spec.name}`,
    runtime: 'nodejs20.x',
    handler: spec.handler ?? 'index.handler',
    role: `arn:aws:iam::${account}:role/${spec.roleName ?? `${spec.name}-role`}`,
    architectures: ['x86_64'],
    memorySize: 128,
    timeout: spec.timeout ?? 10,
    environment: spec.environment ?? {},
    description: '',
    code: spec.code,
    codeFileName: 'index.js',
    codeSha256: createHash('sha256').update(spec.code).digest('base64'),
    codeSize: spec.code.length,
    lastModified: new Date().toISOString().replace('Z', '+0000'),
    revisionId: '00000000-0000-4000-a000-000000000001',
    version: '$LATEST',
    tags: { app: 'guardrail' },
    ...(spec.invokeConfig ? { invokeConfig: spec.invokeConfig } : {}),
    permissions:
      spec.allowRule === undefined
        ? []
        : [
            {
              sid: 'AllowEvents',
              principal: 'events.amazonaws.com',
              action: 'lambda:InvokeFunction',
              ...(spec.allowRule === 'any' ? {} : { sourceArn: spec.allowRule }),
            },
          ],
  };
  rs.functions.set(fn.functionName, fn);
  return fn;
}

export function putRule(
  sim: SimServer,
  account: string,
  region: string,
  name: string,
  pattern: unknown,
  targetArns: string[],
  state: EventRule['state'] = 'ENABLED',
): EventRule {
  const rs = regionState(sim.state, account, region);
  const rule: EventRule = {
    name,
    arn: `arn:aws:events:${region}:${account}:rule/${name}`,
    eventBusName: 'default',
    eventPattern: JSON.stringify(pattern),
    state,
    description: 'test rule',
    targets: targetArns.map((arn, i) => ({ id: `t${i + 1}`, arn })),
  };
  rs.rules.set(name, rule);
  return rule;
}

export function putTopic(
  sim: SimServer,
  account: string,
  region: string,
  name: string,
  attributes: Record<string, string> = {},
): SnsTopic {
  const rs = regionState(sim.state, account, region);
  const topic: SnsTopic = {
    arn: `arn:aws:sns:${region}:${account}:${name}`,
    name,
    attributes,
    subscriptions: [],
    tags: {},
  };
  rs.topics.set(topic.arn, topic);
  return topic;
}

/** The CloudTrail record of an AuthorizeSecurityGroupIngress, in today's format. */
export function authorizeRecord(
  account: string,
  region: string,
  groupId: string,
  cidr = '0.0.0.0/0',
  port = 22,
): Record<string, unknown> {
  return {
    eventVersion: '1.10',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    awsRegion: region,
    eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventType: 'AwsApiCall',
    eventCategory: 'Management',
    readOnly: false,
    recipientAccountId: account,
    sourceIPAddress: '203.0.113.9',
    userIdentity: { type: 'AssumedRole', accountId: account, arn: `arn:aws:sts::${account}:assumed-role/Dev/bob` },
    requestParameters: {
      groupId,
      ipPermissions: {
        items: [{ ipProtocol: 'tcp', fromPort: port, toPort: port, ipRanges: { items: [{ cidrIp: cidr }] } }],
      },
    },
    responseElements: {
      _return: true,
      securityGroupRuleSet: {
        items: [
          {
            groupId,
            securityGroupRuleId: 'sgr-0123456789abcdef0',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
          },
        ],
      },
    },
  };
}

export const GUARDRAIL_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['ec2.amazonaws.com'],
    eventName: ['AuthorizeSecurityGroupIngress'],
    errorCode: [{ exists: false }],
  },
};

/**
 * The revert function as the template wires it: `rule` delivers into a queue only that rule may send to, and the
 * queue triggers the function through an event source mapping (the function proves each record on that queue).
 * Named NAME-events, NAME-rule and NAME, with the function role NAME-role; the SDK calls are made as `creds`.
 */
export async function deployBehindQueue(
  sim: SimServer,
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  spec: {
    account: string;
    region: string;
    name: string;
    code: string;
    pattern: unknown;
    environment?: Record<string, string>;
    timeout?: number;
  },
): Promise<LambdaFunction> {
  const { CreateQueueCommand, SetQueueAttributesCommand, SQSClient } = await import('@aws-sdk/client-sqs');
  const { CreateEventSourceMappingCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const { account, region, name } = spec;
  const config = { endpoint: sim.endpoint, region, credentials: { ...creds } };
  const ruleArn = `arn:aws:events:${region}:${account}:rule/${name}-rule`;
  const queueArn = `arn:aws:sqs:${region}:${account}:${name}-events`;
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);
  try {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${name}-events`, Attributes: { VisibilityTimeout: '60' } }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
              },
            ],
          }),
        },
      }),
    );
    const fn = putFunction(sim, account, region, {
      name,
      code: spec.code,
      ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
      environment: {
        GUARDRAIL_SELF_ROLE_ARN: `arn:aws:iam::${account}:role/${name}-role`,
        GUARDRAIL_EVENT_QUEUE_URL: QueueUrl!,
        GUARDRAIL_EVENT_QUEUE_ARN: queueArn,
        ...spec.environment,
      },
    });
    await lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queueArn,
        FunctionName: fn.functionName,
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    putRule(sim, account, region, `${name}-rule`, spec.pattern, [queueArn]);
    return fn;
  } finally {
    sqs.destroy();
    lambda.destroy();
  }
}
