// guardrail protect: plan, then attach the guardrail-protect service control policy where the configuration's
// targets are (the root, the includeOUs, or the listed accounts). Every refusal (too long, too many SCPs on a
// target, a policy of that name guardrail did not make, SCPs off without --attach) is found before the first write,
// so nothing is ever attached half-way.
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  EnablePolicyTypeCommand,
  TagResourceCommand,
  UpdatePolicyCommand,
  paginateListPolicies,
  paginateListPoliciesForTarget,
  paginateListTagsForResource,
  paginateListTargetsForPolicy,
  type OrganizationsClient,
  type PolicySummary,
} from '@aws-sdk/client-organizations';
import type { GuardrailConfig } from '../config/index.js';
import { ExitCode, GuardrailError } from '../errors.js';
import { organisationRoot, scpEnabledOn } from '../org/tree.js';
import {
  MANAGED_TAG,
  POLICY_NAME,
  SCP_CHARACTER_LIMIT,
  SCPS_PER_TARGET,
  VERSION_TAG,
  renderScp,
  samePolicy,
  type RenderedScp,
} from './scp-render.js';
import { packageVersion } from '../version.js';

const SCP = 'SERVICE_CONTROL_POLICY';
const PAGE = { pageSize: 20 };

export interface ProtectTarget {
  targetId: string;
  type: 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';
  /** SCPs attached now (FullAWSAccess counts) */
  scpCount: number;
  action: 'attach' | 'none';
  reason: string;
}

export interface ProtectPlan {
  policy: RenderedScp;
  rootId: string;
  enablePolicyType: boolean;
  policyId: string | null;
  policyAction: 'create' | 'update' | 'none';
  targets: ProtectTarget[];
  /** where guardrail-protect is attached although the configuration does not name it (left alone) */
  elsewhere: string[];
}

export type ProtectEvent = { type: 'step'; message: string };

function refuse(message: string, suggestion: string): GuardrailError {
  return new GuardrailError('PROTECT', ExitCode.usage, message, { suggestion });
}

/** Renders the policy and refuses one over Organizations' 5,120-character limit. Needs no AWS access. */
export function renderChecked(config: GuardrailConfig): RenderedScp {
  const policy = renderScp(config);
  if (policy.characters > SCP_CHARACTER_LIMIT) {
    throw refuse(
      `The ${POLICY_NAME} policy would be ${policy.characters} characters; Organizations allows ${SCP_CHARACTER_LIMIT} per SCP`,
      `Shorten stackName (${config.stackName.length} characters, used in every resource pattern) or use fewer, wider ` +
        'patterns in protection.allowPrincipals (arn:aws:iam::*:role/BreakGlass*). Nothing was attached.',
    );
  }
  return policy;
}

/** The configuration's targets: the includeOUs, the listed accounts, or the root. */
export function configuredTargets(
  config: GuardrailConfig,
  rootId: string,
): { id: string; type: ProtectTarget['type'] }[] {
  if (config.accounts.length > 0) return config.accounts.map((a) => ({ id: a.id, type: 'ACCOUNT' as const }));
  if (config.organization.includeOUs.length > 0) {
    return config.organization.includeOUs.map((id) => ({
      id,
      type: id.startsWith('r-') ? ('ROOT' as const) : ('ORGANIZATIONAL_UNIT' as const),
    }));
  }
  return [{ id: rootId, type: 'ROOT' }];
}

async function findPolicy(org: OrganizationsClient): Promise<PolicySummary | undefined> {
  for await (const page of paginateListPolicies({ client: org, ...PAGE }, { Filter: SCP })) {
    const found = (page.Policies ?? []).find((p) => p.Name === POLICY_NAME);
    if (found) return found;
  }
  return undefined;
}

async function tagsOf(org: OrganizationsClient, id: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  for await (const page of paginateListTagsForResource({ client: org }, { ResourceId: id })) {
    for (const t of page.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  }
  return tags;
}

async function listTargets(org: OrganizationsClient, policyId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of paginateListTargetsForPolicy({ client: org, ...PAGE }, { PolicyId: policyId })) {
    for (const t of page.Targets ?? []) if (t.TargetId) out.add(t.TargetId);
  }
  return out;
}

async function countScps(org: OrganizationsClient, targetId: string): Promise<number> {
  let n = 0;
  for await (const page of paginateListPoliciesForTarget(
    { client: org, ...PAGE },
    { TargetId: targetId, Filter: SCP },
  )) {
    n += page.Policies?.length ?? 0;
  }
  return n;
}

/**
 * Reads the organisation and says what attaching would change; refuses what cannot be done whole. With SCPs off in
 * the organisation the plan starts by enabling them (EnablePolicyType on the root), for --plan as for --attach.
 */
