// Which accounts the guardrail SCP protects: for each account, does a policy with the current content apply through
// its chain of parents (root → OUs → account)? The organisation is read once per run, not once per account:
// the SCP policies (list, then each customer policy's content), the targets of the ones that matter, and the OU
// tree walked from the root (two list calls per OU, 20 accounts a page), so 800 accounts in 40 OUs cost about
// 120 calls, not 800 × depth.
import {
  DescribeOrganizationCommand, DescribePolicyCommand, paginateListAccountsForParent, paginateListOrganizationalUnitsForParent,
  paginateListPolicies, paginateListRoots, paginateListTargetsForPolicy, type OrganizationsClient, type Root,
} from '@aws-sdk/client-organizations';
import { POLICY_NAME, samePolicy } from './scp-render.js';

export type Protection = 'protected' | 'outdated' | 'unprotected' | 'not-applicable' | 'unknown';

export interface ProtectionSurvey {
  managementAccountId: string;
  root: Root;
  scpEnabled: boolean;
  /** per account id */
  byAccount: Map<string, Protection>;
  /** where a current guardrail SCP is attached, and where an outdated one is */
  currentTargets: Set<string>;
  outdatedTargets: Set<string>;
}

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

/** Every account's parent, walking the OU tree from the root. */
export async function parentMap(org: OrganizationsClient, rootId: string): Promise<Map<string, string>> {
  const parents = new Map<string, string>();
  let level = [rootId];
  while (level.length > 0) {
    const next: string[] = [];
    await Promise.all(level.map(async (parent) => {
      for await (const page of paginateListAccountsForParent({ client: org, ...PAGE }, { ParentId: parent })) {
        for (const a of page.Accounts ?? []) if (a.Id) parents.set(a.Id, parent);
      }
      for await (const page of paginateListOrganizationalUnitsForParent({ client: org, ...PAGE }, { ParentId: parent })) {
        for (const ou of page.OrganizationalUnits ?? []) {
          if (!ou.Id) continue;
          parents.set(ou.Id, parent);
          next.push(ou.Id);
        }
      }
    }));
    level = next;
  }
  return parents;
}

/** The targets (root, OU or account ids) of the SCPs that are guardrail's: current ones, and outdated ones by name. */
async function guardrailTargets(org: OrganizationsClient, expected: string) {
  const current = new Set<string>();
  const outdated = new Set<string>();
  const mine: { id: string; current: boolean }[] = [];
  const summaries = [];
  for await (const page of paginateListPolicies({ client: org, ...PAGE }, { Filter: 'SERVICE_CONTROL_POLICY' })) {
    summaries.push(...(page.Policies ?? []).filter((p) => !p.AwsManaged && p.Id));
  }
  // a copy of the policy under another name (your own IaC) counts when its content is the current one
  for (let i = 0; i < summaries.length; i += 5) {
    await Promise.all(summaries.slice(i, i + 5).map(async (s) => {
      const out = await org.send(new DescribePolicyCommand({ PolicyId: s.Id! }));
      const isCurrent = samePolicy(out.Policy?.Content ?? '', expected);
      if (isCurrent || s.Name === POLICY_NAME) mine.push({ id: s.Id!, current: isCurrent });
    }));
  }
  for (const p of mine) {
    for await (const page of paginateListTargetsForPolicy({ client: org, ...PAGE }, { PolicyId: p.id })) {
      for (const t of page.Targets ?? []) if (t.TargetId) (p.current ? current : outdated).add(t.TargetId);
    }
  }
  return { current, outdated };
}

/** Surveys the organisation once and judges each account. */
export async function surveyProtection(org: OrganizationsClient, accounts: string[], expected: string): Promise<ProtectionSurvey> {
  const [desc, root] = await Promise.all([org.send(new DescribeOrganizationCommand({})), organisationRoot(org)]);
  const managementAccountId = desc.Organization?.MasterAccountId ?? '';
  const scpEnabled = scpEnabledOn(root);
  const byAccount = new Map<string, Protection>();
  let currentTargets = new Set<string>();
  let outdatedTargets = new Set<string>();
  let parents = new Map<string, string>();
  if (scpEnabled) {
    [{ current: currentTargets, outdated: outdatedTargets }, parents] = await Promise.all([
      guardrailTargets(org, expected), parentMap(org, root.Id!),
    ]);
  }
  for (const account of accounts) {
    if (account === managementAccountId) { byAccount.set(account, 'not-applicable'); continue; }
    const chain = chainOf(account, parents);
    byAccount.set(account, !scpEnabled || !parents.has(account) ? 'unprotected'
      : chain.some((id) => currentTargets.has(id)) ? 'protected'
        : chain.some((id) => outdatedTargets.has(id)) ? 'outdated' : 'unprotected');
  }
  return { managementAccountId, root, scpEnabled, byAccount, currentTargets, outdatedTargets };
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
