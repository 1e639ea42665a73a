// Targets = account × region. Accounts come from Organizations (ACTIVE only, OU and account filters) or from the
// explicit `accounts:` list; `regions: all` means the regions enabled in each account (EC2 DescribeRegions).
import type { GuardrailConfig, RegionsSetting } from '../config/index.js';
import { ConfigError, UsageError } from '../errors.js';
import { discoverAccounts } from '../org/discover.js';
import type { RoleChoice } from '../aws/credentials.js';
import type { Session } from './session.js';
import { describeError } from '../aws/describe-error.js';
import { runPool } from './pool.js';
import type { TargetResult } from './results.js';
import { WarmUp, type Warmer } from './warm-up.js';

export interface TargetAccount {
  id: string;
  name: string;
  role: RoleChoice;
  regions: RegionsSetting;
}

export interface Target {
  account: string;
  accountName: string;
  region: string;
  role: RoleChoice;
}

export interface TargetSet {
  managementAccountId: string | null;
  accounts: TargetAccount[];
  /** accounts left out, and why */
  excluded: { account: string; name: string; reason: string }[];
}

/**
 * The accounts to target, from the `accounts:` list or the organisation. `warm` is started on each account as
 * discovery finds it (see warm-up.ts: within a quarter of the run's concurrency, in the event loop's idle time); by
 * default its role is assumed. Pass `null` for a command that does not act in the accounts.
 */
export async function resolveAccounts(
  session: Session,
  config: GuardrailConfig,
  selected: string[] | null,
  warm: Warmer<TargetAccount> | null = (a) => session.broker.check(a.id, a.role),
): Promise<TargetSet> {
  const org = config.organization;
  const defaultRole = (roleName?: string, externalId?: string | null): RoleChoice => ({
    roleName: roleName ?? org.roleName,
    externalId: externalId ?? org.externalId,
  });
  let set: TargetSet;
  if (config.accounts.length > 0) {
    set = {
      managementAccountId: null,
      accounts: config.accounts.map((a) => ({
        id: a.id,
        name: a.name,
        regions: a.regions ?? config.regions,
        role: defaultRole(a.roleName, a.externalId),
      })),
      excluded: [],
    };
  } else {
    const warmUp = warm ? new WarmUp(warm, config.deploy.concurrency) : null;
    const chosen = selected ? new Set(selected) : null;
    const found = await discoverAccounts(session.organizations(), {
      includeOUs: org.includeOUs,
      excludeOUs: org.excludeOUs,
      excludeAccounts: org.excludeAccounts,
      includeManagementAccount: org.includeManagementAccount,
      ...(warmUp
        ? {
            onAccount: (a) => {
              if (!chosen || chosen.has(a.id))
                warmUp.add({ id: a.id, name: a.name, regions: config.regions, role: defaultRole() });
            },
          }
        : {}),
    }).finally(() => warmUp?.finish());
    set = {
      managementAccountId: found.managementAccountId,
      accounts: found.accounts.map((a) => ({ id: a.id, name: a.name, regions: config.regions, role: defaultRole() })),
      excluded: found.excluded.map((e) => ({ account: e.account.id, name: e.account.name, reason: e.reason })),
    };
  }
  if (selected) {
    const known = new Map(set.accounts.map((a) => [a.id, a]));
    const excluded = new Map(set.excluded.map((e) => [e.account, e]));
    const problems = selected
      .filter((id) => !known.has(id))
      .map((id) => {
        const ex = excluded.get(id);
        const why = ex
          ? `is excluded (${ex.reason})`
          : config.accounts.length > 0
            ? 'is not in the accounts list of the configuration file'
            : 'is not an account of this organisation';
        return { path: '--account', message: `account ${id} ${why}` };
      });
    if (problems.length > 0) {
      throw new UsageError(problems.map((p) => p.message).join('; '), {
        problems,
        suggestion: 'Check the account ids given to --account.',
      });
    }
    const chosen = new Set(selected);
    set = { ...set, accounts: set.accounts.filter((a) => chosen.has(a.id)) };
  }
  if (set.accounts.length === 0) throw noAccounts(set);
  return set;
}

