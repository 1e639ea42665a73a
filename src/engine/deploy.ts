// The deploy pipeline: targets → plan (every target gets an action and a reason) → canary → sliding-window
// rollout. It reports through `emit`, never prints, and never lets one target's failure hide another's result.
import { randomUUID } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { failureLimit } from '../config/index.js';
import {
  applyStack, planStack, previewUpdate, type DeployAction, type DeployOutcome, type DesiredStack,
  type StackContext, type StackPlan,
} from '../stack/deploy-stack.js';
import { decideTrail, type TrailDecision } from '../stack/trail.js';
import { PollTimer } from './poll-timer.js';
import { runPool } from './pool.js';
import type { Session } from './session.js';
import { expandTargets, resolveAccounts, type Target } from './targets.js';
import { order, summarise, type ContractAction, type Summary, type TargetResult } from './results.js';
import { renderForConfig } from './render.js';
import { describeError } from './describe-error.js';
import { deployApprovalStore } from './approval-store.js';

export type DeployEvent =
  | { type: 'discovered'; accounts: number; excluded: number }
  | { type: 'phase'; phase: 'plan' | 'canary' | 'rollout'; targets: number }
  | { type: 'start'; target: Target }
  | { type: 'done'; result: TargetResult };

export interface DeployInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  planOnly: boolean;
  signal: AbortSignal;
  emit(event: DeployEvent): void;
  /** asked before changing more than one account; false cancels the apply */
  confirm(accounts: number, targets: number): Promise<boolean>;
  /** false with --yes: the rollout may start before every target is planned */
  confirmRequired: boolean;
}

export interface DeployReport {
  version: string;
  templateBytes: number;
  targets: TargetResult[];
  excluded: { account: string; name: string; reason: string }[];
  summary: Summary;
  stoppedBy: 'tolerance' | 'signal' | 'canary' | 'declined' | 'store' | null;
  /** approvals.enabled: the approval store's stack, deployed before any target */
  approvalStore: TargetResult | null;
}

const contractAction = (a: DeployAction): ContractAction =>
  a === 'delete-and-recreate' ? 'create' : a === 'wait' ? 'update' : a;

interface Planned {
  target: Target;
  plan?: StackPlan;
  desired?: DesiredStack;
  trail?: TrailDecision;
  /** set when planning failed */
  failure?: TargetResult;
  startedAt: number;
}

