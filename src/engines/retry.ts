// guardrail retry, shared by both engines: a plan (per target, the dead-letter queue's depth), one confirmation, then
// per target a synchronous Invoke of the stack's function with the retry request, through the same fleet as every
// other command. The function takes the events from its own dead-letter queue and decides each again on the group's
// current state. What differs between the engines is only which stack a target has (`StackPlaces`): the direct
// engine's is named by the configuration, a stack set instance's by ListStackInstances.
import type { GuardrailConfig } from '../config/index.js';
import { describeError } from '../aws/describe-error.js';
import type { Emit, Place } from '../fleet/events.js';
import { blankResult, resultOutcome, summarise, type Summary, type TargetResult } from '../fleet/results.js';
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
    account: p.account, accountName: p.accountName, region: p.region, stackName, action: 'retry', stackStatus: null, error: null,
    durationMs: 0, reason: '', pendingReverts: null, retried: null, reverted: null, stillFailing: null, counts: null, ...fields,
  };
}

interface Waiting { located: LocatedStack; stackName: string; stackStatus: string | null; functionName: string; depth: number }

export async function retryReverts(input: RetryInput, places: StackPlaces): Promise<RetryReport> {
  const { session, config } = input;
  const fleet = new Fleet<RetryResult>(input, {
    blank: (p, why) => ({ ...blankResult(p, config.stackName, why, 'retry'), pendingReverts: null, retried: null, reverted: null,
      stillFailing: null, counts: null }),
    outcome: resultOutcome,
  });
  const { stacks, notes } = await places.locate(fleet);
  const targetOf = (w: { located: LocatedStack } | LocatedStack) => ('located' in w ? w.located : w).target;

  const waiting: Waiting[] = [];
  const planned = await fleet.each('plan', stacks, async (l) => {
    const t = l.target;
    if (l.stackName === null) return row(t, config.stackName, { result: 'unchanged', action: 'none', reason: l.why ?? 'no stack' });
    const started = Date.now();
    try {
      await session.broker.check(t.account, t.role);
      const c = session.clients(t.account, t.region, t.role);
      const found = await findDeadLetters(c.cloudformation, () => c.sqs(), l.stackName);
      if (found.kind === 'missing') return row(t, l.stackName, { result: 'unchanged', action: 'none', reason: 'not deployed' });
      if (found.depth === 0) {
        return row(t, l.stackName, { result: 'unchanged', action: 'none', stackStatus: found.stackStatus, pendingReverts: 0,
          reason: 'nothing waiting', durationMs: Date.now() - started });
      }
      waiting.push({ located: l, stackName: l.stackName, stackStatus: found.stackStatus, functionName: found.functionName, depth: found.depth });
      return null;
    } catch (err) {
      return row(t, l.stackName, { result: 'failed', error: describeError(err), durationMs: Date.now() - started });
    } finally {
      // the retry phase makes its own: most targets have nothing waiting, and hold no clients past their plan
      session.release(t.account, t.region, t.role);
    }
  }, { targetOf });

  let stoppedBy: RetryReport['stoppedBy'] = planned.stoppedBy === 'signal' ? 'signal' : null;
  const finish = (): RetryReport => {
    const targets = fleet.sorted();
    return { engine: places.engine, notes, targets, summary: summariseRetry(targets, fleet.set.excluded.length), stoppedBy };
  };
  const skipAll = (reason: string) => {
    for (const w of waiting) fleet.report(row(w.located.target, w.stackName, { result: 'skipped', reason, stackStatus: w.stackStatus, pendingReverts: w.depth }));
  };
  if (waiting.length === 0) return finish();
  waiting.sort((x, y) => x.located.target.account.localeCompare(y.located.target.account) || x.located.target.region.localeCompare(y.located.target.region));
  if (stoppedBy) { skipAll('interrupted before it started'); return finish(); }
  if (!(await input.confirm(retryPlan(waiting)))) {
    stoppedBy = 'declined';
    skipAll('not confirmed');
    return finish();
  }

  const run = await fleet.each('retry', waiting, async (w) => {
    const t = w.located.target;
    fleet.started(t);
    const started = Date.now();
    const base = { stackStatus: w.stackStatus, pendingReverts: w.depth };
    let r: RetryResult;
    try {
      const answer = await invokeRetry(await session.clients(t.account, t.region, t.role).lambda(), w.functionName);
      r = answer.kind === 'failed' ? row(t, w.stackName, { ...base, result: 'failed', error: answer.reason }) : retriedRow(t, w.stackName, base, answer.counts);
    } catch (err) {
      r = row(t, w.stackName, { ...base, result: 'failed', error: describeError(err) });
    }
    session.release(t.account, t.region, t.role);
    r.durationMs = Date.now() - started;
    return r;
  }, {
    targetOf, isFailure: (r) => r.result === 'failed',
    skipped: (w, reason) => row(w.located.target, w.stackName, { result: 'skipped', reason, stackStatus: w.stackStatus, pendingReverts: w.depth }),
  });
  if (run.stoppedBy === 'signal') stoppedBy = 'signal';
  return finish();
}

/** The row of a retry the function answered: succeeded when nothing is still failing. */
function retriedRow(t: Place, stackName: string, base: Pick<RetryResult, 'stackStatus' | 'pendingReverts'>, counts: RetryCounts): RetryResult {
  const stillFailing = counts.failed + Math.max(0, counts.remaining);
  const tally = `retried ${counts.received} · reverted ${counts.reverted} · ignored ${counts.ignored} · allowed ${counts.allowed}`;
  const fields = { ...base, retried: counts.received, reverted: counts.reverted, stillFailing, counts, reason: tally };
  if (stillFailing > 0) {
    return row(t, stackName, { ...fields, result: 'failed',
      error: `${stillFailing} event(s) still not undone (${counts.failed} failed again, ${Math.max(0, counts.remaining)} left in the queue; ${tally}):`
        + ' see why with guardrail activity --action failed, then retry' });
  }
  // -1: the function could not read its queue's depth afterwards, so it may still hold events: not a success
  if (counts.remaining < 0) {
    return row(t, stackName, { ...fields, result: 'failed',
      error: `the function could not read its dead-letter queue's depth after the retry (${tally}): check with guardrail status` });
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
    pendingReverts: sum((r) => r.pendingReverts), retried: sum((r) => r.retried), reverted: sum((r) => r.reverted),
    stillFailing: sum((r) => r.stillFailing),
  };
}