/** Nothing to do is a configuration problem, not a success: say which accounts were left out, and why. */
function noAccounts(set: TargetSet): ConfigError {
  const shown = set.excluded.slice(0, 10).map((e) => ({ path: '', message: `${e.account} (${e.name}): ${e.reason}` }));
  const more = set.excluded.length - shown.length;
  if (more > 0) shown.push({ path: '', message: `… and ${more} more` });
  const why =
    set.excluded.length === 0
      ? 'the organisation has no accounts'
      : `every account of the organisation is left out (${set.excluded.length})`;
  return new ConfigError(`No accounts to target: ${why}`, {
    problems: shown,
    suggestion:
      'Check organization.includeOUs, excludeOUs, excludeAccounts and includeManagementAccount in ' +
      'accounts.yaml, or list the accounts under `accounts:`.',
  });
}

/**
 * The account's regions: its own list, or with `all`, the regions enabled in it (asked once per account, with the
 * account's own credentials, from the session's home region).
 */
export async function regionsOf(session: Session, account: TargetAccount): Promise<string[]> {
  if (account.regions !== 'all') return account.regions;
  const ec2 = await session.clients(account.id, session.homeRegion, account.role).ec2();
  const { DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
  const out = await ec2.send(new DescribeRegionsCommand({ AllRegions: false }));
  return (out.Regions ?? [])
    .filter((r) => r.OptInStatus !== 'not-opted-in' && r.RegionName)
    .map((r) => r.RegionName!)
    .sort();
}

/**
 * Expands accounts into account × region targets. With `regions: all`, an account whose regions cannot be listed
 * (its role cannot be assumed, say) fails as one target.
 */
export async function expandTargets(
  session: Session,
  accounts: TargetAccount[],
  concurrency: number,
  stackName: string,
): Promise<{ targets: Target[]; failed: TargetResult[] }> {
  const targets: Target[] = [];
  const failed: TargetResult[] = [];
  const needLookup = accounts.filter((a) => a.regions === 'all');
  for (const a of accounts) {
    if (a.regions !== 'all')
      for (const region of a.regions) targets.push({ account: a.id, accountName: a.name, region, role: a.role });
  }
  await runPool(
    needLookup,
    async (a) => {
      try {
        await session.broker.check(a.id, a.role);
        for (const region of await regionsOf(session, a))
          targets.push({ account: a.id, accountName: a.name, region, role: a.role });
      } catch (err) {
        failed.push({
          account: a.id,
          accountName: a.name,
          region: '(all)',
          stackName,
          action: 'none',
          result: 'failed',
          stackStatus: null,
          error: describeError(err),
          durationMs: 0,
          reason: "could not list the account's regions",
        });
      }
      return null;
    },
    { concurrency, failureTolerance: null, isFailure: () => false },
  );
  targets.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  return { targets, failed };
}

/**
 * Warms an account's targets one region at a time while discovery runs (see warm-up.ts): `each` starts the
 * target's read-only work, and the account keeps one call in flight. It stops between regions once discovery is
 * done (`next` false); the run does the rest in its own window. With `regions: all` the regions are not known yet:
 * only the role is assumed.
 */
export async function warmTargets(
  session: Session,
  a: TargetAccount,
  next: () => Promise<boolean>,
  each: (t: Target) => Promise<unknown>,
): Promise<void> {
  if (a.regions === 'all') return session.broker.check(a.id, a.role);
  for (const region of a.regions) {
    if (!(await next())) return;
    await each({ account: a.id, accountName: a.name, region, role: a.role });
  }
}

/** A target's key in the maps of work started early. */
export const targetKey = (t: Target) => `${t.account}|${t.region}|${t.role.roleName}`;
