/**
 * Precedence: defaults < file < flags. resolveConfig() is pure: it merges an already validated file with already
 * parsed flags and records, for every setting, where its value came from. parseConfigFlags() checks the raw flag
 * strings with the same rules as the file, naming the flag in each message.
 */
import { ConfigError, UsageError, type ConfigProblem } from '../errors.js';
import { REGION_NAMES, isRegionName } from './regions.js';
import {
  ACCOUNT_ID,
  EXTERNAL_ID,
  PERCENT,
  ROLE_NAME,
  defaultConfig,
  type ConfigFile,
  type Engine,
  type FailureTolerance,
  type GuardrailConfig,
  type RegionsSetting,
} from './schema.js';
import { suggest } from './suggest.js';

export type Source = 'default' | 'file' | 'flag';

/** The flags, as commander hands them over (strings), that override the file. */
export interface RawConfigFlags {
  regions?: string | undefined;
  concurrency?: string | undefined;
  failureTolerance?: string | undefined;
  roleName?: string | undefined;
  externalId?: string | undefined;
  account?: string | undefined;
  engine?: string | undefined;
}

/** The same flags, checked and typed. */
export interface ConfigFlags {
  regions?: RegionsSetting;
  concurrency?: number;
  failureTolerance?: FailureTolerance;
  roleName?: string;
  externalId?: string;
  /** --account: the accounts to act on; not a file setting but validated here with the same rules. */
  accounts?: string[];
  engine?: Engine;
}

export interface ResolvedConfig {
  config: GuardrailConfig;
  /** Where each setting came from, by key path (`deploy.concurrency`); lists count as one setting. */
  sources: Record<string, Source>;
  /** The accounts chosen with --account, or null when the flag was absent. */
  selectedAccounts: string[] | null;
}

/** Checks raw flag strings. Throws UsageError listing every bad flag. */
export function parseConfigFlags(raw: RawConfigFlags): ConfigFlags {
  const problems: ConfigProblem[] = [];
  const flags: ConfigFlags = {};
  const bad = (flag: string, message: string, didYouMean?: string) =>
    problems.push({ path: flag, message, ...(didYouMean === undefined ? {} : { didYouMean }) });

  if (raw.regions !== undefined) {
    const value = raw.regions.trim();
    if (value === 'all') {
      flags.regions = 'all';
    } else {
      const names = splitList(value);
      if (names.length === 0) bad('--regions', 'expected "all" or a comma-separated list of regions');
      const seen = new Set<string>();
      for (const name of names) {
        if (name === 'all') bad('--regions', '"all" stands alone; it cannot be mixed with region names');
        else if (!isRegionName(name)) bad('--regions', `unknown region "${name}"`, suggest(name, REGION_NAMES));
        else if (seen.has(name)) bad('--regions', `duplicate region "${name}"`);
        seen.add(name);
      }
      flags.regions = [...seen];
    }
  }
  if (raw.concurrency !== undefined) {
    const value = raw.concurrency.trim();
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= 1 && n <= 1000)) bad('--concurrency', `must be a whole number from 1 to 1000, got "${raw.concurrency}"`);
    else flags.concurrency = n;
  }
  if (raw.failureTolerance !== undefined) {
    const value = raw.failureTolerance.trim();
    const percent = PERCENT.exec(value);
    if (/^\d+$/.test(value)) flags.failureTolerance = Number(value);
    else if (percent !== null && Number(percent[1]) <= 100) flags.failureTolerance = value as `${number}%`;
    else bad('--failure-tolerance', `expected a count such as 3 or a share such as 10%, got "${raw.failureTolerance}"`);
  }
  if (raw.roleName !== undefined) {
    if (!ROLE_NAME.test(raw.roleName)) {
      bad('--role-name', `role name must be 1-64 letters, digits or +=,.@_-, got "${raw.roleName}"`);
    } else flags.roleName = raw.roleName;
  }
  if (raw.externalId !== undefined) {
    if (!EXTERNAL_ID.test(raw.externalId)) {
      bad('--external-id', `external id must be 2-1224 letters, digits or +=,.@:/_-, got "${raw.externalId}"`);
    } else flags.externalId = raw.externalId;
  }
  if (raw.account !== undefined) {
    const ids = splitList(raw.account);
    if (ids.length === 0) bad('--account', 'expected one or more 12-digit account ids, separated by commas');
    for (const id of ids) {
      if (!ACCOUNT_ID.test(id)) {
        const digits = /^\d+$/.test(id) ? ` (${id.length} digits)` : '';
        bad('--account', `account id must be exactly 12 digits, got "${id}"${digits}`);
      }
    }
    flags.accounts = [...new Set(ids)];
  }
  if (raw.engine !== undefined) {
    if (raw.engine === 'direct' || raw.engine === 'stacksets') flags.engine = raw.engine;
    else bad('--engine', `expected direct or stacksets, got "${raw.engine}"`);
  }
  if (problems.length > 0) {
    const names = [...new Set(problems.map((problem) => problem.path))].join(', ');
    throw new UsageError(`Invalid value for ${names}`, { problems });
  }
  return flags;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Merges defaults < file < flags. `file` is null when no file was read. */
