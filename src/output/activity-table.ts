// activity's results on stdout: a table (newest first, then the summary), or CSV. Every value in a row comes from a
// log line that anyone with write access to the log group could have written: control characters are shown
// escaped (no terminal escape sequences reach your terminal), and CSV cells cannot start a spreadsheet formula.
import { Chalk } from 'chalk';
import { ruleText, type ActivityRow } from '../activity/line.js';
import type { ActivityReport } from '../activity/read.js';

/** Terminal-safe: C0/C1 control characters and DEL as \xNN. */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function rulesOf(r: ActivityRow): string {
  // a modified rule: what it was given, and what it had before (what `restored` put back)
  if (r.after) return `${ruleText(r.after)}${r.before ? ` (before: ${ruleText(r.before)})` : ''}`;
  const list = r.rules.map(ruleText).join(', ');
  return r.rulesOmitted > 0 ? `${list} (+${r.rulesOmitted} more)` : list;
}

const counts = (m: Record<string, number>): string => Object.entries(m).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  .map(([k, v]) => `${v} ${k}`).join(', ');

export function activityTable(report: ActivityReport, color: boolean): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const header = ['TIME', 'ACCOUNT', 'REGION', 'ACTION', 'PRINCIPAL', 'GROUP', 'RULES', 'REASON'];
  const cells = report.rows.map((r) => [
    r.time.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'), `${r.accountName || r.account} (${r.account})`, r.region, r.action,
    clip(r.principal ?? '-', 72), r.groupId ?? '-', clip(rulesOf(r), 60), clip(r.reason, 80),
  ].map(safeText));
  if (cells.length > 0) {
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const row = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
    lines.push(chalk.bold(row(header)));
    for (const c of cells) lines.push(c[3] === 'reverted' || c[3] === 'restored' || c[3] === 'failed' || c[3] === 'forged' || c[3] === 'refused' ? row(c).replace(c[3], chalk.red(c[3])) : row(c));
    lines.push('');
  } else {
    lines.push(chalk.dim('No decisions in this window.'), '');
  }
  const s = report.summary;
  const unreadable = report.targets.filter((t) => t.status === 'unreadable');
  if (unreadable.length > 0) {
    lines.push(chalk.bold('Could not read:'));
    for (const t of unreadable) lines.push(`  ${safeText(`${t.accountName || t.account} (${t.account})/${t.region}: ${t.error ?? 'unknown error'}`)}`);
    lines.push('');
  }
  lines.push(`${chalk.bold('activity')} ${report.since} → ${report.until}: ${s.events} decision(s)${s.events ? ` · ${counts(s.byAction)}` : ''}`);
  if (s.byAccount.length > 0) {
    lines.push(`  by account: ${s.byAccount.slice(0, 10).map((a) => safeText(`${a.accountName || a.account} (${a.account}) ${a.events}`)).join(' · ')}`
      + `${s.byAccount.length > 10 ? ` · … ${s.byAccount.length - 10} more` : ''}`);
  }
  if (s.topPrincipals.length > 0) {
    lines.push('  top principals:');
    for (const p of s.topPrincipals) lines.push(`    ${String(p.events).padStart(5)}  ${safeText(p.principal)} (${counts(p.byAction)})`);
  }
  lines.push(`  targets: ${s.targets} · ${s.read} read · ${s.notDeployed} not deployed · ${s.unreadable} unreadable`);
  return `${lines.join('\n')}\n`;
}

const CSV_COLUMNS = ['time', 'account', 'accountName', 'region', 'action', 'reason', 'eventName', 'eventId', 'groupId', 'vpcId',
  'direction', 'rules', 'principal', 'sourceIPAddress', 'userAgent', 'approvalId'] as const;

/** RFC 4180 quoting; a cell that a spreadsheet would run as a formula (= + - @, tab, CR) gets a leading quote. */
export function csvCell(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function activityCsv(report: ActivityReport): string {
  const out = [CSV_COLUMNS.join(',')];
  for (const r of report.rows) {
    const values: Record<(typeof CSV_COLUMNS)[number], string | null> = {
      time: r.time, account: r.account, accountName: r.accountName, region: r.region, action: r.action, reason: r.reason,
      eventName: r.eventName, eventId: r.eventId, groupId: r.groupId, vpcId: r.vpcId, direction: r.direction, rules: rulesOf(r),
      principal: r.principal, sourceIPAddress: r.sourceIPAddress, userAgent: r.userAgent, approvalId: r.approvalId,
    };
    out.push(CSV_COLUMNS.map((c) => csvCell(values[c])).join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}
