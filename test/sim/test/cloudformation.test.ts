// CloudFormation in the simulator, through the real SDK v3 client over HTTP: stack lifecycle, status sequences,
// resources in the state maps, AWS's exact messages, parameters, capabilities, Retain, isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  InsufficientCapabilitiesException,
  ListStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { packageInlineCode } from '../zip.js';
import { assumeInto, clientConfig, memberIds, startTestSim } from './helpers.js';
import {
  GUARDRAIL_TEMPLATE,
  allEvents,
  isSubsequence,
  stackStatuses,
  waitForStack,
} from './cloudformation.fixtures.js';

let sim: SimServer;
let cfn: CloudFormationClient;
let mgmt: string;
const CAPS = ['CAPABILITY_IAM'] as const;
const STACK_MS = 60;

beforeAll(async () => {
  sim = await startTestSim({ stackMs: STACK_MS, accounts: 2 });
  cfn = new CloudFormationClient(clientConfig(sim));
  mgmt = sim.state.org.managementAccountId;
});
afterAll(async () => {
  cfn.destroy();
  await sim.close();
});

async function expectError(p: Promise<unknown>, name: string, message: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );
  expect(err, `expected ${name}`).toBeDefined();
  expect(err!.name).toBe(name);
  expect(err!.message).toBe(message);
}

