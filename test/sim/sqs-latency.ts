// `npx tsx test/sim/sqs-latency.ts [--runs 20]`
// The closed loop's new path in the simulator: EC2 AuthorizeSecurityGroupIngress → CloudTrail event → EventBridge
// rule → SQS queue (its policy allows only the rule) → event source mapping → a tiny function. Measures, per call,
// the time from just before the EC2 call is sent to (a) the handler's first line (the function reports Date.now(),
// which runs on the simulator's clock) and (b) the invocation being recorded in the region state. One cold run, then
// `--runs` warm ones; prints each and the medians.
import { parseArgs } from 'node:util';
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { startSim } from './sim.js';
import { regionState } from './state.js';
import { whenLoopIdle } from './loop.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const RUNS = Number(values.runs);
const REGION = 'us-east-1';
const creds = { accessKeyId: 'AKIDLATENCY', secretAccessKey: 'x' };

const TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'latency', VisibilityTimeout: 30 } },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'latency',
        State: 'ENABLED',
        EventPattern: {
          source: ['aws.ec2'],
          'detail-type': ['AWS API Call via CloudTrail'],
          detail: { eventName: ['AuthorizeSecurityGroupIngress'] },
        },
        Targets: [{ Id: 'q', Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } }],
      },
    },
    Policy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'Queue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['Rule', 'Arn'] } } },
            },
          ],
        },
      },
    },
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
        FunctionName: 'latency',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Timeout: 10,
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Code: { ZipFile: 'exports.handler = async (event) => ({ at: Date.now(), n: event.Records.length });' },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { Ref: 'Fn' } },
    },
  },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const sim = await startSim({ seed: 1, stackMs: 20, accounts: 1 });
try {
  const mgmt = sim.state.org.managementAccountId;
  const cfg = { endpoint: sim.endpoint, region: REGION, credentials: creds };
  const cfn = new CloudFormationClient(cfg);
  await cfn.send(
    new CreateStackCommand({ StackName: 'latency', TemplateBody: TEMPLATE, Capabilities: ['CAPABILITY_IAM'] }),
  );
  for (;;) {
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: 'latency' }))).Stacks?.[0]?.StackStatus;
    if (s === 'CREATE_COMPLETE') break;
    if (!s?.endsWith('IN_PROGRESS')) throw new Error(`stack ${s}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ec2 = new EC2Client(cfg);
  const groupId = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.GroupId!;
  const rs = regionState(sim.state, mgmt, REGION);
  const toHandler: number[] = [];
  const toRecorded: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const before = rs.invocations.length;
    const t0 = sim.state.clock.now();
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 1000 + i, ToPort: 1000 + i, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    while (rs.invocations.length === before) await new Promise((r) => setImmediate(r));
    const recorded = sim.state.clock.now() - t0;
    const inv = rs.invocations[before]!;
    if (inv.status !== 'succeeded') throw new Error(`invocation failed: ${JSON.stringify(inv.error)}`);
    const handler = (inv.result as { at: number }).at - t0;
    await whenLoopIdle(sim.state);
    console.log(
      `${i === 0 ? 'cold' : `warm ${String(i).padStart(2)}`}: handler entered after ${handler} ms, invocation recorded after ${recorded} ms`,
    );
    if (i > 0) {
      toHandler.push(handler);
      toRecorded.push(recorded);
    }
  }
  console.log(
    `median of ${RUNS} warm runs: handler entered ${median(toHandler)} ms, invocation recorded ${median(toRecorded)} ms ` +
      `(min ${Math.min(...toHandler)}, max ${Math.max(...toHandler)} ms to the handler)`,
  );
  cfn.destroy();
  ec2.destroy();
} finally {
  await sim.close();
}
