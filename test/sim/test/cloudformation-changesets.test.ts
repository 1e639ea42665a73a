// CloudFormation change sets and intrinsic functions in the simulator, through the real SDK v3 client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeSetNotFoundException,
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { clientConfig, startTestSim } from './helpers.js';
import { allEvents, stackStatuses, waitForChangeSet, waitForStack } from './cloudformation.fixtures.js';

let sim: SimServer;
let cfn: CloudFormationClient;
let mgmt: string;

beforeAll(async () => {
  sim = await startTestSim({ stackMs: 50, accounts: 1 });
  cfn = new CloudFormationClient(clientConfig(sim, 'eu-west-1'));
  mgmt = sim.state.org.managementAccountId;
});
afterAll(async () => {
  cfn.destroy();
  await sim.close();
});

const V1 = JSON.stringify({
  Parameters: { Retention: { Type: 'Number', Default: 7 } },
  Resources: {
    Logs: {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: 'cs-logs', RetentionInDays: { Ref: 'Retention' } },
    },
    Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'cs-queue' } },
  },
  Outputs: { Version: { Value: 'v1' } },
});

describe('change sets', () => {
  it('CREATE on a new stack: REVIEW_IN_PROGRESS, CREATE_PENDING → CREATE_IN_PROGRESS → CREATE_COMPLETE, Add changes, execute', async () => {
    // a slow change set, so that every status is seen over HTTP even on a loaded machine: CREATE_PENDING for the
    // first 15% (750 ms), CREATE_IN_PROGRESS until 40% (2 s); a poll gap over 1.25 s would miss the second
    sim.state.stackMs = 5000;
    const out = await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'cs',
        ChangeSetName: 'create-1',
        ChangeSetType: 'CREATE',
        TemplateBody: V1,
        ClientToken: 'tok-1',
        Tags: [{ Key: 'v', Value: '1' }],
      }),
    );
    expect(out.Id).toMatch(new RegExp(`^arn:aws:cloudformation:eu-west-1:${mgmt}:changeSet/create-1/`));
    expect(out.StackId).toMatch(/:stack\/cs\//);
    // the same ClientToken is a retry: the same change set
    const again = await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'cs',
        ChangeSetName: 'create-1',
        ChangeSetType: 'CREATE',
        TemplateBody: V1,
        ClientToken: 'tok-1',
      }),
    );
    expect(again.Id).toBe(out.Id);
    sim.state.stackMs = 50;
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'cs' }))).Stacks![0]!;
    expect(stack.StackStatus).toBe('REVIEW_IN_PROGRESS');

    const first = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: out.Id }));
    expect(first.Status).toBe('CREATE_PENDING');
    expect(first.ExecutionStatus).toBe('UNAVAILABLE');
    await expect(cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: out.Id }))).rejects.toMatchObject({
      name: 'InvalidChangeSetStatusException',
    });
    const seen = await waitForChangeSet(cfn, 'cs', 'create-1');
    expect(seen).toEqual(['CREATE_PENDING', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const cs = await cfn.send(new DescribeChangeSetCommand({ StackName: 'cs', ChangeSetName: 'create-1' }));
    expect(cs.ExecutionStatus).toBe('AVAILABLE');
    expect(cs.Tags).toEqual([{ Key: 'v', Value: '1' }]);
    expect(cs.Parameters).toEqual([{ ParameterKey: 'Retention', ParameterValue: '7' }]);
    expect(
      cs.Changes?.map((c) => [
        c.Type,
        c.ResourceChange?.Action,
        c.ResourceChange?.LogicalResourceId,
        c.ResourceChange?.ResourceType,
      ]),
    ).toEqual([
      ['Resource', 'Add', 'Logs', 'AWS::Logs::LogGroup'],
      ['Resource', 'Add', 'Queue', 'AWS::SQS::Queue'],
    ]);
    const tpl = await cfn.send(new GetTemplateCommand({ StackName: 'cs', ChangeSetName: 'create-1' }));
    expect(tpl.TemplateBody).toBe(V1);

    await cfn.send(
      new ExecuteChangeSetCommand({ StackName: 'cs', ChangeSetName: 'create-1', ClientRequestToken: 'exec-1' }),
    );
    // a retry with the same token is accepted
    await cfn.send(
      new ExecuteChangeSetCommand({ StackName: 'cs', ChangeSetName: 'create-1', ClientRequestToken: 'exec-1' }),
    );
    const statuses = await waitForStack(cfn, 'cs');
    expect(statuses.pop()).toBe('CREATE_COMPLETE');
    expect(stackStatuses(await allEvents(cfn, 'cs'))).toEqual([
      'REVIEW_IN_PROGRESS',
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
    ]);
    const executed = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: out.Id }));
    expect(executed.ExecutionStatus).toBe('EXECUTE_COMPLETE');
    const events = await allEvents(cfn, 'cs');
    expect(events.every((e) => e.ClientRequestToken === undefined || e.ClientRequestToken === 'exec-1')).toBe(true);
    expect(events.filter((e) => e.ClientRequestToken === 'exec-1').length).toBeGreaterThan(2);
    expect(regionState(sim.state, mgmt, 'eu-west-1').logGroups.get('cs-logs')?.retentionInDays).toBe(7);
  });

  it("a change set without changes FAILS with AWS's reason; CREATE on an existing stack is refused", async () => {
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'cs',
        ChangeSetName: 'same',
        TemplateBody: V1,
        Tags: [{ Key: 'v', Value: '1' }],
      }),
    );
    expect(await waitForChangeSet(cfn, 'cs', 'same')).toContain('FAILED');
    const cs = await cfn.send(new DescribeChangeSetCommand({ StackName: 'cs', ChangeSetName: 'same' }));
    expect(cs.Status).toBe('FAILED');
    expect(cs.StatusReason).toBe(
      "The submitted information didn't contain changes. Submit different information to create a change set.",
    );
    expect(cs.ExecutionStatus).toBe('UNAVAILABLE');
    await cfn.send(new DeleteChangeSetCommand({ StackName: 'cs', ChangeSetName: 'same' }));
    const err = await cfn
      .send(new DescribeChangeSetCommand({ StackName: 'cs', ChangeSetName: 'same' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChangeSetNotFoundException);
    expect((err as Error).message).toBe('ChangeSet [same] does not exist');

    await expect(
      cfn.send(
        new CreateChangeSetCommand({
          StackName: 'cs',
          ChangeSetName: 'again',
          ChangeSetType: 'CREATE',
          TemplateBody: V1,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack [cs] already exists and cannot be created again with the changeSet [again].',
    });
    await expect(
      cfn.send(new CreateChangeSetCommand({ StackName: 'nostack', ChangeSetName: 'u', TemplateBody: V1 })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: 'Stack [nostack] does not exist' });
  });

  it('UPDATE: Modify with Replacement False/True and Remove; executing deletes the other change sets', async () => {
    const v2 = JSON.stringify({
      Parameters: { Retention: { Type: 'Number', Default: 7 } },
      Resources: {
        Logs: {
          Type: 'AWS::Logs::LogGroup',
          Properties: { LogGroupName: 'cs-logs-2', RetentionInDays: { Ref: 'Retention' } },
        },
      },
      Outputs: { Version: { Value: 'v2' } },
    });
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'cs',
        ChangeSetName: 'params-only',
        UsePreviousTemplate: true,
        Tags: [{ Key: 'v', Value: '1' }],
        Parameters: [{ ParameterKey: 'Retention', ParameterValue: '30' }],
      }),
    );
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: 'cs',
        ChangeSetName: 'v2',
        TemplateBody: v2,
        Tags: [{ Key: 'v', Value: '1' }],
      }),
    );
    await waitForChangeSet(cfn, 'cs', 'params-only');
    await waitForChangeSet(cfn, 'cs', 'v2');
    const p = await cfn.send(new DescribeChangeSetCommand({ StackName: 'cs', ChangeSetName: 'params-only' }));
    expect(p.Changes?.map((c) => c.ResourceChange)).toEqual([
      expect.objectContaining({
        Action: 'Modify',
        LogicalResourceId: 'Logs',
        PhysicalResourceId: 'cs-logs',
        Replacement: 'False',
        Scope: ['Properties'],
      }),
    ]);
    const v = await cfn.send(new DescribeChangeSetCommand({ StackName: 'cs', ChangeSetName: 'v2' }));
    expect(
      v.Changes?.map((c) => [
        c.ResourceChange?.Action,
        c.ResourceChange?.LogicalResourceId,
        c.ResourceChange?.Replacement,
      ]),
    ).toEqual([
      ['Modify', 'Logs', 'True'],
      ['Remove', 'Queue', undefined],
    ]);
    const listed = await cfn.send(new ListChangeSetsCommand({ StackName: 'cs' }));
    expect(listed.Summaries?.map((s) => s.ChangeSetName).sort()).toEqual(['create-1', 'params-only', 'v2']);

    await cfn.send(new ExecuteChangeSetCommand({ StackName: 'cs', ChangeSetName: 'v2' }));
    expect((await waitForStack(cfn, 'cs')).pop()).toBe('UPDATE_COMPLETE');
    const rs = regionState(sim.state, mgmt, 'eu-west-1');
    expect(rs.logGroups.has('cs-logs')).toBe(false);
    expect(rs.logGroups.has('cs-logs-2')).toBe(true);
    expect(rs.queues.has('cs-queue')).toBe(false);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'cs' }))).Stacks![0]!;
    expect(stack.Outputs).toEqual([{ OutputKey: 'Version', OutputValue: 'v2' }]);
    const remaining = await cfn.send(new ListChangeSetsCommand({ StackName: 'cs' }));
    expect(remaining.Summaries?.map((s) => [s.ChangeSetName, s.ExecutionStatus])).toEqual([['v2', 'EXECUTE_COMPLETE']]);
    await expect(
      cfn.send(new ExecuteChangeSetCommand({ StackName: 'cs', ChangeSetName: 'params-only' })),
    ).rejects.toBeInstanceOf(ChangeSetNotFoundException);
  });
});

