// The stack engine: plans an operation (evaluated properties, physical ids, changes), turns it into a timeline of
// events and status changes spread over state.stackMs, and runs that timeline lazily. State maps change only when an
// operation completes; a failure rolls back and leaves nothing half-made.
import type { SimState, StackStatus } from '../state.js';
import { accountState, newUuid, regionState } from '../state.js';
import { SimError } from '../types.js';
import { detectResourceDrift } from './drift.js';
import { evaluate, evaluateConditions, type EvalContext, type ResolvedParameter } from './intrinsics.js';
import {
  cfnRegion,
  type CfnRegion,
  type ChangeSetChange,
  type DriftDetection,
  type Operation,
  type Stack,
  type StackOutput,
  type StackResource,
  type Step,
  type Tag,
} from './model.js';
import { providerFor, type Provider, type ProviderEnv } from './providers.js';
import type { Template } from './template.js';

export interface OpInput {
  template: Template;
  params: Map<string, ResolvedParameter>;
  tags: Tag[];
  capabilities: string[];
}

export interface PlannedResource {
  logicalId: string;
  type: string;
  provider?: Provider;
  physicalId: string;
  attrs: Record<string, unknown>;
  props: Record<string, unknown>;
  deletionPolicy?: string;
  updateReplacePolicy?: string;
  action: 'Add' | 'Modify' | 'None';
  replacement: boolean;
  old?: StackResource;
  /** why it cannot be made (unsupported type, name taken) */
  failure?: string;
}

