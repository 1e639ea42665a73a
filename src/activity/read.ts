// The activity pipeline: the same fleet run (discovery, targets, pool, roles, progress) as status; per target, the
// decision lines of the window (FilterLogEvents) from the log groups of every engine's stacks there, read back as
// rows; then the rows newest first and a summary.
import type { GuardrailConfig } from '../config/index.js';
import { readFunctionLogs } from '../stack/function-logs.js';
import { filterPattern, principalMatches, type ActivityQuery } from './query.js';
import { parseDecisionLine, type ActivityRow } from './line.js';
import { summariseActivity, type ActivitySummary } from './summary.js';
import { describeError } from '../aws/describe-error.js';
import { everyEngine } from '../engines/index.js';
import { levelOf, type Emit, type Place, type TargetOutcome } from '../fleet/events.js';
import { Fleet } from '../fleet/run.js';
import type { Session } from '../fleet/session.js';

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

export interface ActivityInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  query: ActivityQuery;
  signal: AbortSignal;
  emit: Emit;
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
  return (
    b.time.localeCompare(a.time) ||
    a.account.localeCompare(b.account) ||
    a.region.localeCompare(b.region) ||
    (a.eventId ?? '').localeCompare(b.eventId ?? '') ||
    (a.groupId ?? '').localeCompare(b.groupId ?? '')
  );
}

/** progress words: a read log is a success, a target without guardrail is skipped, an unreadable log fails */
const RESULT = { read: 'succeeded', 'not-deployed': 'skipped', unreadable: 'failed' } as const;

export function activityOutcome(t: ActivityTarget): TargetOutcome {
  return {
    account: t.account,
    accountName: t.accountName,
    region: t.region,
    code: RESULT[t.status],
    level: levelOf(RESULT[t.status]),
    message: t.error,
    durationMs: t.durationMs,
  };
}

export async function activity(input: ActivityInput): Promise<ActivityReport> {
  const { session, config, query } = input;
  const blank = (p: Place, error: string): ActivityTarget => ({
    account: p.account,
    accountName: p.accountName,
    region: p.region,
    status: 'unreadable',
    events: 0,
    error,
    durationMs: 0,
  });
  const fleet = await new Fleet<ActivityTarget>(input, {
    blank: (p, why) => blank(p, 'error' in why ? why.error : why.skipped),
    outcome: activityOutcome,
  }).open();
  const pattern = filterPattern(query);
  // every engine's stacks: the configured one's, and those an earlier engine left (their logs are history too)
  const places = everyEngine(config).map((e) => e.stacksFor(config));
  const rows: ActivityRow[] = [];
  const run = await fleet.each('activity', fleet.targets, async (target): Promise<ActivityTarget> => {
    fleet.started(target);
    const started = Date.now();
    const result: ActivityTarget = { ...blank(target, ''), status: 'read', error: null };
    try {
      await session.broker.check(target.account, target.role);
      const c = session.clients(target.account, target.region, target.role);
      const read = await readFunctionLogs(
        await c.logs(),
        c.cloudformation,
        places,
        { startTime: query.sinceMs, ...(query.openEnded ? {} : { endTime: query.untilMs }), filterPattern: pattern },
        input.signal,
      );
      if (read.kind === 'not-deployed') result.status = 'not-deployed';
      else if (read.kind === 'no-log-group') {
        result.status = 'unreadable';
        result.error = read.logGroup
          ? `the stack is deployed but its log group ${read.logGroup} is missing`
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
    return result;
  });
  const results = fleet.sorted();
  rows.sort(newestFirst);
  return {
    since: new Date(query.sinceMs).toISOString(),
    until: new Date(query.untilMs).toISOString(),
    filterPattern: pattern,
    rows,
    targets: results,
    summary: summariseActivity(rows, results),
    interrupted: run.stoppedBy === 'signal',
  };
}
