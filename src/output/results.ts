// Results on stdout: the JSON document of the contract, or a table built from the same result objects.
import { Chalk } from 'chalk';
import { packageVersion } from '../version.js';
import { symbolFor, targetLabel } from './reporter.js';

export interface ResultRow {
  account: string;
  accountName: string;
  region: string;
  result: string;
  action?: string;
  stackStatus?: string | null;
  error?: string | null;
  reason?: string;
  /** deploy: the trail decision for the account, on its home-region target */
  trail?: string;
  changes?: string[];
  firstFailure?: { logicalId: string; type: string; status: string; reason: string };
}

export function jsonDocument(command: string, targets: object[], summary: object, extra: object = {}): string {
  return `${JSON.stringify({ command, version: packageVersion(), targets, summary, ...extra }, null, 2)}\n`;
}

/** Below this many targets every row is listed; above it, only the ones that need attention. */
const LIST_ALL_BELOW = 60;

/**
 * An account's failed rows with one and the same error (a role that cannot be assumed fails every region alike)
 * become one row, its region `N regions`: the error is printed once per account, not once per region.
 */
export function mergeAccountFailures<R extends ResultRow>(rows: readonly R[]): R[] {
  const key = (r: R) => (r.result === 'failed' && r.error ? `${r.account}\u0000${r.error}` : null);
  const counts = new Map<string, number>();
  for (const r of rows) {
    const k = key(r);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const out: R[] = [];
  const merged = new Set<string>();
  for (const r of rows) {
    const k = key(r);
    const n = k === null ? 1 : counts.get(k)!;
    if (n === 1) out.push(r);
    else if (!merged.has(k!)) {
      merged.add(k!);
      out.push({ ...r, region: `${n} regions` });
    }
  }
  return out;
}

/** "(117 more targets need nothing)", or what the rows not listed did when some did something. */
function notListed(hidden: readonly ResultRow[]): string {
  const counts = new Map<string, number>();
  for (const r of hidden) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
  const idle = [...counts.keys()].every((k) => k === 'unchanged' || k === 'planned');
  if (idle) return `(${hidden.length} more targets need nothing)`;
  return `(${hidden.length} more targets not listed: ${[...counts].map(([k, n]) => `${n} ${k}`).join(' · ')})`;
}

export function resultTable(
  title: string,
  rows: ResultRow[],
  summary: Record<string, number>,
  color: boolean,
  opts: { planned?: boolean; notes?: string[] } = {},
): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const listed = (r: ResultRow) => r.result === 'failed' || (opts.planned === true && r.action !== 'none');
  const interesting = mergeAccountFailures(rows.length < LIST_ALL_BELOW ? rows : rows.filter(listed));
  const hidden = rows.length < LIST_ALL_BELOW ? [] : rows.filter((r) => !listed(r));
  if (interesting.length > 0) {
    const w1 = Math.max(...interesting.map((r) => targetLabel(r).length), 6);
    const w2 = Math.max(...interesting.map((r) => r.result.length), 6);
    const w3 = Math.max(...interesting.map((r) => (r.action ?? '').length), 6);
    lines.push(chalk.bold(`  ${'TARGET'.padEnd(w1)}  ${'RESULT'.padEnd(w2)}  ${'ACTION'.padEnd(w3)}  DETAIL`));
    for (const r of interesting) {
      const detail =
        r.result === 'failed'
          ? (r.error ?? '')
          : [r.stackStatus, r.reason, r.trail && `trail: ${r.trail}`].filter(Boolean).join(' · ');
      lines.push(
        `${symbolFor(r.result, chalk)} ${targetLabel(r).padEnd(w1)}  ${r.result.padEnd(w2)}  ${(r.action ?? '').padEnd(w3)}  ${detail}`,
      );
      for (const c of r.changes ?? []) lines.push(`      ${chalk.dim(c)}`);
    }
    if (hidden.length > 0) lines.push(chalk.dim(`  ${notListed(hidden)}`));
    lines.push('');
  }
  // the first failed resource, only where the row's error does not already say it (it usually does: printed once)
  const failed = rows.filter((r) => r.firstFailure && !(r.error ?? '').includes(r.firstFailure.reason));
  if (failed.length > 0) {
    lines.push(chalk.bold('First failed resource of each failed stack:'));
    for (const r of failed) {
      const f = r.firstFailure!;
      lines.push(`  ${targetLabel(r)}: ${f.logicalId} (${f.type}) ${f.status}: ${f.reason}`);
    }
    lines.push('');
  }
  for (const n of opts.notes ?? []) lines.push(n);
  const counts = Object.entries(summary)
    .filter(([k, v]) => k !== 'targets' && v > 0)
    .map(([k, v]) => `${v} ${k}`);
  lines.push(
    `${chalk.bold(title)}: ${summary.targets ?? rows.length} targets${counts.length ? ` · ${counts.join(' · ')}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
