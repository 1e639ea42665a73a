// CloudFormation (awsQuery): stacks, change sets, events, resources, templates and drift, per account and region.
// The stack engine lives in ../cfn/; this file decodes requests, enforces AWS's rules and messages, and shapes results.
import { SimError, type Service, type ServiceContext, type SimRequest } from '../types.js';
import type { SimState, StackStatus } from '../state.js';
import { newUuid } from '../state.js';
import { resolveParameters, type ResolvedParameter } from '../cfn/intrinsics.js';
import type { CfnRegion, ChangeSet, Stack, StackResource, Tag } from '../cfn/model.js';
import {
  advance,
  checkCapabilities,
  envFor,
  isBusy,
  plan,
  regionFor,
  settleDetection,
  startCreate,
  startDelete,
  startDriftDetection,
  startUpdate,
  type EngineContext,
  type OpInput,
} from '../cfn/engine.js';
import { templateFor, type Template } from '../cfn/template.js';
import { readTemplateUrl } from './s3.js';
import { detectResourceDrift } from '../cfn/drift.js';
import { STACKSET_OPERATIONS, handleStackSets } from '../stacksets/api.js';
import { deletionDenial, denyPlanned } from '../cfn/acting-caller.js';

const PAGE = 100;
const NAME_PATTERN = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const UPDATABLE: StackStatus[] = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'];

function validation(message: string): SimError {
  return new SimError('ValidationError', message);
}

function str(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function list<T = unknown>(input: Record<string, unknown>, key: string): T[] {
  const v = input[key];
  return Array.isArray(v) ? (v as T[]) : [];
}

function bool(input: Record<string, unknown>, key: string): boolean {
  return input[key] === 'true' || input[key] === true;
}

function checkName(value: string | undefined, field: string): string {
  if (value === undefined)
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  if (value.length > 128 || !NAME_PATTERN.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*',
    );
  }
  return value;
}

function tagsOf(input: Record<string, unknown>): Tag[] | undefined {
  if (!('Tags' in input)) return undefined;
  return list<{ Key?: string; Value?: string }>(input, 'Tags').map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));
}

function notFound(nameOrId: string): SimError {
  return validation(`Stack with id ${nameOrId} does not exist`);
}