describe('intrinsic functions', () => {
  const TEMPLATE = `
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Zones:
    Type: CommaDelimitedList
    Default: "za,zb,zc"
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
Mappings:
  Sizes:
    dev: { Memory: 128 }
    prod: { Memory: 1024 }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  DevAndTrue: !And [!Condition IsDev, !Equals [a, a]]
  ProdOrDev: !Or [!Condition IsProd, !Condition IsDev]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '\${AWS::StackName}-queue'
  ProdOnly:
    Type: AWS::SNS::Topic
    Condition: IsProd
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Join ['/', ['', logs, !Ref Env]]
      RetentionInDays: !If [IsProd, 30, !Ref AWS::NoValue]
Outputs:
  Ref:
    Value: !Ref Env
  Pseudo:
    Value: !Join ['|', [!Ref AWS::AccountId, !Ref AWS::Region, !Ref AWS::Partition, !Ref AWS::StackName, !Ref AWS::URLSuffix]]
  StackId:
    Value: !Ref AWS::StackId
  QueueRef:
    Value: !Ref Queue
  GetAtt:
    Value: !GetAtt Queue.Arn
  GetAttLong:
    Value: { "Fn::GetAtt": [Queue, QueueName] }
  Sub:
    Value: !Sub '\${AWS::Region}/\${Queue.QueueName}/\${!Literal}/\${Env}'
  SubVars:
    Value: !Sub ['\${A}-\${B}', { A: x, B: !Ref Env }]
  Select:
    Value: !Select [1, !Ref Zones]
  Split:
    Value: !Select [2, !Split [',', 'p,q,r']]
  If:
    Value: !If [IsProd, production, development]
  AndOr:
    Value: !Join [',', [!If [DevAndTrue, and-yes, and-no], !If [ProdOrDev, or-yes, or-no]]]
  NoValueInList:
    Value: !Join [',', [a, !If [IsProd, b, !Ref AWS::NoValue], c]]
  FindInMap:
    Value: !FindInMap [Sizes, !Ref Env, Memory]
  Base64:
    Value: !Base64 hello
  AZ:
    Value: !Select [0, !GetAZs '']
  ProdOnlyOut:
    Condition: IsProd
    Value: !Ref ProdOnly
  Exported:
    Value: shared-value
    Export:
      Name: !Sub '\${AWS::StackName}-shared'
`;

  it('evaluates every intrinsic, pseudo parameter and condition', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'fns', TemplateBody: TEMPLATE }));
    expect((await waitForStack(cfn, 'fns')).pop()).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'fns' }))).Stacks![0]!;
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(out).toEqual({
      Ref: 'dev',
      Pseudo: `${mgmt}|eu-west-1|aws|fns|amazonaws.com`,
      StackId: stack.StackId,
      // queue URLs are on the simulator's endpoint (services/sqs.ts queueUrlOf)
      QueueRef: `${sim.endpoint}/${mgmt}/fns-queue`,
      GetAtt: `arn:aws:sqs:eu-west-1:${mgmt}:fns-queue`,
      GetAttLong: 'fns-queue',
      Sub: 'eu-west-1/fns-queue/${Literal}/dev',
      SubVars: 'x-dev',
      Select: 'zb',
      Split: 'r',
      If: 'development',
      AndOr: 'and-yes,or-yes',
      NoValueInList: 'a,c',
      FindInMap: '128',
      Base64: Buffer.from('hello').toString('base64'),
      AZ: 'eu-west-1a',
      Exported: 'shared-value',
    });
    expect(stack.Outputs?.find((o) => o.OutputKey === 'Exported')?.ExportName).toBe('fns-shared');
    expect(stack.Parameters?.find((p) => p.ParameterKey === 'Secret')?.ParameterValue).toBe('****');
    const rs = regionState(sim.state, mgmt, 'eu-west-1');
    expect(rs.topics.size).toBe(0);
    const logs = rs.logGroups.get('/logs/dev')!;
    expect(logs).toBeDefined();
    expect(logs.retentionInDays).toBeUndefined();
  });

  it("imports another stack's export with Fn::ImportValue, and the prod branch of the conditions", async () => {
    const importer = JSON.stringify({
      Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::ImportValue': 'fns-shared' } } } },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'importer', TemplateBody: importer }));
    expect((await waitForStack(cfn, 'importer')).pop()).toBe('CREATE_COMPLETE');
    expect(regionState(sim.state, mgmt, 'eu-west-1').queues.has('shared-value')).toBe(true);

    await cfn.send(
      new CreateStackCommand({
        StackName: 'fnsprod',
        TemplateBody: TEMPLATE,
        Parameters: [{ ParameterKey: 'Env', ParameterValue: 'prod' }],
      }),
    );
    expect((await waitForStack(cfn, 'fnsprod')).pop()).toBe('CREATE_COMPLETE');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'fnsprod' }))).Stacks![0]!;
    const out = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(out.If).toBe('production');
    expect(out.AndOr).toBe('and-no,or-yes');
    expect(out.NoValueInList).toBe('a,b,c');
    expect(out.FindInMap).toBe('1024');
    expect(out.ProdOnlyOut).toMatch(new RegExp(`^arn:aws:sns:eu-west-1:${mgmt}:fnsprod-ProdOnly-`));
    expect(regionState(sim.state, mgmt, 'eu-west-1').logGroups.get('/logs/prod')?.retentionInDays).toBe(30);
  });

  it('an unknown attribute in Fn::GetAtt is a validation error', async () => {
    const bad = JSON.stringify({
      Resources: {
        Q: { Type: 'AWS::SQS::Queue' },
        L: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: { 'Fn::GetAtt': ['Q', 'Nope'] } } },
      },
    });
    await expect(cfn.send(new CreateStackCommand({ StackName: 'badatt', TemplateBody: bad }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Template error: resource Q does not support attribute type Nope in Fn::GetAtt',
    });
  });
});
