// deploy --plan on a terminal: the targets that change for the same reason are one line for the organisation
// ("update · 800 targets · settings: policy.mode enforce → monitor"), not 800 rows with their change-set summaries.
// --verbose and --output json keep every target's row and changes.
import type { ResultRow } from './results.js';

/** A reason shared by more targets than this is rolled up. */
const ROLL_UP_ABOVE = 3;

export interface PlanRollup {
  /** one line per rolled-up action and reason */
  lines: string[];
  /** the rows still listed one by one (the rest are in the lines) */
  rows: ResultRow[];
}

export function rollUpPlan(rows: readonly ResultRow[]): PlanRollup {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (r.result === 'failed' || !r.action || r.action === 'none') continue;
    const key = `${r.action}\u0000${r.reason ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rolled = new Set<ResultRow>();
  const lines: string[] = [];
  for (const [key, list] of groups) {
    if (list.length <= ROLL_UP_ABOVE) continue;
    const [action, reason] = key.split('\u0000');
    const accounts = new Set(list.map((r) => r.account)).size;
    lines.push(`${action} · ${list.length} targets in ${accounts} account(s)${reason ? ` · ${reason}` : ''}`);
    for (const r of list) rolled.add(r);
  }
  if (lines.length > 0) lines.push('(every target and its resource changes: --verbose, or --output json)');
  return { lines, rows: rows.filter((r) => !rolled.has(r)) };
}
