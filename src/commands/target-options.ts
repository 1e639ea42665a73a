// What deploy, status and remove share: their target options, loading the configuration with those flags, the
// AWS session, and the account choice and confirmation rules.
import { createInterface } from 'node:readline/promises';
import type { LoadedConfig } from '../config/index.js';
import { openFleetSession } from '../fleet/run.js';
import type { Session } from '../fleet/session.js';
import type { GuardrailConfig } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';

/** The flags that choose targets and override the configuration file (deploy has them all; others, some). */
export type TargetOptions = Partial<Pick<CommandOptions<'deploy'>,
  'config' | 'account' | 'regions' | 'concurrency' | 'failureTolerance' | 'roleName' | 'externalId' | 'engine'>>;

export function loadCommandConfig(context: CommandContext, o: TargetOptions): Promise<LoadedConfig> {
  return loadSettings(context, o.config, {
    regions: o.regions, concurrency: o.concurrency, failureTolerance: o.failureTolerance, roleName: o.roleName,
    externalId: o.externalId, account: o.account, engine: o.engine,
  });
}


/** The run's session (the fleet sizes its client cache and worker threads; a command does not). */
export function openCommandSession(context: CommandContext, config: GuardrailConfig): Promise<Session> {
  const { env } = context.io;
  const profile = context.globals.profile ?? env.AWS_PROFILE;
  if (profile && env.AWS_ACCESS_KEY_ID) {
    context.io.stderr.write(`note: the profile "${profile}" and AWS_ACCESS_KEY_ID are both set: guardrail uses the profile, as the AWS SDK`
      + ' does; unset one of them to be sure whose credentials it uses\n');
  }
  return openFleetSession(config, env, context.globals.profile);
}

/** --account and --all-accounts: exactly one of them. */
export function checkAccountChoice(allAccounts: boolean | undefined, account: string | undefined): void {
  if (allAccounts && account !== undefined) {
    throw new UsageError('--account and --all-accounts cannot be used together', {
      suggestion: 'Pass --all-accounts for every account, or --account ID[,ID…] for some.',
    });
  }
  if (!allAccounts && account === undefined) {
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

