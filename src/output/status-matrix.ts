// The status matrix: accounts as rows, regions as columns, one symbol a cell; then the details of every unhealthy
// cell. On a terminal an organisation larger than the screen shows its unhealthy accounts first, then healthy ones
// until the screen is full, and counts the rest (`--all` lists every account; JSON always has every row).
import { Chalk } from 'chalk';
import type { StatusRow } from '../engines/direct/status.js';
import { sharedPrefixListText } from '../stack/shared-prefix-lists.js';

export interface MatrixOptions {
  /** the terminal's height: healthy accounts beyond it are counted, not listed; undefined lists every account */
  screenRows?: number;
}

/**
 * Lines printed besides the account rows: header, two legend lines, the count, and the status and protection lines
 * after it.
 */
const FRAME_LINES = 7;

export function statusMatrix(rows: StatusRow[], color: boolean, opts: MatrixOptions = {}): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  const names = new Map(rows.map((r) => [r.account, r.accountName]));
  const cell = new Map(rows.map((r) => [`${r.account}|${r.region}`, r]));
  const unhealthy = rows.filter((r) => !r.healthy);
  const { listed, hidden } = accountsToList(
    [...names.keys()].sort(),
    new Set(unhealthy.map((r) => r.account)),
    opts.screenRows,
  );
  const symbol = (r: StatusRow | undefined) => {
    if (!r) return chalk.dim('·');
    if (r.removed && r.healthy) return chalk.dim('∅');
    if (r.healthy) return chalk.green('✓');
    if (r.error) return chalk.red('!');
    if (!r.deployed) return chalk.yellow('○');
    if (r.drift === 'DRIFTED' || r.rule !== 'ENABLED') return chalk.red('✗');
    if (r.pendingReverts) return chalk.red('↺');
    if (r.configuration === 'differs' && r.version === 'outdated' && r.code !== 'outdated') return chalk.yellow('≠');
    return chalk.yellow('~');
  };
  const label = (id: string) => `${names.get(id)} (${id})`;
  const scp = new Map(rows.map((r) => [r.account, r.protection]));
  const scpSymbol = (p: StatusRow['protection']) =>
    p === 'protected'
      ? chalk.green('✓')
      : p === 'outdated'
        ? chalk.yellow('~')
        : p === 'unprotected'
          ? chalk.yellow('□')
          : p === 'not-applicable'
            ? chalk.dim('–')
            : chalk.dim('?');
  const w = Math.max(7, ...listed.map((id) => label(id).length));
  const widths = regions.map((r) => Math.max(r.length, 1));
  const lines = [chalk.bold(`${'ACCOUNT'.padEnd(w)}  ${regions.map((r, i) => r.padEnd(widths[i]!)).join('  ')}  SCP`)];
  for (const id of listed) {
    const cells = regions.map(
      (region, i) => symbol(cell.get(`${id}|${region}`)) + ' '.repeat(Math.max(0, widths[i]! - 1)),
    );
    lines.push(`${label(id).padEnd(w)}  ${cells.join('  ')}  ${scpSymbol(scp.get(id))}`);
  }
  if (hidden > 0)
    lines.push(chalk.dim(`… and ${hidden} healthy account${hidden === 1 ? '' : 's'} (--all shows every row)`));
  lines.push(
    chalk.dim(
      '✓ healthy  ✗ tampered (drift or rule)  ↺ reverts failed (guardrail retry)  ~ outdated  ≠ another configuration' +
        '  ○ not deployed  ∅ removed by guardrail  ! could not check  · not a target',
    ),
  );
  lines.push(
    chalk.dim('SCP: ✓ protected  ~ outdated policy  □ unprotected  – management account (SCPs never apply)  ? unknown'),
  );
  if (unhealthy.length > 0) {
    lines.push('', chalk.bold('Unhealthy:'));
    // an account whose regions all say the same (its role cannot be assumed) is one line, not one per region
    const text = (r: StatusRow) => r.problems.join('; ');
    const regionsSaying = new Map<string, string[]>();
    for (const r of unhealthy) {
      const k = `${r.account}\u0000${text(r)}`;
      regionsSaying.set(k, [...(regionsSaying.get(k) ?? []), r.region]);
    }
    for (const r of unhealthy) {
      const same = regionsSaying.get(`${r.account}\u0000${text(r)}`)!;
      if (same.length > 1 && r.driftedResources.length === 0) {
        if (same[0] !== r.region) continue;
        lines.push(`  ${r.accountName || r.account} (${r.account}), ${same.length} regions: ${text(r)}`);
        continue;
      }
      lines.push(`  ${r.accountName || r.account} (${r.account})/${r.region}: ${text(r)}`);
      for (const d of r.driftedResources) {
        for (const x of d.differences)
          lines.push(chalk.dim(`      ${d.logicalId} ${x.path}: expected ${x.expected}, actual ${x.actual}`));
      }
    }
  }
  lines.push(...sharedListLines(rows, chalk));
  return `${lines.join('\n')}\n`;
}

/**
 * The prefix lists other accounts share into targets whose rules use them: not a fault of the target (it stays
 * healthy), but changes guardrail cannot see from there. Targets that could not be checked are counted by reason.
 */
function sharedListLines(rows: StatusRow[], chalk: InstanceType<typeof Chalk>): string[] {
  const using = rows.filter((r) => (r.sharedPrefixLists?.length ?? 0) > 0);
  const unread = new Map<string, StatusRow[]>();
  for (const r of rows)
    if (r.sharedPrefixListsError)
      unread.set(r.sharedPrefixListsError, [...(unread.get(r.sharedPrefixListsError) ?? []), r]);
  if (using.length === 0 && unread.size === 0) return [];
  const lines = [
    '',
    chalk.bold(
      "Prefix lists owned by other accounts (they change in the owner's account; guardrail here sees no event of it):",
    ),
  ];
  for (const r of using) {
    lines.push(
      `  ${r.accountName || r.account} (${r.account})/${r.region}: ${r.sharedPrefixLists!.map(sharedPrefixListText).join('; ')}`,
    );
  }
  for (const [reason, rs] of unread) {
    const first = rs[0]!;
    lines.push(
      chalk.dim(
        `  ${rs.length === 1 ? `${first.accountName || first.account} (${first.account})/${first.region}` : `${rs.length} targets`}:` +
          ` not checked (${reason})`,
      ),
    );
  }
  return lines;
}

/**
 * Which accounts get a row, in order. Everything fits on the screen (or no screen limit): every account, by id.
 * Otherwise the unhealthy accounts first, every one of them, then healthy ones while the screen has room; the rest
 * are counted. (The "Unhealthy:" details below the matrix are never cut.)
 */
export function accountsToList(
  accounts: string[],
  unhealthy: Set<string>,
  screenRows: number | undefined,
): { listed: string[]; hidden: number } {
  const room = screenRows === undefined ? Infinity : screenRows - FRAME_LINES;
  if (accounts.length <= room) return { listed: accounts, hidden: 0 };
  const bad = accounts.filter((a) => unhealthy.has(a));
  const good = accounts.filter((a) => !unhealthy.has(a));
  const shown = good.slice(0, Math.max(0, room - bad.length));
  return { listed: [...bad, ...shown], hidden: good.length - shown.length };
}
