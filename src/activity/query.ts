// What `activity` and `report` ask the logs for: a time window, the actions, a principal pattern, and the
// CloudWatch filter pattern that says the same thing. Flag values are checked here (exit 2 with the flag named).
import { UsageError } from '../errors.js';

export const ACTIONS = [
  'ignored',
  'allowed',
  'monitored',
  'approved',
  'reverted',
  'restored',
  'failed',
  'expired',
  'forged',
  'refused',
] as const;

export interface ActivityQuery {
  sinceMs: number;
  untilMs: number;
  /**
   * no --until: the window reaches the logs' end, so decisions stamped after this machine's clock (a clock behind
   * AWS's) are read too; `untilMs` is then this machine's now, as the report shows it
   */
  openEnded: boolean;
  /** empty: every action */
  actions: string[];
  /** ARN pattern, `*` matching any run of characters */
  principal?: string;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `7d`, `90m`, `2w`, or an ISO 8601 time. */
export function parseTime(flag: string, value: string, nowMs: number): number {
  const rel = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (rel) return nowMs - Number(rel[1]) * UNITS[rel[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const ms = Date.parse(value.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`${flag} "${value}" is not a duration or a time`, {
    suggestion: `Use a duration back from now (30m, 24h, 7d, 2w) or an ISO time (2026-11-01 or 2026-11-01T08:00:00Z).`,
  });
}

export interface QueryFlags {
  since?: string;
  until?: string;
  action?: string;
  principal?: string;
}

export function buildQuery(flags: QueryFlags, nowMs: number, defaultSince = '24h'): ActivityQuery {
  const sinceMs = parseTime('--since', flags.since ?? defaultSince, nowMs);
  const untilMs = flags.until === undefined ? nowMs : parseTime('--until', flags.until, nowMs);
  if (sinceMs > nowMs) {
    throw new UsageError(`--since ${flags.since} is in the future`, {
      suggestion: 'Give a time in the past, or a duration such as 24h.',
    });
  }
  if (untilMs < sinceMs) {
    throw new UsageError(`--until ${flags.until} is before --since ${flags.since ?? defaultSince}`, {
      suggestion: 'Swap the two, or widen the window.',
    });
  }
  const actions = (flags.action ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  const unknown = actions.filter((a) => !(ACTIONS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    throw new UsageError(`--action ${unknown.join(',')}: not an action`, {
      suggestion: `Choose from ${ACTIONS.join(', ')}.`,
    });
  }
  const principal = flags.principal?.trim();
  // the pattern goes into a CloudWatch filter pattern between double quotes: allow ARN characters and * only
  if (principal !== undefined && !/^[\w:/*.@+=,-]{1,2048}$/.test(principal)) {
    throw new UsageError(`--principal "${principal}" is not an ARN pattern`, {
      suggestion: 'Give an ARN or a part of one, with * for any run of characters: arn:aws:iam::*:role/Dev*',
    });
  }
  return {
    sinceMs,
    untilMs,
    openEnded: flags.until === undefined,
    actions: [...new Set(actions)],
    ...(principal ? { principal } : {}),
  };
}

/** The CloudWatch Logs JSON filter pattern for the query: decision lines only, the actions and principal asked. */
export function filterPattern(q: ActivityQuery): string {
  const actions = q.actions.length === 0 ? '$.action = "*"' : q.actions.map((a) => `$.action = "${a}"`).join(' || ');
  const parts = [q.actions.length > 1 ? `(${actions})` : actions];
  // the caller's ARN or its session's issuer: `--principal arn:aws:iam::*:role/Dev` finds Dev's sessions too
  if (q.principal) parts.push(`($.principal = "${q.principal}" || $.roleArn = "${q.principal}")`);
  return `{ ${parts.join(' && ')} }`;
}

/** The same test, applied again to every line read: the logs are not trusted to have filtered. */
export function principalMatches(
  pattern: string | undefined,
  principal: string | null,
  roleArn: string | null = null,
): boolean {
  if (!pattern) return true;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return [principal, roleArn].some((arn) => arn !== null && re.test(arn));
}