describe('stack lifecycle', () => {
  it('creates a stack through CREATE_IN_PROGRESS to CREATE_COMPLETE and writes every resource into the state', async () => {
    // a 1 s operation, so that the checks below land while it is in progress even on a loaded machine
    sim.state.stackMs = 1000;
    const out = await cfn.send(
      new CreateStackCommand({
        StackName: 'guardrail',
        TemplateBody: GUARDRAIL_TEMPLATE,
        Capabilities: [...CAPS],
        Tags: [{ Key: 'guardrail:version', Value: 'abc123' }],
        Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'monitor' }],
      }),
    );
    expect(out.StackId).toMatch(new RegExp(`^arn:aws:cloudformation:us-east-1:${mgmt}:stack/guardrail/[0-9a-f-]{36}$`));
    // nothing exists before the operation completes
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    expect(rs.functions.has('guardrail-us-east-1')).toBe(false);
    sim.state.stackMs = STACK_MS;

    const seen = await waitForStack(cfn, 'guardrail');
    expect(seen[0]).toBe('CREATE_IN_PROGRESS');
    expect(seen[seen.length - 1]).toBe('CREATE_COMPLETE');
    expect(stackStatuses(await allEvents(cfn, 'guardrail'))).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);

    const fn = rs.functions.get('guardrail-us-east-1')!;
    expect(fn).toBeDefined();
    expect(fn.environment).toEqual({ GUARDRAIL_MODE: 'monitor' });
    expect(fn.timeout).toBe(30);
    expect(fn.memorySize).toBe(256);
    expect(fn.codeFileName).toBe('index.js');
    expect(fn.code).toContain('exports.handler');
    expect(fn.codeSha256).toBe(packageInlineCode(fn.code, 'index.js').codeSha256);
    expect(fn.role).toMatch(new RegExp(`^arn:aws:iam::${mgmt}:role/guardrail-FunctionRole-[0-9A-F]{12}$`));
    expect(fn.permissions).toEqual([
      expect.objectContaining({
        principal: 'events.amazonaws.com',
        sourceArn: `arn:aws:events:us-east-1:${mgmt}:rule/guardrail-rule`,
      }),
    ]);
    expect(fn.invokeConfig?.maximumRetryAttempts).toBe(1);
    expect(fn.tags['guardrail:version']).toBe('abc123');
    const rule = rs.rules.get('guardrail-rule')!;
    expect(rule.state).toBe('ENABLED');
    expect(JSON.parse(rule.eventPattern!)).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventName: ['AuthorizeSecurityGroupIngress'] },
    });
    expect(rule.targets).toEqual([{ id: 'fn', arn: fn.functionArn, roleArn: undefined, input: undefined }]);
    expect(rs.logGroups.get('/aws/lambda/guardrail-us-east-1')?.retentionInDays).toBe(14);
    expect([...rs.topics.values()][0]?.attributes.DisplayName).toBe('guardrail alerts');
    const trail = [...rs.trails.values()][0]!;
    expect(trail.isLogging).toBe(true);
    const bucket = sim.state.buckets.get(trail.s3BucketName)!;
    expect(bucket.name).toMatch(/^guardrail-trailbucket-[0-9a-f]{12}$/);
    expect(bucket.objectCount).toBeGreaterThan(0);
    expect(bucket.policy).toBeDefined();
    const role = sim.state.accounts.get(mgmt)!.roles.get(fn.role.split('/').pop()!)!;
    expect(role.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(Object.keys(role.policies)).toEqual(['revoke']);
  });

  it('describes the stack: parameters, tags, outputs, drift information', async () => {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!;
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.Description).toBe('guardrail test stack');
    expect(stack.Parameters).toEqual([
      { ParameterKey: 'Mode', ParameterValue: 'monitor' },
      { ParameterKey: 'Retention', ParameterValue: '14' },
    ]);
    expect(stack.Tags).toEqual([{ Key: 'guardrail:version', Value: 'abc123' }]);
    expect(stack.Capabilities).toEqual(['CAPABILITY_IAM']);
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(stack.DriftInformation?.StackDriftStatus).toBe('NOT_CHECKED');
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.FunctionArn).toBe(`arn:aws:lambda:us-east-1:${mgmt}:function:guardrail-us-east-1`);
    expect(outputs.TopicArn).toMatch(new RegExp(`^arn:aws:sns:us-east-1:${mgmt}:guardrail-Topic-`));
    expect(outputs.Version).toBe('v1');
    // by stack id too
    const byId = (await cfn.send(new DescribeStacksCommand({ StackName: stack.StackId }))).Stacks![0]!;
    expect(byId.StackName).toBe('guardrail');
    // and in the list of all stacks
    const all = (await cfn.send(new DescribeStacksCommand({}))).Stacks!;
    expect(all.map((s) => s.StackName)).toContain('guardrail');
  });

  it('lists resources and returns the template as given', async () => {
    const res = (await cfn.send(new DescribeStackResourcesCommand({ StackName: 'guardrail' }))).StackResources!;
    expect(res.map((r) => r.LogicalResourceId).sort()).toEqual([
      'Function',
      'FunctionRole',
      'InvokeConfig',
      'LogGroup',
      'Permission',
      'Rule',
      'Topic',
      'Trail',
      'TrailBucket',
      'TrailBucketPolicy',
    ]);
    expect(res.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
    expect(res.find((r) => r.LogicalResourceId === 'Function')?.PhysicalResourceId).toBe('guardrail-us-east-1');
    const tpl = await cfn.send(new GetTemplateCommand({ StackName: 'guardrail' }));
    expect(tpl.TemplateBody).toBe(GUARDRAIL_TEMPLATE);
    expect(tpl.StagesAvailable).toEqual(['Original', 'Processed']);
  });

  it('has per-resource events, in dependency order, newest first on the wire', async () => {
    const events = await allEvents(cfn, 'guardrail');
    const fnEvents = events.filter((e) => e.LogicalResourceId === 'Function').map((e) => e.ResourceStatus);
    expect(fnEvents).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const firstOf = (id: string) => events.findIndex((e) => e.LogicalResourceId === id);
    expect(firstOf('FunctionRole')).toBeLessThan(firstOf('Function'));
    expect(firstOf('Function')).toBeLessThan(firstOf('Permission'));
    expect(firstOf('TrailBucketPolicy')).toBeLessThan(firstOf('Trail'));
    const times = events.map((e) => e.Timestamp!.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('rejects a second CreateStack with AlreadyExistsException', async () => {
    const err = await cfn
      .send(
        new CreateStackCommand({ StackName: 'guardrail', TemplateBody: GUARDRAIL_TEMPLATE, Capabilities: [...CAPS] }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsException);
    expect((err as Error).message).toBe('Stack [guardrail] already exists');
  });

  it('updates through UPDATE_IN_PROGRESS, cleanup, UPDATE_COMPLETE; an identical update is "No updates are to be performed."', async () => {
    await expectError(
      cfn.send(
        new UpdateStackCommand({
          StackName: 'guardrail',
          UsePreviousTemplate: true,
          Capabilities: [...CAPS],
          Parameters: [
            { ParameterKey: 'Mode', UsePreviousValue: true },
            { ParameterKey: 'Retention', UsePreviousValue: true },
          ],
        }),
      ),
      'ValidationError',
      'No updates are to be performed.',
    );

    // a 3 s operation: the busy check below is two local calls away, and must land while it is in progress even on a
    // loaded 2-core machine (at STACK_MS the update sometimes finished first)
    sim.state.stackMs = 3000;
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'guardrail',
        TemplateBody: GUARDRAIL_TEMPLATE,
        Capabilities: [...CAPS],
        Parameters: [
          { ParameterKey: 'Mode', ParameterValue: 'enforce' },
          { ParameterKey: 'Retention', ParameterValue: '30' },
        ],
      }),
    );
    sim.state.stackMs = STACK_MS;
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    // a busy stack cannot be updated again
    const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!.StackId!;
    await expectError(
      cfn.send(new UpdateStackCommand({ StackName: 'guardrail', UsePreviousTemplate: true, Capabilities: [...CAPS] })),
      'ValidationError',
      `Stack:${stackId} is in UPDATE_IN_PROGRESS state and can not be updated.`,
    );
    const seen = await waitForStack(cfn, 'guardrail');
    expect(seen[seen.length - 1]).toBe('UPDATE_COMPLETE');
    expect(isSubsequence(seen, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'])).toBe(
      true,
    );
    const statuses = stackStatuses(await allEvents(cfn, 'guardrail'));
    expect(statuses.slice(-3)).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_COMPLETE',
    ]);
    expect(rs.functions.get('guardrail-us-east-1')?.environment.GUARDRAIL_MODE).toBe('enforce');
    expect(rs.logGroups.get('/aws/lambda/guardrail-us-east-1')?.retentionInDays).toBe(30);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!;
    expect(stack.LastUpdatedTime).toBeInstanceOf(Date);
    // tags not given on update are kept
    expect(stack.Tags).toEqual([{ Key: 'guardrail:version', Value: 'abc123' }]);
  });

  it('removes a resource dropped from the template during cleanup', async () => {
    const without = GUARDRAIL_TEMPLATE.replace(/ {2}InvokeConfig:\n(?: {4}.*\n)+/, '');
    expect(without).not.toContain('InvokeConfig');
    await cfn.send(new UpdateStackCommand({ StackName: 'guardrail', TemplateBody: without, Capabilities: [...CAPS] }));
    await waitForStack(cfn, 'guardrail');
    const events = await allEvents(cfn, 'guardrail');
    expect(
      events
        .filter((e) => e.LogicalResourceId === 'InvokeConfig')
        .slice(-2)
        .map((e) => e.ResourceStatus),
    ).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(
      regionState(sim.state, mgmt, 'us-east-1').functions.get('guardrail-us-east-1')?.invokeConfig,
    ).toBeUndefined();
  });

  it('deletes a stack; Retain keeps the bucket and its logs; the name is gone but the id still describes', async () => {
    const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!.StackId!;
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    const bucketName = [...rs.trails.values()][0]!.s3BucketName;
    // a 1 s deletion, so that DELETE_IN_PROGRESS is seen even on a loaded machine
    sim.state.stackMs = 1000;
    await cfn.send(new DeleteStackCommand({ StackName: 'guardrail' }));
    sim.state.stackMs = STACK_MS;
    const seen: string[] = [];
    for (;;) {
      const s = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks![0]!;
      if (seen[seen.length - 1] !== s.StackStatus) seen.push(s.StackStatus!);
      if (s.StackStatus === 'DELETE_COMPLETE') {
        expect(s.DeletionTime).toBeInstanceOf(Date);
        break;
      }
      await new Promise((r) => setTimeout(r, 3));
    }
    expect(seen).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    await expectError(
      cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' })),
      'ValidationError',
      'Stack with id guardrail does not exist',
    );
    expect(rs.functions.size).toBe(0);
    expect(rs.rules.size).toBe(0);
    expect(rs.trails.size).toBe(0);
    expect(rs.logGroups.size).toBe(0);
    expect(sim.state.buckets.get(bucketName)?.objectCount).toBeGreaterThan(0);
    const events = await allEvents(cfn, stackId);
    expect(
      events.find((e) => e.LogicalResourceId === 'TrailBucket' && e.ResourceStatus === 'DELETE_SKIPPED'),
    ).toBeDefined();
    // deleting again is fine
    await cfn.send(new DeleteStackCommand({ StackName: 'guardrail' }));
    // ListStacks still shows it
    const list = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(list.StackSummaries?.map((s) => s.StackId)).toContain(stackId);
    const live = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    expect(live.StackSummaries?.map((s) => s.StackId)).not.toContain(stackId);
  });

  it('a bucket holding logs without Retain fails the delete (DELETE_FAILED), as S3 refuses', async () => {
    const tpl = GUARDRAIL_TEMPLATE.replace('    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n', '');
    await cfn.send(new CreateStackCommand({ StackName: 'noretain', TemplateBody: tpl, Capabilities: [...CAPS] }));
    await waitForStack(cfn, 'noretain');
    // the first stack's retained function name is free again, so this one could create it
    await cfn.send(new DeleteStackCommand({ StackName: 'noretain' }));
    const seen = await waitForStack(cfn, 'noretain');
    expect(seen[seen.length - 1]).toBe('DELETE_FAILED');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'noretain' }))).Stacks![0]!;
    expect(stack.StackStatusReason).toBe('The following resource(s) failed to delete: [TrailBucket]. ');
    const res = (await cfn.send(new DescribeStackResourcesCommand({ StackName: 'noretain' }))).StackResources!;
    expect(res.map((r) => [r.LogicalResourceId, r.ResourceStatus])).toEqual([['TrailBucket', 'DELETE_FAILED']]);
    expect(res[0]!.ResourceStatusReason).toContain('The bucket you tried to delete is not empty');
    // retaining it lets the delete finish
    await cfn.send(new DeleteStackCommand({ StackName: 'noretain', RetainResources: ['TrailBucket'] }));
    await waitForStack(cfn, stack.StackId!);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: stack.StackId }))).Stacks![0]!.StackStatus).toBe(
      'DELETE_COMPLETE',
    );
  });
});