export async function planProtect(org: OrganizationsClient, config: GuardrailConfig): Promise<ProtectPlan> {
  const policy = renderChecked(config);
  const root = await organisationRoot(org);
  const enabled = scpEnabledOn(root);
  const existing = await findPolicy(org);
  let policyAction: ProtectPlan['policyAction'] = 'create';
  let attached = new Set<string>();
  if (existing?.Id) {
    const tags = await tagsOf(org, existing.Id);
    if (tags[MANAGED_TAG] !== 'guardrail') {
      throw refuse(
        `A service control policy named ${POLICY_NAME} (${existing.Id}) exists, and guardrail did not make it (no ${MANAGED_TAG}=guardrail tag)`,
        `Review it in the Organizations console: rename or delete it if it is stale, or tag it ${MANAGED_TAG}=guardrail to let ` +
          'guardrail manage it. Nothing was attached.',
      );
    }
    const current = await org.send(new DescribePolicyCommand({ PolicyId: existing.Id }));
    policyAction = samePolicy(current.Policy?.Content ?? '', policy.content) ? 'none' : 'update';
    attached = await listTargets(org, existing.Id);
  }
  const wanted = configuredTargets(config, root.Id!);
  const targets = await Promise.all(
    wanted.map(async (t): Promise<ProtectTarget> => {
      // with SCPs off nothing is attached yet; enabling them attaches FullAWSAccess everywhere, which counts
      const scpCount = enabled ? await countScps(org, t.id) : 1;
      const isAttached = attached.has(t.id);
      const inUse = enabled
        ? `${scpCount} of ${SCPS_PER_TARGET} SCPs in use`
        : `SCPs off: FullAWSAccess will be 1 of ${SCPS_PER_TARGET}`;
      return {
        targetId: t.id,
        type: t.type,
        scpCount,
        action: isAttached ? 'none' : 'attach',
        reason: isAttached ? 'attached' : `not attached (${inUse})`,
      };
    }),
  );
  const full = targets.filter((t) => t.action === 'attach' && t.scpCount >= SCPS_PER_TARGET);
  if (full.length > 0) {
    throw refuse(
      `${full.map((t) => t.targetId).join(', ')} already ${full.length === 1 ? 'has' : 'have'} ${SCPS_PER_TARGET} service control policies, Organizations' limit per target`,
      'Detach or merge one of the SCPs there (FullAWSAccess counts), or copy the statement of `guardrail protect` into ' +
        'one of your own policies. Nothing was attached.',
    );
  }
  const elsewhere = [...attached].filter((id) => !wanted.some((t) => t.id === id)).sort();
  return {
    policy,
    rootId: root.Id!,
    enablePolicyType: !enabled,
    policyId: existing?.Id ?? null,
    policyAction,
    targets,
    elsewhere,
  };
}

export function planIsEmpty(plan: ProtectPlan): boolean {
  return !plan.enablePolicyType && plan.policyAction === 'none' && plan.targets.every((t) => t.action === 'none');
}

/** Carries the plan out, in the order that never leaves a half-made policy attached. */
export async function applyProtect(
  org: OrganizationsClient,
  plan: ProtectPlan,
  emit: (e: ProtectEvent) => void,
): Promise<string> {
  const tags = [
    { Key: MANAGED_TAG, Value: 'guardrail' },
    { Key: VERSION_TAG, Value: packageVersion() },
  ];
  if (plan.enablePolicyType) {
    await org.send(new EnablePolicyTypeCommand({ RootId: plan.rootId, PolicyType: SCP }));
    emit({ type: 'step', message: `enabled service control policies on ${plan.rootId}` });
  }
  let policyId = plan.policyId;
  if (plan.policyAction === 'create') {
    const out = await org.send(
      new CreatePolicyCommand({
        Name: POLICY_NAME,
        Type: SCP,
        Content: plan.policy.content,
        Tags: tags,
        Description: 'guardrail: member-account principals may not disable, edit or delete guardrail',
      }),
    );
    policyId = out.Policy?.PolicySummary?.Id ?? null;
    emit({ type: 'step', message: `created ${POLICY_NAME} (${policyId})` });
  } else if (plan.policyAction === 'update') {
    await org.send(new UpdatePolicyCommand({ PolicyId: policyId!, Content: plan.policy.content }));
    await org.send(new TagResourceCommand({ ResourceId: policyId!, Tags: tags }));
    emit({ type: 'step', message: `updated ${POLICY_NAME} (${policyId})` });
  }
  if (!policyId) throw new Error('Organizations returned no policy id');
  for (const t of plan.targets) {
    if (t.action !== 'attach') continue;
    await org.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: t.targetId }));
    emit({ type: 'step', message: `attached ${POLICY_NAME} to ${t.targetId}` });
  }
  return policyId;
}
