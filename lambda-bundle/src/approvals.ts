// Time-boxed approvals: before a change is reverted, one Query fetches the group's approvals. Rules an active
// approval contains are kept (decision `approved`): each kept rule id is recorded with its approval in the store,
// which is what the sweep later expires, and the rule is tagged with the approval and its expiry as a label for
// people (a label anyone may forge, and which decides nothing). The rest are still reverted. Containment is judged
// on the rules as EC2 holds them, never on the event's word.
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

/** A rule the function keeps under an approval: the store's record is the truth the sweep acts on. */
export interface KeptRule {
  ruleId: string;
  groupId: string;
  direction: Direction;
  approvalId: string;
  /** epoch seconds: the approval's expiry */
  expiresAt: number;
}

export interface ApprovalsPort {
  forGroup(account: string, region: string, groupId: string): Promise<Approval[]>;
  get(account: string, region: string, groupId: string, id: string): Promise<Approval | undefined>;
  /** Records kept rules (this account and region only: the store's policy admits no other partition). */
  keep(account: string, region: string, rules: KeptRule[]): Promise<void>;
  /** Every kept rule recorded for this account and region. */
  kept(account: string, region: string): Promise<KeptRule[]>;
  forget(account: string, region: string, ruleId: string): Promise<void>;
}

export interface ApprovalUnit {
  groupId: string;
  direction: Direction;
  ruleIds: string[];
  permissions?: Permission[];
  /** these rules as EC2 holds them, when the plan already described the group (rules found by their values) */
  observed?: GroupRule[];
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
  /** onLookupError keep: decide the event again after this many seconds (the rest of the grace) */
  recheckSeconds?: number;
}

export interface ApprovalPlace {
  account: string;
  region: string;
  onLookupError: 'revert' | 'keep';
  graceMinutes: number;
  /** seconds since the event was queued (unknown outside the queue: no grace then) */
  ageSeconds?: number;
}

/**
 * The rules of the group the unit names by id, as EC2 describes them now (an event without rule ids has had its
 * rules found by their values, and described, in the plan).
 */
async function observed(ec2: Ec2Port, unit: ApprovalUnit): Promise<GroupRule[]> {
  return (unit.observed ?? (await ec2.groupRules(unit.groupId))).filter((r) => unit.ruleIds.includes(r.ruleId));
}

export async function applyApprovals(
  ec2: Ec2Port,
  store: ApprovalsPort,
  where: ApprovalPlace,
  unit: ApprovalUnit,
): Promise<ApprovalOutcome> {
  const base = { groupId: unit.groupId, ruleIds: unit.ruleIds, direction: unit.direction };
  let active: Approval[];
  try {
    active = (await store.forGroup(where.account, where.region, unit.groupId)).filter(
      (a) => a.groupId === unit.groupId && isActive(a, Date.now()),
    );
  } catch (err) {
    const why = unreadable(err);
    const grace = where.graceMinutes * 60;
    // keep: the rule stays for the grace, and the event itself (held in guardrail's own queue) is decided again when
    // it ends; a store still unreadable then means revert. Outside the queue there is no grace to hold it for.
    if (where.onLookupError === 'keep' && where.ageSeconds !== undefined && where.ageSeconds < grace) {
      const left = Math.ceil(grace - where.ageSeconds);
      return {
        kept: [
          {
            ...base,
            action: 'allowed',
            reason: `${why}; kept for ${Math.ceil(left / 60)} min, then decided again (onLookupError=keep)`,
          },
        ],
        recheckSeconds: left,
      };
    }
    const how =
      where.onLookupError === 'keep'
        ? `still unreadable after the ${where.graceMinutes}-minute grace`
        : 'onLookupError=revert';
    return { kept: [], rest: unit, note: `${why}; reverted (${how})` };
  }
  if (active.length === 0) return { kept: [], rest: unit };
  // a group that is gone has nothing to keep: the revert path reports it
  const rules = await observed(ec2, unit).catch((err: unknown) => (isGone(err) ? [] : Promise.reject(err)));
  if (rules.length === 0) return { kept: [], rest: unit };
  const byApproval = new Map<Approval, GroupRule[]>();
  const uncovered: string[] = [];
  for (const r of rules) {
    const a = covering(active, r);
    if (a) byApproval.set(a, [...(byApproval.get(a) ?? []), r]);
    else uncovered.push(r.ruleId);
  }
  const kept: Decision[] = [];
  const notes: string[] = [];
  for (const [a, covered] of byApproval) {
    const ruleIds = covered.map((r) => r.ruleId);
    const expiresAt = isoOf(a.expiresAt);
    try {
      await store.keep(
        where.account,
        where.region,
        covered.map((r) => ({
          ruleId: r.ruleId,
          groupId: unit.groupId,
          direction: r.isEgress ? 'egress' : 'ingress',
          approvalId: a.id,
          expiresAt: a.expiresAt,
        })),
      );
    } catch (err) {
      // a kept rule without a record would escape the sweep and outlive its approval: revert it instead
      uncovered.push(...ruleIds);
      notes.push(`approval ${a.id}: could not record the kept rules (${errorCode(err)})`);
      continue;
    }
    let label = '';
    try {
      await ec2.tagRules(ruleIds, { [APPROVAL_TAG]: a.id, [EXPIRES_TAG]: expiresAt });
    } catch (err) {
      if (isTransient(err)) throw err;
      label = `; not labelled (${errorCode(err)})`;
    }
    kept.push({
      ...base,
      ruleIds,
      action: 'approved',
      reason: `covered by approval ${a.id} (approved by ${a.approver}, until ${expiresAt})${label}`,
      approvalId: a.id,
      approver: a.approver,
      expiresAt,
    });
  }
  return {
    kept,
    rest: uncovered.length ? { ...base, ruleIds: uncovered } : undefined,
    note: notes.join('; ') || undefined,
  };
}
