// CloudFormation's StackSets operations (awsQuery), dispatched from services/cloudformation.ts: stack sets, stack
// instances with parameter overrides, operations and their per-account results, drift, import, trusted access.
import type { ServiceContext, SimRequest } from '../types.js';
import { SimError } from '../types.js';
import { templateFor } from '../cfn/template.js';
import { readTemplateUrl } from '../services/s3.js';
import { checkCapabilities } from '../cfn/engine.js';
import { instanceKey, stackSetsOf, uuid, type Preferences, type StackSet, type StackSetOperation } from './model.js';
import { isBusy, startOperation } from './operations.js';
import { checkAccess, checkCaller, resolveTargets, validation, type DeploymentTargets } from './targets.js';
import { instanceStack } from './instance-stack.js';
import { regionFor } from '../cfn/engine.js';

type Input = Record<string, unknown>;
const str = (i: Input, k: string) => (typeof i[k] === 'string' && i[k] !== '' ? i[k] : undefined);
const list = <T = unknown>(i: Input, k: string): T[] => (Array.isArray(i[k]) ? (i[k] as T[]) : []);
const obj = (i: Input, k: string): Input | undefined =>
  typeof i[k] === 'object' && i[k] !== null && !Array.isArray(i[k]) ? (i[k] as Input) : undefined;
const bool = (v: unknown) => v === true || v === 'true';
const num = (v: unknown) => (v === undefined || v === '' ? undefined : Number(v));

function params(i: Input, k: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list<{ ParameterKey?: string; ParameterValue?: string }>(i, k))
    if (p.ParameterKey) out[p.ParameterKey] = p.ParameterValue ?? '';
  return out;
}

