// Scheduled EventBridge rules: rate(N minute|minutes|hour|hours|day|days) and cron(min hour day-of-month month
// day-of-week year). They run on the simulated clock: each time it moves (POST /_sim/clock), every ENABLED rule with a
// ScheduleExpression fires for each due time in (from, to], and its targets receive EventBridge's "Scheduled Event".
// Rates fall due at whole multiples of their period since the epoch (AWS counts from the rule's creation; only the
// phase differs). One move fires a rule MAX_CATCH_UP time(s) at most (its latest due time): a jump of a month
// does not run thousands of sweeps; rules run PARALLEL_RULES at a time. The clock's POST returns once the invocations
// have finished.
import type { ServiceContext } from './types.js';
import type { EventRule, SimState } from './state.js';
import { newUuid, regionState } from './state.js';
import { deliverToTarget, whenLoopIdle } from './loop.js';

export const MAX_CATCH_UP = 1;
const PARALLEL_RULES = 4;
const MINUTE = 60_000;
const UNITS: Record<string, number> = {
  minute: MINUTE,
  minutes: MINUTE,
  hour: 60 * MINUTE,
  hours: 60 * MINUTE,
  day: 1440 * MINUTE,
  days: 1440 * MINUTE,
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One cron field as the set of values it allows, or undefined when it is malformed or uses L, W or #. */
function cronField(field: string, min: number, max: number, names: string[] = [], base = min): Set<number> | undefined {
  if (field === '*' || field === '?') return new Set(Array.from({ length: max - min + 1 }, (_, i) => min + i));
  const value = (s: string) => {
    const named = names.indexOf(s.toUpperCase());
    const n = named >= 0 ? named + base : /^\d+$/.test(s) ? Number(s) : NaN;
    return n >= min && n <= max ? n : undefined;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepRaw] = part.split('/');
    const step = stepRaw === undefined ? 1 : Number(stepRaw);
    if (!range || !(step >= 1)) return undefined;
    const [a, b] = range === '*' ? [String(min), String(max)] : range.split('-');
    const lo = value(a ?? '');
    const hi = b === undefined ? (stepRaw === undefined ? lo : max) : value(b);
    if (lo === undefined || hi === undefined || hi < lo) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** The due times of a schedule expression in (fromMs, toMs], or undefined when the expression is not understood. */
export function dueTimes(expression: string, fromMs: number, toMs: number): number[] | undefined {
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    // AWS wants the singular unit for 1 and the plural otherwise
    if (n < 1 || (n === 1) !== !rate[2]!.endsWith('s')) return undefined;
    const period = n * UNITS[rate[2]!]!;
    const out: number[] = [];
    for (let t = (Math.floor(fromMs / period) + 1) * period; t <= toMs; t += period) out.push(t);
    return out;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) return undefined;
  const [minutes, hours, dom, months, dow] = [
    cronField(cron[1]!, 0, 59),
    cronField(cron[2]!, 0, 23),
    cronField(cron[3]!, 1, 31),
    cronField(cron[4]!, 1, 12, MONTHS, 1),
    cronField(cron[5]!, 1, 7, DAYS, 1),
  ];
  const years = cron[6] === '*' ? undefined : cronField(cron[6]!, 1970, 2199);
  if (!minutes || !hours || !dom || !months || !dow || (cron[6] !== '*' && !years)) return undefined;
  const out: number[] = [];
  // at most a year of minutes is examined per move
  const end = Math.min(toMs, fromMs + 366 * 1440 * MINUTE);
  for (let t = (Math.floor(fromMs / MINUTE) + 1) * MINUTE; t <= end; t += MINUTE) {
    const d = new Date(t);
    if (
      minutes.has(d.getUTCMinutes()) &&
      hours.has(d.getUTCHours()) &&
      dom.has(d.getUTCDate()) &&
      months.has(d.getUTCMonth() + 1) &&
      dow.has(d.getUTCDay() + 1) &&
      (!years || years.has(d.getUTCFullYear()))
    )
      out.push(t);
  }
  return out;
}

/** Delivers the scheduled event to the rule's targets; resolves when the functions it invoked have finished. */
async function fire(
  ctx: ServiceContext,
  accountId: string,
  region: string,
  rule: EventRule,
  at: number,
): Promise<void> {
  const envelope = {
    version: '0',
    id: newUuid(ctx.state),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [rule.arn],
    detail: {},
  };
  const rs = regionState(ctx.state, accountId, region);
  for (const target of rule.targets) deliverToTarget(ctx, rs, rule, target.arn, envelope, envelope.id, target);
  // the invocations are asynchronous, as EventBridge's are: wait until the loop has settled them
  await whenLoopIdle(ctx.state, 60_000);
}

/** Registers the scheduler on the simulated clock (once per state). */
export function startSchedules(ctx: ServiceContext): void {
  const state: SimState = ctx.state;
  state.clock.onAdvance(async (fromMs, toMs) => {
    const due: { times: number[]; accountId: string; region: string; rule: EventRule }[] = [];
    for (const acct of state.accounts.values()) {
      for (const rs of acct.regions.values()) {
        for (const rule of rs.rules.values()) {
          if (rule.state !== 'ENABLED' || !rule.scheduleExpression) continue;
          const times = (dueTimes(rule.scheduleExpression, fromMs, toMs) ?? []).slice(-MAX_CATCH_UP);
          if (times.length) due.push({ times, accountId: acct.id, region: rs.region, rule });
        }
      }
    }
    // Rules run side by side (a few at a time); one rule's due times run in order, each invocation finished before
    // the next, so a schedule never overlaps itself.
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const d = due[next++]!;
        for (const at of d.times) await fire(ctx, d.accountId, d.region, d.rule, at);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RULES, due.length) }, lane));
    return due.reduce((n, d) => n + d.times.length, 0);
  });
}
