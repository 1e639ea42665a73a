// Targets as StackSets sees them: organizational units. The stack set targets organization.includeOUs (or the
// root). An excluded OU inside a targeted one is left out by targeting the remaining OUs instead; accounts that sit
// directly in an OU that had to be split cannot be reached that way, so they are deployed directly, like the
// management account (which a service-managed stack set never reaches), and the plan says so.
import {
  ListRootsCommand,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { GuardrailConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';

export interface OuTargets {
  /** the OUs (or root) the stack set targets */
  ous: string[];
  /** how excludeOUs were expressed, for the plan */
  split: { ou: string; excluded: string[] }[];
  /** every account in the targeted OUs' subtrees (any status), with the targeted OU it falls under */
  ouOf: Map<string, string>;
  /** accounts directly in a split OU: the stack set cannot reach them without the excluded OU, so direct */
  directlyInSplit: string[];
}

interface Node {
  ous: string[];
  accounts: string[];
}

async function children(org: OrganizationsClient, parentId: string, field: string): Promise<Node> {
  const node: Node = { ous: [], accounts: [] };
  try {
    for await (const page of paginateListOrganizationalUnitsForParent({ client: org }, { ParentId: parentId })) {
      node.ous.push(...(page.OrganizationalUnits ?? []).map((o) => o.Id ?? ''));
    }
    for await (const page of paginateListAccountsForParent({ client: org }, { ParentId: parentId })) {
      node.accounts.push(...(page.Accounts ?? []).map((a) => a.Id ?? ''));
    }
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'ParentNotFoundException' || name === 'InvalidInputException') {
      throw new ConfigError(`${field}: ${parentId} is not an OU or root of this organisation (${name})`, {
        problems: [{ path: field, message: `${parentId} does not exist` }],
        suggestion:
          'List the OUs with: aws organizations list-organizational-units-for-parent --parent-id <root or OU id>',
      });
    }
    throw err;
  }
  return node;
}

export async function ouTargets(org: OrganizationsClient, config: GuardrailConfig): Promise<OuTargets> {
  const o = config.organization;
  let base = o.includeOUs;
  if (base.length === 0) {
    const roots = await org.send(new ListRootsCommand({}));
    base = [(roots.Roots ?? [])[0]?.Id ?? ''];
  }
  const excluded = new Set(o.excludeOUs);
  const result: OuTargets = { ous: [], split: [], ouOf: new Map(), directlyInSplit: [] };
  // walk each base OU; a node containing an excluded OU is replaced by its remaining children
  const walk = async (id: string, field: string): Promise<{ contains: boolean; accounts: string[] }> => {
    const node = await children(org, id, field);
    const below: string[] = [...node.accounts];
    let contains = false;
    const kept: { id: string; accounts: string[] }[] = [];
    const cut: string[] = [];
    for (const child of node.ous) {
      if (excluded.has(child)) {
        contains = true;
        cut.push(child);
        continue;
      }
      const sub = await walk(child, field);
      if (sub.contains) contains = true;
      else kept.push({ id: child, accounts: sub.accounts });
      below.push(...sub.accounts);
    }
    if (contains) {
      for (const k of kept) {
        result.ous.push(k.id);
        for (const a of k.accounts) result.ouOf.set(a, k.id);
      }
      result.directlyInSplit.push(...node.accounts);
      result.split.push({ ou: id, excluded: cut });
    }
    return { contains, accounts: below };
  };
  for (const id of base) {
    if (excluded.has(id)) continue;
    const top = await walk(id, o.includeOUs.length > 0 ? 'organization.includeOUs' : 'organization root');
    if (!top.contains) {
      result.ous.push(id);
      for (const a of top.accounts) result.ouOf.set(a, id);
    }
  }
  return result;
}
