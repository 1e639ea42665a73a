// guardrail protect --detach: the way back from --attach. A plan (where guardrail-protect is attached), then, once
// confirmed, the policy detached from each of those targets and deleted. Only a policy guardrail made (its
// guardrail:managed-by tag) is touched; one of that name that someone else made is refused before any write.
import {
  DeletePolicyCommand,
  DetachPolicyCommand,
  paginateListPolicies,
  paginateListTagsForResource,
  paginateListTargetsForPolicy,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { ExitCode, GuardrailError } from '../errors.js';
import { MANAGED_TAG, POLICY_NAME } from './scp-render.js';

const SCP = 'SERVICE_CONTROL_POLICY';

export interface DetachPlan {
  /** null: there is no guardrail-protect policy, nothing to do */
  policyId: string | null;
  targets: { targetId: string; type: string; name: string }[];
}

export async function planDetach(org: OrganizationsClient): Promise<DetachPlan> {
  let policyId: string | null = null;
  for await (const page of paginateListPolicies({ client: org }, { Filter: SCP })) {
    const found = (page.Policies ?? []).find((p) => p.Name === POLICY_NAME);
    if (found?.Id) {
      policyId = found.Id;
      break;
    }
  }
  if (!policyId) return { policyId: null, targets: [] };
  let managed = false;
  for await (const page of paginateListTagsForResource({ client: org }, { ResourceId: policyId })) {
    if ((page.Tags ?? []).some((t) => t.Key === MANAGED_TAG && t.Value === 'guardrail')) managed = true;
  }
  if (!managed) {
    throw new GuardrailError(
      'SCP_NOT_OURS',
      ExitCode.usage,
      `The policy ${POLICY_NAME} (${policyId}) was not made by guardrail (no ${MANAGED_TAG} tag), so it is left alone`,
      {
        suggestion:
          'Detach and delete it yourself if it is yours to remove (aws organizations detach-policy, delete-policy).',
      },
    );
  }
  const targets: DetachPlan['targets'] = [];
  for await (const page of paginateListTargetsForPolicy({ client: org }, { PolicyId: policyId })) {
    for (const t of page.Targets ?? [])
      if (t.TargetId) targets.push({ targetId: t.TargetId, type: t.Type ?? '?', name: t.Name ?? '' });
  }
  return { policyId, targets };
}

/** Detaches from every target of the plan, then deletes the policy; each step is reported as it is done. */
export async function applyDetach(
  org: OrganizationsClient,
  plan: DetachPlan,
  emit: (message: string) => void,
): Promise<void> {
  if (!plan.policyId) return;
  for (const t of plan.targets) {
    await org.send(new DetachPolicyCommand({ PolicyId: plan.policyId, TargetId: t.targetId }));
    emit(`detached from ${t.targetId} (${t.type})`);
  }
  await org.send(new DeletePolicyCommand({ PolicyId: plan.policyId }));
  emit(`deleted ${POLICY_NAME} (${plan.policyId})`);
}
