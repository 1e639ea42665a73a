// The CloudFormation engine's parts: the inline-code zip, YAML short tags, the sweeper that applies finished
// operations without a read, and the cost of holding 2,000 stacks.
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { createState } from '../sim.js';
import { regionState } from '../state.js';
import { cloudformation } from '../services/cloudformation.js';
import type { ServiceContext, SimRequest } from '../types.js';
import { crc32, packageInlineCode, zipSingleFile } from '../zip.js';
import { parseTemplate } from '../cfn/template.js';
import type { SimServer } from '../server.js';
import { clientConfig, startTestSim } from './helpers.js';
import { sleep } from './cloudformation.fixtures.js';
import { testSeed } from './seed.js';

describe('inline code zip', () => {
  it('is a valid single-entry zip, byte-for-byte stable, with CodeSha256 = base64(sha256(zip))', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const code = 'exports.handler = async () => ({ ok: true });\n'.repeat(50);
    const zip = zipSingleFile('index.js', code);
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const nameLen = zip.readUInt16LE(26);
    const compressedLen = zip.readUInt32LE(18);
    expect(zip.subarray(30, 30 + nameLen).toString()).toBe('index.js');
    expect(inflateRawSync(zip.subarray(30 + nameLen, 30 + nameLen + compressedLen)).toString()).toBe(code);
    expect(zip.readUInt32LE(14)).toBe(crc32(Buffer.from(code)));
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
    const a = packageInlineCode(code);
    const b = packageInlineCode(code);
    expect(a.zip.equals(b.zip)).toBe(true);
    expect(a.codeSha256).toBe(b.codeSha256);
    expect(a.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(a.codeSize).toBe(a.zip.length);
    expect(packageInlineCode(`${code} `).codeSha256).not.toBe(a.codeSha256);
  });
});

describe('template parsing', () => {
  it('turns YAML short-form tags into the long form', () => {
    const t = parseTemplate(`
Conditions:
  C: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  A:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '\${AWS::StackName}-x'
      Tags:
        - Key: k
          Value: !If [C, !GetAtt B.Arn, !Join ['', [!Select [0, !Split [',', 'a,b']]]]]
        - Key: n
          Value: !Not [!Condition C]
  B:
    Type: AWS::SNS::Topic
`);
    expect(t.conditions.C).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    const tags = t.resources.A!.Properties!.Tags as { Value: unknown }[];
    expect(tags[0]!.Value).toEqual({
      'Fn::If': [
        'C',
        { 'Fn::GetAtt': ['B', 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] }]] },
      ],
    });
    expect(tags[1]!.Value).toEqual({ 'Fn::Not': [{ Condition: 'C' }] });
    // B is referenced by A, so it comes first
    expect(t.order).toEqual(['B', 'A']);
  });

  it("rejects circular dependencies and broken YAML with CloudFormation's messages", () => {
    expect(() =>
      parseTemplate(
        JSON.stringify({
          Resources: { A: { Type: 'AWS::SQS::Queue', DependsOn: 'B' }, B: { Type: 'AWS::SQS::Queue', DependsOn: 'A' } },
        }),
      ),
    ).toThrow('Circular dependency between resources: [A, B]');
    expect(() => parseTemplate('Resources:\n  A: [unclosed\n')).toThrow(
      /^Template format error: YAML not well-formed\. \(line \d+, column \d+\)$/,
    );
  });
});

describe('the sweeper', () => {
  let sim: SimServer | undefined;
  afterAll(async () => {
    await sim?.close();
  });

  it('applies a finished operation to the state maps even when nobody reads the stack', async () => {
    // 1 s, so that the first check lands before the operation ends even on a loaded machine
    sim = await startTestSim({ stackMs: 1000, accounts: 1 });
    const cfn = new CloudFormationClient(clientConfig(sim));
    const tpl = JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'swept' } } } });
    await cfn.send(new CreateStackCommand({ StackName: 'sweep', TemplateBody: tpl }));
    cfn.destroy();
    const rs = regionState(sim.state, sim.state.org.managementAccountId, 'us-east-1');
    expect(rs.queues.has('swept')).toBe(false);
    // nobody calls the simulator from here on: only its sweeper can apply the operation (generous deadline)
    const deadline = Date.now() + 20_000;
    while (!rs.queues.has('swept') && Date.now() < deadline) await sleep(20);
    expect(rs.queues.has('swept')).toBe(true);
  });
});

