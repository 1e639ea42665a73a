// The status matrix: accounts as rows, regions as columns, one symbol a cell; then the details of every unhealthy
// cell.
import { Chalk } from 'chalk';
import type { StatusRow } from '../engine/status.js';

export function statusMatrix(rows: StatusRow[], color: boolean): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  const accounts = [...new Map(rows.map((r) => [r.account, r.accountName])).entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const cell = new Map(rows.map((r) => [`${r.account}|${r.region}`, r]));
  const symbol = (r: StatusRow | undefined) => {
    if (!r) return chalk.dim('·');
    if (r.healthy) return chalk.green('✓');
    if (r.error) return chalk.red('!');
    if (!r.deployed) return chalk.yellow('○');
    if (r.drift === 'DRIFTED' || r.rule !== 'ENABLED') return chalk.red('✗');
    return chalk.yellow('~');
  };
  const label = (id: string, name: string) => `${name} (${id})`;
  const scp = new Map(rows.map((r) => [r.account, r.protection]));
  const scpSymbol = (p: StatusRow['protection']) => p === 'protected' ? chalk.green('✓') : p === 'outdated' ? chalk.yellow('~')
    : p === 'unprotected' ? chalk.red('✗') : p === 'not-applicable' ? chalk.dim('–') : chalk.dim('?');
  const w = Math.max(7, ...accounts.map(([id, name]) => label(id, name).length));
  const widths = regions.map((r) => Math.max(r.length, 1));
  const lines = [chalk.bold(`${'ACCOUNT'.padEnd(w)}  ${regions.map((r, i) => r.padEnd(widths[i]!)).join('  ')}  SCP`)];
  for (const [id, name] of accounts) {
    const cells = regions.map((region, i) => {
      const s = symbol(cell.get(`${id}|${region}`));
      return s + ' '.repeat(Math.max(0, widths[i]! - 1));
    });
    lines.push(`${label(id, name).padEnd(w)}  ${cells.join('  ')}  ${scpSymbol(scp.get(id))}`);
  }
  lines.push(chalk.dim('✓ healthy  ✗ tampered (drift or rule)  ~ outdated  ○ not deployed  ! could not check  · not a target'));
  lines.push(chalk.dim('SCP: ✓ protected  ~ outdated policy  ✗ unprotected  – management account (SCPs never apply)  ? unknown'));
  const unhealthy = rows.filter((r) => !r.healthy);
  if (unhealthy.length > 0) {
    lines.push('', chalk.bold('Unhealthy:'));
    for (const r of unhealthy) {
      lines.push(`  ${r.accountName || r.account} (${r.account})/${r.region}: ${r.problems.join('; ')}`);
      for (const d of r.driftedResources) {
        for (const x of d.differences) lines.push(chalk.dim(`      ${d.logicalId} ${x.path}: expected ${x.expected}, actual ${x.actual}`));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
