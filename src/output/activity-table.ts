// activity's results on stdout: a table (newest first, then the summary), or CSV. Every value in a row comes from a
// log line that anyone with write access to the log group could have written: control characters are shown
// escaped (no terminal escape sequences reach your terminal), and CSV cells cannot start a spreadsheet formula.
import { Chalk, type ChalkInstance } from 'chalk';
import { ruleText, sideDoorText, type ActivityRow } from '../activity/line.js';
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
  // a prefix list's versions and entries, an attachment's interface (issue N)
  const side = sideDoorText(r);
  if (side !== undefined) return r.rules.length ? `${side}; ${r.rules.map(ruleText).join(', ')}` : side;
  const list = r.rules.map(ruleText).join(', ');
  return r.rulesOmitted > 0 ? `${list} (+${r.rulesOmitted} more)` : list;
}

const counts = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

/**
 * A principal cut to `n` characters without losing who did it: the end (the role and session of an assumed role, a
 * user's or a role's name) is kept whole, and the middle (the account, the role path) gives way. When even the end
 * is longer than `n`, the end alone is shown, whole.
 */
export function fitPrincipal(p: string, n: number): string {
  if (p.length <= n) return p;
  const m = /(?:assumed-role|role|user|federated-user)\/(.*)$/.exec(p);
  const parts = (m?.[1] ?? p).split('/');
  // assumed-role/PATH…/Role/session: the last two; role/PATH…/Name or user/PATH…/Name: the last one
  const keep = /assumed-role\//.test(p) ? 2 : 1;
  const tail = parts.slice(-keep).join('/');
  const room = n - tail.length - 1;
  // a head of a few characters says nothing ("ar…"): then the end alone
  if (room < 8) return `…${tail}`;
  return `${p.slice(0, room)}…${tail}`;
}

/** Widths for a terminal this wide; undefined: as wide as the rows need (piped output). */
export interface TableOptions {
  columns?: number;
}

/** The minimum a cut column keeps (the reason is last, and is what is left). */
const MIN_REASON = 6;
/** between columns on a terminal (piped output keeps two spaces) */
const GAP = ' ';

const HEADER = ['TIME', 'ACCOUNT', 'REGION', 'ACTION', 'PRINCIPAL', 'GROUP', 'RULES', 'REASON'];

export function activityTable(report: ActivityReport, color: boolean, opts: TableOptions = {}): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const cells = activityCells(report, opts.columns);
  const lines =
    cells.length > 0 ? decisionLines(cells, chalk, opts.columns) : [chalk.dim('No decisions in this window.'), ''];
  lines.push(...unreadableLines(report, chalk), ...summaryLines(report, chalk));
  return `${lines.join('\n')}\n`;
}

/** Each decision's cells, escaped, principal, rules and reason cut to their widths. */
function activityCells(report: ActivityReport, columns: number | undefined): string[][] {
  const compact = columns !== undefined;
  const time = (t: string) =>
    compact
      ? t.replace(/^\d{4}-(\d\d-\d\d)T(\d\d:\d\d:\d\d).*$/, '$1 $2')
      : t.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  const full = report.rows.map((r) =>
    [
      time(r.time),
      compact ? r.account : `${r.accountName || r.account} (${r.account})`,
      r.region,
      r.action,
      r.principal ?? '-',
      r.groupId ?? r.prefixListId ?? '-',
      rulesOf(r),
      r.reason,
    ].map(safeText),
  );
  const { principalW, rulesW, reasonW } = columnWidths(full, columns);
  return full.map((c) => [
    c[0]!,
    c[1]!,
    c[2]!,
    c[3]!,
    fitPrincipal(c[4]!, principalW),
    c[5]!,
    clip(c[6]!, rulesW),
    clip(c[7]!, compact ? Math.max(MIN_REASON, columns - 1) : reasonW),
  ]);
}

/** The widths principal, rules and reason are cut to: capped when piped, shared out on a terminal `columns` wide. */
function columnWidths(
  full: string[][],
  columns: number | undefined,
): { principalW: number; rulesW: number; reasonW: number } {
  // what the first six columns need, the gaps, then principal and rules share what is left with the reason
  const need = (i: number) => Math.max(HEADER[i]!.length, ...full.map((c) => c[i]!.length));
  let principalW = Math.min(need(4), 72);
  let rulesW = Math.min(need(6), 60);
  let reasonW = Math.min(need(7), 80);
  if (columns !== undefined && full.length > 0) {
    const fixed = [0, 1, 2, 3, 5].reduce((n, i) => n + need(i), 0) + GAP.length * 7;
    let room = Math.max(columns - fixed, 0);
    reasonW = Math.min(need(7), Math.max(MIN_REASON, Math.floor(room * 0.3)));
    room -= reasonW;
    rulesW = Math.min(need(6), Math.max(10, Math.floor(room * 0.4)));
    room -= rulesW;
    principalW = Math.min(need(4), Math.max(room, 12));
  }
  return { principalW, rulesW, reasonW };
}

