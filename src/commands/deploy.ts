// guardrail deploy: options → engine → reporter → exit code. No AWS calls of its own.
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/index.js';
import { openSession } from '../engine/session.js';
import { deploy, type DeployEvent } from '../engine/deploy.js';
import { UsageError } from '../errors.js';
import { createReporter } from '../output/reporter.js';
import { jsonDocument, resultTable } from '../output/results.js';
import type { CliIO, CommandContext } from './index.js';

interface DeployOptions {
  allAccounts?: boolean;
  account?: string;
  config?: string;
  regions?: string;
  concurrency?: string;
  failureTolerance?: string;
  roleName?: string;
  externalId?: string;
  plan?: boolean;
  output: 'table' | 'json';
  yes?: boolean;
}

/** --account and --all-accounts: exactly one of them. */
export function checkAccountChoice(allAccounts: boolean | undefined, account: string | undefined, optional = false): void {
  if (allAccounts && account !== undefined) {
    throw new UsageError('--account and --all-accounts cannot be used together', {
      suggestion: 'Pass --all-accounts for every account, or --account ID[,ID…] for some.',
    });
  }
  if (!optional && !allAccounts && account === undefined) {
    throw new UsageError('say which accounts: --all-accounts or --account ID[,ID…]', {
      suggestion: 'For example: guardrail deploy --all-accounts --plan',
    });
  }
}

/** Asks on the terminal; without one, --yes is required. */
export async function confirmOrRequireYes(io: CliIO, yes: boolean | undefined, question: string, what: string,
  review = 'review the change first with --plan'): Promise<boolean> {
  if (yes) return true;
  if (!io.isTTY || !process.stdin.isTTY) {
    throw new UsageError(`${what} needs confirmation, and there is no terminal to ask on`, {
      suggestion: `Pass --yes to confirm (${review}).`,
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export async function execute(context: CommandContext): Promise<number> {
  const options = context.options as unknown as DeployOptions;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  const loaded = await loadConfig(options.config, {
    regions: options.regions, concurrency: options.concurrency, failureTolerance: options.failureTolerance,
    roleName: options.roleName, externalId: options.externalId, account: options.account,
  }, io.cwd === undefined ? {} : { cwd: io.cwd });
  const { config } = loaded;

  const session = await openSession({
    sessionName: config.organization.sessionName, env: io.env,
    ...(context.globals.profile ? { profile: context.globals.profile } : {}),
  });
  const reporter = await createReporter(io, context.color, options.plan ? 'planning' : 'deploying');
  const onEvent = (e: DeployEvent) => {
    switch (e.type) {
      case 'discovered':
        reporter.note(`${e.accounts} account(s) to target${e.excluded ? `, ${e.excluded} left out` : ''}`);
        break;
      case 'phase': reporter.phase(e.phase, e.targets); break;
      case 'start': reporter.started(e.target); break;
      case 'done': reporter.finished(e.result); break;
    }
  };
  let report;
  try {
    report = await deploy({
      session, config, selectedAccounts: loaded.selectedAccounts, planOnly: options.plan === true, signal, emit: onEvent,
      confirmRequired: options.yes !== true,
      confirm: async (accounts, targets) => {
        reporter.stop();
        return confirmOrRequireYes(io, options.yes, `Deploy guardrail to ${accounts} accounts (${targets} stacks)?`,
          `Changing ${accounts} accounts`);
      },
    });
  } finally {
    reporter.stop();
    session.close();
  }

  const notes: string[] = [];
  if (report.excluded.length > 0) notes.push(`${report.excluded.length} account(s) left out (suspended, excluded account or OU).`);
  if (report.stoppedBy === 'tolerance') notes.push(`Stopped early: more targets failed than the failure tolerance allows; the rest were skipped.`);
  if (report.stoppedBy === 'canary') notes.push('Stopped after the canary: it failed, so nothing else was started.');
  if (report.stoppedBy === 'signal') notes.push('Interrupted: targets not yet started were skipped.');
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was changed.');
  if (options.output === 'json') {
    io.stdout.write(jsonDocument('deploy', report.targets, report.summary, {
      templateVersion: report.version, stoppedBy: report.stoppedBy, excluded: report.excluded,
    }));
  } else {
    io.stdout.write(resultTable(options.plan ? 'plan' : 'deploy', report.targets, { ...report.summary }, context.color,
      { planned: options.plan === true, notes }));
  }
  if (report.stoppedBy === 'signal' || signal.aborted) return 130;
  if (report.summary.failed > 0 || report.stoppedBy === 'declined') return 1;
  return 0;
}
