// Account discovery: the organisation's ACTIVE accounts through the Organizations paginators, with OU subtrees
// included or excluded, excluded accounts, and the management account when configured.
import {
  DescribeOrganizationCommand,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
  type Account,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ExitCode, GuardrailError } from '../errors.js';

export interface OrgAccount {
  id: string;
  name: string;
  status: string;
}

export interface DiscoveryOptions {
  includeOUs: string[];
  excludeOUs: string[];
  excludeAccounts: string[];
  includeManagementAccount: boolean;
  /**
   * Called with each account that will be targeted as soon as its page arrives, before the whole list is known (the
   * list pages are sequential: 40 round trips at 800 accounts), so the caller can start work on it early.
   */
  onAccount?: (account: OrgAccount) => void;
}

export interface Discovery {
  managementAccountId: string;
  /** the accounts to target, ACTIVE only, in a stable order */
  accounts: OrgAccount[];
  /** left out, and why: counted in the summary */
  excluded: { account: OrgAccount; reason: string }[];
}

const PAGE = { pageSize: 20 };

export async function discoverAccounts(org: OrganizationsClient, opts: DiscoveryOptions): Promise<Discovery> {
  let managementAccountId: string;
  try {
    const desc = await org.send(new DescribeOrganizationCommand({}));
    managementAccountId = desc.Organization?.MasterAccountId ?? '';
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'AWSOrganizationsNotInUseException' || name === 'AccessDeniedException') {
      throw new GuardrailError(
        'ORGANIZATIONS',
        ExitCode.usage,
        `Could not read the organisation (${name}: ${(err as Error).message})`,
        {
          suggestion:
            'Run guardrail with the management account (or a delegated administrator), or list the ' +
            'accounts explicitly under `accounts:` in accounts.yaml.',
          cause: err,
        },
      );
    }
    throw err;
  }

  // the excluded OUs are walked while the accounts are listed: both are chains of sequential pages
  const excludedByOuP = excludedByOus(org, opts.excludeOUs);
  excludedByOuP.catch(() => {
    /* awaited below */
  });
  const all: Account[] = [];
  const early = new Set<string>();
  const announce = (page: Account[]) => {
    if (!opts.onAccount) return;
    void excludedByOuP.then(
      (excludedByOu) => {
        for (const a of page) {
          const acct = toOrgAccount(a);
          if (early.has(acct.id) || exclusion(acct, excludedByOu, managementAccountId, opts) !== null) continue;
          early.add(acct.id);
          opts.onAccount!(acct);
        }
      },
      () => {
        /* the walk's error is thrown below */
      },
    );
  };
  if (opts.includeOUs.length === 0) {
    for await (const page of paginateListAccounts({ client: org, ...PAGE }, {})) {
      all.push(...(page.Accounts ?? []));
      announce(page.Accounts ?? []);
    }
  } else {
    for (const ou of opts.includeOUs) {
      const under = await accountsUnder(org, ou);
      all.push(...under);
      announce(under);
    }
  }
  const excludedByOu = await excludedByOuP;

  const seen = new Set<string>();
  const accounts: OrgAccount[] = [];
  const excluded: Discovery['excluded'] = [];
  for (const a of all) {
    const acct = toOrgAccount(a);
    if (!acct.id || seen.has(acct.id)) continue;
    seen.add(acct.id);
    const reason = exclusion(acct, excludedByOu, managementAccountId, opts);
    if (reason === null) accounts.push(acct);
    else excluded.push({ account: acct, reason });
  }
  accounts.sort((x, y) => x.id.localeCompare(y.id));
  return { managementAccountId, accounts, excluded };
}

function toOrgAccount(a: Account): OrgAccount {
  return { id: a.Id ?? '', name: a.Name ?? '', status: (a.State ?? a.Status ?? 'ACTIVE').toString() };
}

/** Why an account is left out, or null when it is targeted. */
function exclusion(
  acct: OrgAccount,
  excludedByOu: Set<string>,
  managementAccountId: string,
  opts: DiscoveryOptions,
): string | null {
  if (!acct.id) return 'no account id';
  if (acct.status !== 'ACTIVE') return `account is ${acct.status}`;
  if (opts.excludeAccounts.includes(acct.id)) return 'listed in organization.excludeAccounts';
  if (excludedByOu.has(acct.id)) return 'in an OU listed in organization.excludeOUs';
  if (acct.id === managementAccountId && !opts.includeManagementAccount) {
    return 'management account (organization.includeManagementAccount is false)';
  }
  return null;
}

async function excludedByOus(org: OrganizationsClient, ous: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const ou of ous) for (const a of await accountsUnder(org, ou)) out.add(a.Id ?? '');
  return out;
}

/** Every account in the subtree of an OU (or of the root), through the paginators. */
async function accountsUnder(org: OrganizationsClient, parentId: string): Promise<Account[]> {
  const out: Account[] = [];
  const queue = [parentId === 'root' ? await rootId(org) : parentId];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    try {
      for await (const page of paginateListAccountsForParent({ client: org, ...PAGE }, { ParentId: parent })) {
        out.push(...(page.Accounts ?? []));
      }
      for await (const page of paginateListOrganizationalUnitsForParent(
        { client: org, ...PAGE },
        { ParentId: parent },
      )) {
        for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
      }
    } catch (err) {
      if ((err as Error).name === 'ParentNotFoundException') {
        throw new GuardrailError('ORGANIZATIONS', ExitCode.usage, `The OU ${parent} is not part of this organisation`, {
          suggestion: 'Check organization.includeOUs and organization.excludeOUs in accounts.yaml.',
          cause: err,
        });
      }
      throw err;
    }
  }
  return out;
}

async function rootId(org: OrganizationsClient): Promise<string> {
  for await (const page of paginateListRoots({ client: org }, {})) {
    const id = page.Roots?.[0]?.Id;
    if (id) return id;
  }
  throw new GuardrailError('ORGANIZATIONS', ExitCode.failed, 'The organisation has no root');
}
