// Where each account sits in the organisation: its parent OU's id and the path of OU names down to it ("Workloads /
// Prod"), or "Root". One walk of the OU tree (org/tree.ts parentMap: ListRoots, then ListAccountsForParent and
// ListOrganizationalUnitsForParent per OU, paginated), used by the report to group healthy accounts at scale.
// OU names are whatever the organisation's administrators typed: callers must escape them.
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { chainOf, organisationRoot, parentMap } from './tree.js';

export interface OuPlace {
  /** the parent's id: an OU id, or the root's id */
  id: string;
  /** OU names from below the root down to the parent, joined by " / "; "Root" for an account directly under the root */
  path: string;
}

export async function accountOuPaths(org: OrganizationsClient): Promise<Map<string, OuPlace>> {
  const root = await organisationRoot(org);
  const rootId = root.Id!;
  const names = new Map<string, string>();
  const parents = await parentMap(org, rootId, names);
  const out = new Map<string, OuPlace>();
  for (const [id, parent] of parents) {
    if (names.has(id)) continue; // an OU, not an account
    const ous = chainOf(id, parents)
      .slice(1)
      .filter((x) => x !== rootId)
      .reverse();
    out.set(id, { id: parent, path: ous.length === 0 ? 'Root' : ous.map((x) => names.get(x) ?? x).join(' / ') });
  }
  return out;
}
