// DeletionPolicy and UpdateReplacePolicy in the simulator, as CloudFormation documents them: Retain and
// RetainExceptOnCreate keep a resource when its stack is deleted (DELETE_SKIPPED), or when an update removes it;
// RetainExceptOnCreate still deletes what a failed create made, so a failed first deploy leaves nothing behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { clientConfig, startTestSim } from './helpers.js';
import { allEvents, waitForStack } from './cloudformation.fixtures.js';

let sim: SimServer;
let cfn: CloudFormationClient;

beforeAll(async () => {
  sim = await startTestSim({ stackMs: 30, accounts: 1 });
  cfn = new CloudFormationClient(clientConfig(sim));
});
afterAll(async () => {
  cfn.destroy();
  await sim.close();
});

const resources = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    Resources: {
      Log: {
        Type: 'AWS::Logs::LogGroup',
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: { RetentionInDays: 7 },
      },
      Dlq: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' },
      Scratch: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' },
      ...extra,
    },
    Outputs: { Log: { Value: { Ref: 'Log' } }, Dlq: { Value: { Ref: 'Dlq' } }, Scratch: { Value: { Ref: 'Scratch' } } },
  });

async function outputs(stackName: string): Promise<Record<string, string>> {
  const s = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
  return Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
}

describe('DeletionPolicy', () => {
  it('a stack delete keeps Retain and RetainExceptOnCreate resources (DELETE_SKIPPED) and deletes the rest', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'kept', TemplateBody: resources() }));
    expect((await waitForStack(cfn, 'kept')).at(-1)).toBe('CREATE_COMPLETE');
    const out = await outputs('kept');
    const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: 'kept' }))).Stacks![0]!.StackId!;
    const rs = regionState(sim.state, sim.state.org.managementAccountId, 'us-east-1');
    expect(rs.logGroups.has(out.Log!) && rs.logGroups.has(out.Scratch!)).toBe(true);

    await cfn.send(new DeleteStackCommand({ StackName: 'kept' }));
    expect((await waitForStack(cfn, stackId)).at(-1)).toBe('DELETE_COMPLETE');
    expect(rs.logGroups.has(out.Log!)).toBe(true);
    expect(rs.logGroups.has(out.Scratch!)).toBe(false);
    expect([...rs.queues.values()].map((q) => q.url)).toContain(out.Dlq);
    const skipped = (await allEvents(cfn, stackId))
      .filter((e) => e.ResourceStatus === 'DELETE_SKIPPED')
      .map((e) => e.LogicalResourceId);
    expect(skipped.sort()).toEqual(['Dlq', 'Log']);
  });

  it('an update that drops a RetainExceptOnCreate resource from the template keeps it', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'dropped', TemplateBody: resources() }));
    await waitForStack(cfn, 'dropped');
    const out = await outputs('dropped');
    const body = JSON.parse(resources()) as { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
    delete body.Resources.Log;
    delete body.Outputs.Log;
    await cfn.send(new UpdateStackCommand({ StackName: 'dropped', TemplateBody: JSON.stringify(body) }));
    expect((await waitForStack(cfn, 'dropped')).at(-1)).toBe('UPDATE_COMPLETE');
    expect(regionState(sim.state, sim.state.org.managementAccountId, 'us-east-1').logGroups.has(out.Log!)).toBe(true);
  });

  it('RetainExceptOnCreate: a create that fails and rolls back deletes what it made', async () => {
    const rs = regionState(sim.state, sim.state.org.managementAccountId, 'us-east-1');
    const before = new Set(rs.logGroups.keys());
    await cfn.send(
      new CreateStackCommand({
        StackName: 'failed',
        TemplateBody: resources({ Broken: { Type: 'AWS::Foo::Bar', DependsOn: ['Log', 'Dlq'] } }),
      }),
    );
    expect((await waitForStack(cfn, 'failed')).at(-1)).toBe('ROLLBACK_COMPLETE');
    expect([...rs.logGroups.keys()].filter((k) => !before.has(k))).toEqual([]);
    expect([...rs.queues.keys()].filter((k) => k.startsWith('failed-'))).toEqual([]);
  });
});