describe('validation', () => {
  it('requires CAPABILITY_IAM for IAM resources and CAPABILITY_NAMED_IAM for named ones', async () => {
    const err = await cfn
      .send(new CreateStackCommand({ StackName: 'nocaps', TemplateBody: GUARDRAIL_TEMPLATE }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapabilitiesException);
    expect((err as Error).message).toBe('Requires capabilities : [CAPABILITY_IAM]');
    const named = GUARDRAIL_TEMPLATE.replace(
      '    Properties:\n      AssumeRolePolicyDocument:',
      '    Properties:\n      RoleName: guardrail-role\n      AssumeRolePolicyDocument:',
    );
    await expectError(
      cfn.send(new CreateStackCommand({ StackName: 'nocaps', TemplateBody: named, Capabilities: ['CAPABILITY_IAM'] })),
      'InsufficientCapabilitiesException',
      'Requires capabilities : [CAPABILITY_NAMED_IAM]',
    );
    // nothing was created
    await expectError(
      cfn.send(new DescribeStacksCommand({ StackName: 'nocaps' })),
      'ValidationError',
      'Stack with id nocaps does not exist',
    );
  });

  const PARAMS = JSON.stringify({
    Parameters: {
      Env: { Type: 'String', AllowedValues: ['dev', 'prod'] },
      Count: { Type: 'Number', Default: 2, MinValue: 1, MaxValue: 5 },
      Name: { Type: 'String', Default: 'abc', AllowedPattern: '[a-z]+', MinLength: 2, MaxLength: 6 },
      Described: { Type: 'String', Default: 'x', AllowedValues: ['x'], ConstraintDescription: 'must be x' },
    },
    Resources: { Q: { Type: 'AWS::SQS::Queue' } },
  });
  it.each([
    [[], 'Parameters: [Env] must have values'],
    [[['Env', 'test']], "Parameter 'Env' must be one of AllowedValues"],
    [
      [
        ['Env', 'dev'],
        ['Count', 'many'],
      ],
      "Parameter 'Count' must be a number",
    ],
    [
      [
        ['Env', 'dev'],
        ['Count', '9'],
      ],
      "Parameter 'Count' must be a number not greater than 5",
    ],
    [
      [
        ['Env', 'dev'],
        ['Count', '0'],
      ],
      "Parameter 'Count' must be a number not less than 1",
    ],
    [
      [
        ['Env', 'dev'],
        ['Name', 'ABC'],
      ],
      "Parameter 'Name' must match pattern [a-z]+",
    ],
    [
      [
        ['Env', 'dev'],
        ['Name', 'a'],
      ],
      "Parameter 'Name' must contain at least 2 characters",
    ],
    [
      [
        ['Env', 'dev'],
        ['Name', 'abcdefgh'],
      ],
      "Parameter 'Name' must contain at most 6 characters",
    ],
    [
      [
        ['Env', 'dev'],
        ['Described', 'y'],
      ],
      'Parameter Described failed to satisfy constraint: must be x',
    ],
    [
      [
        ['Env', 'dev'],
        ['Nope', 'y'],
      ],
      'Parameters: [Nope] do not exist in the template',
    ],
  ])('parameters %j → %s', async (given, message) => {
    await expectError(
      cfn.send(
        new CreateStackCommand({
          StackName: 'params',
          TemplateBody: PARAMS,
          Parameters: given.map(([k, v]) => ({ ParameterKey: k, ParameterValue: v })),
        }),
      ),
      'ValidationError',
      message,
    );
  });

  it('rejects malformed templates and bad names', async () => {
    await expectError(
      cfn.send(new CreateStackCommand({ StackName: 'bad', TemplateBody: 'Resources: {}' })),
      'ValidationError',
      'Template format error: At least one Resources member must be defined.',
    );
    await expectError(
      cfn.send(new CreateStackCommand({ StackName: 'bad', TemplateBody: 'Resources:\n  A:\n    Properties: {}\n' })),
      'ValidationError',
      'Template format error: [/Resources/A] Every Resources object must contain a Type member.',
    );
    await expectError(
      cfn.send(
        new CreateStackCommand({
          StackName: 'bad',
          TemplateBody: 'Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Missing\n',
        }),
      ),
      'ValidationError',
      'Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template',
    );
    await expectError(
      cfn.send(new CreateStackCommand({ StackName: '1bad', TemplateBody: PARAMS })),
      'ValidationError',
      "1 validation error detected: Value '1bad' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*",
    );
    const big = await cfn
      .send(new CreateStackCommand({ StackName: 'big', TemplateBody: `# ${'x'.repeat(51_200)}\n${PARAMS}` }))
      .catch((e: unknown) => e as Error);
    expect((big as Error).name).toBe('ValidationError');
    expect((big as Error).message).toMatch(
      /at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200$/,
    );
  });
});

describe('failures', () => {
  it('an unsupported resource type fails the stack with a reason naming the type, and rolls back', async () => {
    const tpl = JSON.stringify({
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'before-foo' } },
        Foo: { Type: 'AWS::Foo::Bar', DependsOn: 'Queue', Properties: { X: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'unsupported', TemplateBody: tpl }));
    const seen = await waitForStack(cfn, 'unsupported');
    expect(seen[seen.length - 1]).toBe('ROLLBACK_COMPLETE');
    const events = await allEvents(cfn, 'unsupported');
    const failed = events.find((e) => e.ResourceStatus === 'CREATE_FAILED')!;
    expect(failed.LogicalResourceId).toBe('Foo');
    expect(failed.ResourceStatusReason).toContain('AWS::Foo::Bar');
    expect(stackStatuses(events)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(events.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'The following resource(s) failed to create: [Foo]. Rollback requested by user.',
    );
    expect(events.filter((e) => e.LogicalResourceId === 'Queue').map((e) => e.ResourceStatus)).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'DELETE_IN_PROGRESS',
      'DELETE_COMPLETE',
    ]);
    expect(regionState(sim.state, mgmt, 'us-east-1').queues.has('before-foo')).toBe(false);
  });

  it("a name already taken fails the resource with CloudFormation's reason", async () => {
    const tpl = JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'taken' } } } });
    await cfn.send(new CreateStackCommand({ StackName: 'taken1', TemplateBody: tpl }));
    await waitForStack(cfn, 'taken1');
    await cfn.send(new CreateStackCommand({ StackName: 'taken2', TemplateBody: tpl }));
    expect((await waitForStack(cfn, 'taken2')).pop()).toBe('ROLLBACK_COMPLETE');
    const failed = (await allEvents(cfn, 'taken2')).find((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toBe(
      "Resource of type 'AWS::SQS::Queue' with identifier 'taken' already exists.",
    );
  });
});

