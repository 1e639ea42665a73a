/**
 * The configuration entry point for commands: loadConfig(path, flags) reads the file (./accounts.yaml unless a
 * path is given), checks the flags, and returns the merged, typed settings with the source of each. With no
 * ./accounts.yaml and no --config, every key takes its default (`file` is null; the command says so).
 */
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { loadConfigFile } from './load.js';
import { parseConfigFlags, resolveConfig, type RawConfigFlags, type ResolvedConfig } from './resolve.js';

export type {
  AccountEntry,
  Engine,
  FailureTolerance,
  GuardrailConfig,
  RegionsSetting,
  StackSetsSettings,
} from './schema.js';
export { failureLimit } from './schema.js';
export type { ConfigFlags, RawConfigFlags, ResolvedConfig, Source } from './resolve.js';
export { checkTrailHome, parseConfigFlags, resolveConfig } from './resolve.js';
export { checkEngine } from './engine-check.js';

export const DEFAULT_CONFIG_FILE = 'accounts.yaml';

export interface LoadedConfig extends ResolvedConfig {
  /** The file that was read, as an absolute path; null when there was none and the defaults apply. */
  file: string | null;
}

export async function loadConfig(
  path: string | undefined,
  rawFlags: RawConfigFlags = {},
  options: { cwd?: string } = {},
): Promise<LoadedConfig> {
  const flags = parseConfigFlags(rawFlags);
  const cwd = options.cwd ?? process.cwd();
  const file = resolvePath(cwd, path ?? DEFAULT_CONFIG_FILE);
  // Only "./accounts.yaml is not there" means defaults: an explicit --config that is missing, or a file that
  // exists but cannot be read, is still an error naming the file.
  if (path === undefined && (await isMissing(file))) return { ...resolveConfig(null, flags), file: null };
  // Messages name the file as the user wrote it; reading uses the absolute path.
  const loaded = await loadConfigFile(file, path ?? DEFAULT_CONFIG_FILE);
  return { ...resolveConfig(loaded.data, flags), file };
}

async function isMissing(file: string): Promise<boolean> {
  try {
    await stat(file);
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 'ENOENT';
  }
}

/** The one line a command prints on stderr when no configuration file was found. */
export function defaultsNotice(nearMiss: string | null): string {
  return (
    `no ${DEFAULT_CONFIG_FILE}: using the defaults (guardrail validate shows them)` +
    (nearMiss ? `; ${nearMiss} is here but is not read (pass --config ${nearMiss} to use it)` : '')
  );
}

/** A file next to where accounts.yaml was looked for that the user may have meant (accounts.yml), if any. */
export async function nearMissConfig(cwd: string): Promise<string | null> {
  for (const name of ['accounts.yml', 'accounts.YAML', 'Accounts.yaml']) {
    if (!(await isMissing(resolvePath(cwd, name)))) return name;
  }
  return null;
}
