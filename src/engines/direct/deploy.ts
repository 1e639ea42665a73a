// The deploy pipeline: targets → plan (every target gets an action and a reason) → canary → sliding-window
// rollout → summary. It reports through `emit`, never prints, and never lets one target's failure hide another's.
//
// deploy() reads as the list of phases; each phase is a named function below it, in the order it runs:
//   openRun          render the template, discover the accounts, expand them into account × region targets
//   canaryFirst      order the targets: the management account's home region first, then other home regions
//   then one of two paths: planConfirmApply (--plan, or a question to ask) or planWhileApplying (--yes)
//   planAll          plan every target (for --plan, and before a confirmation, which needs the whole picture)
//   confirmPlan      ask with the plan's counts (create · update · unchanged · cannot plan) and the approval store's
//                    stack when it would change; nothing to change: no ask. The store is the first write, after it
//   planUntilCanary  with --yes: plan in a sliding window only until the canary is found, so the rollout starts early
//   runCanary        deploy the canary alone; when it fails nothing else starts
//   runWindow        the sliding-window rollout, planning ahead of the window
//   DeployRun.finish the summary (engines/direct/deploy-run.ts, with the per-target steps: plan one, apply one)
import {
  DeployRun,
  isPlanned,
  type DeployInput,
  type DeployReport,
  type PlanCounts,
  type Planned,
} from './deploy-run.js';
import { planAhead, type PlanAhead } from '../../fleet/plan-ahead.js';
import { renderForConfig } from '../render.js';
import type { TargetResult } from '../../fleet/results.js';
import type { Target } from '../../fleet/targets.js';

export type { DeployInput, DeployReport, PlanCounts } from './deploy-run.js';

export async function deploy(input: DeployInput): Promise<DeployReport> {
  const run = await openRun(input);
  // the approval store is planned first and applied only once the run is confirmed (with --yes, before any plan)
  if (!(await run.planApprovalStore())) return run.finish();
  const ranked = canaryFirst(run);
  if (input.planOnly || !input.yes) await planConfirmApply(run, ranked);
  else if (await run.applyApprovalStore(ranked)) await planWhileApplying(run, ranked);
  return run.finish();
}

/** --plan, or a confirmation to ask: plan every target, stop there or ask, then the canary and the window. */
async function planConfirmApply(run: DeployRun, ranked: Target[]): Promise<void> {
  const { input } = run;
  const pending = await planAll(run, ranked);
  if (input.planOnly) {
    const buckets = await bucketsToCreate(
      run,
      pending.filter((p) => p.plan && p.plan.action !== 'none'),
    );
    run.templateBuckets.push(...buckets);
    if (buckets.length > 0)
      run.notes.push(
        `deploy would create the template bucket(s) ${buckets.join(', ')} (docs/engines.md#how-the-template-travels).`,
      );
    return;
  }
  if (run.stoppedBy === 'signal') {
    run.skipApprovalStore('interrupted before it started');
    return run.skip(pending, 'interrupted before it started');
  }
  if ((pending.length > 0 || (input.alsoPlanned?.accounts ?? 0) > 0) && !(await confirmPlan(run, pending))) {
    run.stoppedBy = 'declined';
    run.skipApprovalStore('not confirmed');
    return run.skip(pending, 'not confirmed');
  }
  // nothing was written before the answer: the store's stack is the first write
  if (!(await run.applyApprovalStore(pending)) || pending.length === 0) return;
  const canary = pending.slice(0, input.config.deploy.canary);
  const rest = pending.slice(canary.length);
  if (!(await runCanary(run, canary, rest))) return;
  if (run.stoppedBy) run.skip(rest, 'not started: the run was stopped');
  else if (rest.length > 0) await runWindow(run, rest, 'rollout', input.config.deploy.concurrency);
}

/** --yes: no question to ask, so plan only until the canary is found; the rest are planned ahead of the window. */
async function planWhileApplying(run: DeployRun, ranked: Target[]): Promise<void> {
  const { concurrency, canary: canaryCount } = run.input.config.deploy;
  const { canary, rest } = await planUntilCanary(run, ranked, canaryCount);
  if (run.stoppedBy === 'signal') return run.skip([...canary, ...rest], 'interrupted before it started');
  // the rollout's first plans run while the canary's stack is in progress
  const planner = plannerFor(run, rest, concurrency);
  if (!(await runCanary(run, canary, rest, () => planner.prefetch(0)))) return;
  if (rest.length > 0) await runWindow(run, rest, 'rollout', concurrency, planner);
}