export interface Plan {
  resources: PlannedResource[];
  /** old resources that the new template no longer has */
  removed: StackResource[];
  outputs: StackOutput[];
  changes: ChangeSetChange[];
  /** nothing to do: no resource, output or tag change */
  empty: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// planning

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || typeof a !== 'object' || a === null || b === null) {
    return (
      (typeof a === 'number' || typeof a === 'string') &&
      (typeof b === 'number' || typeof b === 'string') &&
      String(a) === String(b)
    );
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function tagsKey(tags: Tag[]): string {
  return JSON.stringify([...tags].sort((x, y) => x.Key.localeCompare(y.Key)).map((t) => [t.Key, t.Value]));
}

/** IAM resources need CAPABILITY_IAM; IAM resources with custom names need CAPABILITY_NAMED_IAM. */
export function checkCapabilities(template: Template, capabilities: string[]): void {
  let needed: string | undefined;
  for (const r of Object.values(template.resources)) {
    if (!r.Type.startsWith('AWS::IAM::')) continue;
    const props = r.Properties ?? {};
    const named = ['RoleName', 'UserName', 'GroupName', 'ManagedPolicyName', 'InstanceProfileName'].some(
      (k) => k in props,
    );
    if (named) needed = 'CAPABILITY_NAMED_IAM';
    else needed ??= 'CAPABILITY_IAM';
  }
  if (!needed) return;
  const ok =
    needed === 'CAPABILITY_IAM'
      ? capabilities.includes('CAPABILITY_IAM') || capabilities.includes('CAPABILITY_NAMED_IAM')
      : capabilities.includes('CAPABILITY_NAMED_IAM');
  if (!ok) throw new SimError('InsufficientCapabilitiesException', `Requires capabilities : [${needed}]`);
}

export function envFor(state: SimState, stack: Stack, now: number, tags: Tag[] = stack.tags): ProviderEnv {
  return {
    state,
    acct: accountState(state, stack.accountId),
    rs: regionState(state, stack.accountId, stack.region),
    accountId: stack.accountId,
    region: stack.region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    stackTags: tags,
    now,
  };
}

export function plan(state: SimState, region: CfnRegion, stack: Stack, input: OpInput, now: number): Plan {
  checkCapabilities(input.template, input.capabilities);
  const env = envFor(state, stack, now, input.tags);
  const exports = new Map<string, string>();
  for (const [name, e] of region.exports) exports.set(name, e.value);
  const ctx: EvalContext = {
    template: input.template,
    params: input.params,
    pseudo: {
      'AWS::AccountId': stack.accountId,
      'AWS::Region': stack.region,
      'AWS::Partition': 'aws',
      'AWS::StackName': stack.stackName,
      'AWS::StackId': stack.stackId,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::NotificationARNs': [],
    },
    conditions: new Map(),
    resources: new Map(),
    excluded: new Set(),
    exports,
  };
  evaluateConditions(ctx);
  for (const [id, decl] of Object.entries(input.template.resources)) {
    if (decl.Condition !== undefined && ctx.conditions.get(decl.Condition) !== true) ctx.excluded.add(id);
  }
  const tagsChanged = stack.resources.size > 0 && tagsKey(stack.tags) !== tagsKey(input.tags);

  const resources: PlannedResource[] = [];
  for (const id of input.template.order) {
    if (ctx.excluded.has(id)) continue;
    const decl = input.template.resources[id]!;
    const evaluated = evaluate(decl.Properties ?? {}, ctx);
    const props = (typeof evaluated === 'object' && evaluated !== null ? evaluated : {}) as Record<string, unknown>;
    const provider = providerFor(decl.Type);
    const old = stack.resources.get(id);
    const base = {
      logicalId: id,
      type: decl.Type,
      provider,
      props,
      deletionPolicy: decl.DeletionPolicy,
      updateReplacePolicy: decl.UpdateReplacePolicy,
    };
    let planned: PlannedResource;
    if (!provider) {
      planned = {
        ...base,
        physicalId: '',
        attrs: {},
        action: old ? 'Modify' : 'Add',
        replacement: !!old,
        old,
        failure: `Unsupported resource type ${decl.Type}: the simulator cannot create it`,
      };
    } else if (old && old.type === decl.Type) {
      const same = deepEqual(old.props, props);
      if (same && !(tagsChanged && provider.taggable)) {
        planned = { ...base, physicalId: old.physicalId, attrs: old.attrs, action: 'None', replacement: false, old };
      } else {
        const replacement = provider.replaceOn.some((k) => !deepEqual(old.props[k], props[k]));
        const p = replacement
          ? provider.plan(env, id, props)
          : provider.plan(env, id, props, { physicalId: old.physicalId, attrs: old.attrs });
        const failure =
          replacement && p.physicalId !== old.physicalId
            ? provider.createCheck?.(env, p.physicalId, props)
            : provider.updateCheck?.(env, old.physicalId, props);
        planned = { ...base, ...p, action: 'Modify', replacement, old, failure };
      }
    } else {
      const p = provider.plan(env, id, props);
      planned = {
        ...base,
        ...p,
        action: old ? 'Modify' : 'Add',
        replacement: !!old,
        old,
        failure: provider.createCheck?.(env, p.physicalId, props),
      };
    }
    ctx.resources.set(id, {
      physicalId: planned.physicalId || `${stack.stackName}-${id}`,
      attrs: planned.attrs,
      type: decl.Type,
    });
    if (!provider) {
      // an unsupported type fails before anything reads it, but its references must still evaluate
      ctx.resources.set(id, {
        physicalId: `${stack.stackName}-${id}`,
        type: decl.Type,
        attrs: new Proxy({}, { has: () => true, get: (_t, k) => `${stack.stackName}-${id}.${String(k)}` }),
      });
    }
    resources.push(planned);
  }
  const kept = new Set(resources.map((r) => r.logicalId));
  const removed = [...stack.resources.values()].filter((r) => !kept.has(r.logicalId));

  const outputs: StackOutput[] = [];
  for (const [key, o] of Object.entries(input.template.outputs)) {
    if (o.Condition !== undefined && ctx.conditions.get(o.Condition) !== true) continue;
    const v = evaluate(o.Value, ctx);
    const out: StackOutput = { OutputKey: key, OutputValue: Array.isArray(v) ? v.join(',') : String(v) };
    if (o.Description !== undefined) out.Description = String(evaluate(o.Description, ctx));
    if (o.Export !== undefined) out.ExportName = String(evaluate(o.Export.Name, ctx));
    outputs.push(out);
  }

  const changes: ChangeSetChange[] = [];
  for (const r of resources) {
    if (r.action === 'None') continue;
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: r.action,
        LogicalResourceId: r.logicalId,
        ResourceType: r.type,
        PhysicalResourceId: r.action === 'Modify' ? r.old?.physicalId : undefined,
        Replacement: r.action === 'Modify' ? (r.replacement ? 'True' : 'False') : undefined,
        Scope: r.action === 'Modify' ? ['Properties'] : [],
        Details: [],
      },
    });
  }
  for (const r of removed) {
    changes.push({
      Type: 'Resource',
      ResourceChange: {
        Action: 'Remove',
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        Scope: [],
        Details: [],
      },
    });
  }
  const outputsSame = JSON.stringify(outputs) === JSON.stringify(stack.outputs);
  const empty =
    stack.resources.size > 0 && changes.length === 0 && outputsSame && tagsKey(stack.tags) === tagsKey(input.tags);
  return { resources, removed, outputs, changes, empty };
}

