// Which accounts the guardrail SCP protects: for each account, does a policy with the current content apply through
// its chain of parents (root → OUs → account)? The organisation is read once per run, not once per account:
// the SCP policies (list, then each customer policy's content), the targets of the ones that matter, and the OU
// tree walked from the root (two list calls per OU, 20 accounts a page), so 800 accounts in 40 OUs cost about
// 120 calls, not 800 × depth.
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  paginateListPolicies,
  paginateListTargetsForPolicy,
  type OrganizationsClient,
  type Root,
} from '@aws-sdk/client-organizations';
import { chainOf, organisationRoot, parentMap, scpEnabledOn } from '../org/tree.js';
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
    await Promise.all(
      summaries.slice(i, i + 5).map(async (s) => {
        const out = await org.send(new DescribePolicyCommand({ PolicyId: s.Id! }));
        const isCurrent = samePolicy(out.Policy?.Content ?? '', expected);
        if (isCurrent || s.Name === POLICY_NAME) mine.push({ id: s.Id!, current: isCurrent });
      }),
    );
  }
  for (const p of mine) {
    for await (const page of paginateListTargetsForPolicy({ client: org, ...PAGE }, { PolicyId: p.id })) {
      for (const t of page.Targets ?? []) if (t.TargetId) (p.current ? current : outdated).add(t.TargetId);
    }
  }
  return { current, outdated };
}

/** Surveys the organisation once and judges each account. */
export async function surveyProtection(
  org: OrganizationsClient,
  accounts: string[],
  expected: string,
): Promise<ProtectionSurvey> {
  const [desc, root] = await Promise.all([org.send(new DescribeOrganizationCommand({})), organisationRoot(org)]);
  const managementAccountId = desc.Organization?.MasterAccountId ?? '';
  const scpEnabled = scpEnabledOn(root);
  const byAccount = new Map<string, Protection>();
  let currentTargets = new Set<string>();
  let outdatedTargets = new Set<string>();
  let parents = new Map<string, string>();
  if (scpEnabled) {
    [{ current: currentTargets, outdated: outdatedTargets }, parents] = await Promise.all([
      guardrailTargets(org, expected),
      parentMap(org, root.Id!),
    ]);
  }
  for (const account of accounts) {
    if (account === managementAccountId) {
      byAccount.set(account, 'not-applicable');
      continue;
    }
    const chain = chainOf(account, parents);
    byAccount.set(
      account,
      !scpEnabled || !parents.has(account)
        ? 'unprotected'
        : chain.some((id) => currentTargets.has(id))
          ? 'protected'
          : chain.some((id) => outdatedTargets.has(id))
            ? 'outdated'
            : 'unprotected',
    );
  }
  return { managementAccountId, root, scpEnabled, byAccount, currentTargets, outdatedTargets };
}
