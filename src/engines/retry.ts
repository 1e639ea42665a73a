// guardrail retry, shared by both engines: a plan (per target, the dead-letter queue's depth), one confirmation, then
// per target a synchronous Invoke of the stack's function with the retry request, through the same fleet as every
// other command. The function takes the events from its own dead-letter queue and decides each again on the group's
// current state. What differs between the engines is only which stack a target has (`StackPlaces`): the direct
// engine's is named by the configuration, a stack set instance's by ListStackInstances.
import type { GuardrailConfig } from '../config/index.js';
import { describeError } from '../aws/describe-error.js';
import type { Emit, Place } from '../fleet/events.js';
import { blankResult, resultOutcome, summarise, type Summary, type TargetResult } from '../fleet/results.js';
import type { PoolRun } from '../fleet/pool.js';
import { Fleet } from '../fleet/run.js';
import type { Session } from '../fleet/session.js';
import type { Target } from '../fleet/targets.js';
import { findDeadLetters, invokeRetry, type RetryCounts } from '../stack/dead-letters.js';

export interface RetryInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  signal: AbortSignal;
  emit: Emit;
  /** asked once, with what waits where, before any function is invoked */
  confirm(plan: RetryPlan): Promise<boolean>;
}

export interface RetryPlan {
  accounts: { id: string; name: string }[];
  regions: string[];
  /** targets with events waiting, and the events in total */
  targets: number;
  events: number;
}

export interface RetryResult extends TargetResult {
  /** the dead-letter queue's depth when planned (null: it could not be read) */
  pendingReverts: number | null;
  /** events the function took from the queue and decided again */
  retried: number | null;
  reverted: number | null;
  /** failed again, or left in the queue: still not undone */
  stillFailing: number | null;
  /** the function's whole answer */
  counts: RetryCounts | null;
}

export interface RetrySummary extends Summary {
  pendingReverts: number;
  retried: number;
  reverted: number;
  stillFailing: number;
}

export interface RetryReport {
  engine: GuardrailConfig['deploy']['engine'];
  notes: string[];
  targets: RetryResult[];
  summary: RetrySummary;
  stoppedBy: 'signal' | 'declined' | null;
}

/** A target and the name of its stack there; null when it has none (`why` says so). */
export interface LocatedStack {
  target: Target;
  stackName: string | null;
  why?: string;
}

/** The one part of retry each engine gives: discovery and targets on the fleet, and each target's stack. */
export interface StackPlaces {
  engine: GuardrailConfig['deploy']['engine'];
  locate(fleet: Fleet<RetryResult>): Promise<{ stacks: LocatedStack[]; notes: string[] }>;
}

type RowFields = Partial<RetryResult> & Pick<RetryResult, 'result'>;

function row(p: Place, stackName: string, fields: RowFields): RetryResult {
  return {
    account: p.account,
    accountName: p.accountName,
    region: p.region,
    stackName,
    action: 'retry',
    stackStatus: null,
    error: null,
    durationMs: 0,
    reason: '',
    pendingReverts: null,
    retried: null,
    reverted: null,
    stillFailing: null,
    counts: null,
    ...fields,
  };
}

interface Waiting {
  located: LocatedStack;
  stackName: string;
  stackStatus: string | null;
  functionName: string;
  depth: number;
}

export async function retryReverts(input: RetryInput, places: StackPlaces): Promise<RetryReport> {
  const fleet = retryFleet(input);
  const { stacks, notes } = await places.locate(fleet);
  const finish = (stoppedBy: RetryReport['stoppedBy']): RetryReport =>
    retryReport(fleet, places.engine, notes, stoppedBy);

  const { waiting, interrupted } = await planRetries(fleet, input, stacks);
  if (waiting.length === 0) return finish(interrupted ? 'signal' : null);
  waiting.sort(
    (x, y) =>
      x.located.target.account.localeCompare(y.located.target.account) ||
      x.located.target.region.localeCompare(y.located.target.region),
  );
  if (interrupted) {
    skipAll(fleet, waiting, 'interrupted before it started');
    return finish('signal');
  }
  if (!(await input.confirm(retryPlan(waiting)))) {
    skipAll(fleet, waiting, 'not confirmed');
    return finish('declined');
  }

  const run = await runRetries(fleet, input.session, waiting);
  return finish(run.stoppedBy === 'signal' ? 'signal' : null);
}

function retryFleet(input: RetryInput): Fleet<RetryResult> {
  const { config } = input;
  return new Fleet<RetryResult>(input, {
    blank: (p, why) => ({
      ...blankResult(p, config.stackName, why, 'retry'),
      pendingReverts: null,
      retried: null,
      reverted: null,
      stillFailing: null,
      counts: null,
    }),
    outcome: resultOutcome,
  });
}

function targetOf(w: { located: LocatedStack } | LocatedStack): Target {
  return ('located' in w ? w.located : w).target;
}

/** The report of the run: every row reported, sorted, and their summary. */
function retryReport(
  fleet: Fleet<RetryResult>,
  engine: RetryReport['engine'],
  notes: string[],
  stoppedBy: RetryReport['stoppedBy'],
): RetryReport {
  const targets = fleet.sorted();
  return { engine, notes, targets, summary: summariseRetry(targets, fleet.set.excluded.length), stoppedBy };
}

/** The plan phase: each target's dead-letter queue depth; the targets with events waiting, in the order found. */
async function planRetries(
  fleet: Fleet<RetryResult>,
  input: RetryInput,
  stacks: LocatedStack[],
): Promise<{ waiting: Waiting[]; interrupted: boolean }> {
  const waiting: Waiting[] = [];
  const planned = await fleet.each('plan', stacks, (l) => planTarget(input, l, waiting), { targetOf });
  return { waiting, interrupted: planned.stoppedBy === 'signal' };
}