/** Renders the template, discovers the accounts and expands them into targets; unreachable accounts are reported. */
async function openRun(input: DeployInput): Promise<DeployRun> {
  const rendered = await renderForConfig(input.config, input.session.identity.account);
  const run = new DeployRun(input, rendered);
  await run.open();
  return run;
}

/** Canary candidates first: the management account's home region, then other home regions, then the rest. */
function canaryFirst(run: DeployRun): Target[] {
  const me = run.input.session.identity.account;
  const rank = (t: Target) => (t.account === me ? 0 : 1) + (t.region === run.homeRegion ? 0 : 2);
  return [...run.targets].sort((a, b) => rank(a) - rank(b));
}

/** Plans every target; reports those that need no apply, and returns those that do, in canary order. */
async function planAll(run: DeployRun, ranked: Target[]): Promise<Planned[]> {
  run.fleet.phase('plan', ranked.length);
  const planRun = await run.fleet.pool(ranked, (t) => run.plan(t));
  const pending: Planned[] = [];
  planRun.outcomes.forEach((o, i) => {
    if (o.kind === 'skipped')
      run.report(run.row({ target: ranked[i]!, startedAt: Date.now() }, { result: 'skipped', reason: o.reason }));
    else if (!run.settleWithoutApply(o.result)) pending.push(o.result);
  });
  run.failures = run.results.filter((r) => r.result === 'failed').length;
  if (planRun.stoppedBy === 'signal') run.stoppedBy = 'signal';
  return pending;
}

/** The plan's counts: what the confirmation shows. */
export function planCounts(results: readonly TargetResult[], pending: readonly Planned[]): PlanCounts {
  const create = pending.filter((p) => p.plan && ['create', 'delete-and-recreate'].includes(p.plan.action)).length;
  return {
    create,
    update: pending.length - create,
    unchanged: results.filter((r) => r.result === 'unchanged').length,
    cannotPlan: results.filter((r) => r.result === 'failed').length,
    accounts: new Set(pending.map((p) => p.target.account)).size,
  };
}

/**
 * The template buckets the apply would create (read-only: the plan's HeadBucket answers): one per region of the
 * targets to change, and the store's region when its stack changes.
 */
export function bucketsToCreate(run: DeployRun, pending: readonly Planned[]): Promise<string[]> {
  const regions = pending.map((p) => p.target.region);
  if (run.storeChange) regions.push(run.storeChange.region);
  return run.input.session.templates().toCreate(regions);
}

/** Asks before changing more than one account, showing what the plan will do; true to go ahead. */
async function confirmPlan(run: DeployRun, pending: Planned[]): Promise<boolean> {
  const store = run.storeChange;
  const own = planCounts(run.results, pending);
  const more = run.input.alsoPlanned;
  const buckets = [...new Set([...(await bucketsToCreate(run, pending)), ...(more?.buckets ?? [])])].sort();
  const counts = {
    ...(more
      ? {
          create: own.create + more.create,
          update: own.update + more.update,
          unchanged: own.unchanged + more.unchanged,
          cannotPlan: own.cannotPlan + more.cannotPlan,
          accounts: own.accounts + more.accounts,
        }
      : own),
    ...(store ? { store } : {}),
    ...(buckets.length > 0 ? { buckets } : {}),
  };
  return counts.accounts <= 1 || run.input.confirm(counts);
}

/**
 * Without a confirmation the rollout need not wait for the whole plan: plan in windows of `concurrency` until the
 * canary is found. Returns the canary and the rest (planned ones first, then those not planned yet).
 */