export function resolveConfig(file: ConfigFile | null, flags: ConfigFlags = {}): ResolvedConfig {
  const config = defaultConfig();
  const sources: Record<string, Source> = {};
  recordSources(config, '', sources, 'default');

  if (file !== null) {
    mergeInto(config as unknown as Record<string, unknown>, file, '', sources);
  }

  if (flags.regions !== undefined) {
    config.regions = flags.regions;
    sources.regions = 'flag';
  }
  if (flags.concurrency !== undefined) {
    config.deploy.concurrency = flags.concurrency;
    sources['deploy.concurrency'] = 'flag';
  }
  if (flags.failureTolerance !== undefined) {
    config.deploy.failureTolerance = flags.failureTolerance;
    sources['deploy.failureTolerance'] = 'flag';
  }
  if (flags.engine !== undefined) {
    config.deploy.engine = flags.engine;
    sources['deploy.engine'] = 'flag';
  }
  // A role name or external id given on the command line applies to every account: it replaces the per-account
  // values of the file too, so what the user typed is what is used.
  if (flags.roleName !== undefined) {
    config.organization.roleName = flags.roleName;
    sources['organization.roleName'] = 'flag';
    config.accounts = config.accounts.map(({ roleName: _drop, ...rest }) => rest);
  }
  if (flags.externalId !== undefined) {
    config.organization.externalId = flags.externalId;
    sources['organization.externalId'] = 'flag';
    config.accounts = config.accounts.map(({ externalId: _drop, ...rest }) => rest);
  }
  return { config, sources, selectedAccounts: flags.accounts ?? null };
}

/**
 * guardrail creates its trail with the home region's stack. When that region is not deployed, `create` and `auto`
 * could never add the trail, and an account without one would get no events at all: deploy (and validate) refuse
 * that up front. status and remove may narrow the regions freely.
 */
export function checkTrailHome({ config, sources }: Pick<ResolvedConfig, 'config' | 'sources'>): void {
  const { mode, homeRegion } = config.trail;
  if (mode === 'existing' || config.regions === 'all' || config.regions.includes(homeRegion)) return;
  const where = sources.regions === 'flag' ? '--regions' : 'regions';
  throw new ConfigError(
    `trail.homeRegion ${homeRegion} is not among the regions to deploy (${where}: ${config.regions.join(', ')})`,
    {
      problems: [
        {
          path: 'trail.homeRegion',
          message: `${homeRegion} is not deployed, so trail.mode ${mode} could never create the trail there`,
        },
      ],
      suggestion:
        `Add ${homeRegion} to ${where}, set trail.homeRegion to one of them, or set trail.mode: existing if every ` +
        'account already has a logging multi-region trail (an organisation trail counts).',
    },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every leaf (scalars, null and whole lists) gets the given source. */
function recordSources(value: unknown, prefix: string, sources: Record<string, Source>, source: Source): void {
  if (isPlainObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      recordSources(inner, prefix === '' ? key : `${prefix}.${key}`, sources, source);
    }
  } else {
    sources[prefix] = source;
  }
}

function mergeInto(
  target: Record<string, unknown>,
  from: Record<string, unknown>,
  prefix: string,
  sources: Record<string, Source>,
): void {
  for (const [key, value] of Object.entries(from)) {
    if (value === undefined) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const current = target[key];
    if (isPlainObject(current) && isPlainObject(value)) {
      mergeInto(current, value, path, sources);
    } else {
      target[key] = Array.isArray(value) ? structuredClone(value) : value;
      sources[path] = 'file';
    }
  }
}
