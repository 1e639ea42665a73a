// The remove pipeline: discovery and targets as deploy, a plan (which stacks exist), confirmation, then deletion
// through the same pool. A missing stack counts as already removed.
import { randomUUID } from 'node:crypto';
import type { GuardrailConfig } from '../../config/index.js';
import type { StackContext } from '../../stack/deploy-stack.js';
import { planRemove, removeStack, type KeptResource } from '../../stack/remove-stack.js';
import { describeError } from '../../aws/describe-error.js';
import type { DeployEvent } from './deploy.js';
import { summarise, type TargetResult } from '../../fleet/results.js';
import { PollTimer } from '../../aws/poll-timer.js';
import { runPool } from '../../fleet/pool.js';
import type { Session } from '../../fleet/session.js';
import { expandTargets, resolveAccounts, type Target } from '../../fleet/targets.js';

export interface RemoveResult extends TargetResult {
  retainedBuckets: string[];
  /** resources the delete kept by their DeletionPolicy (decision log group, dead-letter queue, trail bucket) */
  kept?: KeptResource[];
}

export interface RemoveInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  signal: AbortSignal;
  emit(event: DeployEvent): void;
  /** asked with what will be deleted: the accounts (id and name), the regions and the stack count */
  confirm(plan: RemovePlan): Promise<boolean>;
}

export interface RemovePlan {
  accounts: { id: string; name: string }[];
  regions: string[];
  stacks: number;
}

export interface RemoveReport {
  engine: GuardrailConfig['deploy']['engine'];
  notes: string[];
  targets: RemoveResult[];
  retainedBuckets: { account: string; region: string; bucket: string }[];
  /** every resource kept by its DeletionPolicy, with where it is */
  kept: ({ account: string; region: string } & KeptResource)[];
  summary: ReturnType<typeof summarise>;
  stoppedBy: 'signal' | 'declined' | null;
}

export async function remove(input: RemoveInput): Promise<RemoveReport> {
  const { session, config, emit, signal } = input;
  const set = await resolveAccounts(session, config, input.selectedAccounts);
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });
  const stackName = config.stackName;
  const { targets, failed } = await expandTargets(session, set.accounts, config.deploy.concurrency, stackName);
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const runId = randomUUID();
  const ctxFor = (t: Target): StackContext => ({ cfn: session.clients(t.account, t.region, t.role).cloudformation, timer, runId });
  const results: RemoveResult[] = failed.map((f) => ({ ...f, action: 'delete', retainedBuckets: [] }));
  for (const r of results) emit({ type: 'done', result: r });

  const row = (t: Target, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>): RemoveResult => ({
    account: t.account, accountName: t.accountName, region: t.region, stackName, action: 'delete', stackStatus: null,
    error: null, durationMs: 0, reason: '', retainedBuckets: [], ...fields,
  });

  emit({ type: 'phase', phase: 'plan', targets: targets.length });
  const planned = await runPool(targets, async (t) => {
    try {
      await session.broker.check(t.account, t.role);
      return { t, plan: await planRemove(ctxFor(t), stackName) };
    } catch (err) {
      return { t, error: describeError(err) };
    }
  }, { concurrency: config.deploy.concurrency, failureTolerance: null, signal, isFailure: () => false });

  const toDelete: ToDelete[] = [];
  planned.outcomes.forEach((o, i) => {
    let r: RemoveResult | undefined;
    if (o.kind === 'skipped') r = row(targets[i]!, { result: 'skipped', reason: o.reason });
    else if ('error' in o.result) r = row(o.result.t, { result: 'failed', error: o.result.error ?? 'unknown error' });
    else if (!o.result.plan.exists) r = row(o.result.t, { result: 'unchanged', action: 'none', reason: 'already removed' });
    else toDelete.push({ t: o.result.t, stackId: o.result.plan.stackId, stackStatus: o.result.plan.stackStatus });
    if (r) {
      results.push(r);
      emit({ type: 'done', result: r });
    }
  });

  let stoppedBy: RemoveReport['stoppedBy'] = planned.stoppedBy === 'signal' ? 'signal' : null;
  const finish = (): RemoveReport => {
    results.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
    return {
      engine: 'direct', notes: [], targets: results, summary: summarise(results, set.excluded.length), stoppedBy,
      retainedBuckets: results.flatMap((r) => r.retainedBuckets.map((bucket) => ({ account: r.account, region: r.region, bucket }))),
      kept: results.flatMap((r) => (r.kept ?? []).map((k) => ({ account: r.account, region: r.region, ...k }))),
    };
  };
  const skipAll = (reason: string) => {
    for (const d of toDelete) {
      const r = row(d.t, { result: 'skipped', reason, stackStatus: d.stackStatus });
      results.push(r);
      emit({ type: 'done', result: r });
    }
  };
  if (toDelete.length === 0) return finish();
  if (stoppedBy) { skipAll('interrupted before it started'); return finish(); }
  if (!(await input.confirm(removePlan(toDelete)))) {
    stoppedBy = 'declined';
    skipAll('not confirmed');
    return finish();
  }

  const run = await deleteStacks(toDelete, { input, runId, ctxFor, row, results });
  if (run.stoppedBy === 'signal') stoppedBy = 'signal';
  return finish();
}

/** What the confirmation names: each account once (in id order), each region once, and the stack count. */
function removePlan(toDelete: ToDelete[]): RemovePlan {
  const accounts = new Map(toDelete.map((d) => [d.t.account, d.t.accountName]));
  return {
    accounts: [...accounts].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => ({ id, name })),
    regions: [...new Set(toDelete.map((d) => d.t.region))].sort(),
    stacks: toDelete.length,
  };
}

interface ToDelete { t: Target; stackId: string; stackStatus: string | null }

interface DeletePhase {
  input: RemoveInput;
  runId: string;
  ctxFor(t: Target): StackContext;
  row(t: Target, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>): RemoveResult;
  results: RemoveResult[];
}

/** Deletes the stacks through the pool; each result goes to `results` and is reported as it finishes. */
async function deleteStacks(toDelete: ToDelete[], { input, runId, ctxFor, row, results }: DeletePhase) {
  const { config, emit, signal } = input;
  emit({ type: 'phase', phase: 'rollout', targets: toDelete.length });
  const run = await runPool(toDelete, async (d) => {
    emit({ type: 'start', target: d.t });
    const started = Date.now();
    let r: RemoveResult;
    try {
      const out = await removeStack(ctxFor(d.t), d.stackId, d.stackStatus, `guardrail-remove-${runId}`);
      r = out.kind === 'removed'
        ? row(d.t, { result: 'succeeded', stackStatus: 'DELETE_COMPLETE', retainedBuckets: out.retained, kept: out.kept,
          reason: 'deleted' })
        : row(d.t, { result: 'failed', stackStatus: out.stackStatus, error: out.reason, retainedBuckets: out.retained,
            ...(out.firstFailure ? { firstFailure: out.firstFailure } : {}) });
    } catch (err) {
      r = row(d.t, { result: 'failed', stackStatus: d.stackStatus, error: describeError(err) });
    }
    r.durationMs = Date.now() - started;
    emit({ type: 'done', result: r });
    return r;
  }, { concurrency: config.deploy.concurrency, failureTolerance: null, signal, isFailure: (r) => r.result === 'failed' },
  (d, outcome) => {
    if (outcome.kind === 'ran') results.push(outcome.result);
    else {
      const r = row(d.t, { result: 'skipped', reason: outcome.reason, stackStatus: d.stackStatus });
      results.push(r);
      emit({ type: 'done', result: r });
    }
  });
  return run;
}