async function planUntilCanary(
  run: DeployRun,
  ranked: Target[],
  canaryCount: number,
): Promise<{ canary: Planned[]; rest: (Planned | Target)[] }> {
  const concurrency = run.input.config.deploy.concurrency;
  run.fleet.phase('plan', ranked.length);
  const found: { canary: Planned[]; planned: Planned[] } = { canary: [], planned: [] };
  // Without a failure tolerance, the first window is just the preferred canaries: on a first deploy they need a
  // change, and the canary starts without waiting for a whole window of plans (the rest are planned while it
  // runs). With one, a whole window is planned first, so failures found there stop the run before any change.
  const first = run.tolerance === null ? Math.max(1, canaryCount) : concurrency;
  let next = await planSlice(run, ranked.slice(0, first), canaryCount, found);
  if (next === first && found.canary.length < canaryCount && first < ranked.length) {
    // then one sliding window over the rest, stopped as soon as enough canaries are found (not waves: an unchanged
    // fleet would otherwise wait for the slowest plan of every window)
    next = first + (await planSlice(run, ranked.slice(first), canaryCount, found));
  }
  if (run.input.signal.aborted) run.stoppedBy = 'signal';
  return { canary: found.canary, rest: [...found.planned, ...ranked.slice(next)] };
}

/**
 * Plans `batch` in a sliding window until `found` holds `canaryCount` canaries (then no new plan starts; those in
 * flight finish). Returns how many of the batch were settled, in order: the rest are left for the rollout.
 */
async function planSlice(
  run: DeployRun,
  batch: Target[],
  canaryCount: number,
  found: { canary: Planned[]; planned: Planned[] },
): Promise<number> {
  const { signal } = run.input;
  const enough = new AbortController();
  let changing = found.canary.length;
  const window = await run.fleet.pool(
    batch,
    (t) => run.plan(t),
    { signal: AbortSignal.any([signal, enough.signal]) },
    (_t, o) => {
      if (o.kind === 'ran' && !o.result.failure && o.result.plan!.action !== 'none' && ++changing >= canaryCount)
        enough.abort();
    },
  );
  let settled = 0;
  window.outcomes.forEach((o, i) => {
    if (o.kind === 'skipped') {
      // skipped because enough canaries were found: left for the rollout; because of Ctrl-C: reported
      if (signal.aborted)
        run.report(run.row({ target: batch[i]!, startedAt: Date.now() }, { result: 'skipped', reason: o.reason }));
      else return;
    } else if (o.result.failure) {
      run.report(o.result.failure);
      run.failures++;
    } else if (found.canary.length < canaryCount && o.result.plan!.action !== 'none') found.canary.push(o.result);
    else found.planned.push(o.result);
    settled = i + 1;
  });
  // p-limit starts targets in order, so those skipped for having enough canaries are a suffix of the batch
  return settled;
}

/**
 * Deploys the canary alone. When it fails, the rest are settled without a change (those already planned as
 * unchanged or failed say so, the others are skipped) and the run stops: returns false.
 */
async function runCanary(
  run: DeployRun,
  canary: Planned[],
  rest: (Planned | Target)[],
  whileRunning?: () => void,
): Promise<boolean> {
  if (canary.length === 0) return true;
  const before = run.failures;
  whileRunning?.();
  await runWindow(run, canary, 'canary', canary.length);
  if (run.failures === before) return true;
  run.stoppedBy = 'canary';
  const notStarted = rest.filter((item) => !(isPlanned(item) && run.settleWithoutApply(item)));
  run.skip(notStarted, 'not started: the canary deployment failed');
  return false;
}

function plannerFor(run: DeployRun, list: (Planned | Target)[], width: number): PlanAhead<Planned> {
  return planAhead(list, width, isPlanned, (t: Target) => run.plan(t), run.input.signal);
}

/** Runs targets through the sliding window; a target not yet planned is planned ahead of its slot, or in it. */
async function runWindow(
  run: DeployRun,
  list: (Planned | Target)[],
  phase: 'canary' | 'rollout',
  width: number,
  planner = plannerFor(run, list, width),
): Promise<void> {
  run.fleet.phase(phase, list.length);
  const pool = await run.fleet.pool(
    list,
    async (_item, index): Promise<TargetResult | null> => {
      const p = await planner.take(index);
      try {
        if (run.settleWithoutApply(p)) return p.failure ?? null;
        return await run.apply(p);
      } finally {
        run.release(p.target);
      }
    },
    {
      concurrency: width,
      failureTolerance: run.tolerance,
      initialFailures: run.failures,
      isFailure: (r) => r?.result === 'failed',
    },
    (item, outcome) => {
      if (outcome.kind === 'skipped') run.skip([item], outcome.reason);
    },
  );
  run.failures = pool.failures;
  if (pool.stoppedBy) run.stoppedBy = pool.stoppedBy;
}