// ---------------------------------------------------------------------------------------------------------------
// timelines

class Timeline {
  private units = 0;
  private readonly items: { unit: number; run: (at: number) => void; commit: boolean }[] = [];
  /** a step `units` after the previous one */
  add(run: (at: number) => void, units = 1, commit = false): void {
    this.units += units;
    this.items.push({ unit: this.units, run, commit });
  }
  now(run: (at: number) => void): void {
    this.items.push({ unit: this.units, run, commit: false });
  }
  steps(durationMs: number): Step[] {
    const total = this.units || 1;
    return this.items.map((i) => ({ at: (durationMs * i.unit) / total, run: i.run, commit: i.commit }));
  }
}

function event(
  stack: Stack,
  at: number,
  logicalId: string,
  type: string,
  status: string,
  physicalId?: string,
  reason?: string,
  props?: Record<string, unknown>,
  token?: string,
): void {
  const isStack = type === 'AWS::CloudFormation::Stack' && logicalId === stack.stackName;
  const ts = new Date(at);
  stack.events.push({
    StackId: stack.stackId,
    StackName: stack.stackName,
    EventId: isStack ? eventUuid(stack) : `${logicalId}-${status}-${ts.toISOString()}`,
    LogicalResourceId: logicalId,
    PhysicalResourceId: physicalId,
    ResourceType: type,
    Timestamp: ts,
    ResourceStatus: status,
    ResourceStatusReason: reason,
    props,
    ClientRequestToken: token,
  });
}

function eventUuid(stack: Stack): string {
  // stable and unique per stack without touching the global id counter from inside a lazy step
  const n = stack.events.length.toString(16).padStart(12, '0');
  return `${stack.stackId.slice(-36, -12)}${n}`;
}

function stackEvent(stack: Stack, at: number, status: StackStatus, reason?: string, token?: string): void {
  stack.status = status;
  stack.statusReason = reason;
  event(stack, at, stack.stackName, 'AWS::CloudFormation::Stack', status, stack.stackId, reason, undefined, token);
}

function record(r: PlannedResource, status: string, at: number, reason?: string): StackResource {
  return {
    logicalId: r.logicalId,
    type: r.type,
    physicalId: r.physicalId,
    props: r.props,
    attrs: r.attrs,
    status,
    statusReason: reason,
    updatedAt: at,
    deletionPolicy: r.deletionPolicy,
    updateReplacePolicy: r.updateReplacePolicy,
  };
}

function failStackFault(state: SimState, stack: Stack): boolean {
  return (
    state.faults.failStack.includes(stack.accountId) ||
    state.faults.failStack.includes(`${stack.accountId}:${stack.region}`)
  );
}

function faultReason(r: PlannedResource, state: SimState, stack: Stack): string {
  const id = newUuid(state);
  if (r.type === 'AWS::Lambda::Function') {
    return (
      `Resource handler returned message: "The role defined for the function cannot be assumed by Lambda. ` +
      `(Service: Lambda, Status Code: 400, Request ID: ${id})" (RequestToken: ${stack.stackId.slice(-36)}, HandlerErrorCode: InvalidRequest)`
    );
  }
  return (
    `Resource handler returned message: "Internal failure while handling ${r.logicalId} (Service: ${r.type.split('::')[1]}, ` +
    `Status Code: 500, Request ID: ${id})" (RequestToken: ${stack.stackId.slice(-36)}, HandlerErrorCode: ServiceInternalError)`
  );
}

