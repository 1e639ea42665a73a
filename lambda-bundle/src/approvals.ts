// Time-boxed approvals: before a change is reverted, one Query fetches the group's approvals. Rules an active
// approval contains are kept (decision `approved`) and tagged with the approval and its expiry; the rest are still
// reverted. Containment is judged on the rules as EC2 holds them, never on the event's word.
import { contains, type ApprovedRule } from './contain.js';
import { errorCode, isGone, isTransient } from './revert.js';
import type { Decision, Direction, Ec2Port, GroupRule, Permission } from './types.js';

export const APPROVAL_TAG = 'guardrail:approval';
export const EXPIRES_TAG = 'guardrail:expires';

export interface Approval {
  id: string;
  groupId: string;
  approver: string;
  /** epoch seconds */
  expiresAt: number;
  revoked: boolean;
  rules: ApprovedRule[];
}

export interface ApprovalsPort {
  forGroup(account: string, region: string, groupId: string): Promise<Approval[]>;
  get(account: string, region: string, groupId: string, id: string): Promise<Approval | undefined>;
}

export interface ApprovalUnit {
  groupId: string;
  direction: Direction;
  ruleIds: string[];
  permissions?: Permission[];
}

export const unreadable = (err: unknown): string => `approval store unreadable (${errorCode(err)})`;
export const isActive = (a: Approval, nowMs: number): boolean => !a.revoked && a.expiresAt * 1000 > nowMs;
export const isoOf = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();
export const covering = (approvals: Approval[], r: GroupRule): Approval | undefined =>
  approvals.find((a) => a.rules.some((ar) => contains(ar, r)));

export interface ApprovalOutcome {
  /** decisions for the kept rules: one per approval, or one `allowed` for all when the store was unreadable (keep) */
  kept: Decision[];
  /** what is still to be reverted (undefined: nothing); `note` is added to its reason */
  rest?: ApprovalUnit;
  note?: string;
}

/**
 * The rules of the group the unit names by id, as EC2 describes them now. An event in the old format (permissions,
 * no rule ids; CloudTrail has reported rule ids since 2021) names none, so nothing of it is kept: it is reverted.
 */
async function observed(ec2: Ec2Port, unit: ApprovalUnit): Promise<GroupRule[]> {
  return (await ec2.groupRules(unit.groupId)).filter((r) => unit.ruleIds.includes(r.ruleId));
}

export async function applyApprovals(
  ec2: Ec2Port, store: ApprovalsPort, where: { account: string; region: string; onLookupError: 'revert' | 'keep' }, unit: ApprovalUnit,
): Promise<ApprovalOutcome> {
  const base = { groupId: unit.groupId, ruleIds: unit.ruleIds, direction: unit.direction };
  let active: Approval[];
  try {
    active = (await store.forGroup(where.account, where.region, unit.groupId))
      .filter((a) => a.groupId === unit.groupId && isActive(a, Date.now()));
  } catch (err) {
    const why = unreadable(err);
    if (where.onLookupError === 'keep') return { kept: [{ ...base, action: 'allowed', reason: `${why}; kept (onLookupError=keep)` }] };
    return { kept: [], rest: unit, note: `${why}; reverted (onLookupError=revert)` };
  }
  if (active.length === 0) return { kept: [], rest: unit };
  // a group that is gone has nothing to keep: the revert path reports it
  const rules = await observed(ec2, unit).catch((err: unknown) => (isGone(err) ? [] : Promise.reject(err)));
  if (rules.length === 0) return { kept: [], rest: unit };
  const byApproval = new Map<Approval, string[]>();
  const uncovered: string[] = [];
  for (const r of rules) {
    const a = covering(active, r);
    if (a) byApproval.set(a, [...(byApproval.get(a) ?? []), r.ruleId]);
    else uncovered.push(r.ruleId);
  }
  const kept: Decision[] = [];
  let note: string | undefined;
  for (const [a, ruleIds] of byApproval) {
    const expiresAt = isoOf(a.expiresAt);
    try {
      await ec2.tagRules(ruleIds, { [APPROVAL_TAG]: a.id, [EXPIRES_TAG]: expiresAt });
    } catch (err) {
      if (isTransient(err)) throw err;
      // an untagged rule would escape the sweep and outlive its approval: revert it instead
      uncovered.push(...ruleIds);
      note = `approval ${a.id}: tagging failed (${errorCode(err)})`;
      continue;
    }
    kept.push({ ...base, ruleIds, action: 'approved', reason: `covered by approval ${a.id} (approved by ${a.approver}, until ${expiresAt})`,
      approvalId: a.id, approver: a.approver, expiresAt });
  }
  return { kept, rest: uncovered.length ? { ...base, ruleIds: uncovered } : undefined, note };
}
