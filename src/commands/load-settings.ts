// Loading the configuration for a command, light enough for validate and template (no AWS SDK behind it).
import { defaultsNotice, loadConfig, nearMissConfig, type LoadedConfig, type RawConfigFlags } from '../config/index.js';
import type { CommandContext } from './context.js';

/**
 * Loads the configuration (./accounts.yaml, or --config FILE) with the command's flags. With neither, every key
 * takes its default, and the command says so once on stderr.
 */
export async function loadSettings(
  context: CommandContext,
  path: string | undefined,
  flags: RawConfigFlags,
): Promise<LoadedConfig> {
  const cwd = context.io.cwd ?? process.cwd();
  const loaded = await loadConfig(path, flags, { cwd });
  if (loaded.file === null) context.io.stderr.write(`${defaultsNotice(await nearMissConfig(cwd))}\n`);
  return loaded;
}
