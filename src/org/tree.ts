// The organisation's tree: its root, every account's and OU's parent (one walk from the root), and an account's
// chain of parents. Shared by the SCP survey (protection/) and the report's OU paths.
import {
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListRoots,
  type OrganizationsClient,
  type Root,
} from '@aws-sdk/client-organizations';

const PAGE = { pageSize: 20 };

export async function organisationRoot(org: OrganizationsClient): Promise<Root> {
  for await (const page of paginateListRoots({ client: org, ...PAGE }, {})) {
    const root = page.Roots?.[0];
    if (root) return root;
  }
  throw new Error('the organisation has no root');
}

export function scpEnabledOn(root: Root): boolean {
  return (root.PolicyTypes ?? []).some((t) => t.Type === 'SERVICE_CONTROL_POLICY' && t.Status === 'ENABLED');
}

/**
 * Every account's (and OU's) parent, walking the OU tree from the root; each OU's name goes into `names` when given.
 */
export async function parentMap(
  org: OrganizationsClient,
  rootId: string,
  names?: Map<string, string>,
): Promise<Map<string, string>> {
  const parents = new Map<string, string>();
  let level = [rootId];
  while (level.length > 0) {
    const next: string[] = [];
    await Promise.all(
      level.map(async (parent) => {
        for await (const page of paginateListAccountsForParent({ client: org, ...PAGE }, { ParentId: parent })) {
          for (const a of page.Accounts ?? []) if (a.Id) parents.set(a.Id, parent);
        }
        for await (const page of paginateListOrganizationalUnitsForParent(
          { client: org, ...PAGE },
          { ParentId: parent },
        )) {
          for (const ou of page.OrganizationalUnits ?? []) {
            if (!ou.Id) continue;
            parents.set(ou.Id, parent);
            names?.set(ou.Id, ou.Name ?? ou.Id);
            next.push(ou.Id);
          }
        }
      }),
    );
    level = next;
  }
  return parents;
}

/** [account, parent OU, …, root]. */
export function chainOf(id: string, parents: Map<string, string>): string[] {
  const chain = [id];
  let p = parents.get(id);
  for (let guard = 0; p && guard < 10; guard++) {
    chain.push(p);
    p = parents.get(p);
  }
  return chain;
}
