// StackSets in the simulator, through the real SDK: trusted access, delegated admins, operations bounded per region,
// failure tolerance, queueing, parameter overrides, instances as real stacks, and auto-deployment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivateOrganizationsAccessCommand,
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  DescribeOrganizationsAccessCommand,
  DescribeStackInstanceCommand,
  DescribeStackSetOperationCommand,
  DescribeStacksCommand,
  ListStackInstancesCommand,
  ListStackSetOperationResultsCommand,
  UpdateStackSetCommand,
  DetectStackSetDriftCommand,
  ListStackSetOperationsCommand,
  CreateStackCommand,
  ImportStacksToStackSetCommand,
  DescribeStackSetCommand,
} from '@aws-sdk/client-cloudformation';
import { MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim } from './helpers.js';
import type { SimServer } from '../server.js';

const TEMPLATE = `
Parameters:
  Flag: { Type: String, Default: 'a' }
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '\${AWS::StackName}-\${Flag}'
`;

let sim: SimServer;
let cfn: CloudFormationClient;
const ou = () => sim.state.org.rootId;

async function settled(name: string, operationId: string) {
  for (let i = 0; i < 400; i++) {
    const out = await cfn.send(new DescribeStackSetOperationCommand({ StackSetName: name, OperationId: operationId }));
    const s = out.StackSetOperation!.Status!;
    if (!['RUNNING', 'QUEUED', 'STOPPING'].includes(s)) return out.StackSetOperation!;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('operation did not finish');
}

async function results(name: string, operationId: string) {
  const out = await cfn.send(new ListStackSetOperationResultsCommand({ StackSetName: name, OperationId: operationId }));
  return out.Summaries ?? [];
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 4, stackMs: 40, stackSetStartMs: 10, stackSetInstanceMs: 5 });
  cfn = new CloudFormationClient(clientConfig(sim));
});
afterAll(async () => {
  cfn.destroy();
  await sim.close();
});

