/**
 * guardrail validate: load and check the configuration without touching AWS, then print the effective settings
 * and where each came from. With --output json, one JSON document goes to stdout, valid or not.
 */
import { checkApprovals } from '../approvals/place.js';
import { Chalk } from 'chalk';
import { checkEngine, checkTrailHome, type LoadedConfig, type Source } from '../config/index.js';
import { ConfigError, ExitCode, UsageError } from '../errors.js';
import { packageVersion } from '../version.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';

export async function execute(context: CommandContext<CommandOptions<'validate'>>): Promise<number> {
  const options = context.options;
  const { io } = context;
  let loaded: LoadedConfig;
  try {
    loaded = await loadSettings(context, options.config, {
      regions: options.regions,
      concurrency: options.concurrency,
      failureTolerance: options.failureTolerance,
      roleName: options.roleName,
      externalId: options.externalId,
    });
    // validate answers "will deploy accept this?"
    checkTrailHome(loaded);
    checkEngine(loaded);
    checkApprovals(loaded.config);
  } catch (err) {
    if (options.output === 'json' && (err instanceof ConfigError || err instanceof UsageError)) {
      // CI reads stdout: say "invalid" there too, then let the top-level printer explain on stderr.
      const document = {
        command: 'validate',
        version: packageVersion(),
        valid: false,
        error: err.message,
        problems: err.problems,
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    }
    throw err;
  }

  if (options.output === 'json') {
    const document = {
      command: 'validate',
      version: packageVersion(),
      valid: true,
      file: loaded.file,
      settings: loaded.config,
      sources: loaded.sources,
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    io.stdout.write(renderTable(loaded, options.config ?? 'accounts.yaml', context.color));
  }
  return ExitCode.ok;
}

function renderTable(loaded: LoadedConfig, name: string, color: boolean): string {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  const paint: Record<Source, (text: string) => string> = {
    default: chalk.dim,
    file: chalk.cyan,
    flag: chalk.yellow,
  };
  const rows: [string, string, Source][] = [];
  for (const [path, source] of Object.entries(loaded.sources)) {
    if (path === 'accounts') continue;
    rows.push([path, formatValue(valueAt(loaded.config, path)), source]);
  }
  const keyWidth = Math.max('SETTING'.length, ...rows.map((row) => row[0].length));
  const valueWidth = Math.min(60, Math.max('VALUE'.length, ...rows.map((row) => row[1].length)));
  const lines = [
    loaded.file === null
      ? `${chalk.green('✔')} no ${name}: every setting takes its default (write one from accounts.example.yaml to change them)`
      : `${chalk.green('✔')} ${name} is valid (${loaded.file})`,
    '',
  ];
  lines.push(chalk.bold(`${'SETTING'.padEnd(keyWidth)}  ${'VALUE'.padEnd(valueWidth)}  SOURCE`));
  for (const [path, value, source] of rows) {
    lines.push(`${path.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${paint[source](source)}`);
  }

  const { accounts } = loaded.config;
  lines.push('');
  if (accounts.length === 0) {
    lines.push(
      `Accounts: discovered from AWS Organizations at run time ${paint[loaded.sources.accounts ?? 'default']('(default)')}`,
    );
  } else {
    lines.push(`Accounts: ${accounts.length} listed in the file, Organizations will not be asked`);
    const nameWidth = Math.max(...accounts.map((account) => account.name.length));
    for (const account of accounts) {
      const extras: string[] = [];
      if (account.regions !== undefined) extras.push(`regions: ${formatValue(account.regions)}`);
      if (account.roleName !== undefined) extras.push(`role: ${account.roleName}`);
      if (account.externalId !== undefined) extras.push('external id set');
      lines.push(`  ${account.id}  ${account.name.padEnd(nameWidth)}  ${extras.join('; ')}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n`;
}

function valueAt(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const key of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.map(String).join(', ');
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '-';
}