/** Which resource fails, and why: a real problem first, else the injected fault (the function, or the last one). */
function pickFailure(
  state: SimState,
  stack: Stack,
  candidates: PlannedResource[],
): { index: number; reason: string } | undefined {
  const natural = candidates.findIndex((r) => r.failure !== undefined);
  if (natural >= 0) return { index: natural, reason: candidates[natural]!.failure! };
  if (!failStackFault(state, stack) || candidates.length === 0) return undefined;
  let index = candidates.findIndex((r) => r.type === 'AWS::Lambda::Function');
  if (index < 0) index = candidates.length - 1;
  return { index, reason: faultReason(candidates[index]!, state, stack) };
}

export interface OpHooks {
  token?: string;
  changeSetId?: string;
  onDone?: (succeeded: boolean) => void;
  /** delete: why the caller may not delete a resource (a service control policy), checked before the provider */
  deny?: (resource: StackResource) => string | undefined;
}

function startOperation(
  ctx: EngineContext,
  stack: Stack,
  kind: Operation['kind'],
  timeline: Timeline,
  hooks: OpHooks,
): void {
  const now = ctx.now();
  stack.op = {
    kind,
    startedAt: now,
    steps: timeline.steps(ctx.state.stackMs),
    next: 0,
    token: hooks.token,
    changeSetId: hooks.changeSetId,
  };
  stack.lastToken = hooks.token;
  advance(stack, now);
  if (stack.op) sweeperFor(ctx.state).track(stack);
}

export interface EngineContext {
  state: SimState;
  region: CfnRegion;
  now(): number;
}

export function startCreate(ctx: EngineContext, stack: Stack, input: OpInput, p: Plan, hooks: OpHooks = {}): void {
  const { state } = ctx;
  const env = envFor(state, stack, ctx.now(), input.tags);
  const tl = new Timeline();
  const token = hooks.token;
  const failure = pickFailure(state, stack, p.resources);
  const upTo = failure ? failure.index + 1 : p.resources.length;
  tl.now((at) => stackEvent(stack, at, 'CREATE_IN_PROGRESS', 'User Initiated', token));
  for (let i = 0; i < upTo; i++) {
    const r = p.resources[i]!;
    const failing = failure?.index === i;
    tl.add((at) => {
      stack.resources.set(r.logicalId, record(r, 'CREATE_IN_PROGRESS', at));
      event(stack, at, r.logicalId, r.type, 'CREATE_IN_PROGRESS', '', undefined, r.props, token);
    });
    if (!failing) {
      tl.add(
        (at) =>
          event(
            stack,
            at,
            r.logicalId,
            r.type,
            'CREATE_IN_PROGRESS',
            r.physicalId,
            'Resource creation Initiated',
            r.props,
            token,
          ),
        0.2,
      );
      tl.add((at) => {
        stack.resources.set(r.logicalId, record(r, 'CREATE_COMPLETE', at));
        event(stack, at, r.logicalId, r.type, 'CREATE_COMPLETE', r.physicalId, undefined, r.props, token);
      }, 0.8);
    } else {
      tl.add((at) => {
        stack.resources.set(r.logicalId, record(r, 'CREATE_FAILED', at, failure.reason));
        event(stack, at, r.logicalId, r.type, 'CREATE_FAILED', '', failure.reason, r.props, token);
      }, 0.8);
    }
  }
  if (failure) {
    const failed = p.resources[failure.index]!;
    tl.add(
      (at) =>
        stackEvent(
          stack,
          at,
          'ROLLBACK_IN_PROGRESS',
          `The following resource(s) failed to create: [${failed.logicalId}]. Rollback requested by user.`,
          token,
        ),
      0.2,
    );
    for (let i = failure.index; i >= 0; i--) {
      const r = p.resources[i]!;
      if (i !== failure.index) {
        tl.add((at) => {
          stack.resources.set(r.logicalId, record(r, 'DELETE_IN_PROGRESS', at));
          event(stack, at, r.logicalId, r.type, 'DELETE_IN_PROGRESS', r.physicalId, undefined, r.props, token);
        }, 0.5);
      }
      tl.add((at) => {
        stack.resources.delete(r.logicalId);
        event(
          stack,
          at,
          r.logicalId,
          r.type,
          'DELETE_COMPLETE',
          i === failure.index ? '' : r.physicalId,
          undefined,
          r.props,
          token,
        );
      }, 0.5);
    }
    tl.add((at) => {
      stack.resources.clear();
      stackEvent(stack, at, 'ROLLBACK_COMPLETE', undefined, token);
      hooks.onDone?.(false);
    }, 0.5);
  } else {
    tl.add(
      (at) => {
        env.now = at;
        const next = new Map<string, StackResource>();
        for (const r of p.resources) {
          const rec = record(r, 'CREATE_COMPLETE', stack.resources.get(r.logicalId)?.updatedAt ?? at);
          r.provider!.apply(env, rec);
          next.set(r.logicalId, rec);
        }
        stack.resources = next;
        commitInputs(ctx.region, stack, input, p);
        stackEvent(stack, at, 'CREATE_COMPLETE', undefined, token);
        hooks.onDone?.(true);
      },
      0.5,
      true,
    );
  }
  startOperation(ctx, stack, 'create', tl, hooks);
}

