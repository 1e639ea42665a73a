// What a command receives and returns. Its own module (not index.ts) so that a command file can import these types
// without importing the registry that lazily imports it: imports stay a tree, with no circle through index.ts.
import type { CliIO } from '../io.js';

export interface GlobalOptions {
  profile?: string;
  /** false with --no-color. */
  color: boolean;
  debug: boolean;
}

export interface CommandContext {
  /** The command's own options (camelCase, as commander names them). */
  options: Record<string, unknown>;
  globals: GlobalOptions;
  io: CliIO;
  /** Colour is on: a TTY, no --no-color, no NO_COLOR. */
  color: boolean;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export interface CommandModule {
  /** Runs the command and returns its exit code; throws GuardrailError for user-facing failures. */
  execute(context: CommandContext): Promise<number>;
}
