// What a command receives and returns. Its own module, a leaf of commands/: index.ts (the registry), load.ts (the
// loaders) and every command import it, and it imports none of them, so imports stay a tree.
import type { CliIO } from '../io.js';

export interface GlobalOptions {
  profile?: string;
  /** false with --no-color. */
  color: boolean;
  debug: boolean;
}

/**
 * `Options` is what the command's flags give (`CommandOptions<'deploy'>` from index.ts, which load.ts checks);
 * a helper that does not read the options takes the default.
 */
export interface CommandContext<Options = unknown> {
  /** The command's own options (camelCase, as commander names them). */
  options: Options;
  globals: GlobalOptions;
  io: CliIO;
  /** Colour is on: a TTY, no --no-color, no NO_COLOR. */
  color: boolean;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

/** A loaded command, as cli.ts runs it: load.ts checked its options' type, this forgets it. */
export interface CommandModule {
  /** Runs the command and returns its exit code; throws GuardrailError for user-facing failures. */
  execute(context: CommandContext): Promise<number>;
}