function paramsOut(p: Record<string, string>) {
  return Object.entries(p).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

function prefsOf(i: Input): Preferences {
  const p = obj(i, 'OperationPreferences') ?? {};
  return {
    regionConcurrency: p.RegionConcurrencyType === 'PARALLEL' ? 'PARALLEL' : 'SEQUENTIAL',
    regionOrder: list<string>(p, 'RegionOrder').map(String),
    failureToleranceCount: num(p.FailureToleranceCount),
    failureTolerancePercentage: num(p.FailureTolerancePercentage),
    maxConcurrentCount: num(p.MaxConcurrentCount),
    maxConcurrentPercentage: num(p.MaxConcurrentPercentage),
    concurrencyMode:
      p.ConcurrencyMode === 'SOFT_FAILURE_TOLERANCE' ? 'SOFT_FAILURE_TOLERANCE' : 'STRICT_FAILURE_TOLERANCE',
  };
}

function prefsOut(p: Preferences) {
  return {
    RegionConcurrencyType: p.regionConcurrency,
    RegionOrder: p.regionOrder,
    FailureToleranceCount: p.failureToleranceCount,
    FailureTolerancePercentage: p.failureTolerancePercentage,
    MaxConcurrentCount: p.maxConcurrentCount,
    MaxConcurrentPercentage: p.maxConcurrentPercentage,
    ConcurrencyMode: p.concurrencyMode,
  };
}

function page<T>(i: Input, items: T[], max = 100): { items: T[]; NextToken?: string } {
  const size = Math.min(num(i.MaxResults) ?? max, max);
  const start = Number(str(i, 'NextToken') ?? 0);
  return {
    items: items.slice(start, start + size),
    NextToken: start + size < items.length ? String(start + size) : undefined,
  };
}

class StackSetsHandler {
  constructor(
    readonly ctx: ServiceContext,
    readonly req: SimRequest,
  ) {
    checkCaller(ctx.state, req.caller, str(req.input, 'CallAs'));
  }
  get state() {
    return this.ctx.state;
  }

  /** TemplateBody, or the object TemplateURL names, read as CloudFormation reads it (services/s3.ts) */
  templateBody(): string | undefined {
    const body = str(this.input, 'TemplateBody');
    const url = str(this.input, 'TemplateURL');
    if (body !== undefined && url !== undefined)
      throw validation('Specify either TemplateBody or TemplateURL, but not both.');
    if (url === undefined) return body;
    if (url.length > 5120)
      throw validation(
        `1 validation error detected: Value at 'templateURL' failed to satisfy constraint: Member must have length less than or equal to 5120`,
      );
    return readTemplateUrl(this.state, this.ctx.endpoint, url, this.req.caller, this.req.region);
  }

  fromUrl(): 'body' | 'url' {
    return str(this.input, 'TemplateURL') === undefined ? 'body' : 'url';
  }
  get input() {
    return this.req.input;
  }
  get slice() {
    return stackSetsOf(this.ctx.state);
  }
  key(name: string) {
    return `${this.req.caller.accountId}|${this.req.region}|${name}`;
  }

  find(name = str(this.input, 'StackSetName')): StackSet {
    const byName = name === undefined ? undefined : this.slice.stackSets.get(this.key(name));
    const set =
      byName ??
      [...this.slice.stackSets.values()].find((s) => s.id === name && s.adminAccount === this.req.caller.accountId);
    if (!set || set.status !== 'ACTIVE')
      throw new SimError('StackSetNotFoundException', `StackSet ${name ?? ''} not found`, 404);
    return set;
  }

  CreateStackSet() {
    const name = str(this.input, 'StackSetName');
    if (!name || !/^[a-zA-Z][-a-zA-Z0-9]{0,127}$/.test(name)) throw validation(`Invalid StackSetName ${name ?? ''}`);
    const existing = this.slice.stackSets.get(this.key(name));
    if (existing?.status === 'ACTIVE')
      throw new SimError('NameAlreadyExistsException', `StackSet ${name} already exists`, 409);
    const model = str(this.input, 'PermissionModel') ?? 'SELF_MANAGED';
    if (model !== 'SERVICE_MANAGED') throw validation('The simulator supports only PermissionModel SERVICE_MANAGED');
    checkAccess(this.state);
    const body = this.templateBody();
    if (!body) throw validation('Either TemplateBody or TemplateURL must be specified');
    checkCapabilities(templateFor(body, this.fromUrl()), list<string>(this.input, 'Capabilities').map(String));
    const auto = obj(this.input, 'AutoDeployment') ?? {};
    const set: StackSet = {
      name,
      id: `${name}:${uuid(this.slice)}`,
      adminAccount: this.req.caller.accountId,
      region: this.req.region,
      status: 'ACTIVE',
      description: str(this.input, 'Description'),
      templateBody: body,
      parameters: params(this.input, 'Parameters'),
      capabilities: list<string>(this.input, 'Capabilities').map(String),
      tags: list<{ Key?: string; Value?: string }>(this.input, 'Tags').map((t) => ({
        Key: t.Key ?? '',
        Value: t.Value ?? '',
      })),
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: {
        enabled: bool(auto.Enabled),
        retainStacksOnAccountRemoval: bool(auto.RetainStacksOnAccountRemoval),
      },
      managedExecution: bool(obj(this.input, 'ManagedExecution')?.Active),
      ouIds: [],
      regions: [],
      instances: new Map(),
      operations: new Map(),
      operationOrder: [],
      drift: { status: 'NOT_CHECKED' },
    };
    this.slice.stackSets.set(this.key(name), set);
    return { StackSetId: set.id };
  }

  UpdateStackSet() {
    const set = this.find();
    checkAccess(this.state);
    const body = this.templateBody();
    if (!body && !bool(this.input.UsePreviousTemplate))
      throw validation('Either TemplateBody, TemplateURL or UsePreviousTemplate must be specified');
    if (isBusy(set) && !set.managedExecution)
      throw new SimError('OperationInProgressException', `Another Operation on StackSet ${set.id} is in progress`, 409);
    if (body) {
      checkCapabilities(templateFor(body, this.fromUrl()), list<string>(this.input, 'Capabilities').map(String));
      set.templateBody = body;
    }
    if ('Parameters' in this.input) set.parameters = params(this.input, 'Parameters');
    if ('Capabilities' in this.input) set.capabilities = list<string>(this.input, 'Capabilities').map(String);
    if ('Tags' in this.input)
      set.tags = list<{ Key?: string; Value?: string }>(this.input, 'Tags').map((t) => ({
        Key: t.Key ?? '',
        Value: t.Value ?? '',
      }));
    const auto = obj(this.input, 'AutoDeployment');
    if (auto)
      set.autoDeployment = {
        enabled: bool(auto.Enabled),
        retainStacksOnAccountRemoval: bool(auto.RetainStacksOnAccountRemoval),
      };
    const managed = obj(this.input, 'ManagedExecution');
    if (managed) set.managedExecution = bool(managed.Active);
    // with targets, only those instances are updated (the others become OUTDATED); without, all of them
    const targets = obj(this.input, 'DeploymentTargets');
    const regions = list<string>(this.input, 'Regions').map(String);
    let chosen = [...set.instances.values()].map((i) => ({ account: i.account, region: i.region, ouId: i.ouId }));
    if (targets) {
      const accounts = new Set(resolveTargets(this.state, targets as DeploymentTargets).map((t) => t.account));
      chosen = chosen.filter((c) => accounts.has(c.account) && (regions.length === 0 || regions.includes(c.region)));
    }
    const chosenKeys = new Set(chosen.map((c) => instanceKey(c.account, c.region)));
    for (const inst of set.instances.values())
      if (!chosenKeys.has(instanceKey(inst.account, inst.region))) inst.status = 'OUTDATED';
    const op = startOperation(this.state, set, {
      action: 'UPDATE',
      targets: chosen,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
    });
    return { OperationId: op.id };
  }

  DescribeStackSet() {
    const s = this.find();
    return {
      StackSet: {
        StackSetName: s.name,
        StackSetId: s.id,
        Description: s.description,
        Status: s.status,
        TemplateBody: s.templateBody,
        Parameters: paramsOut(s.parameters),
        Capabilities: s.capabilities,
        Tags: s.tags,
        StackSetARN: `arn:aws:cloudformation:${s.region}:${s.adminAccount}:stackset/${s.id}`,
        PermissionModel: s.permissionModel,
        AutoDeployment: {
          Enabled: s.autoDeployment.enabled,
          RetainStacksOnAccountRemoval: s.autoDeployment.retainStacksOnAccountRemoval,
        },
        OrganizationalUnitIds: s.ouIds,
        Regions: s.regions,
        ManagedExecution: { Active: s.managedExecution },
        StackSetDriftDetectionDetails: {
          DriftStatus: s.drift.status,
          LastDriftCheckTimestamp: s.drift.at === undefined ? undefined : new Date(s.drift.at),
        },
      },
    };
  }

  DeleteStackSet() {
    const set = this.find();
    if (set.instances.size > 0)
      throw new SimError(
        'StackSetNotEmptyException',
        `StackSet ${set.name} is not empty: it has ${set.instances.size} stack instances`,
        409,
      );
    if (isBusy(set))
      throw new SimError('OperationInProgressException', `Another Operation on StackSet ${set.id} is in progress`, 409);
    set.status = 'DELETED';
    this.slice.stackSets.delete(this.key(set.name));
    return {};
  }

  ListStackSets() {
    const sets = [...this.slice.stackSets.values()].filter(
      (s) => s.adminAccount === this.req.caller.accountId && s.region === this.req.region,
    );
    const p = page(this.input, sets);
    return {
      Summaries: p.items.map((s) => ({
        StackSetName: s.name,
        StackSetId: s.id,
        Status: s.status,
        PermissionModel: s.permissionModel,
        AutoDeployment: {
          Enabled: s.autoDeployment.enabled,
          RetainStacksOnAccountRemoval: s.autoDeployment.retainStacksOnAccountRemoval,
        },
        DriftStatus: s.drift.status,
      })),
      NextToken: p.NextToken,
    };
  }

  targetsFor(): { account: string; region: string; ouId: string }[] {
    const regions = list<string>(this.input, 'Regions').map(String);
    if (regions.length === 0) throw validation('Regions must not be empty');
    for (const r of regions)
      if (!this.state.regions.includes(r)) throw validation(`Region ${r} is not enabled in the simulated organisation`);
    const accounts = resolveTargets(this.state, obj(this.input, 'DeploymentTargets'));
    return accounts.flatMap((a) => regions.map((region) => ({ ...a, region })));
  }

  CreateStackInstances() {
    const set = this.find();
    checkAccess(this.state);
    const targets = this.targetsFor();
    const ous = list<string>(obj(this.input, 'DeploymentTargets') ?? {}, 'OrganizationalUnitIds').map(String);
    for (const ou of ous) if (!set.ouIds.includes(ou)) set.ouIds.push(ou);
    for (const r of list<string>(this.input, 'Regions').map(String)) if (!set.regions.includes(r)) set.regions.push(r);
    const overrides = params(this.input, 'ParameterOverrides');
    const op = startOperation(this.state, set, {
      action: 'CREATE',
      targets,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
      overrides: Object.keys(overrides).length > 0 ? overrides : undefined,
    });
    return { OperationId: op.id };
  }

  UpdateStackInstances() {
    const set = this.find();
    const targets = this.targetsFor();
    const missing = targets.find((t) => !set.instances.has(instanceKey(t.account, t.region)));
    if (missing)
      throw new SimError(
        'StackInstanceNotFoundException',
        `Stack instance in account ${missing.account} and region ${missing.region} does not exist in StackSet ${set.name}`,
        404,
      );
    const op = startOperation(this.state, set, {
      action: 'UPDATE',
      targets,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
      overrides: params(this.input, 'ParameterOverrides'),
    });
    return { OperationId: op.id };
  }

  DeleteStackInstances() {
    const set = this.find();
    if (!('RetainStacks' in this.input)) throw validation('RetainStacks is required');
    const targets = this.targetsFor().filter((t) => set.instances.has(instanceKey(t.account, t.region)));
    const op = startOperation(this.state, set, {
      action: 'DELETE',
      targets,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
      retainStacks: bool(this.input.RetainStacks),
    });
    return { OperationId: op.id };
  }

  instanceOut(set: StackSet, key: string) {
    const i = set.instances.get(key)!;
    return {
      StackSetId: set.id,
      Region: i.region,
      Account: i.account,
      StackId: i.stackId,
      Status: i.status,
      StatusReason: i.statusReason,
      StackInstanceStatus: { DetailedStatus: i.detailed },
      OrganizationalUnitId: i.ouId,
      DriftStatus: i.drift.status,
      LastDriftCheckTimestamp: i.drift.at === undefined ? undefined : new Date(i.drift.at),
      LastOperationId: i.lastOperationId,
    };
  }

  ListStackInstances() {
    const set = this.find();
    const account = str(this.input, 'StackInstanceAccount');
    const region = str(this.input, 'StackInstanceRegion');
    const filters = list<{ Name?: string; Values?: string }>(this.input, 'Filters');
    const keys = [...set.instances.keys()].filter((k) => {
      const i = set.instances.get(k)!;
      if ((account && i.account !== account) || (region && i.region !== region)) return false;
      return filters.every((f) =>
        f.Name === 'DETAILED_STATUS'
          ? i.detailed === f.Values
          : f.Name === 'LAST_OPERATION_ID'
            ? i.lastOperationId === f.Values
            : f.Name === 'DRIFT_STATUS'
              ? i.drift.status === f.Values
              : true,
      );
    });
    const p = page(this.input, keys);
    return { Summaries: p.items.map((k) => this.instanceOut(set, k)), NextToken: p.NextToken };
  }

  DescribeStackInstance() {
    const set = this.find();
    const key = instanceKey(
      str(this.input, 'StackInstanceAccount') ?? '',
      str(this.input, 'StackInstanceRegion') ?? '',
    );
    if (!set.instances.has(key))
      throw new SimError(
        'StackInstanceNotFoundException',
        `Stack instance ${key.replace('|', ' ')} not found in StackSet ${set.name}`,
        404,
      );
    return {
      StackInstance: {
        ...this.instanceOut(set, key),
        ParameterOverrides: paramsOut(set.instances.get(key)!.overrides),
      },
    };
  }

  operation(set: StackSet): StackSetOperation {
    const id = str(this.input, 'OperationId') ?? '';
    const op = set.operations.get(id);
    if (!op) throw new SimError('OperationNotFoundException', `Operation ${id} not found`, 404);
    return op;
  }

  DescribeStackSetOperation() {
    const set = this.find();
    const op = this.operation(set);
    const failed = [...op.results.values()].filter((r) => r.status === 'FAILED').length;
    return {
      StackSetOperation: {
        OperationId: op.id,
        StackSetId: set.id,
        Action: op.action,
        Status: op.status,
        StatusReason: op.statusReason,
        OperationPreferences: prefsOut(op.prefs),
        RetainStacks: op.retainStacks,
        CreationTimestamp: new Date(op.createdAt),
        EndTimestamp: op.endedAt === undefined ? undefined : new Date(op.endedAt),
        StatusDetails: { FailedStackInstancesCount: failed },
        StackSetDriftDetectionDetails: op.drift
          ? {
              DriftStatus: op.drift.drifted > 0 ? 'DRIFTED' : 'IN_SYNC',
              DriftDetectionStatus: op.drift.failed > 0 ? 'PARTIAL_SUCCESS' : 'COMPLETED',
              TotalStackInstancesCount: op.drift.drifted + op.drift.inSync + op.drift.failed,
              DriftedStackInstancesCount: op.drift.drifted,
              InSyncStackInstancesCount: op.drift.inSync,
              InProgressStackInstancesCount: 0,
              FailedStackInstancesCount: op.drift.failed,
            }
          : undefined,
      },
    };
  }

  ListStackSetOperations() {
    const set = this.find();
    const p = page(this.input, [...set.operationOrder].reverse());
    return {
      Summaries: p.items.map((id) => {
        const op = set.operations.get(id)!;
        return {
          OperationId: op.id,
          Action: op.action,
          Status: op.status,
          StatusReason: op.statusReason,
          CreationTimestamp: new Date(op.createdAt),
          EndTimestamp: op.endedAt === undefined ? undefined : new Date(op.endedAt),
          OperationPreferences: prefsOut(op.prefs),
        };
      }),
      NextToken: p.NextToken,
    };
  }

  ListStackSetOperationResults() {
    const set = this.find();
    const op = this.operation(set);
    const p = page(this.input, [...op.results.values()]);
    return {
      Summaries: p.items.map((r) => ({
        Account: r.account,
        Region: r.region,
        Status: r.status,
        StatusReason: r.reason,
        AccountGateResult: {
          Status: 'SKIPPED',
          StatusReason: 'Function not found: arn:aws:lambda:::function:AWSCloudFormationStackSetAccountGate',
        },
        OrganizationalUnitId: r.ouId,
      })),
      NextToken: p.NextToken,
    };
  }

  DetectStackSetDrift() {
    const set = this.find();
    const targets = [...set.instances.values()].map((i) => ({ account: i.account, region: i.region, ouId: i.ouId }));
    const op = startOperation(this.state, set, {
      action: 'DETECT_DRIFT',
      targets,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
    });
    return { OperationId: op.id };
  }

  ImportStacksToStackSet() {
    const set = this.find();
    checkAccess(this.state);
    const ids = list<string>(this.input, 'StackIds').map(String);
    if (ids.length === 0 || ids.length > 10) throw validation('StackIds must hold 1 to 10 stack ids');
    const ous = list<string>(this.input, 'OrganizationalUnitIds').map(String);
    const reach = new Map(resolveTargets(this.state, { OrganizationalUnitIds: ous }).map((t) => [t.account, t.ouId]));
    const targets = ids.map((id) => {
      const [, , , region = '', account = ''] = id.split(':');
      const stack = regionFor(this.state, account, region).byId.get(id);
      if (!stack || stack.status === 'DELETE_COMPLETE')
        throw new SimError('StackNotFoundException', `Stack with id ${id} does not exist`, 404);
      const ouId = reach.get(account);
      if (!ouId) throw validation(`Account ${account} of stack ${id} is not in OrganizationalUnitIds`);
      if (set.instances.has(instanceKey(account, region)))
        throw new SimError(
          'StackInstanceAlreadyExists',
          `A stack instance already exists in ${account} ${region}`,
          409,
        );
      set.instances.set(instanceKey(account, region), {
        account,
        region,
        ouId,
        stackId: id,
        stackName: stack.stackName,
        status: 'OUTDATED',
        detailed: 'PENDING',
        overrides: {},
        drift: { status: 'NOT_CHECKED' },
      });
      return { account, region, ouId };
    });
    for (const ou of ous) if (!set.ouIds.includes(ou)) set.ouIds.push(ou);
    for (const t of targets) if (!set.regions.includes(t.region)) set.regions.push(t.region);
    const op = startOperation(this.state, set, {
      action: 'CREATE',
      targets,
      prefs: prefsOf(this.input),
      operationId: str(this.input, 'OperationId'),
    });
    return { OperationId: op.id };
  }

  ActivateOrganizationsAccess() {
    if (
      this.req.caller.accountId !== this.state.org.managementAccountId &&
      str(this.input, 'CallAs') !== 'DELEGATED_ADMIN'
    ) {
      throw validation('Only the management account or a delegated administrator can activate organizations access');
    }
    this.slice.organizationsAccess = true;
    return {};
  }

  DescribeOrganizationsAccess() {
    return { Status: this.slice.organizationsAccess ? 'ENABLED' : 'DISABLED' };
  }
}

export const STACKSET_OPERATIONS = new Set([
  'CreateStackSet',
  'UpdateStackSet',
  'DescribeStackSet',
  'DeleteStackSet',
  'ListStackSets',
  'CreateStackInstances',
  'UpdateStackInstances',
  'DeleteStackInstances',
  'ListStackInstances',
  'DescribeStackInstance',
  'DescribeStackSetOperation',
  'ListStackSetOperations',
  'ListStackSetOperationResults',
  'DetectStackSetDrift',
  'ImportStacksToStackSet',
  'ActivateOrganizationsAccess',
  'DescribeOrganizationsAccess',
]);

export function handleStackSets(ctx: ServiceContext, req: SimRequest): unknown {
  const h = new StackSetsHandler(ctx, req) as unknown as Record<string, () => unknown>;
  return h[req.operation]!.call(h);
}

export { instanceStack };