/** One target's plan: its row when nothing waits there (or the plan failed); null, and `waiting` has it, otherwise. */
async function planTarget(
  { session, config }: RetryInput,
  l: LocatedStack,
  waiting: Waiting[],
): Promise<RetryResult | null> {
  const t = l.target;
  if (l.stackName === null)
    return row(t, config.stackName, { result: 'unchanged', action: 'none', reason: l.why ?? 'no stack' });
  const started = Date.now();
  try {
    await session.broker.check(t.account, t.role);
    const c = session.clients(t.account, t.region, t.role);
    const found = await findDeadLetters(c.cloudformation, () => c.sqs(), l.stackName);
    if (found.kind === 'missing')
      return row(t, l.stackName, { result: 'unchanged', action: 'none', reason: 'not deployed' });
    if (found.depth === 0) {
      return row(t, l.stackName, {
        result: 'unchanged',
        action: 'none',
        stackStatus: found.stackStatus,
        pendingReverts: 0,
        reason: 'nothing waiting',
        durationMs: Date.now() - started,
      });
    }
    waiting.push({
      located: l,
      stackName: l.stackName,
      stackStatus: found.stackStatus,
      functionName: found.functionName,
      depth: found.depth,
    });
    return null;
  } catch (err) {
    return row(t, l.stackName, { result: 'failed', error: describeError(err), durationMs: Date.now() - started });
  } finally {
    // the retry phase makes its own: most targets have nothing waiting, and hold no clients past their plan
    session.release(t.account, t.region, t.role);
  }
}

/** The row of a waiting target that was not retried. */
function skippedRow(w: Waiting, reason: string): RetryResult {
  return row(w.located.target, w.stackName, {
    result: 'skipped',
    reason,
    stackStatus: w.stackStatus,
    pendingReverts: w.depth,
  });
}

function skipAll(fleet: Fleet<RetryResult>, waiting: Waiting[], reason: string): void {
  for (const w of waiting) fleet.report(skippedRow(w, reason));
}

/** The retry phase: the function of each waiting target invoked with the retry request. */
function runRetries(
  fleet: Fleet<RetryResult>,
  session: Session,
  waiting: Waiting[],
): Promise<PoolRun<RetryResult | null>> {
  return fleet.each('retry', waiting, (w) => retryTarget(fleet, session, w), {
    targetOf,
    isFailure: (r) => r.result === 'failed',
    skipped: skippedRow,
  });
}

/** One target's retry: a synchronous Invoke of its function, and the row of its answer. */
async function retryTarget(fleet: Fleet<RetryResult>, session: Session, w: Waiting): Promise<RetryResult> {
  const t = w.located.target;
  fleet.started(t);
  const started = Date.now();
  const base = { stackStatus: w.stackStatus, pendingReverts: w.depth };
  let r: RetryResult;
  try {
    const answer = await invokeRetry(await session.clients(t.account, t.region, t.role).lambda(), w.functionName);
    r =
      answer.kind === 'failed'
        ? row(t, w.stackName, { ...base, result: 'failed', error: answer.reason })
        : retriedRow(t, w.stackName, base, answer.counts);
  } catch (err) {
    r = row(t, w.stackName, { ...base, result: 'failed', error: describeError(err) });
  }
  session.release(t.account, t.region, t.role);
  r.durationMs = Date.now() - started;
  return r;
}

/** The row of a retry the function answered: succeeded when nothing is still failing. */
function retriedRow(
  t: Place,
  stackName: string,
  base: Pick<RetryResult, 'stackStatus' | 'pendingReverts'>,
  counts: RetryCounts,
): RetryResult {
  const stillFailing = counts.failed + Math.max(0, counts.remaining);
  const tally = `retried ${counts.received} · reverted ${counts.reverted} · ignored ${counts.ignored} · allowed ${counts.allowed}`;
  const fields = { ...base, retried: counts.received, reverted: counts.reverted, stillFailing, counts, reason: tally };
  if (stillFailing > 0) {
    return row(t, stackName, {
      ...fields,
      result: 'failed',
      error:
        `${stillFailing} event(s) still not undone (${counts.failed} failed again, ${Math.max(0, counts.remaining)} left in the queue; ${tally}):` +
        ' see why with guardrail activity --action failed, then retry',
    });
  }
  // -1: the function could not read its queue's depth afterwards, so it may still hold events: not a success
  if (counts.remaining < 0) {
    return row(t, stackName, {
      ...fields,
      result: 'failed',
      error: `the function could not read its dead-letter queue's depth after the retry (${tally}): check with guardrail status`,
    });
  }
  return row(t, stackName, { ...fields, result: 'succeeded' });
}

/** What the confirmation names: each account once (in id order), each region once, the targets and the events. */
function retryPlan(waiting: Waiting[]): RetryPlan {
  const accounts = new Map(waiting.map((w) => [w.located.target.account, w.located.target.accountName]));
  return {
    accounts: [...accounts].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => ({ id, name })),
    regions: [...new Set(waiting.map((w) => w.located.target.region))].sort(),
    targets: waiting.length,
    events: waiting.reduce((n, w) => n + w.depth, 0),
  };
}

export function summariseRetry(rows: RetryResult[], excludedAccounts: number): RetrySummary {
  const sum = (f: (r: RetryResult) => number | null) => rows.reduce((n, r) => n + (f(r) ?? 0), 0);
  return {
    ...summarise(rows, excludedAccounts),
    pendingReverts: sum((r) => r.pendingReverts),
    retried: sum((r) => r.retried),
    reverted: sum((r) => r.reverted),
    stillFailing: sum((r) => r.stillFailing),
  };
}
