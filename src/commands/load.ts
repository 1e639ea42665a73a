// Each command's loader: it imports the command's module only when the command runs (cli.ts imports this file only
// then, too). Apart from the registry (index.ts) because the commands import their options type from there, and the
// registry must not import them back. Checked: a loader per command, and each module's execute must take exactly the
// options that command's flags give (a flag it reads that is not declared, or a type that differs, does not compile).
import type { CommandContext, CommandModule } from './context.js';
import type { CommandName, SuppliedOptions } from './index.js';

type Loader<N extends CommandName> = () => Promise<{
  execute: (context: CommandContext<SuppliedOptions<N>>) => Promise<number>;
}>;

const LOADERS: { [N in CommandName]: Loader<N> } = {
  validate: () => import('./validate.js'),
  deploy: () => import('./deploy.js'),
  status: () => import('./status.js'),
  remove: () => import('./remove.js'),
  retry: () => import('./retry.js'),
  baseline: () => import('./baseline.js'),
  approve: () => import('./approve.js'),
  approvals: () => import('./approvals.js'),
  activity: () => import('./activity.js'),
  report: () => import('./report.js'),
  protect: () => import('./protect.js'),
  template: () => import('./template.js'),
};

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(LOADERS, name);
}

/**
 * The module of a registry command, as cli.ts runs it: cli.ts passes what commander parsed from that command's
 * flags, which is what CommandOptions derives from them (commander's names; `.choices()` checks the values).
 */
export function loadCommand(name: string): Promise<CommandModule> {
  if (!isCommandName(name)) throw new Error(`no loader for command "${name}" in commands/load.ts`);
  return LOADERS[name]();
}
