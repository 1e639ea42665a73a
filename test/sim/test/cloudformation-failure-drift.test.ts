// CloudFormation in the simulator: injected stack failures and rollback, ROLLBACK_COMPLETE only deletable, drift.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  UpdateStackCommand,
  type Capability,
  type DescribeStackDriftDetectionStatusCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { clientConfig, startTestSim } from './helpers.js';
import {
  GUARDRAIL_TEMPLATE,
  allEvents,
  isSubsequence,
  sleep,
  stackStatuses,
  waitForStack,
} from './cloudformation.fixtures.js';

let sim: SimServer;
let cfn: CloudFormationClient;
let west: CloudFormationClient;
let mgmt: string;
const CAPS: Capability[] = ['CAPABILITY_IAM'];

beforeAll(async () => {
  sim = await startTestSim({ stackMs: 50, accounts: 1 });
  cfn = new CloudFormationClient(clientConfig(sim, 'us-east-1'));
  west = new CloudFormationClient(clientConfig(sim, 'us-west-2'));
  mgmt = sim.state.org.managementAccountId;
});
afterAll(async () => {
  cfn.destroy();
  west.destroy();
  await sim.close();
});

async function setFaults(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sim.endpoint}/_sim/faults`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe('failure and rollback', () => {
  it('a failing create rolls back to ROLLBACK_COMPLETE, leaves nothing behind, and can only be deleted', async () => {
    await setFaults({ failStack: [mgmt] });
    await cfn.send(
      new CreateStackCommand({ StackName: 'failing', TemplateBody: GUARDRAIL_TEMPLATE, Capabilities: CAPS }),
    );
    const seen = await waitForStack(cfn, 'failing');
    expect(seen.pop()).toBe('ROLLBACK_COMPLETE');
    const events = await allEvents(cfn, 'failing');
    expect(stackStatuses(events)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    const failed = events.filter((e) => e.ResourceStatus === 'CREATE_FAILED');
    expect(failed.map((e) => e.LogicalResourceId)).toEqual(['Function']);
    expect(failed[0]!.ResourceStatusReason).toMatch(
      /^Resource handler returned message: "The role defined for the function cannot be assumed by Lambda\./,
    );
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'failing' }))).Stacks![0]!;
    expect(stack.StackStatusReason).toBeUndefined();
    expect(events.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'The following resource(s) failed to create: [Function]. Rollback requested by user.',
    );
    // the role was created before the function, then deleted by the rollback
    expect(events.filter((e) => e.LogicalResourceId === 'FunctionRole').map((e) => e.ResourceStatus)).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'DELETE_IN_PROGRESS',
      'DELETE_COMPLETE',
    ]);
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    expect(rs.functions.size + rs.rules.size + rs.logGroups.size + rs.trails.size + rs.topics.size).toBe(0);
    expect(sim.state.accounts.get(mgmt)!.roles.size).toBe(0);
    expect((await cfn.send(new DescribeStackResourcesCommand({ StackName: 'failing' }))).StackResources).toEqual([]);

    const message = `Stack:${stack.StackId} is in ROLLBACK_COMPLETE state and can not be updated.`;
    await expect(
      cfn.send(new UpdateStackCommand({ StackName: 'failing', UsePreviousTemplate: true, Capabilities: CAPS })),
    ).rejects.toMatchObject({ name: 'ValidationError', message });
    await expect(
      cfn.send(
        new CreateChangeSetCommand({
          StackName: 'failing',
          ChangeSetName: 'u',
          UsePreviousTemplate: true,
          Capabilities: CAPS,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message });
    await cfn.send(new DeleteStackCommand({ StackName: 'failing' }));
    await waitForStack(cfn, stack.StackId!);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: stack.StackId }))).Stacks![0]!.StackStatus).toBe(
      'DELETE_COMPLETE',
    );
    await setFaults({ failStack: [] });
  });

  it('a failing update (ACCOUNT:REGION fault) rolls back through UPDATE_ROLLBACK_* and keeps the old resources', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'upd', TemplateBody: GUARDRAIL_TEMPLATE, Capabilities: CAPS }));
    expect((await waitForStack(cfn, 'upd')).pop()).toBe('CREATE_COMPLETE');
    await setFaults({ failStack: [`${mgmt}:us-east-1`] });
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'upd',
        UsePreviousTemplate: true,
        Capabilities: CAPS,
        Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'monitor' }],
      }),
    );
    const seen = await waitForStack(cfn, 'upd');
    expect(seen.pop()).toBe('UPDATE_ROLLBACK_COMPLETE');
    const statuses = stackStatuses(await allEvents(cfn, 'upd'));
    expect(statuses).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_COMPLETE',
      'UPDATE_IN_PROGRESS',
      'UPDATE_ROLLBACK_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE',
    ]);
    expect(isSubsequence(seen, statuses)).toBe(true);
    const events = await allEvents(cfn, 'upd');
    const failed = events.find((e) => e.ResourceStatus === 'UPDATE_FAILED')!;
    expect(failed.LogicalResourceId).toBe('Function');
    expect(events.find((e) => e.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe(
      'The following resource(s) failed to update: [Function]. ',
    );
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    expect(rs.functions.get('guardrail-us-east-1')?.environment.GUARDRAIL_MODE).toBe('enforce');
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'upd' }))).Stacks![0]!;
    expect(stack.Parameters?.find((p) => p.ParameterKey === 'Mode')?.ParameterValue).toBe('enforce');

    // the other region is not affected by an ACCOUNT:REGION fault
    const tpl = JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } });
    await west.send(new CreateStackCommand({ StackName: 'west', TemplateBody: tpl }));
    expect((await waitForStack(west, 'west')).pop()).toBe('CREATE_COMPLETE');

    // UPDATE_ROLLBACK_COMPLETE can be updated again once the fault is gone
    await setFaults({ failStack: [] });
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'upd',
        UsePreviousTemplate: true,
        Capabilities: CAPS,
        Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'monitor' }],
      }),
    );
    expect((await waitForStack(cfn, 'upd')).pop()).toBe('UPDATE_COMPLETE');
    expect(rs.functions.get('guardrail-us-east-1')?.environment.GUARDRAIL_MODE).toBe('monitor');
  });
});

async function detect(
  client: CloudFormationClient,
  stackName: string,
): Promise<{ seen: string[]; last: DescribeStackDriftDetectionStatusCommandOutput }> {
  const { StackDriftDetectionId } = await client.send(new DetectStackDriftCommand({ StackName: stackName }));
  expect(StackDriftDetectionId).toBeTruthy();
  const seen: string[] = [];
  for (;;) {
    const out = await client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    if (seen[seen.length - 1] !== out.DetectionStatus) seen.push(out.DetectionStatus!);
    if (out.DetectionStatus !== 'DETECTION_IN_PROGRESS') return { seen, last: out };
    await sleep(2);
  }
}

describe('drift', () => {
  it('an untouched stack is IN_SYNC; a disabled rule, a changed variable and a deleted log group are drift', async () => {
    // detection takes 20% of stackMs: 400 ms here, so that DETECTION_IN_PROGRESS is seen even on a loaded machine
    sim.state.stackMs = 2000;
    const first = await detect(cfn, 'upd');
    sim.state.stackMs = 50;
    expect(first.seen).toEqual(['DETECTION_IN_PROGRESS', 'DETECTION_COMPLETE']);
    expect(first.last.StackDriftStatus).toBe('IN_SYNC');
    expect(first.last.DriftedStackResourceCount).toBe(0);
    const inSync = (await cfn.send(new DescribeStackResourceDriftsCommand({ StackName: 'upd' }))).StackResourceDrifts!;
    expect(inSync.every((d) => d.StackResourceDriftStatus === 'IN_SYNC')).toBe(true);
    // AWS::Lambda::Permission does not support drift detection: not checked, not listed
    expect(inSync.map((d) => d.LogicalResourceId)).not.toContain('Permission');
    expect(inSync.map((d) => d.LogicalResourceId)).toContain('Rule');
    const resources = (await cfn.send(new DescribeStackResourcesCommand({ StackName: 'upd' }))).StackResources!;
    expect(
      resources.find((r) => r.LogicalResourceId === 'Permission')?.DriftInformation?.StackResourceDriftStatus,
    ).toBe('NOT_CHECKED');
    let stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'upd' }))).Stacks![0]!;
    expect(stack.DriftInformation?.StackDriftStatus).toBe('IN_SYNC');
    expect(stack.DriftInformation?.LastCheckTimestamp).toBeInstanceOf(Date);

    // out-of-band changes: DisableRule and UpdateFunctionConfiguration through the SDK; the code and the log group
    // (the simulator has no CloudWatch Logs API) straight in the state
    const events = new EventBridgeClient(clientConfig(sim, 'us-east-1'));
    const lambda = new LambdaClient(clientConfig(sim, 'us-east-1'));
    await events.send(new DisableRuleCommand({ Name: 'guardrail-rule' }));
    const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'guardrail-us-east-1' }));
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'guardrail-us-east-1',
        Environment: { Variables: { ...current.Environment?.Variables, GUARDRAIL_MODE: 'enforce', EXTRA: '1' } },
      }),
    );
    events.destroy();
    lambda.destroy();
    const rs = regionState(sim.state, mgmt, 'us-east-1');
    const fn = rs.functions.get('guardrail-us-east-1')!;
    fn.code = 'exports.handler = async () => "changed code is not drift";';
    rs.logGroups.delete('/aws/lambda/guardrail-us-east-1');

    const second = await detect(cfn, 'upd');
    expect(second.last.StackDriftStatus).toBe('DRIFTED');
    expect(second.last.DriftedStackResourceCount).toBe(3);
    const drifts = (
      await cfn.send(
        new DescribeStackResourceDriftsCommand({
          StackName: 'upd',
          StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
        }),
      )
    ).StackResourceDrifts!;
    const by = Object.fromEntries(drifts.map((d) => [d.LogicalResourceId ?? '', d]));
    expect(Object.keys(by).sort()).toEqual(['Function', 'LogGroup', 'Rule']);
    expect(by.Rule!.StackResourceDriftStatus).toBe('MODIFIED');
    expect(by.Rule!.PropertyDifferences).toEqual([
      { PropertyPath: '/State', ExpectedValue: 'ENABLED', ActualValue: 'DISABLED', DifferenceType: 'NOT_EQUAL' },
    ]);
    expect(JSON.parse(by.Rule!.ExpectedProperties!)).toMatchObject({ State: 'ENABLED' });
    expect(JSON.parse(by.Rule!.ActualProperties!)).toMatchObject({ State: 'DISABLED' });
    expect(by.Function!.PropertyDifferences).toEqual([
      {
        PropertyPath: '/Environment/Variables/GUARDRAIL_MODE',
        ExpectedValue: 'monitor',
        ActualValue: 'enforce',
        DifferenceType: 'NOT_EQUAL',
      },
      { PropertyPath: '/Environment/Variables/EXTRA', ExpectedValue: 'null', ActualValue: '1', DifferenceType: 'ADD' },
    ]);
    expect(by.LogGroup!.StackResourceDriftStatus).toBe('DELETED');
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'upd' }))).Stacks![0]!;
    expect(stack.DriftInformation?.StackDriftStatus).toBe('DRIFTED');
    const rule = (await cfn.send(new DescribeStackResourcesCommand({ StackName: 'upd', LogicalResourceId: 'Rule' })))
      .StackResources![0]!;
    expect(rule.DriftInformation?.StackResourceDriftStatus).toBe('MODIFIED');
  });

  it('faults.failDrift makes detection fail with a reason, and the stack drift UNKNOWN', async () => {
    await setFaults({ failDrift: [mgmt] });
    const { last } = await detect(cfn, 'upd');
    expect(last.DetectionStatus).toBe('DETECTION_FAILED');
    expect(last.DetectionStatusReason).toMatch(/^Failed to detect drift on resources \[/);
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'upd' }))).Stacks![0]!;
    expect(stack.DriftInformation?.StackDriftStatus).toBe('UNKNOWN');
    await setFaults({ failDrift: [] });
  });

  it('drift detection is refused on a stack that is busy', async () => {
    await expect(cfn.send(new DetectStackDriftCommand({ StackName: 'nope' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id nope does not exist',
    });
    await west.send(new DeleteStackCommand({ StackName: 'west' }));
    await expect(west.send(new DetectStackDriftCommand({ StackName: 'west' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Drift detection is not supported for stack [west] in status DELETE_IN_PROGRESS',
    });
  });
});