/** The header and a line per decision (reverted, restored, failed, forged and refused in red), then a blank line. */
function decisionLines(cells: string[][], chalk: ChalkInstance, columns: number | undefined): string[] {
  const compact = columns !== undefined;
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const row = (c: string[]) =>
    c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join(compact ? GAP : '  ');
  // on a terminal the reason takes what the line has left
  const fit = (c: string[]) => {
    if (!compact) return row(c);
    const before = row([...c.slice(0, -1), '']);
    return before + clip(c[c.length - 1]!, Math.max(MIN_REASON, columns - before.length));
  };
  const lines = [chalk.bold(fit(HEADER))];
  for (const c of cells)
    lines.push(
      c[3] === 'reverted' || c[3] === 'restored' || c[3] === 'failed' || c[3] === 'forged' || c[3] === 'refused'
        ? fit(c).replace(c[3], chalk.red(c[3]))
        : fit(c),
    );
  lines.push('');
  return lines;
}

/** The targets whose log could not be read, each with its error. */
function unreadableLines(report: ActivityReport, chalk: ChalkInstance): string[] {
  const unreadable = report.targets.filter((t) => t.status === 'unreadable');
  if (unreadable.length === 0) return [];
  const lines = [chalk.bold('Could not read:')];
  for (const t of unreadable)
    lines.push(
      `  ${safeText(`${t.accountName || t.account} (${t.account})/${t.region}: ${t.error ?? 'unknown error'}`)}`,
    );
  lines.push('');
  return lines;
}

/** The window's counts: by action, by account, the top principals, and the targets read. */
function summaryLines(report: ActivityReport, chalk: ChalkInstance): string[] {
  const s = report.summary;
  const lines = [
    `${chalk.bold('activity')} ${report.since} → ${report.until}: ${s.events} decision(s)${s.events ? ` · ${counts(s.byAction)}` : ''}`,
  ];
  if (s.byAccount.length > 0) {
    lines.push(
      `  by account: ${s.byAccount
        .slice(0, 10)
        .map((a) => safeText(`${a.accountName || a.account} (${a.account}) ${a.events}`))
        .join(' · ')}` + `${s.byAccount.length > 10 ? ` · … ${s.byAccount.length - 10} more` : ''}`,
    );
  }
  if (s.topPrincipals.length > 0) {
    lines.push('  top principals:');
    for (const p of s.topPrincipals)
      lines.push(`    ${String(p.events).padStart(5)}  ${safeText(p.principal)} (${counts(p.byAction)})`);
  }
  lines.push(`  targets: ${s.targets} · ${s.read} read · ${s.notDeployed} not deployed · ${s.unreadable} unreadable`);
  return lines;
}

const CSV_COLUMNS = [
  'time',
  'account',
  'accountName',
  'region',
  'action',
  'reason',
  'eventName',
  'eventId',
  'groupId',
  'vpcId',
  'direction',
  'rules',
  'principal',
  'sourceIPAddress',
  'userAgent',
  'approvalId',
  'prefixListId',
  'versionBefore',
  'versionAfter',
  'entriesAdded',
  'entriesRemoved',
  'networkInterfaceId',
  'instanceId',
] as const;

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
      time: r.time,
      account: r.account,
      accountName: r.accountName,
      region: r.region,
      action: r.action,
      reason: r.reason,
      eventName: r.eventName,
      eventId: r.eventId,
      groupId: r.groupId,
      vpcId: r.vpcId,
      direction: r.direction,
      rules: rulesOf(r),
      principal: r.principal,
      sourceIPAddress: r.sourceIPAddress,
      userAgent: r.userAgent,
      approvalId: r.approvalId,
      prefixListId: r.prefixListId ?? null,
      versionBefore: r.versionBefore === undefined ? null : String(r.versionBefore),
      versionAfter: r.versionAfter === undefined ? null : String(r.versionAfter),
      entriesAdded: r.entriesAdded?.join(' ') ?? null,
      entriesRemoved: r.entriesRemoved?.join(' ') ?? null,
      networkInterfaceId: r.networkInterfaceId ?? null,
      instanceId: r.instanceId ?? null,
    };
    out.push(CSV_COLUMNS.map((c) => csvCell(values[c])).join(','));
  }
  return `${out.join('\r\n')}\r\n`;
}