describe('isolation', () => {
  it("a stack made with one account's credentials is invisible to another, which can use the same name", async () => {
    const member = memberIds(sim)[0]!;
    const creds = await assumeInto(sim, member);
    const other = new CloudFormationClient(clientConfig(sim, 'us-east-1', creds));
    try {
      const tpl = JSON.stringify({
        Resources: { Q: { Type: 'AWS::SQS::Queue' } },
        Outputs: { A: { Value: { Ref: 'AWS::AccountId' } } },
      });
      await cfn.send(new CreateStackCommand({ StackName: 'iso', TemplateBody: tpl }));
      await expectError(
        other.send(new DescribeStacksCommand({ StackName: 'iso' })),
        'ValidationError',
        'Stack with id iso does not exist',
      );
      const mine = (await cfn.send(new DescribeStacksCommand({ StackName: 'iso' }))).Stacks![0]!.StackId!;
      await expectError(
        other.send(new DescribeStacksCommand({ StackName: mine })),
        'ValidationError',
        `Stack with id ${mine} does not exist`,
      );
      expect((await other.send(new ListStacksCommand({}))).StackSummaries ?? []).toEqual([]);
      await other.send(new CreateStackCommand({ StackName: 'iso', TemplateBody: tpl }));
      await waitForStack(other, 'iso');
      const theirs = (await other.send(new DescribeStacksCommand({ StackName: 'iso' }))).Stacks![0]!;
      expect(theirs.StackId).toContain(`:${member}:stack/iso/`);
      expect(theirs.Outputs?.[0]?.OutputValue).toBe(member);
      expect(regionState(sim.state, member, 'us-east-1').queues.size).toBe(1);
      // another region is another namespace too
      const west = new CloudFormationClient(clientConfig(sim, 'us-west-2', creds));
      await expectError(
        west.send(new DescribeStacksCommand({ StackName: 'iso' })),
        'ValidationError',
        'Stack with id iso does not exist',
      );
      west.destroy();
    } finally {
      other.destroy();
    }
  });
});
