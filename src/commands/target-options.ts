// What deploy, status and remove share: their target options, loading the configuration with those flags, the
// AWS session, and the account choice and confirmation rules.
import { createInterface } from 'node:readline/promises';
import type { LoadedConfig } from '../config/index.js';
import { openFleetSession } from '../fleet/run.js';
import type { Session } from '../fleet/session.js';
import { loadConfig, type GuardrailConfig } from '../config/index.js';
import { AbortError, ExitCode, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';

/** The flags that choose targets and override the configuration file (deploy has them all; others, some). */
export type TargetOptions = Partial<
  Pick<
    CommandOptions<'deploy'>,
    'config' | 'account' | 'regions' | 'concurrency' | 'failureTolerance' | 'roleName' | 'externalId' | 'engine'
  >
>;

export function loadCommandConfig(context: CommandContext, o: TargetOptions): Promise<LoadedConfig> {
  return loadSettings(context, o.config, {
    regions: o.regions,
    concurrency: o.concurrency,
    failureTolerance: o.failureTolerance,
    roleName: o.roleName,
    externalId: o.externalId,
    account: o.account,
    engine: o.engine,
  });
}

/**
 * The configuration `guardrail protect` renders the SCP from (it takes no --role-name): the run's own, unless this
 * run overrides the role name, which must not make an attached policy look outdated.
 */
export async function scpConfigFor(context: CommandContext, o: TargetOptions): Promise<GuardrailConfig | undefined> {
  if (o.roleName === undefined) return undefined;
  const cwd = context.io.cwd ?? process.cwd();
  return (await loadConfig(o.config, { regions: o.regions, account: o.account, engine: o.engine }, { cwd })).config;
}

/** The run's session (the fleet sizes its client cache and worker threads; a command does not). */
export function openCommandSession(context: CommandContext, config: GuardrailConfig): Promise<Session> {
  const { env } = context.io;
  const profile = context.globals.profile ?? env.AWS_PROFILE;
  if (profile && env.AWS_ACCESS_KEY_ID) {
    context.io.stderr.write(
      `note: the profile "${profile}" and AWS_ACCESS_KEY_ID are both set: guardrail uses the profile, as the AWS SDK` +
        ' does; unset one of them to be sure whose credentials it uses\n',
    );
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
export async function confirmOrRequireYes(
  io: CliIO,
  yes: boolean | undefined,
  question: string,
  what: string,
  review = 'review the change first with --plan',
): Promise<boolean> {
  if (yes) return true;
  if (!io.isTTY || !process.stdin.isTTY) {
    throw new UsageError(`${what} needs confirmation, and there is no terminal to ask on`, {
      suggestion: `Pass --yes to confirm (${review}).`,
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // readline reads the terminal raw, so Ctrl-C arrives here as a keystroke, not as SIGINT: it ends the question, and
  // the command, before anything was written (the same exit code as Ctrl-C anywhere else)
  const asking = new AbortController();
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    asking.abort();
  });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: asking.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch (err) {
    if (interrupted) {
      io.stderr.write('\n');
      throw new AbortError('Interrupted: nothing was changed.');
    }
    throw err;
  } finally {
    rl.close();
  }
}

/**
 * The run's line about the member accounts' role, when any could not be assumed: "0 of 300 accounts could be
 * assumed: check the role name or its trust policy". Printed once, after the results (each account's own error is
 * in its rows).
 */
export function roleLine(session: Session, roleName: string): string | undefined {
  const a = session.broker.assumptions();
  if (a.tried === 0 || a.assumed === a.tried) return undefined;
  const head = `${a.assumed} of ${a.tried} ${a.tried === 1 ? 'account' : 'accounts'} could be assumed`;
  if (a.unreachable === a.tried - a.assumed)
    return `${head}: STS could not be reached (check the network, and AWS_ENDPOINT_URL if you set it)`;
  return `${head}: check the role name (${roleName}) or its trust policy`;
}

/**
 * Exit 4 instead of the run's own code when every account whose role was tried failed because STS could not be
 * reached: the run found nothing about the fleet, which is an outage, not an unhealthy or failed target (exit 1).
 * Ctrl-C (130) and a run that did reach some account keep their code.
 */
export function reachabilityExit(session: Session, code: number): number {
  if (code !== ExitCode.failed) return code;
  const a = session.broker.assumptions();
  return a.tried > 0 && a.unreachable === a.tried ? ExitCode.unreachable : code;
}
