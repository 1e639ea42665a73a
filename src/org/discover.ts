// Account discovery: the organisation's ACTIVE accounts through the Organizations paginators, with OU subtrees
// included or excluded, excluded accounts, and the management account when configured.
import {
  DescribeOrganizationCommand, paginateListAccounts, paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent, paginateListRoots, type Account, type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { GuardrailError } from '../errors.js';

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
      throw new GuardrailError('ORGANIZATIONS', 2,
        `Could not read the organisation (${name}: ${(err as Error).message})`, {
          suggestion: 'Run guardrail with the management account (or a delegated administrator), or list the '
            + 'accounts explicitly under `accounts:` in accounts.yaml.',
          cause: err,
        });
    }
    throw err;
  }

  const all: Account[] = [];
  if (opts.includeOUs.length === 0) {
    for await (const page of paginateListAccounts({ client: org, ...PAGE }, {})) all.push(...(page.Accounts ?? []));
  } else {
    for (const ou of opts.includeOUs) all.push(...(await accountsUnder(org, ou)));
  }
  const excludedByOu = new Set<string>();
  for (const ou of opts.excludeOUs) for (const a of await accountsUnder(org, ou)) excludedByOu.add(a.Id ?? '');

  const seen = new Set<string>();
  const accounts: OrgAccount[] = [];
  const excluded: Discovery['excluded'] = [];
  for (const a of all) {
    const acct: OrgAccount = { id: a.Id ?? '', name: a.Name ?? '', status: (a.State ?? a.Status ?? 'ACTIVE').toString() };
    if (!acct.id || seen.has(acct.id)) continue;
    seen.add(acct.id);
    if (acct.status !== 'ACTIVE') excluded.push({ account: acct, reason: `account is ${acct.status}` });
    else if (opts.excludeAccounts.includes(acct.id)) excluded.push({ account: acct, reason: 'listed in organization.excludeAccounts' });
    else if (excludedByOu.has(acct.id)) excluded.push({ account: acct, reason: 'in an OU listed in organization.excludeOUs' });
    else if (acct.id === managementAccountId && !opts.includeManagementAccount) {
      excluded.push({ account: acct, reason: 'management account (organization.includeManagementAccount is false)' });
    } else accounts.push(acct);
  }
  accounts.sort((x, y) => x.id.localeCompare(y.id));
  return { managementAccountId, accounts, excluded };
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
      for await (const page of paginateListOrganizationalUnitsForParent({ client: org, ...PAGE }, { ParentId: parent })) {
        for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
      }
    } catch (err) {
      if ((err as Error).name === 'ParentNotFoundException') {
        throw new GuardrailError('ORGANIZATIONS', 2, `The OU ${parent} is not part of this organisation`, {
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
  throw new GuardrailError('ORGANIZATIONS', 1, 'The organisation has no root');
}