describe('StackSets', () => {
  it('refuses a service-managed stack set until trusted access is activated', async () => {
    const err = await errorOf(
      cfn.send(
        new CreateStackSetCommand({
          StackSetName: 'early',
          TemplateBody: TEMPLATE,
          PermissionModel: 'SERVICE_MANAGED',
        }),
      ),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toMatch(/organizations access/);
    expect((await cfn.send(new DescribeOrganizationsAccessCommand({}))).Status).toBe('DISABLED');
    await cfn.send(new ActivateOrganizationsAccessCommand({}));
    expect((await cfn.send(new DescribeOrganizationsAccessCommand({}))).Status).toBe('ENABLED');
  });

  it('refuses CallAs DELEGATED_ADMIN from an account that is not registered', async () => {
    const err = await errorOf(cfn.send(new DescribeOrganizationsAccessCommand({ CallAs: 'DELEGATED_ADMIN' })));
    expect(err.message).toMatch(/not registered as a delegated administrator/);
  });

  it('creates instances as real stacks in the member accounts, with overrides, and reports per account and region', async () => {
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: 'ss',
        TemplateBody: TEMPLATE,
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      }),
    );
    const members = memberIds(sim);
    const op = await cfn.send(
      new CreateStackInstancesCommand({
        StackSetName: 'ss',
        DeploymentTargets: { OrganizationalUnitIds: [ou()] },
        Regions: ['us-east-1', 'us-west-2'],
        OperationPreferences: { RegionConcurrencyType: 'PARALLEL', MaxConcurrentCount: 2, FailureToleranceCount: 1 },
      }),
    );
    // no managed execution: a second operation is refused while this one runs
    const busy = await errorOf(cfn.send(new UpdateStackSetCommand({ StackSetName: 'ss', UsePreviousTemplate: true })));
    expect(busy.name).toBe('OperationInProgressException');
    expect((await settled('ss', op.OperationId!)).Status).toBe('SUCCEEDED');
    const rows = await results('ss', op.OperationId!);
    expect(rows).toHaveLength(members.length * 2);
    expect(rows.every((r) => r.Status === 'SUCCEEDED')).toBe(true);
    const list = (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'ss' }))).Summaries!;
    expect(list.map((i) => i.Account).sort()).toEqual([...members, ...members].sort());
    expect(list.every((i) => i.Status === 'CURRENT' && i.StackInstanceStatus?.DetailedStatus === 'SUCCEEDED')).toBe(
      true,
    );
    // the stack is in the member account, named StackSet-<name>-<uuid>
    const creds = await assumeInto(sim, members[0]!);
    const member = new CloudFormationClient(clientConfig(sim, 'us-east-1', creds));
    const stackName = list.find((i) => i.Account === members[0] && i.Region === 'us-east-1')!.StackId!.split('/')[1]!;
    expect(stackName).toMatch(/^StackSet-ss-[0-9a-f-]{36}$/);
    const stack = (await member.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');

    // overrides for one account: only its instances change
    const upd = await cfn.send(
      new CreateStackInstancesCommand({
        StackSetName: 'ss',
        DeploymentTargets: {
          OrganizationalUnitIds: [ou()],
          Accounts: [members[0]!],
          AccountFilterType: 'INTERSECTION',
        },
        Regions: ['us-east-1'],
        ParameterOverrides: [{ ParameterKey: 'Flag', ParameterValue: 'b' }],
      }),
    );
    await settled('ss', upd.OperationId!);
    const inst = (
      await cfn.send(
        new DescribeStackInstanceCommand({
          StackSetName: 'ss',
          StackInstanceAccount: members[0]!,
          StackInstanceRegion: 'us-east-1',
        }),
      )
    ).StackInstance!;
    expect(inst.ParameterOverrides).toEqual([{ ParameterKey: 'Flag', ParameterValue: 'b' }]);
    const after = (await member.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    expect(after.Parameters?.find((p) => p.ParameterKey === 'Flag')?.ParameterValue).toBe('b');
    member.destroy();
  });

  it('reports the failed accounts with their reason, and stops a region beyond the failure tolerance (STRICT)', async () => {
    const members = memberIds(sim);
    await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ failStack: [members[1]!, members[2]!] }),
    });
    const op = await cfn.send(
      new UpdateStackSetCommand({
        StackSetName: 'ss',
        TemplateBody: TEMPLATE.replace("Default: 'a'", "Default: 'c'"),
        OperationPreferences: {
          RegionConcurrencyType: 'SEQUENTIAL',
          RegionOrder: ['us-east-1', 'us-west-2'],
          MaxConcurrentCount: 1,
          FailureToleranceCount: 0,
        },
      }),
    );
    const done = await settled('ss', op.OperationId!);
    expect(done.Status).toBe('FAILED');
    const rows = await results('ss', op.OperationId!);
    const failed = rows.filter((r) => r.Status === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.StatusReason).toMatch(/ResourceLogicalId:Topic/);
    // nothing runs after the failure in that region, and no later region starts
    expect(rows.filter((r) => r.Region === 'us-west-2').every((r) => r.Status === 'CANCELLED')).toBe(true);
    await fetch(`${sim.endpoint}/_sim/faults`, { method: 'POST', body: JSON.stringify({ failStack: [] }) });
  });

  it('auto-deploys to an account created in a targeted OU and removes instances from one that moves out', async () => {
    // bring every instance current again first (SOFT tolerance: nothing stops)
    const fix = await cfn.send(
      new UpdateStackSetCommand({
        StackSetName: 'ss',
        UsePreviousTemplate: true,
        OperationPreferences: {
          RegionConcurrencyType: 'PARALLEL',
          MaxConcurrentPercentage: 100,
          FailureTolerancePercentage: 100,
          ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
        },
      }),
    );
    await settled('ss', fix.OperationId!);
    const prod = [...sim.state.org.ous.values()].find((o) => o.name === 'Prod')!.id;
    const res = await fetch(`${sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'fresh', parentId: prod }),
    });
    const { id } = (await res.json()) as { id: string };
    const ops = (await cfn.send(new ListStackSetOperationsCommand({ StackSetName: 'ss' }))).Summaries!;
    expect((await settled('ss', ops[0]!.OperationId!)).Status).toBe('SUCCEEDED');
    const mine = async () =>
      (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'ss', StackInstanceAccount: id }))).Summaries ?? [];
    expect((await mine()).map((i) => i.Region).sort()).toEqual(['us-east-1', 'us-west-2']);
    const stacksIn = (acct: string) =>
      [...sim.state.accounts.get(acct)!.regions.values()].flatMap((rs) => [
        ...((rs.cfn as { live?: Map<string, unknown> } | undefined)?.live?.keys() ?? []),
      ]);
    expect(stacksIn(id)).toHaveLength(2);

    // moving out of the root's subtree is impossible; a stack set on Prod only sees it leave
    const org = new OrganizationsClient(clientConfig(sim));
    const sec = [...sim.state.org.ous.values()].find((o) => o.name === 'Security')!.id;
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: 'prod-only',
        TemplateBody: TEMPLATE,
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        ManagedExecution: { Active: true },
      }),
    );
    const c = await cfn.send(
      new CreateStackInstancesCommand({
        StackSetName: 'prod-only',
        DeploymentTargets: { OrganizationalUnitIds: [prod] },
        Regions: ['us-east-1'],
      }),
    );
    // managed execution queues a second operation instead of refusing it
    const queued = await cfn.send(new DetectStackSetDriftCommand({ StackSetName: 'prod-only' }));
    await settled('prod-only', c.OperationId!);
    expect((await settled('prod-only', queued.OperationId!)).Status).toBe('SUCCEEDED');
    await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: prod, DestinationParentId: sec }));
    const last = (await cfn.send(new ListStackSetOperationsCommand({ StackSetName: 'prod-only' }))).Summaries![0]!;
    expect(last.Action).toBe('DELETE');
    await settled('prod-only', last.OperationId!);
    const left =
      (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'prod-only', StackInstanceAccount: id })))
        .Summaries ?? [];
    expect(left).toHaveLength(0);
    expect(stacksIn(id)).toHaveLength(2); // the root-wide stack set's instances stay
    org.destroy();
  });

  it('imports an existing stack as an instance (it keeps its name), and finds drift on it', async () => {
    const members = memberIds(sim);
    const creds = await assumeInto(sim, members[3]!);
    const member = new CloudFormationClient(clientConfig(sim, 'us-east-1', creds));
    const { StackId } = await member.send(new CreateStackCommand({ StackName: 'legacy', TemplateBody: TEMPLATE }));
    for (let i = 0; i < 100; i++) {
      const st = (await member.send(new DescribeStacksCommand({ StackName: 'legacy' }))).Stacks![0]!.StackStatus;
      if (st === 'CREATE_COMPLETE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await cfn.send(
      new CreateStackSetCommand({ StackSetName: 'adopt', TemplateBody: TEMPLATE, PermissionModel: 'SERVICE_MANAGED' }),
    );
    const tooMany = await errorOf(
      cfn.send(
        new ImportStacksToStackSetCommand({
          StackSetName: 'adopt',
          OrganizationalUnitIds: [ou()],
          StackIds: Array.from({ length: 11 }, () => StackId!),
        }),
      ),
    );
    expect(tooMany.message).toMatch(/1 to 10/);
    const imp = await cfn.send(
      new ImportStacksToStackSetCommand({ StackSetName: 'adopt', StackIds: [StackId!], OrganizationalUnitIds: [ou()] }),
    );
    expect((await settled('adopt', imp.OperationId!)).Status).toBe('SUCCEEDED');
    const inst = (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'adopt' }))).Summaries!;
    expect(inst).toHaveLength(1);
    expect(inst[0]!.StackId).toBe(StackId);
    // someone deletes the topic behind CloudFormation's back: stack set drift finds it
    const topics = sim.state.accounts.get(members[3]!)!.regions.get('us-east-1')!.topics;
    expect(topics.delete(`arn:aws:sns:us-east-1:${members[3]}:legacy-a`)).toBe(true);
    const drift = await cfn.send(new DetectStackSetDriftCommand({ StackSetName: 'adopt' }));
    const op = await settled('adopt', drift.OperationId!);
    expect(op.StackSetDriftDetectionDetails?.TotalStackInstancesCount).toBe(1);
    const set = (await cfn.send(new DescribeStackSetCommand({ StackSetName: 'adopt' }))).StackSet!;
    const after = (await cfn.send(new ListStackInstancesCommand({ StackSetName: 'adopt' }))).Summaries![0]!;
    expect(after.DriftStatus).toBe('DRIFTED');
    expect(set.StackSetDriftDetectionDetails?.DriftStatus).toBe('DRIFTED');
    member.destroy();
  });

  it('refuses to delete a stack set that still has instances', async () => {
    const err = await errorOf(cfn.send(new DeleteStackSetCommand({ StackSetName: 'prod-only' })));
    expect(err.name).toBe('StackSetNotEmptyException');
    const del = await cfn.send(
      new DeleteStackInstancesCommand({
        StackSetName: 'prod-only',
        DeploymentTargets: { OrganizationalUnitIds: [sim.state.org.rootId] },
        Regions: ['us-east-1'],
        RetainStacks: false,
      }),
    );
    await settled('prod-only', del.OperationId!);
    await cfn.send(new DeleteStackSetCommand({ StackSetName: 'prod-only' }));
  });
});
