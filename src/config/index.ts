/**
 * The configuration entry point for commands: loadConfig(path, flags) reads the file (./accounts.yaml unless a
 * path is given), checks the flags, and returns the merged, typed settings with the source of each.
 */
import { access } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { ConfigError } from '../errors.js';
import { loadConfigFile } from './load.js';
import { parseConfigFlags, resolveConfig, type RawConfigFlags, type ResolvedConfig } from './resolve.js';

export type { AccountEntry, Engine, FailureTolerance, GuardrailConfig, RegionsSetting, StackSetsSettings } from './schema.js';
export { failureLimit } from './schema.js';
export type { ConfigFlags, RawConfigFlags, ResolvedConfig, Source } from './resolve.js';
export { checkTrailHome, parseConfigFlags, resolveConfig } from './resolve.js';
export { checkEngine } from './engine-check.js';

export const DEFAULT_CONFIG_FILE = 'accounts.yaml';

export interface LoadedConfig extends ResolvedConfig {
  /** The file that was read, as an absolute path. */
  file: string;
}

export async function loadConfig(
  path: string | undefined,
  rawFlags: RawConfigFlags = {},
  options: { cwd?: string } = {},
): Promise<LoadedConfig> {
  const flags = parseConfigFlags(rawFlags);
  const cwd = options.cwd ?? process.cwd();
  const file = resolvePath(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (path === undefined) {
    try {
      await access(file);
    } catch {
      throw new ConfigError(`no ${DEFAULT_CONFIG_FILE} here (${cwd}); pass --config FILE or copy accounts.example.yaml`, {
        suggestion: `cp accounts.example.yaml ${DEFAULT_CONFIG_FILE}, then edit it`,
      });
    }
  }
  // Messages name the file as the user wrote it; reading uses the absolute path.
  const loaded = await loadConfigFile(file, path ?? DEFAULT_CONFIG_FILE);
  return { ...resolveConfig(loaded.data, flags), file };
}
