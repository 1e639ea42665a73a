// The remove pipeline: discovery and targets as deploy, a plan (which stacks exist), confirmation, then deletion
// through the same pool. A missing stack counts as already removed.
import { randomUUID } from 'node:crypto';
import type { GuardrailConfig } from '../../config/index.js';
import type { StackContext } from '../../stack/deploy-stack.js';
import { planRemove, removeStack, type KeptResource } from '../../stack/remove-stack.js';
import { describeError } from '../../aws/describe-error.js';
import type { Emit, Place } from '../../fleet/events.js';
import { blankResult, resultOutcome, summarise, type TargetResult } from '../../fleet/results.js';
import { PollTimer } from '../../aws/poll-timer.js';
import { Fleet } from '../../fleet/run.js';
import type { Session } from '../../fleet/session.js';
import type { Target } from '../../fleet/targets.js';

export interface RemoveResult extends TargetResult {
  retainedBuckets: string[];
  /** CloudFormation's DeletionTime of the stack this run deleted */
  deletedAt?: string | null;
  /** resources the delete kept by their DeletionPolicy (decision log group, dead-letter queue, trail bucket) */
  kept?: KeptResource[];
}

export interface RemoveInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  signal: AbortSignal;
  emit: Emit;
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
  const { session, config } = input;
  const stackName = config.stackName;
  const row = (t: Place, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>): RemoveResult => ({
    account: t.account,
    accountName: t.accountName,
    region: t.region,
    stackName,
    action: 'delete',
    stackStatus: null,
    error: null,
    durationMs: 0,
    reason: '',
    retainedBuckets: [],
    ...fields,
  });
  const fleet = await new Fleet<RemoveResult>(input, {
    blank: (p, why) => ({ ...blankResult(p, stackName, why, 'delete'), retainedBuckets: [] }),
    outcome: resultOutcome,
  }).open();
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const runId = randomUUID();
  const ctxFor = (t: Target): StackContext => ({
    cfn: session.clients(t.account, t.region, t.role).cloudformation,
    timer,
    runId,
  });

  const toDelete: ToDelete[] = [];
  const planned = await fleet.each('plan', fleet.targets, async (t) => {
    try {
      await session.broker.check(t.account, t.role);
      const plan = await planRemove(ctxFor(t), stackName);
      if (!plan.exists) return row(t, { result: 'unchanged', action: 'none', reason: 'already removed' });
      toDelete.push({ t, stackId: plan.stackId, stackStatus: plan.stackStatus });
      return null;
    } catch (err) {
      return row(t, { result: 'failed', error: describeError(err) });
    }
  });

  let stoppedBy: RemoveReport['stoppedBy'] = planned.stoppedBy === 'signal' ? 'signal' : null;
  const finish = (): RemoveReport => {
    const results = fleet.sorted();
    return {
      engine: 'direct',
      notes: [],
      targets: results,
      summary: summarise(results, fleet.set.excluded.length),
      stoppedBy,
      retainedBuckets: results.flatMap((r) =>
        r.retainedBuckets.map((bucket) => ({ account: r.account, region: r.region, bucket })),
      ),
      kept: results.flatMap((r) => (r.kept ?? []).map((k) => ({ account: r.account, region: r.region, ...k }))),
    };
  };
  const skipAll = (reason: string) => {
    for (const d of toDelete) fleet.report(row(d.t, { result: 'skipped', reason, stackStatus: d.stackStatus }));
  };
  if (toDelete.length === 0) return finish();
  toDelete.sort((x, y) => x.t.account.localeCompare(y.t.account) || x.t.region.localeCompare(y.t.region));
  if (stoppedBy) {
    skipAll('interrupted before it started');
    return finish();
  }
  if (!(await input.confirm(removePlan(toDelete)))) {
    stoppedBy = 'declined';
    skipAll('not confirmed');
    return finish();
  }

  const run = await deleteStacks(fleet, toDelete, { input, runId, ctxFor, row });
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

interface ToDelete {
  t: Target;
  stackId: string;
  stackStatus: string | null;
}

interface DeletePhase {
  input: RemoveInput;
  runId: string;
  ctxFor: (t: Target) => StackContext;
  row: (t: Target, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>) => RemoveResult;
}

/** Deletes the stacks through the pool; each result is reported as it finishes. */
async function deleteStacks(fleet: Fleet<RemoveResult>, toDelete: ToDelete[], { runId, ctxFor, row }: DeletePhase) {
  return fleet.each(
    'delete',
    toDelete,
    async (d) => {
      fleet.started(d.t);
      const started = Date.now();
      let r: RemoveResult;
      try {
        const out = await removeStack(ctxFor(d.t), d.stackId, d.stackStatus, `guardrail-remove-${runId}`);
        r =
          out.kind === 'removed'
            ? row(d.t, {
                result: 'succeeded',
                stackStatus: 'DELETE_COMPLETE',
                retainedBuckets: out.retained,
                kept: out.kept,
                reason: 'deleted',
                deletedAt: out.deletedAt,
              })
            : row(d.t, {
                result: 'failed',
                stackStatus: out.stackStatus,
                error: out.reason,
                retainedBuckets: out.retained,
                ...(out.firstFailure ? { firstFailure: out.firstFailure } : {}),
              });
      } catch (err) {
        r = row(d.t, { result: 'failed', stackStatus: d.stackStatus, error: describeError(err) });
      }
      r.durationMs = Date.now() - started;
      return r;
    },
    {
      targetOf: (d) => d.t,
      isFailure: (r) => r.result === 'failed',
      skipped: (d, reason) => row(d.t, { result: 'skipped', reason, stackStatus: d.stackStatus }),
    },
  );
}