function notUpdatable(stack: Stack): SimError {
  return validation(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
}

class Handler {
  readonly region: CfnRegion;
  readonly engine: EngineContext;
  readonly now: number;
  constructor(
    readonly ctx: ServiceContext,
    readonly req: SimRequest,
  ) {
    this.region = regionFor(ctx.state, req.caller.accountId, req.region);
    this.engine = { state: ctx.state, region: this.region, now: () => ctx.now() };
    this.now = ctx.now();
  }

  get state(): SimState {
    return this.ctx.state;
  }

  get input(): Record<string, unknown> {
    return this.req.input;
  }

  /** A stack by name (live stacks only) or by stack id (deleted ones too), brought up to date. */
  find(nameOrId: string | undefined): Stack | undefined {
    if (!nameOrId) return undefined;
    const stack = nameOrId.startsWith('arn:') ? this.region.byId.get(nameOrId) : this.region.live.get(nameOrId);
    if (stack) advance(stack, this.now);
    // the stack may have just finished deleting
    if (stack && !nameOrId.startsWith('arn:') && stack.status === 'DELETE_COMPLETE') return undefined;
    return stack;
  }

  get(nameOrId: string | undefined): Stack {
    const stack = this.find(nameOrId);
    if (!stack) throw notFound(nameOrId ?? '');
    return stack;
  }

  template(stack?: Stack): Template {
    const body = str(this.input, 'TemplateBody');
    if (body !== undefined && str(this.input, 'TemplateURL') !== undefined)
      throw validation('Specify either TemplateBody or TemplateURL, but not both.');
    if (body !== undefined) return templateFor(body);
    if (bool(this.input, 'UsePreviousTemplate')) {
      if (!stack) throw validation('UsePreviousTemplate is only valid for existing stacks');
      return stack.template;
    }
    const url = str(this.input, 'TemplateURL');
    if (url !== undefined) {
      if (url.length > 5120)
        throw validation(
          `1 validation error detected: Value at 'templateURL' failed to satisfy constraint: Member must have length less than or equal to 5120`,
        );
      return templateFor(readTemplateUrl(this.state, this.ctx.endpoint, url, this.req.caller, this.req.region), 'url');
    }
    throw validation('Either Template URL or Template Body must be specified.');
  }

  opInput(stack?: Stack): OpInput {
    const template = this.template(stack);
    const params = resolveParameters(template, list(this.input, 'Parameters'), stack?.parameters);
    const tags = tagsOf(this.input) ?? stack?.tags ?? [];
    const capabilities = list<string>(this.input, 'Capabilities').map(String);
    checkCapabilities(template, capabilities);
    return { template, params, tags, capabilities };
  }

  newStack(name: string, input: OpInput, status: StackStatus): Stack {
    const stack: Stack = {
      stackId: `arn:aws:cloudformation:${this.req.region}:${this.req.caller.accountId}:stack/${name}/${newUuid(this.state)}`,
      stackName: name,
      accountId: this.req.caller.accountId,
      region: this.req.region,
      createdAt: this.now,
      status,
      template: input.template,
      parameters: input.params,
      tags: input.tags,
      capabilities: input.capabilities,
      outputs: [],
      resources: new Map(),
      events: [],
      changeSets: new Map(),
      drift: { status: 'NOT_CHECKED' },
    };
    return stack;
  }

  /**
   * The plan of an operation CloudFormation carries out with the caller's credentials (SCPs apply: acting-caller.ts).
   */
  actingPlan(stack: Stack, input: OpInput): ReturnType<typeof plan> {
    const p = plan(this.state, this.region, stack, input, this.now);
    denyPlanned(this.state, this.req.caller, this.req.region, p.resources);
    return p;
  }

  register(stack: Stack): void {
    this.region.live.set(stack.stackName, stack);
    this.region.byId.set(stack.stackId, stack);
    this.region.order.push(stack.stackId);
  }

  // -------------------------------------------------------------------------------------------------------------
  // stacks

  CreateStack(): unknown {
    const name = checkName(str(this.input, 'StackName'), 'stackName');
    const token = str(this.input, 'ClientRequestToken');
    const existing = this.find(name);
    if (existing) {
      if (token !== undefined && existing.lastToken === token) return { StackId: existing.stackId };
      throw new SimError('AlreadyExistsException', `Stack [${name}] already exists`);
    }
    const input = this.opInput();
    const stack = this.newStack(name, input, 'CREATE_IN_PROGRESS');
    stack.terminationProtection = bool(this.input, 'EnableTerminationProtection');
    const p = this.actingPlan(stack, input);
    this.register(stack);
    startCreate(this.engine, stack, input, p, { token });
    return { StackId: stack.stackId };
  }

  UpdateStack(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    const token = str(this.input, 'ClientRequestToken');
    if (token !== undefined && stack.lastToken === token) return { StackId: stack.stackId };
    if (isBusy(stack) || !UPDATABLE.includes(stack.status)) throw notUpdatable(stack);
    const input = this.opInput(stack);
    const p = this.actingPlan(stack, input);
    if (p.empty) throw validation('No updates are to be performed.');
    startUpdate(this.engine, stack, input, p, { token });
    return { StackId: stack.stackId };
  }

  DeleteStack(): unknown {
    const stack = this.find(str(this.input, 'StackName'));
    const token = str(this.input, 'ClientRequestToken');
    // deleting a stack that does not exist, or is already gone or going, succeeds
    if (!stack || stack.status === 'DELETE_COMPLETE' || stack.status === 'DELETE_IN_PROGRESS') return {};
    if (token !== undefined && stack.lastToken === token) return {};
    if (stack.terminationProtection) {
      throw validation(`Stack [${stack.stackName}] cannot be deleted while TerminationProtection is enabled`);
    }
    if (stack.op?.kind === 'create') {
      // cancel the creation: nothing reaches the state maps before an operation completes
      stack.op = undefined;
      stack.resources.clear();
    } else if (isBusy(stack)) {
      throw validation(`Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`);
    }
    const retain = list<string>(this.input, 'RetainResources').map(String);
    if (retain.length > 0 && stack.status !== 'DELETE_FAILED') {
      throw validation(
        `Invalid operation on stack [${stack.stackId}]. RetainResources is only valid for stacks in DELETE_FAILED state.`,
      );
    }
    startDelete(this.engine, stack, retain, {
      token,
      deny: deletionDenial(this.state, this.req.caller, this.req.region),
    });
    return {};
  }

  /** Any status but DELETE_IN_PROGRESS and DELETE_COMPLETE. */
  UpdateTerminationProtection(): unknown {
    const name = str(this.input, 'StackName');
    const enable = this.input.EnableTerminationProtection;
    if (enable === undefined) {
      throw validation(
        "1 validation error detected: Value null at 'enableTerminationProtection' failed to satisfy constraint: Member must not be null",
      );
    }
    const stack = this.get(name);
    if (stack.status === 'DELETE_IN_PROGRESS' || stack.status === 'DELETE_COMPLETE') {
      throw validation(
        `Stack [${stack.stackName}] is in ${stack.status} state and termination protection can not be updated.`,
      );
    }
    stack.terminationProtection = bool(this.input, 'EnableTerminationProtection');
    return { StackId: stack.stackId };
  }

  describeStack(stack: Stack): Record<string, unknown> {
    return {
      StackId: stack.stackId,
      StackName: stack.stackName,
      Description: stack.template.description,
      Parameters: paramsOut(stack.template, stack.parameters),
      CreationTime: new Date(stack.createdAt),
      DeletionTime: stack.deletedAt === undefined ? undefined : new Date(stack.deletedAt),
      LastUpdatedTime: stack.updatedAt === undefined ? undefined : new Date(stack.updatedAt),
      RollbackConfiguration: {},
      StackStatus: stack.status,
      StackStatusReason: stack.statusReason,
      DisableRollback: false,
      NotificationARNs: [],
      Capabilities: stack.capabilities,
      Outputs: stack.status === 'REVIEW_IN_PROGRESS' ? [] : stack.outputs,
      Tags: stack.tags,
      EnableTerminationProtection: stack.terminationProtection === true,
      DriftInformation: {
        StackDriftStatus: stack.drift.status,
        LastCheckTimestamp: stack.drift.lastCheck === undefined ? undefined : new Date(stack.drift.lastCheck),
      },
    };
  }

  DescribeStacks(): unknown {
    const name = str(this.input, 'StackName');
    if (name !== undefined) return { Stacks: [this.describeStack(this.get(name))] };
    const stacks: Stack[] = [];
    for (const s of [...this.region.live.values()]) {
      advance(s, this.now);
      if (s.status !== 'DELETE_COMPLETE') stacks.push(s);
    }
    const start = Number(str(this.input, 'NextToken') ?? 0);
    const page = stacks.slice(start, start + PAGE);
    return {
      Stacks: page.map((s) => this.describeStack(s)),
      NextToken: start + PAGE < stacks.length ? String(start + PAGE) : undefined,
    };
  }

  ListStacks(): unknown {
    const filter = list<string>(this.input, 'StackStatusFilter').map(String);
    // newest first; the token is the position in creation order to continue from, stable as stacks are added
    let i =
      str(this.input, 'NextToken') !== undefined ? Number(str(this.input, 'NextToken')) : this.region.order.length - 1;
    const out: unknown[] = [];
    for (; i >= 0 && out.length < PAGE; i--) {
      const stack = this.region.byId.get(this.region.order[i]!)!;
      advance(stack, this.now);
      if (filter.length > 0 && !filter.includes(stack.status)) continue;
      out.push({
        StackId: stack.stackId,
        StackName: stack.stackName,
        TemplateDescription: stack.template.description,
        CreationTime: new Date(stack.createdAt),
        LastUpdatedTime: stack.updatedAt === undefined ? undefined : new Date(stack.updatedAt),
        DeletionTime: stack.deletedAt === undefined ? undefined : new Date(stack.deletedAt),
        StackStatus: stack.status,
        StackStatusReason: stack.statusReason,
        DriftInformation: {
          StackDriftStatus: stack.drift.status,
          LastCheckTimestamp: stack.drift.lastCheck === undefined ? undefined : new Date(stack.drift.lastCheck),
        },
      });
    }
    return { StackSummaries: out, NextToken: i >= 0 ? String(i) : undefined };
  }

  DescribeStackEvents(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    const token = str(this.input, 'NextToken');
    const from = token !== undefined ? Number(token) : stack.events.length - 1;
    const out = [];
    let i = from;
    for (; i >= 0 && out.length < PAGE; i--) {
      const { props, ...e } = stack.events[i]!;
      out.push({ ...e, ResourceProperties: props ? JSON.stringify(props) : undefined });
    }
    return { StackEvents: out, NextToken: i >= 0 ? String(i) : undefined };
  }

  resourceOut(stack: Stack, r: StackResource): Record<string, unknown> {
    return {
      StackName: stack.stackName,
      StackId: stack.stackId,
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: r.physicalId || undefined,
      ResourceType: r.type,
      Timestamp: new Date(r.updatedAt),
      LastUpdatedTimestamp: new Date(r.updatedAt),
      ResourceStatus: r.status,
      ResourceStatusReason: r.statusReason,
      DriftInformation: {
        StackResourceDriftStatus: r.drift?.status ?? 'NOT_CHECKED',
        LastCheckTimestamp: r.drift ? new Date(r.drift.checkedAt) : undefined,
      },
    };
  }

  DescribeStackResources(): unknown {
    const physical = str(this.input, 'PhysicalResourceId');
    let stack: Stack | undefined;
    if (str(this.input, 'StackName')) {
      stack = this.get(str(this.input, 'StackName'));
    } else if (physical) {
      for (const s of this.region.live.values()) {
        advance(s, this.now);
        if ([...s.resources.values()].some((r) => r.physicalId === physical)) stack = s;
      }
      if (!stack) throw validation(`Stack for ${physical} does not exist`);
    } else {
      throw validation('Either StackName or PhysicalResourceId must be specified.');
    }
    const logical = str(this.input, 'LogicalResourceId');
    const found = stack;
    const resources = [...found.resources.values()]
      .filter((r) => (!logical || r.logicalId === logical) && (!physical || r.physicalId === physical))
      .map((r) => {
        const { LastUpdatedTimestamp: _l, ...rest } = this.resourceOut(found, r);
        return rest;
      });
    return { StackResources: resources };
  }

  DescribeStackResource(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    const logical = str(this.input, 'LogicalResourceId') ?? '';
    const r = stack.resources.get(logical);
    if (!r) throw validation(`Resource ${logical} does not exist for stack ${stack.stackName}`);
    const { Timestamp: _t, ...rest } = this.resourceOut(stack, r);
    return {
      StackResourceDetail: { ...rest, Metadata: JSON.stringify(stack.template.resources[logical]?.Metadata ?? {}) },
    };
  }

  GetTemplate(): unknown {
    const csName = str(this.input, 'ChangeSetName');
    if (csName) {
      const cs = this.changeSet(csName, str(this.input, 'StackName'));
      return { TemplateBody: cs.template.body, StagesAvailable: ['Original', 'Processed'] };
    }
    const stack = this.get(str(this.input, 'StackName'));
    return { TemplateBody: stack.template.body, StagesAvailable: ['Original', 'Processed'] };
  }

  ValidateTemplate(): unknown {
    const template = this.template();
    const caps = new Set<string>();
    try {
      checkCapabilities(template, []);
    } catch (err) {
      const m = (err as Error).message.match(/\[(\w+)\]/);
      if (m) caps.add(m[1]!);
    }
    return {
      Parameters: Object.entries(template.parameters).map(([k, p]) => ({
        ParameterKey: k,
        DefaultValue: p.Default === undefined ? undefined : String(p.Default),
        NoEcho: p.NoEcho === true || p.NoEcho === 'true',
        Description: p.Description,
      })),
      Description: template.description,
      Capabilities: [...caps],
      CapabilitiesReason:
        caps.size > 0 ? 'The following resource(s) require capabilities: [AWS::IAM::Role]' : undefined,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // change sets

  changeSet(nameOrId: string | undefined, stackName: string | undefined): ChangeSet {
    let cs: ChangeSet | undefined;
    if (nameOrId?.startsWith('arn:')) {
      cs = this.region.changeSetsById.get(nameOrId);
    } else if (nameOrId) {
      const stack = this.find(stackName);
      cs = stack?.changeSets.get(nameOrId);
    }
    if (!cs) throw new SimError('ChangeSetNotFound', `ChangeSet [${nameOrId ?? ''}] does not exist`, 404);
    const stack = this.region.byId.get(cs.stackId);
    if (stack) advance(stack, this.now);
    return cs;
  }

  changeSetStatus(cs: ChangeSet): { status: string; reason?: string; execution: string } {
    const elapsed = this.now - cs.createdAt;
    const d = cs.durationMs;
    if (elapsed < d * 0.15) return { status: 'CREATE_PENDING', execution: 'UNAVAILABLE' };
    if (elapsed < d * 0.4) return { status: 'CREATE_IN_PROGRESS', execution: 'UNAVAILABLE' };
    if (cs.empty) {
      return {
        status: 'FAILED',
        execution: 'UNAVAILABLE',
        reason:
          "The submitted information didn't contain changes. Submit different information to create a change set.",
      };
    }
    return { status: 'CREATE_COMPLETE', execution: cs.execution?.status ?? 'AVAILABLE' };
  }

  CreateChangeSet(): unknown {
    const stackName = checkName(str(this.input, 'StackName'), 'stackName');
    const csName = checkName(str(this.input, 'ChangeSetName'), 'changeSetName');
    const type = (str(this.input, 'ChangeSetType') ?? 'UPDATE') as 'CREATE' | 'UPDATE' | 'IMPORT';
    if (type !== 'CREATE' && type !== 'UPDATE')
      throw validation(`ChangeSetType ${type} is not supported by the simulator`);
    const clientToken = str(this.input, 'ClientToken');
    let stack = this.find(stackName);
    const previous = stack?.changeSets.get(csName);
    if (previous) {
      if (clientToken !== undefined && previous.clientToken === clientToken)
        return { Id: previous.id, StackId: previous.stackId };
      throw new SimError('AlreadyExistsException', `ChangeSet [${csName}] already exists`);
    }
    let fresh = false;
    if (type === 'CREATE') {
      if (stack && stack.status !== 'REVIEW_IN_PROGRESS') {
        throw validation(
          `Stack [${stackName}] already exists and cannot be created again with the changeSet [${csName}].`,
        );
      }
    } else {
      if (!stack) throw validation(`Stack [${stackName}] does not exist`);
      if (isBusy(stack) || !UPDATABLE.includes(stack.status)) throw notUpdatable(stack);
    }
    const input = this.opInput(type === 'UPDATE' ? stack : undefined);
    if (!stack) {
      stack = this.newStack(stackName, input, 'REVIEW_IN_PROGRESS');
      fresh = true;
    }
    const p = plan(this.state, this.region, stack, input, this.now);
    if (fresh) {
      this.register(stack);
      stack.events.push({
        StackId: stack.stackId,
        EventId: newUuid(this.state),
        StackName: stack.stackName,
        LogicalResourceId: stack.stackName,
        PhysicalResourceId: stack.stackId,
        ResourceType: 'AWS::CloudFormation::Stack',
        Timestamp: new Date(this.now),
        ResourceStatus: 'REVIEW_IN_PROGRESS',
        ResourceStatusReason: 'User Initiated',
      });
    }
    const cs: ChangeSet = {
      id: `arn:aws:cloudformation:${this.req.region}:${this.req.caller.accountId}:changeSet/${csName}/${newUuid(this.state)}`,
      name: csName,
      stackId: stack.stackId,
      type,
      createdAt: this.now,
      durationMs: this.state.stackMs,
      description: str(this.input, 'Description'),
      template: input.template,
      parameters: input.params,
      tags: input.tags,
      capabilities: input.capabilities,
      changes: p.changes,
      empty: p.empty,
      clientToken,
    };
    stack.changeSets.set(csName, cs);
    this.region.changeSetsById.set(cs.id, cs);
    return { Id: cs.id, StackId: stack.stackId };
  }

  DescribeChangeSet(): unknown {
    const cs = this.changeSet(str(this.input, 'ChangeSetName'), str(this.input, 'StackName'));
    const stack = this.region.byId.get(cs.stackId)!;
    const st = this.changeSetStatus(cs);
    return {
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackId: cs.stackId,
      StackName: stack.stackName,
      Description: cs.description,
      Parameters: paramsOut(cs.template, cs.parameters),
      CreationTime: new Date(cs.createdAt),
      ExecutionStatus: st.execution,
      Status: st.status,
      StatusReason: st.reason,
      NotificationARNs: [],
      RollbackConfiguration: {},
      Capabilities: cs.capabilities,
      Tags: cs.tags,
      Changes: st.status === 'CREATE_COMPLETE' ? cs.changes : [],
      IncludeNestedStacks: false,
    };
  }

  ListChangeSets(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    return {
      Summaries: [...stack.changeSets.values()].map((cs) => {
        const st = this.changeSetStatus(cs);
        return {
          StackId: stack.stackId,
          StackName: stack.stackName,
          ChangeSetId: cs.id,
          ChangeSetName: cs.name,
          ExecutionStatus: st.execution,
          Status: st.status,
          StatusReason: st.reason,
          CreationTime: new Date(cs.createdAt),
          Description: cs.description,
          IncludeNestedStacks: false,
        };
      }),
    };
  }

  ExecuteChangeSet(): unknown {
    const cs = this.changeSet(str(this.input, 'ChangeSetName'), str(this.input, 'StackName'));
    const token = str(this.input, 'ClientRequestToken');
    const stack = this.region.byId.get(cs.stackId)!;
    if (cs.execution) {
      if (token !== undefined && cs.execution.token === token) return {};
      throw new SimError(
        'InvalidChangeSetStatus',
        `ChangeSet [${cs.id}] cannot be executed in its current execution status of [${cs.execution.status}]`,
      );
    }
    const st = this.changeSetStatus(cs);
    if (st.status !== 'CREATE_COMPLETE') {
      throw new SimError(
        'InvalidChangeSetStatus',
        `ChangeSet [${cs.id}] cannot be executed in its current status of [${st.status}]`,
      );
    }
    const input: OpInput = {
      template: cs.template,
      params: cs.parameters,
      tags: cs.tags,
      capabilities: cs.capabilities,
    };
    if (cs.type === 'CREATE') {
      if (stack.status !== 'REVIEW_IN_PROGRESS' || isBusy(stack)) throw notUpdatable(stack);
    } else if (isBusy(stack) || !UPDATABLE.includes(stack.status)) {
      throw notUpdatable(stack);
    }
    const p = this.actingPlan(stack, input);
    // executing a change set makes every other change set of the stack obsolete: CloudFormation deletes them
    for (const other of [...stack.changeSets.values()]) {
      if (other === cs) continue;
      stack.changeSets.delete(other.name);
      this.region.changeSetsById.delete(other.id);
    }
    cs.execution = { status: 'EXECUTE_IN_PROGRESS', token };
    const hooks = {
      token,
      changeSetId: cs.id,
      onDone: (ok: boolean) => {
        cs.execution = { status: ok ? 'EXECUTE_COMPLETE' : 'EXECUTE_FAILED', token };
      },
    };
    if (cs.type === 'CREATE') startCreate(this.engine, stack, input, p, hooks);
    else startUpdate(this.engine, stack, input, p, hooks);
    return {};
  }

  DeleteChangeSet(): unknown {
    const cs = this.changeSet(str(this.input, 'ChangeSetName'), str(this.input, 'StackName'));
    if (cs.execution?.status === 'EXECUTE_IN_PROGRESS') {
      throw new SimError(
        'InvalidChangeSetStatus',
        `Cannot delete ChangeSet [${cs.id}] in its current execution status of [EXECUTE_IN_PROGRESS]`,
      );
    }
    const stack = this.region.byId.get(cs.stackId);
    stack?.changeSets.delete(cs.name);
    this.region.changeSetsById.delete(cs.id);
    return {};
  }

  // -------------------------------------------------------------------------------------------------------------
  // drift

  DetectStackDrift(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    if (isBusy(stack) || /_IN_PROGRESS$|_FAILED$|^ROLLBACK_COMPLETE$|^DELETE_COMPLETE$/.test(stack.status)) {
      throw validation(`Drift detection is not supported for stack [${stack.stackName}] in status ${stack.status}`);
    }
    const ids = list<string>(this.input, 'LogicalResourceIds').map(String);
    const det = startDriftDetection(this.engine, stack, ids.length > 0 ? ids : undefined);
    return { StackDriftDetectionId: det.id };
  }

  DescribeStackDriftDetectionStatus(): unknown {
    const id = str(this.input, 'StackDriftDetectionId') ?? '';
    const det = this.region.detections.get(id);
    if (!det) throw validation(`Stack drift detection ${id} does not exist`);
    const stack = this.region.byId.get(det.stackId)!;
    advance(stack, this.now);
    settleDetection(this.state, stack, det, this.now);
    const r = det.result;
    return {
      StackId: det.stackId,
      StackDriftDetectionId: det.id,
      StackDriftStatus: r?.stackDriftStatus,
      DetectionStatus: r?.status ?? 'DETECTION_IN_PROGRESS',
      DetectionStatusReason: r?.reason,
      DriftedStackResourceCount: r ? r.driftedCount : undefined,
      Timestamp: new Date(r?.at ?? det.startedAt),
    };
  }

  driftOut(stack: Stack, r: StackResource): Record<string, unknown> {
    const d = r.drift!;
    return {
      StackId: stack.stackId,
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: r.physicalId,
      ResourceType: r.type,
      ExpectedProperties: d.expected,
      ActualProperties: d.actual,
      PropertyDifferences: d.differences,
      StackResourceDriftStatus: d.status,
      Timestamp: new Date(d.checkedAt),
    };
  }

  DescribeStackResourceDrifts(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    for (const det of this.region.detections.values())
      if (det.stackId === stack.stackId) settleDetection(this.state, stack, det, this.now);
    const filters = list<string>(this.input, 'StackResourceDriftStatusFilters').map(String);
    const checked = [...stack.resources.values()].filter(
      (r) => r.drift && (filters.length > 0 ? filters.includes(r.drift.status) : r.drift.status !== 'NOT_CHECKED'),
    );
    const max = Number(str(this.input, 'MaxResults') ?? PAGE);
    const start = Number(str(this.input, 'NextToken') ?? 0);
    return {
      StackResourceDrifts: checked.slice(start, start + max).map((r) => this.driftOut(stack, r)),
      NextToken: start + max < checked.length ? String(start + max) : undefined,
    };
  }

  DetectStackResourceDrift(): unknown {
    const stack = this.get(str(this.input, 'StackName'));
    const logical = str(this.input, 'LogicalResourceId') ?? '';
    const r = stack.resources.get(logical);
    if (!r) throw validation(`Resource ${logical} does not exist for stack ${stack.stackName}`);
    r.drift = detectResourceDrift(envFor(this.state, stack, this.now), r, this.now);
    return { StackResourceDrift: this.driftOut(stack, r) };
  }
}

function paramsOut(template: Template, params: Map<string, ResolvedParameter>): unknown[] {
  return Object.keys(template.parameters).flatMap((key) => {
    const p = params.get(key);
    return p ? [{ ParameterKey: key, ParameterValue: p.noEcho ? '****' : p.raw }] : [];
  });
}

type OperationName = Exclude<
  keyof Handler,
  | 'region'
  | 'engine'
  | 'now'
  | 'ctx'
  | 'req'
  | 'state'
  | 'input'
  | 'find'
  | 'get'
  | 'actingPlan'
  | 'template'
  | 'opInput'
  | 'newStack'
  | 'register'
  | 'describeStack'
  | 'resourceOut'
  | 'changeSet'
  | 'changeSetStatus'
  | 'driftOut'
>;

const OPERATIONS = new Set<string>([
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'DescribeStacks',
  'ListStacks',
  'DescribeStackEvents',
  'DescribeStackResources',
  'DescribeStackResource',
  'GetTemplate',
  'ValidateTemplate',
  'CreateChangeSet',
  'DescribeChangeSet',
  'ListChangeSets',
  'ExecuteChangeSet',
  'DeleteChangeSet',
  'DetectStackDrift',
  'DescribeStackDriftDetectionStatus',
  'DescribeStackResourceDrifts',
  'DetectStackResourceDrift',
  'UpdateTerminationProtection',
] satisfies OperationName[]);

export const cloudformation: Service = {
  name: 'cloudformation',
  protocol: 'query',
  xmlns: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    if (STACKSET_OPERATIONS.has(req.operation)) return handleStackSets(ctx, req);
    if (!OPERATIONS.has(req.operation)) {
      throw new SimError('InvalidAction', `Could not find operation ${req.operation} for version 2010-05-15`, 400);
    }
    const handler = new Handler(ctx, req);
    return handler[req.operation as OperationName]();
  },
};
