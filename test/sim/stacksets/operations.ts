// Running a stack set operation as StackSets does: regions one after another (SEQUENTIAL, in RegionOrder) or all
// at once (PARALLEL); in each region, at most MaxConcurrentCount/Percentage accounts at a time; a region stops once
// more accounts failed than FailureToleranceCount/Percentage allows, and then no later region starts. STRICT
// failure tolerance lowers the concurrency as accounts fail; SOFT keeps it. One operation runs per stack set at a
// time; with managed execution the next one waits (QUEUED), without it the call is refused.
import type { SimState } from '../state.js';
import { SimError } from '../types.js';
import {
  instanceKey,
  stackSetsOf,
  timingOf,
  uuid,
  type Instance,
  type OpResult,
  type Preferences,
  type StackSet,
  type StackSetOperation,
} from './model.js';
import { applyInstance, detectInstanceDrift, removeInstance, type StackOutcome } from './instance-stack.js';

export interface OperationRequest {
  action: StackSetOperation['action'];
  targets: { account: string; region: string; ouId: string }[];
  prefs: Preferences;
  overrides?: Record<string, string>;
  retainStacks?: boolean;
  operationId?: string;
  auto?: boolean;
}

const running = new WeakMap<StackSet, Promise<void>>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => {
    setTimeout(r, Math.max(0, ms)).unref?.();
  });
}

export function isBusy(set: StackSet): boolean {
  return [...set.operations.values()].some(
    (o) => o.status === 'RUNNING' || o.status === 'QUEUED' || o.status === 'STOPPING',
  );
}

/** Starts (or queues) an operation and returns it at once; it runs in the background, in real time. */
export function startOperation(state: SimState, set: StackSet, req: OperationRequest): StackSetOperation {
  if (req.operationId && set.operations.has(req.operationId)) {
    const prior = set.operations.get(req.operationId)!;
    if (prior.action === req.action) return prior;
    throw new SimError('OperationIdAlreadyExistsException', `The operation ID ${req.operationId} already exists.`);
  }
  // auto-deployment is StackSets' own work: it waits for the operation in progress
  if (isBusy(set) && !set.managedExecution && !req.auto) {
    const current = [...set.operations.values()].find((o) => o.status === 'RUNNING' || o.status === 'QUEUED')!;
    throw new SimError(
      'OperationInProgressException',
      `Another Operation on StackSet ${set.id} is in progress: ${current.id}`,
      409,
    );
  }
  const op: StackSetOperation = {
    id: req.operationId ?? uuid(stackSetsOf(state)),
    stackSetId: set.id,
    action: req.action,
    status: 'QUEUED',
    prefs: req.prefs,
    createdAt: Date.now(),
    results: new Map(),
    retainStacks: req.retainStacks,
    overrides: req.overrides,
    auto: req.auto,
  };
  for (const t of req.targets) {
    op.results.set(instanceKey(t.account, t.region), {
      account: t.account,
      region: t.region,
      ouId: t.ouId,
      status: 'PENDING',
    });
  }
  set.operations.set(op.id, op);
  set.operationOrder.push(op.id);
  // mark the targeted instances as waiting for this operation
  for (const t of req.targets) {
    const inst = set.instances.get(instanceKey(t.account, t.region));
    if (inst && req.action !== 'DETECT_DRIFT') {
      inst.detailed = 'PENDING';
      inst.lastOperationId = op.id;
    }
  }
  const before = running.get(set) ?? Promise.resolve();
  const run = before
    .then(() => runOperation(state, set, op))
    .catch((err: unknown) => {
      op.status = 'FAILED';
      op.statusReason = `Internal error: ${(err as Error).message}`;
      op.endedAt = Date.now();
    });
  running.set(set, run);
  return op;
}

function limit(count: number | undefined, percentage: number | undefined, total: number, fallback: number): number {
  if (count !== undefined) return count;
  if (percentage !== undefined) return Math.floor((total * percentage) / 100);
  return fallback;
}

async function runOperation(state: SimState, set: StackSet, op: StackSetOperation): Promise<void> {
  await sleep(op.createdAt + timingOf(state).startMs - Date.now());
  op.status = 'RUNNING';
  const byRegion = new Map<string, OpResult[]>();
  for (const r of op.results.values()) {
    const list = byRegion.get(r.region) ?? [];
    list.push(r);
    byRegion.set(r.region, list);
  }
  const order = [
    ...op.prefs.regionOrder.filter((r) => byRegion.has(r)),
    ...[...byRegion.keys()].filter((r) => !op.prefs.regionOrder.includes(r)),
  ];
  let stopped = false;
  if (op.prefs.regionConcurrency === 'PARALLEL') {
    const outcomes = await Promise.all(order.map((region) => runRegion(state, set, op, byRegion.get(region)!)));
    stopped = outcomes.some((ok) => !ok);
  } else {
    for (const region of order) {
      if (stopped) {
        for (const r of byRegion.get(region)!) cancel(set, r, 'Cancelled since failure tolerance has exceeded');
        continue;
      }
      stopped = !(await runRegion(state, set, op, byRegion.get(region)!));
    }
  }
  if (op.action === 'DETECT_DRIFT') {
    const counts = { drifted: 0, inSync: 0, failed: 0 };
    for (const inst of set.instances.values()) {
      if (inst.drift.status === 'DRIFTED') counts.drifted++;
      else if (inst.drift.status === 'IN_SYNC') counts.inSync++;
      else counts.failed++;
    }
    op.drift = counts;
    set.drift = { status: counts.drifted > 0 ? 'DRIFTED' : 'IN_SYNC', at: Date.now() };
  }
  op.status = stopped ? 'FAILED' : 'SUCCEEDED';
  if (stopped)
    op.statusReason = 'The Operation failed because the failure tolerance was exceeded in at least one Region.';
  op.endedAt = Date.now();
}