function commitInputs(region: CfnRegion, stack: Stack, input: OpInput, p: Plan): void {
  stack.template = input.template;
  stack.parameters = input.params;
  stack.tags = input.tags;
  stack.capabilities = input.capabilities;
  for (const [name, e] of region.exports) if (e.stackId === stack.stackId) region.exports.delete(name);
  stack.outputs = p.outputs;
  for (const o of p.outputs)
    if (o.ExportName) region.exports.set(o.ExportName, { stackId: stack.stackId, value: o.OutputValue });
}

export function startUpdate(ctx: EngineContext, stack: Stack, input: OpInput, p: Plan, hooks: OpHooks = {}): void {
  const { state } = ctx;
  const env = envFor(state, stack, ctx.now(), input.tags);
  const tl = new Timeline();
  const token = hooks.token;
  const before = new Map(stack.resources);
  const changed = p.resources.filter((r) => r.action !== 'None');
  const failure = pickFailure(state, stack, changed);
  const upTo = failure ? failure.index + 1 : changed.length;
  tl.now((at) => {
    stack.updatedAt = at;
    stackEvent(stack, at, 'UPDATE_IN_PROGRESS', 'User Initiated', token);
  });
  for (let i = 0; i < upTo; i++) {
    const r = changed[i]!;
    const failing = failure?.index === i;
    const verb = r.action === 'Add' ? 'CREATE' : 'UPDATE';
    const phys = r.action === 'Add' ? '' : r.old?.physicalId;
    tl.add((at) => {
      stack.resources.set(r.logicalId, {
        ...(r.old ?? record(r, '', at)),
        status: `${verb}_IN_PROGRESS`,
        updatedAt: at,
      });
      event(
        stack,
        at,
        r.logicalId,
        r.type,
        `${verb}_IN_PROGRESS`,
        phys,
        r.replacement
          ? 'Requested update requires the creation of a new physical resource; hence creating one.'
          : undefined,
        r.props,
        token,
      );
    });
    if (failing) {
      tl.add((at) => {
        const rec = stack.resources.get(r.logicalId)!;
        rec.status = `${verb}_FAILED`;
        rec.statusReason = failure.reason;
        event(stack, at, r.logicalId, r.type, `${verb}_FAILED`, phys, failure.reason, r.props, token);
      }, 0.8);
    } else {
      if (r.replacement || r.action === 'Add') {
        tl.add(
          (at) =>
            event(
              stack,
              at,
              r.logicalId,
              r.type,
              `${verb}_IN_PROGRESS`,
              r.physicalId,
              'Resource creation Initiated',
              r.props,
              token,
            ),
          0.2,
        );
      }
      tl.add((at) => {
        stack.resources.set(r.logicalId, record(r, `${verb}_COMPLETE`, at));
        event(stack, at, r.logicalId, r.type, `${verb}_COMPLETE`, r.physicalId, undefined, r.props, token);
      }, 0.8);
    }
  }
  if (failure) {
    const failed = changed[failure.index]!;
    const verb = failed.action === 'Add' ? 'create' : 'update';
    tl.add(
      (at) =>
        stackEvent(
          stack,
          at,
          'UPDATE_ROLLBACK_IN_PROGRESS',
          `The following resource(s) failed to ${verb}: [${failed.logicalId}]. `,
          token,
        ),
      0.3,
    );
    const attempted = changed.slice(0, failure.index + 1);
    for (const r of [...attempted].reverse()) {
      if (r.action !== 'Modify' || !r.old) continue;
      const old = r.old;
      tl.add((at) => {
        stack.resources.set(r.logicalId, { ...old, status: 'UPDATE_IN_PROGRESS', updatedAt: at });
        event(stack, at, r.logicalId, r.type, 'UPDATE_IN_PROGRESS', old.physicalId, undefined, old.props, token);
      }, 0.5);
      tl.add((at) => {
        stack.resources.set(r.logicalId, { ...old, status: 'UPDATE_COMPLETE', updatedAt: at });
        event(stack, at, r.logicalId, r.type, 'UPDATE_COMPLETE', old.physicalId, undefined, old.props, token);
      }, 0.5);
    }
    tl.add((at) => stackEvent(stack, at, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', undefined, token), 0.3);
    for (const r of [...attempted].reverse()) {
      if (r.action !== 'Add' && !r.replacement) continue;
      tl.add((at) => {
        if (r.action === 'Add') stack.resources.delete(r.logicalId);
        event(stack, at, r.logicalId, r.type, 'DELETE_COMPLETE', r.physicalId, undefined, r.props, token);
      }, 0.5);
    }
    tl.add((at) => {
      stack.resources = new Map(before);
      stackEvent(stack, at, 'UPDATE_ROLLBACK_COMPLETE', undefined, token);
      hooks.onDone?.(false);
    }, 0.3);
  } else {
    // adds and modifications take effect before cleanup; removals and replaced resources go during cleanup
    tl.add(
      (at) => {
        env.now = at;
        const next = new Map<string, StackResource>();
        for (const r of p.resources) {
          const rec =
            r.action === 'None'
              ? before.get(r.logicalId)!
              : record(r, r.action === 'Add' ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE', at);
          if (r.action !== 'None') r.provider!.apply(env, rec, r.replacement ? undefined : r.old);
          next.set(r.logicalId, rec);
        }
        stack.resources = next;
        commitInputs(ctx.region, stack, input, p);
        stackEvent(stack, at, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', undefined, token);
      },
      0.5,
      true,
    );
    const cleanup: { res: StackResource; retain: boolean }[] = [
      ...changed
        .filter((r) => r.replacement && r.old)
        .map((r) => ({ res: r.old!, retain: r.updateReplacePolicy === 'Retain' })),
      ...[...p.removed].reverse().map((res) => ({ res, retain: retainsOnDelete(res.deletionPolicy) })),
    ];
    for (const { res, retain } of cleanup) {
      if (retain) {
        tl.add(
          (at) =>
            event(stack, at, res.logicalId, res.type, 'DELETE_SKIPPED', res.physicalId, undefined, res.props, token),
          0.5,
        );
        continue;
      }
      tl.add(
        (at) =>
          event(stack, at, res.logicalId, res.type, 'DELETE_IN_PROGRESS', res.physicalId, undefined, res.props, token),
        0.3,
      );
      tl.add(
        (at) => {
          env.now = at;
          const provider = providerFor(res.type);
          const problem = hooks.deny?.(res) ?? provider?.removeCheck?.(env, res);
          if (problem) {
            event(stack, at, res.logicalId, res.type, 'DELETE_FAILED', res.physicalId, problem, res.props, token);
            return;
          }
          provider?.remove(env, res);
          event(stack, at, res.logicalId, res.type, 'DELETE_COMPLETE', res.physicalId, undefined, res.props, token);
        },
        0.3,
        true,
      );
    }
    tl.add((at) => {
      stackEvent(stack, at, 'UPDATE_COMPLETE', undefined, token);
      hooks.onDone?.(true);
    }, 0.3);
  }
  startOperation(ctx, stack, 'update', tl, hooks);
}

/**
 * Whether a resource outlives a stack delete, or its removal from the template. RetainExceptOnCreate retains like
 * Retain everywhere except in the rollback of the operation that created it (create rollbacks here delete every
 * resource they made, whatever its policy). Snapshot and Delete delete.
 */
export function retainsOnDelete(policy: string | undefined): boolean {
  return policy === 'Retain' || policy === 'RetainExceptOnCreate';
}

export function startDelete(ctx: EngineContext, stack: Stack, retainResources: string[], hooks: OpHooks = {}): void {
  const env = envFor(ctx.state, stack, ctx.now());
  const tl = new Timeline();
  const token = hooks.token;
  const order = stack.template.order;
  const rank = (id: string) => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  const victims = [...stack.resources.values()].sort((x, y) => rank(y.logicalId) - rank(x.logicalId));
  const failed: string[] = [];
  tl.now((at) => stackEvent(stack, at, 'DELETE_IN_PROGRESS', 'User Initiated', token));
  for (const res of victims) {
    if (retainsOnDelete(res.deletionPolicy) || retainResources.includes(res.logicalId)) {
      tl.add((at) => {
        stack.resources.delete(res.logicalId);
        event(stack, at, res.logicalId, res.type, 'DELETE_SKIPPED', res.physicalId, undefined, res.props, token);
      });
      continue;
    }
    tl.add((at) => {
      stack.resources.set(res.logicalId, { ...res, status: 'DELETE_IN_PROGRESS', updatedAt: at });
      event(stack, at, res.logicalId, res.type, 'DELETE_IN_PROGRESS', res.physicalId, undefined, res.props, token);
    }, 0.5);
    tl.add(
      (at) => {
        env.now = at;
        const provider = providerFor(res.type);
        const problem = hooks.deny?.(res) ?? provider?.removeCheck?.(env, res);
        if (problem) {
          failed.push(res.logicalId);
          stack.resources.set(res.logicalId, { ...res, status: 'DELETE_FAILED', statusReason: problem, updatedAt: at });
          event(stack, at, res.logicalId, res.type, 'DELETE_FAILED', res.physicalId, problem, res.props, token);
          return;
        }
        provider?.remove(env, res);
        stack.resources.delete(res.logicalId);
        event(stack, at, res.logicalId, res.type, 'DELETE_COMPLETE', res.physicalId, undefined, res.props, token);
      },
      0.5,
      true,
    );
  }
  tl.add(
    (at) => {
      if (failed.length > 0) {
        stackEvent(
          stack,
          at,
          'DELETE_FAILED',
          `The following resource(s) failed to delete: [${failed.join(', ')}]. `,
          token,
        );
        hooks.onDone?.(false);
        return;
      }
      stack.deletedAt = at;
      stackEvent(stack, at, 'DELETE_COMPLETE', undefined, token);
      if (ctx.region.live.get(stack.stackName) === stack) ctx.region.live.delete(stack.stackName);
      for (const [name, e] of ctx.region.exports) if (e.stackId === stack.stackId) ctx.region.exports.delete(name);
      for (const cs of stack.changeSets.values()) ctx.region.changeSetsById.delete(cs.id);
      stack.changeSets.clear();
      hooks.onDone?.(true);
    },
    0.5,
    true,
  );
  startOperation(ctx, stack, 'delete', tl, hooks);
}

/** Runs every step that is due. Call before reading or changing a stack. */
export function advance(stack: Stack, now: number): void {
  const op = stack.op;
  if (!op) return;
  while (op.next < op.steps.length) {
    const step = op.steps[op.next]!;
    const at = op.startedAt + step.at;
    if (at > now) return;
    op.next++;
    step.run(at);
  }
  stack.op = undefined;
}

export function isBusy(stack: Stack): boolean {
  return stack.op !== undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// drift

export function startDriftDetection(ctx: EngineContext, stack: Stack, logicalIds?: string[]): DriftDetection {
  const now = ctx.now();
  const det: DriftDetection = {
    id: newUuid(ctx.state),
    stackId: stack.stackId,
    startedAt: now,
    dueAt: now + Math.max(0, ctx.state.stackMs * 0.2),
    logicalIds,
  };
  ctx.region.detections.set(det.id, det);
  settleDetection(ctx.state, stack, det, now);
  return det;
}

export function settleDetection(state: SimState, stack: Stack, det: DriftDetection, now: number): void {
  if (det.result || now < det.dueAt) return;
  const at = det.dueAt;
  const env = envFor(state, stack, at);
  const failing =
    state.faults.failDrift.includes(stack.accountId) ||
    state.faults.failDrift.includes(`${stack.accountId}:${stack.region}`);
  const targets = [...stack.resources.values()].filter((r) => !det.logicalIds || det.logicalIds.includes(r.logicalId));
  if (failing) {
    const first = targets.find((r) => providerFor(r.type)?.actual !== undefined) ?? targets[0];
    det.result = {
      status: 'DETECTION_FAILED',
      stackDriftStatus: 'UNKNOWN',
      driftedCount: 0,
      at,
      reason: `Failed to detect drift on resources [${first?.logicalId ?? stack.stackName}]: Rate exceeded (Service: ${first?.type.split('::')[1] ?? 'CloudFormation'}, Status Code: 400, Request ID: ${newUuid(state)})`,
    };
    stack.drift = { status: 'UNKNOWN', lastCheck: at };
    return;
  }
  let drifted = 0;
  for (const r of targets) {
    r.drift = detectResourceDrift(env, r, at);
    if (r.drift.status === 'MODIFIED' || r.drift.status === 'DELETED') drifted++;
  }
  det.result = {
    status: 'DETECTION_COMPLETE',
    stackDriftStatus: drifted > 0 ? 'DRIFTED' : 'IN_SYNC',
    driftedCount: drifted,
    at,
  };
  stack.drift = { status: det.result.stackDriftStatus, lastCheck: at };
}

// ---------------------------------------------------------------------------------------------------------------
// the sweeper: one timer per simulator, so that resources appear in the state maps on time even when nobody reads
// the stack (another service may be the first to look)

interface Sweeper {
  track(stack: Stack): void;
}

const sweepers = new WeakMap<SimState, Sweeper>();
const MIN_SWEEP_MS = 10;

function nextCommitAt(stack: Stack): number | undefined {
  const op = stack.op;
  if (!op) return undefined;
  for (let i = op.next; i < op.steps.length; i++) {
    const step = op.steps[i]!;
    if (step.commit) return op.startedAt + step.at;
  }
  return undefined;
}

function sweeperFor(state: SimState): Sweeper {
  let sw = sweepers.get(state);
  if (sw) return sw;
  const pending = new Set<Stack>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  const arm = (at: number) => {
    if (timer && at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(sweep, Math.max(MIN_SWEEP_MS, at - Date.now()));
    timer.unref();
  };
  const sweep = () => {
    timer = undefined;
    timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const stack of pending) {
      advance(stack, now);
      const due = nextCommitAt(stack);
      if (due === undefined) {
        pending.delete(stack);
      } else {
        next = Math.min(next, due);
      }
    }
    if (next < Infinity) arm(next);
  };
  sw = {
    track(stack) {
      const due = nextCommitAt(stack);
      if (due === undefined) return;
      pending.add(stack);
      arm(due);
    },
  };
  sweepers.set(state, sw);
  return sw;
}

export function regionFor(state: SimState, accountId: string, region: string): CfnRegion {
  return cfnRegion(regionState(state, accountId, region));
}
