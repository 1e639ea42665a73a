// The activity pipeline: the same discovery, targets, pool, roles and progress as status; per target, the function's
// decision lines of the window (FilterLogEvents), read back as rows; then the rows newest first and a summary.
import type { GuardrailConfig } from '../config/index.js';
import { readFunctionLogs } from '../stack/function-logs.js';
import { filterPattern, principalMatches, type ActivityQuery } from './query.js';
import { parseDecisionLine, type ActivityRow } from './line.js';
import { summariseActivity, type ActivitySummary } from './summary.js';
import { describeError } from '../aws/describe-error.js';
import { runPool } from '../fleet/pool.js';
import type { Session } from '../fleet/session.js';
import { expandTargets, resolveAccounts, type Target } from '../fleet/targets.js';

export interface ActivityTarget {
  account: string;
  accountName: string;
  region: string;
  /** read: its log was read; not-deployed: no stack (and so no log group); unreadable: the log could not be read */
  status: 'read' | 'not-deployed' | 'unreadable';
  events: number;
  error: string | null;
  durationMs: number;
}

export type ActivityEvent =
  | { type: 'discovered'; accounts: number; excluded: number }
  | { type: 'phase'; phase: 'activity'; targets: number }
  | { type: 'start'; target: Target }
  | { type: 'done'; target: ActivityTarget };

export interface ActivityInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  query: ActivityQuery;
  signal: AbortSignal;
  emit(event: ActivityEvent): void;
}

export interface ActivityReport {
  since: string;
  until: string;
  filterPattern: string;
  rows: ActivityRow[];
  targets: ActivityTarget[];
  summary: ActivitySummary;
  interrupted: boolean;
}

/** Newest first; ties in a stable order. */
export function newestFirst(a: ActivityRow, b: ActivityRow): number {
  return b.time.localeCompare(a.time) || a.account.localeCompare(b.account) || a.region.localeCompare(b.region)
    || (a.eventId ?? '').localeCompare(b.eventId ?? '') || (a.groupId ?? '').localeCompare(b.groupId ?? '');
}

export async function activity(input: ActivityInput): Promise<ActivityReport> {
  const { session, config, query, emit } = input;
  const set = await resolveAccounts(session, config, input.selectedAccounts);
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });
  const { targets, failed } = await expandTargets(session, set.accounts, config.deploy.concurrency, config.stackName);
  const pattern = filterPattern(query);
  const results: ActivityTarget[] = failed.map((f) => ({ account: f.account, accountName: f.accountName, region: f.region,
    status: 'unreadable', events: 0, error: f.error, durationMs: 0 }));
  for (const r of results) emit({ type: 'done', target: r });
  const rows: ActivityRow[] = [];

  emit({ type: 'phase', phase: 'activity', targets: targets.length });
  const run = await runPool(targets, async (target): Promise<ActivityTarget> => {
    emit({ type: 'start', target });
    const started = Date.now();
    const result: ActivityTarget = { account: target.account, accountName: target.accountName, region: target.region,
      status: 'read', events: 0, error: null, durationMs: 0 };
    try {
      await session.broker.check(target.account, target.role);
      const c = session.clients(target.account, target.region, target.role);
      const read = await readFunctionLogs(await c.logs(), c.cloudformation, config.stackName,
        { startTime: query.sinceMs, endTime: query.untilMs, filterPattern: pattern }, input.signal);
      if (read.kind === 'not-deployed') result.status = 'not-deployed';
      else if (read.kind === 'no-log-group') {
        result.status = 'unreadable';
        result.error = read.logGroup ? `the stack is deployed but its log group ${read.logGroup} is missing`
          : 'the stack is deployed but has no decision log group';
      } else {
        for (const e of read.events) {
          const row = parseDecisionLine(e.message, e.timestamp, target);
          if (!row || !principalMatches(query.principal, row.principal, row.roleArn ?? null)) continue;
          if (query.actions.length > 0 && !query.actions.includes(row.action)) continue;
          rows.push(row);
          result.events++;
        }
      }
    } catch (err) {
      result.status = 'unreadable';
      result.error = describeError(err);
    }
    result.durationMs = Date.now() - started;
    session.release(target.account, target.region, target.role);
    emit({ type: 'done', target: result });
    return result;
  }, { concurrency: config.deploy.concurrency, failureTolerance: null, signal: input.signal, isFailure: () => false });

  run.outcomes.forEach((o, i) => {
    if (o.kind === 'ran') results.push(o.result);
    else {
      const t = targets[i]!;
      const r: ActivityTarget = { account: t.account, accountName: t.accountName, region: t.region, status: 'unreadable', events: 0, error: o.reason, durationMs: 0 };
      emit({ type: 'done', target: r });
      results.push(r);
    }
  });
  results.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  rows.sort(newestFirst);
  return {
    since: new Date(query.sinceMs).toISOString(), until: new Date(query.untilMs).toISOString(), filterPattern: pattern,
    rows, targets: results, summary: summariseActivity(rows, results), interrupted: run.stoppedBy === 'signal',
  };
}