export async function deploy(input: DeployInput): Promise<DeployReport> {
  const { session, config, emit, signal } = input;
  const rendered = await renderForConfig(config, session.identity.account);
  const set = await resolveAccounts(session, config, input.selectedAccounts);
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });

  const concurrency = config.deploy.concurrency;
  const stackName = config.stackName;
  const { targets, failed: unreachable } = await expandTargets(session, set.accounts, concurrency, stackName);
  for (const r of unreachable) emit({ type: 'done', result: r });

  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const runId = randomUUID();
  const trailDecisions = new Map<string, Promise<TrailDecision>>();
  const homeRegion = config.trail.homeRegion;

  const ctxFor = (t: Target): StackContext => ({
    cfn: session.clients(t.account, t.region, t.role).cloudformation, timer, runId,
  });
  const trailFor = (t: Target): Promise<TrailDecision> => {
    let p = trailDecisions.get(t.account);
    if (!p) {
      p = decideTrail(config.trail.mode, () => session.clients(t.account, homeRegion, t.role).cloudtrail, stackName);
      trailDecisions.set(t.account, p);
    }
    return p;
  };
  const result = (p: Planned, fields: Partial<TargetResult> & Pick<TargetResult, 'result'>): TargetResult => ({
    account: p.target.account, accountName: p.target.accountName, region: p.target.region, stackName,
    action: p.plan ? contractAction(p.plan.action) : 'none',
    stackStatus: p.plan?.stackStatus ?? null, error: null, durationMs: Date.now() - p.startedAt,
    reason: p.plan?.reason ?? '', ...(p.trail && p.target.region === homeRegion ? { trail: p.trail.reason } : {}),
    ...fields,
  });

  const planOne = async (target: Target): Promise<Planned> => {
    const p: Planned = { target, startedAt: Date.now() };
    try {
      await session.broker.check(target.account, target.role);
      const isHome = target.region === homeRegion;
      p.trail = isHome ? await trailFor(target) : undefined;
      p.desired = {
        stackName, body: rendered.body, version: rendered.version,
        parameters: { CreateTrail: isHome && p.trail?.createTrail ? 'true' : 'false' },
      };
      p.plan = await planStack(ctxFor(target), p.desired);
      if (input.planOnly && p.plan.action === 'update') p.plan.changes = await previewUpdate(ctxFor(target), p.desired);
    } catch (err) {
      p.failure = result(p, { result: 'failed', error: describeError(err) });
    }
    return p;
  };

  const results: TargetResult[] = [...unreachable];
  const report = (r: TargetResult) => {
    results.push(r);
    emit({ type: 'done', result: r });
  };
  /** Reports a planned target that needs no apply (failed to plan, planned only, or current); true if it did. */
  const settleWithoutApply = (p: Planned): boolean => {
    if (p.failure) report(p.failure);
    else if (input.planOnly) report(result(p, { result: 'planned', ...(p.plan!.changes ? { changes: p.plan!.changes } : {}) }));
    else if (p.plan!.action === 'none') report(result(p, { result: 'unchanged' }));
    else return false;
    return true;
  };
  let stoppedBy: DeployReport['stoppedBy'] = null;
  const finish = (): DeployReport => ({
    version: rendered.version, templateBytes: rendered.bytes, targets: order(results), excluded: set.excluded,
    summary: summarise(results, set.excluded.length), stoppedBy, approvalStore,
  });
  const skipAll = (list: Planned[], reason: string) => {
    for (const p of list) report(result(p, { result: 'skipped', reason, durationMs: 0 }));
  };
  const tolerance = config.deploy.failureTolerance === null ? null
    : failureLimit(config.deploy.failureTolerance, targets.length + unreachable.length);
  let failures = unreachable.length;

  const applyOne = async (p: Planned): Promise<TargetResult> => {
    emit({ type: 'start', target: p.target });
    p.startedAt = Date.now();
    let outcome: DeployOutcome;
    try {
      outcome = await applyStack(ctxFor(p.target), p.desired!, p.plan!);
    } catch (err) {
      outcome = { kind: 'failed', stackStatus: p.plan!.stackStatus, reason: describeError(err) };
    }
    const r = outcome.kind === 'failed'
      ? result(p, { result: 'failed', stackStatus: outcome.stackStatus, error: outcome.reason,
        ...(outcome.firstFailure ? { firstFailure: outcome.firstFailure } : {}) })
      : result(p, { result: outcome.kind === 'deployed' ? 'succeeded' : 'unchanged', stackStatus: outcome.stackStatus });
    report(r);
    return r;
  };
  /**
   * Plans ahead of the window: when a target starts, the next `width` targets' plans (read-only calls) start too,
   * so they overlap the stacks in flight and a freed slot goes straight to its change. At most `width` plans run
   * ahead; planning in the slot instead cost every slot its round trips (about 8 % of a 0.5-second stack).
   */
  const planAhead = (list: (Planned | Target)[], width: number) => {
    const started = new Map<number, Promise<Planned>>();
    const get = (i: number): Promise<Planned> => {
      const item = list[i]!;
      if ('target' in item) return Promise.resolve(item);
      let p = started.get(i);
      if (!p) {
        p = planOne(item);
        started.set(i, p);
      }
      return p;
    };
    const prefetch = (from: number) => {
      if (signal.aborted) return;
      for (let j = from; j < Math.min(list.length, from + width); j++) void get(j);
    };
    return {
      prefetch,
      take: (i: number): Promise<Planned> => {
        prefetch(i + 1);
        const p = get(i);
        started.delete(i);
        return p;
      },
    };
  };
  /** Runs a phase over targets; a target not yet planned is planned ahead of its slot, or in it. */
  const runPhase = async (list: (Planned | Target)[], phase: 'canary' | 'rollout', width: number,
    planner = planAhead(list, width)) => {
    emit({ type: 'phase', phase, targets: list.length });
    const run = await runPool(list, async (_item, index): Promise<TargetResult | null> => {
      const p = await planner.take(index);
      try {
        if (settleWithoutApply(p)) return p.failure ?? null;
        return await applyOne(p);
      } finally {
        session.release(p.target.account, p.target.region, p.target.role);
      }
    }, {
      concurrency: width, failureTolerance: tolerance, signal, initialFailures: failures,
      isFailure: (r) => r?.result === 'failed',
    }, (item, outcome) => {
      if (outcome.kind === 'skipped') {
        const p: Planned = 'target' in item ? item : { target: item, startedAt: Date.now() };
        report(result(p, { result: 'skipped', reason: outcome.reason, durationMs: 0 }));
      }
    });
    failures = run.failures;
    if (run.stoppedBy) stoppedBy = run.stoppedBy;
    return run;
  };

  // The approval store comes first: the functions about to be deployed read it. If it fails, no target starts.
  const approvalStore = await deployApprovalStore({ session, config, planOnly: input.planOnly, timer, runId, signal });
  if (approvalStore?.result === 'failed') {
    stoppedBy = 'store';
    for (const t of targets) report(result({ target: t, startedAt: Date.now() }, { result: 'skipped', reason: 'not started: the approval store failed', durationMs: 0 }));
    return finish();
  }

  // Canary candidates first: the management account's home region, then other home regions, then the rest.
  const rank = (t: Target) => (t.account === session.identity.account ? 0 : 1) + (t.region === homeRegion ? 0 : 2);
  const ranked = [...targets].sort((a, b) => rank(a) - rank(b));
  const canaryCount = config.deploy.canary;

  if (input.planOnly || input.confirmRequired) {
    // Plan every target first: --plan prints it, and a confirmation needs the whole picture.
    emit({ type: 'phase', phase: 'plan', targets: ranked.length });
    const planRun = await runPool(ranked, planOne, { concurrency, failureTolerance: null, signal, isFailure: () => false });
    const pending: Planned[] = [];
    planRun.outcomes.forEach((o, i) => {
      if (o.kind === 'skipped') report(result({ target: ranked[i]!, startedAt: Date.now() }, { result: 'skipped', reason: o.reason }));
      else if (!settleWithoutApply(o.result)) pending.push(o.result);
    });
    failures = results.filter((r) => r.result === 'failed').length;
    if (planRun.stoppedBy === 'signal') stoppedBy = 'signal';
    if (input.planOnly || pending.length === 0) return finish();
    if (stoppedBy === 'signal') { skipAll(pending, 'interrupted before it started'); return finish(); }
    const changingAccounts = new Set(pending.map((p) => p.target.account)).size;
    if (changingAccounts > 1 && !(await input.confirm(changingAccounts, pending.length))) {
      stoppedBy = 'declined';
      skipAll(pending, 'not confirmed');
      return finish();
    }
    const canary = pending.slice(0, canaryCount);
    if (canary.length > 0) {
      const before = failures;
      await runPhase(canary, 'canary', canary.length);
      if (failures > before) {
        stoppedBy = 'canary';
        skipAll(pending.slice(canary.length), 'not started: the canary deployment failed');
        return finish();
      }
    }
    if (pending.length > canary.length && !stoppedBy) await runPhase(pending.slice(canary.length), 'rollout', concurrency);
    else if (stoppedBy) skipAll(pending.slice(canary.length), 'not started: the run was stopped');
    return finish();
  }

  // Streaming: no confirmation to ask, so the rollout need not wait for the whole plan. Plan in windows of
  // `concurrency` until the canary is found, deploy it alone, then plan-and-apply the rest in one sliding window.
  emit({ type: 'phase', phase: 'plan', targets: ranked.length });
  const canary: Planned[] = [];
  const planned: Planned[] = [];
  let next = 0;
  while (next < ranked.length && canary.length < canaryCount && !signal.aborted) {
    // Without a failure tolerance, the first window is just the preferred canaries: on a first deploy they need a
    // change, and the canary starts without waiting for a whole window of plans (the rest are planned while it
    // runs). With one, a whole window is planned first, so failures found there stop the run before any change.
    const width = next === 0 && tolerance === null ? Math.max(1, canaryCount) : concurrency;
    const batch = ranked.slice(next, next + width);
    next += batch.length;
    const run = await runPool(batch, planOne, { concurrency, failureTolerance: null, signal, isFailure: () => false });
    run.outcomes.forEach((o, i) => {
      if (o.kind === 'skipped') report(result({ target: batch[i]!, startedAt: Date.now() }, { result: 'skipped', reason: o.reason }));
      else if (o.result.failure) { report(o.result.failure); failures++; }
      else if (canary.length < canaryCount && o.result.plan!.action !== 'none') canary.push(o.result);
      else planned.push(o.result);
    });
  }
  const rest: (Planned | Target)[] = [...planned, ...ranked.slice(next)];
  if (signal.aborted) {
    stoppedBy = 'signal';
    for (const item of [...canary, ...rest]) {
      const p: Planned = 'target' in item ? item : { target: item, startedAt: Date.now() };
      report(result(p, { result: 'skipped', reason: 'interrupted before it started', durationMs: 0 }));
    }
    return finish();
  }
  // the rollout's first plans run while the canary's stack is in progress
  const restPlanner = planAhead(rest, concurrency);
  if (canary.length > 0) {
    const before = failures;
    restPlanner.prefetch(0);
    await runPhase(canary, 'canary', canary.length);
    if (failures > before) {
      stoppedBy = 'canary';
      for (const item of rest) {
        const p: Planned = 'target' in item ? item : { target: item, startedAt: Date.now() };
        if ('target' in item && settleWithoutApply(item)) continue;
        report(result(p, { result: 'skipped', reason: 'not started: the canary deployment failed', durationMs: 0 }));
      }
      return finish();
    }
  }
  if (rest.length > 0) await runPhase(rest, 'rollout', concurrency, restPlanner);
  return finish();
}
