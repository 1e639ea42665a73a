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

export function resultTable(title: string, rows: ResultRow[], summary: Record<string, number>, color: boolean,
  opts: { planned?: boolean; notes?: string[] } = {}): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const interesting = rows.length < LIST_ALL_BELOW
    ? rows
    : rows.filter((r) => r.result === 'failed' || (opts.planned && r.action !== 'none'));
  if (interesting.length > 0) {
    const w1 = Math.max(...interesting.map((r) => targetLabel(r).length), 6);
    const w2 = Math.max(...interesting.map((r) => r.result.length), 6);
    const w3 = Math.max(...interesting.map((r) => (r.action ?? '').length), 6);
    lines.push(chalk.bold(`  ${'TARGET'.padEnd(w1)}  ${'RESULT'.padEnd(w2)}  ${'ACTION'.padEnd(w3)}  DETAIL`));
    for (const r of interesting) {
      const detail = r.result === 'failed' ? (r.error ?? '') : [r.stackStatus, r.reason, r.trail && `trail: ${r.trail}`].filter(Boolean).join(' · ');
      lines.push(`${symbolFor(r.result, chalk)} ${targetLabel(r).padEnd(w1)}  ${r.result.padEnd(w2)}  ${(r.action ?? '').padEnd(w3)}  ${detail}`);
      for (const c of r.changes ?? []) lines.push(`      ${chalk.dim(c)}`);
    }
    if (interesting.length < rows.length) lines.push(chalk.dim(`  (${rows.length - interesting.length} more targets need nothing)`));
    lines.push('');
  }
  const failed = rows.filter((r) => r.firstFailure);
  if (failed.length > 0) {
    lines.push(chalk.bold('First failed resource of each failed stack:'));
    for (const r of failed) {
      const f = r.firstFailure!;
      lines.push(`  ${targetLabel(r)}: ${f.logicalId} (${f.type}) ${f.status}: ${f.reason}`);
    }
    lines.push('');
  }
  for (const n of opts.notes ?? []) lines.push(n);
  const counts = Object.entries(summary).filter(([k, v]) => k !== 'targets' && v > 0).map(([k, v]) => `${v} ${k}`);
  lines.push(`${chalk.bold(title)}: ${summary.targets ?? rows.length} targets${counts.length ? ` · ${counts.join(' · ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}