/** A 12-resource stack like guardrail's, with generated names so that thousands fit in one account and region. */
const PERF_TEMPLATE = JSON.stringify({
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Timeout: 30,
        Environment: { Variables: { MODE: 'enforce' } },
        Code: { ZipFile: `exports.handler = async (e) => e; // ${'x'.repeat(30_000)}` },
      },
    },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        State: 'ENABLED',
        EventPattern: { source: ['aws.ec2'] },
        Targets: [{ Id: 'f', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }],
      },
    },
    Perm: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { Ref: 'Fn' },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] },
      },
    },
    Invoke: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: { FunctionName: { Ref: 'Fn' }, Qualifier: '$LATEST', MaximumRetryAttempts: 0 },
    },
    Topic: { Type: 'AWS::SNS::Topic' },
    Sub: {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'email', Endpoint: 'sec@example.com' },
    },
    Queue: { Type: 'AWS::SQS::Queue' },
    Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' },
    Policy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: { Bucket: { Ref: 'Bucket' }, PolicyDocument: { Statement: [] } },
    },
    Trail: {
      Type: 'AWS::CloudTrail::Trail',
      DependsOn: 'Policy',
      Properties: { S3BucketName: { Ref: 'Bucket' }, IsLogging: true },
    },
  },
  Outputs: { Fn: { Value: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
});

describe('scale', () => {
  it('holds 2,000 stacks of 12 resources; a call costs the same with 2,000 stacks as with a few', () => {
    const state = createState({ stackMs: 0, accounts: 1, seed: testSeed() });
    const account = state.org.managementAccountId;
    const ctx: ServiceContext = { state, endpoint: 'http://127.0.0.1:0', now: () => Date.now() };
    let n = 0;
    const call = (operation: string, input: Record<string, unknown>) => {
      const req: SimRequest = {
        service: 'cloudformation',
        region: 'us-east-1',
        operation,
        input,
        method: 'POST',
        path: '/',
        query: new URLSearchParams(),
        headers: {},
        rawBody: '',
        requestId: String(++n),
        caller: {
          accessKeyId: 'AKID',
          accountId: account,
          arn: `arn:aws:iam::${account}:root`,
          assumedRole: false,
          userId: account,
        },
      };
      return cloudformation.handle(ctx, req) as Record<string, unknown>;
    };
    // the cheapest of five batches of 100 calls: a machine busy with other work (or a GC pause) slows some batches,
    // and the minimum is what the call itself costs
    const describeCost = (name: string) => {
      let best = Infinity;
      for (let batch = 0; batch < 5; batch++) {
        const t0 = performance.now();
        for (let i = 0; i < 100; i++) call('DescribeStacks', { StackName: name });
        best = Math.min(best, (performance.now() - t0) / 100);
      }
      return best;
    };

    for (let i = 0; i < 5; i++)
      call('CreateStack', { StackName: `s${i}`, TemplateBody: PERF_TEMPLATE, Capabilities: ['CAPABILITY_IAM'] });
    const small = describeCost('s3');
    const t0 = performance.now();
    for (let i = 5; i < 2000; i++)
      call('CreateStack', { StackName: `s${i}`, TemplateBody: PERF_TEMPLATE, Capabilities: ['CAPABILITY_IAM'] });
    const createMs = (performance.now() - t0) / 1995;
    const large = describeCost('s1500');
    const rs = regionState(state, account, 'us-east-1');
    expect(rs.functions.size).toBe(2000);
    expect(rs.rules.size).toBe(2000);
    expect(state.buckets.size).toBe(2000);
    const out = call('DescribeStacks', { StackName: 's1999' }) as { Stacks: { StackStatus: string }[] };
    expect(out.Stacks[0]!.StackStatus).toBe('CREATE_COMPLETE');
    // the per-call cost must not grow with the number of stacks (generous bound against noise on a shared machine)
    expect(large).toBeLessThan(Math.max(small * 5, 0.5));
    const heapMb = process.memoryUsage().heapUsed / 1e6;
    console.log(
      `cfn scale: CreateStack ${createMs.toFixed(3)} ms/stack (12 resources), DescribeStacks ${small.toFixed(3)} ms at 5 stacks, ` +
        `${large.toFixed(3)} ms at 2000 stacks, heap ${heapMb.toFixed(0)} MB`,
    );
  });
});
