// A stack instance's stack in its member account, made, changed and deleted through the same CloudFormation engine
// that CreateStack uses: its resources land in the account's state maps, so the closed loop works there.
import type { SimState } from '../state.js';
import {
  advance,
  plan,
  regionFor,
  startCreate,
  startDelete,
  startDriftDetection,
  startUpdate,
  settleDetection,
  type OpInput,
} from '../cfn/engine.js';
import { resolveParameters } from '../cfn/intrinsics.js';
import type { Stack } from '../cfn/model.js';
import { templateFor } from '../cfn/template.js';
import { stackSetsOf, uuid, type Instance, type StackSet } from './model.js';

export type StackOutcome = { ok: true } | { ok: false; reason: string };

function inputFor(set: StackSet, inst: Instance, previous?: Stack): OpInput {
  const template = templateFor(set.templateBody, 'url'); // (the set's template was checked when it was set: TemplateBody's limit or TemplateURL's)
  const values = { ...set.parameters, ...inst.overrides };
  const given = Object.entries(values)
    .filter(([k]) => k in template.parameters)
    .map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
  return {
    template,
    params: resolveParameters(template, given, previous?.parameters),
    tags: set.tags,
    capabilities: set.capabilities,
  };
}

export function instanceStack(state: SimState, inst: Instance): Stack | undefined {
  if (!inst.stackId) return undefined;
  const stack = regionFor(state, inst.account, inst.region).byId.get(inst.stackId);
  if (stack) advance(stack, Date.now());
  return stack && stack.status !== 'DELETE_COMPLETE' ? stack : undefined;
}

/** Waits (real time, as stack operations run) until the stack has no operation in progress. */
async function settle(stack: Stack): Promise<void> {
  for (;;) {
    advance(stack, Date.now());
    if (!stack.op) return;
    const op = stack.op;
    const last = op.steps[op.steps.length - 1];
    const due = op.startedAt + (last?.at ?? 0) - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(5, due + 1)).unref?.());
  }
}

/** The first failed resource, as StackSets writes a failed instance's StatusReason. */
function failureReason(stack: Stack): string {
  const failed = stack.events.find(
    (e) => /_FAILED$/.test(e.ResourceStatus ?? '') && e.LogicalResourceId !== stack.stackName,
  );
  if (!failed) return `Stack ${stack.stackName} is in ${stack.status}.`;
  return `ResourceLogicalId:${failed.LogicalResourceId}, ResourceType:${failed.ResourceType}, ResourceStatusReason:${failed.ResourceStatusReason ?? ''}.`;
}

async function deleteStack(state: SimState, stack: Stack): Promise<StackOutcome> {
  const region = regionFor(state, stack.accountId, stack.region);
  startDelete({ state, region, now: () => Date.now() }, stack, []);
  await settle(stack);
  return stack.status === 'DELETE_COMPLETE' ? { ok: true } : { ok: false, reason: failureReason(stack) };
}

/** Creates the instance's stack, or brings it to the stack set's template and parameters. */
export async function applyInstance(state: SimState, set: StackSet, inst: Instance): Promise<StackOutcome> {
  const region = regionFor(state, inst.account, inst.region);
  const ctx = { state, region, now: () => Date.now() };
  let stack = instanceStack(state, inst);
  if (stack && stack.status === 'ROLLBACK_COMPLETE') {
    const gone = await deleteStack(state, stack);
    if (!gone.ok) return gone;
    stack = undefined;
  }
  if (stack) {
    const input = inputFor(set, inst, stack);
    const p = plan(state, region, stack, input, Date.now());
    if (p.empty) return { ok: true };
    startUpdate(ctx, stack, input, p);
    await settle(stack);
    return stack.status === 'UPDATE_COMPLETE' ? { ok: true } : { ok: false, reason: failureReason(stack) };
  }
  const name = inst.stackName;
  if (region.live.has(name)) return { ok: false, reason: `Stack [${name}] already exists` };
  const input = inputFor(set, inst);
  const now = Date.now();
  const fresh: Stack = {
    stackId: `arn:aws:cloudformation:${inst.region}:${inst.account}:stack/${name}/${uuid(stackSetsOf(state))}`,
    stackName: name,
    accountId: inst.account,
    region: inst.region,
    createdAt: now,
    status: 'CREATE_IN_PROGRESS',
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
  const p = plan(state, region, fresh, input, now);
  region.live.set(name, fresh);
  region.byId.set(fresh.stackId, fresh);
  region.order.push(fresh.stackId);
  inst.stackId = fresh.stackId;
  startCreate(ctx, fresh, input, p);
  await settle(fresh);
  return fresh.status === 'CREATE_COMPLETE' ? { ok: true } : { ok: false, reason: failureReason(fresh) };
}

/** Deletes the instance's stack (retain: leaves it, and only forgets the instance). */
export async function removeInstance(state: SimState, inst: Instance, retain: boolean): Promise<StackOutcome> {
  const stack = instanceStack(state, inst);
  if (!stack || retain) return { ok: true };
  if (stack.op) await settle(stack);
  return deleteStack(state, stack);
}

/** Detects drift on the instance's stack. */
export async function detectInstanceDrift(state: SimState, inst: Instance): Promise<'DRIFTED' | 'IN_SYNC' | 'UNKNOWN'> {
  const stack = instanceStack(state, inst);
  if (!stack || stack.op) return 'UNKNOWN';
  const region = regionFor(state, inst.account, inst.region);
  const det = startDriftDetection({ state, region, now: () => Date.now() }, stack);
  while (!det.result) {
    await new Promise((r) => setTimeout(r, Math.max(5, det.dueAt - Date.now() + 1)).unref?.());
    settleDetection(state, stack, det, Date.now());
  }
  return det.result.stackDriftStatus;
}