function cancel(set: StackSet, r: OpResult, reason: string): void {
  r.status = 'CANCELLED';
  r.reason = reason;
  const inst = set.instances.get(instanceKey(r.account, r.region));
  if (inst && inst.detailed === 'PENDING') inst.detailed = 'CANCELLED';
}

/** One region: a window of accounts bounded by the concurrency; false when the failure tolerance was exceeded. */
async function runRegion(state: SimState, set: StackSet, op: StackSetOperation, results: OpResult[]): Promise<boolean> {
  const p = op.prefs;
  const tolerance = limit(p.failureToleranceCount, p.failureTolerancePercentage, results.length, 0);
  const maxConcurrent = Math.max(1, limit(p.maxConcurrentCount, p.maxConcurrentPercentage, results.length, 1));
  let failures = 0;
  let active = 0;
  let next = 0;
  const width = () =>
    p.concurrencyMode === 'STRICT_FAILURE_TOLERANCE'
      ? Math.max(1, Math.min(maxConcurrent, tolerance + 1 - failures))
      : maxConcurrent;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (next < results.length && failures <= tolerance && active < width()) {
        const r = results[next++]!;
        active++;
        void runOne(state, set, op, r).then((ok) => {
          active--;
          if (!ok) failures++;
          pump();
        });
      }
      if (active === 0 && (next >= results.length || failures > tolerance)) resolve();
    };
    pump();
  });
  for (let i = next; i < results.length; i++)
    cancel(set, results[i]!, 'Cancelled since failure tolerance has exceeded');
  return failures <= tolerance;
}

async function runOne(state: SimState, set: StackSet, op: StackSetOperation, r: OpResult): Promise<boolean> {
  r.status = 'RUNNING';
  const key = instanceKey(r.account, r.region);
  const account = state.org.accounts.get(r.account);
  let inst = set.instances.get(key);
  if (op.action === 'CREATE' && !inst) {
    inst = newInstance(state, set, r);
    set.instances.set(key, inst);
  }
  if (inst && op.action !== 'DETECT_DRIFT') {
    inst.detailed = 'RUNNING';
    inst.lastOperationId = op.id;
  }
  if (!account || account.status !== 'ACTIVE') {
    r.status = 'SUCCEEDED';
    r.reason = 'Account is suspended.';
    if (inst) {
      inst.detailed = 'SKIPPED_SUSPENDED_ACCOUNT';
      inst.status = 'INOPERABLE';
    }
    return true;
  }
  await sleep(timingOf(state).instanceMs);
  let outcome: StackOutcome;
  try {
    if (!inst)
      outcome = { ok: false, reason: `Stack instance in account ${r.account} and region ${r.region} does not exist.` };
    else if (op.action === 'DELETE') outcome = await removeInstance(state, inst, op.retainStacks === true);
    else if (op.action === 'DETECT_DRIFT') {
      const drift = await detectInstanceDrift(state, inst);
      inst.drift = { status: drift, at: Date.now() };
      outcome =
        drift === 'UNKNOWN' ? { ok: false, reason: 'Drift detection failed for the stack instance.' } : { ok: true };
    } else {
      if (op.overrides) inst.overrides = { ...inst.overrides, ...op.overrides };
      outcome = await applyInstance(state, set, inst);
    }
  } catch (err) {
    outcome = { ok: false, reason: (err as Error).message };
  }
  r.status = outcome.ok ? 'SUCCEEDED' : 'FAILED';
  if (!outcome.ok) r.reason = outcome.reason;
  if (inst && op.action !== 'DETECT_DRIFT' && op.action !== 'DELETE') {
    inst.detailed = outcome.ok ? 'SUCCEEDED' : 'FAILED';
    inst.status = outcome.ok ? 'CURRENT' : 'OUTDATED';
    inst.statusReason = outcome.ok ? undefined : outcome.reason;
  } else if (inst && op.action === 'DELETE' && outcome.ok) {
    set.instances.delete(key);
  } else if (inst && op.action === 'DELETE') {
    inst.detailed = 'FAILED';
    inst.status = 'OUTDATED';
    inst.statusReason = outcome.ok ? undefined : outcome.reason;
  }
  return outcome.ok;
}

function newInstance(state: SimState, set: StackSet, r: OpResult): Instance {
  return {
    account: r.account,
    region: r.region,
    ouId: r.ouId,
    stackName: `StackSet-${set.name}-${uuid(stackSetsOf(state))}`,
    status: 'OUTDATED',
    detailed: 'PENDING',
    overrides: {},
    drift: { status: 'NOT_CHECKED' },
  };
}
