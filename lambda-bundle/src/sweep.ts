// The sweep: a scheduled EventBridge rule invokes the function every few minutes. It lists this account and region's
// rules that carry the guardrail:approval tag and checks each against the store. A rule whose approval expired or
// was revoked is revoked (`expired`); one whose approval does not exist, belongs to another group or does not
// contain the rule is revoked too (`forged`: anyone who may tag a rule can write that tag). Untagged rules are not
// its business. When the store cannot be read the rule stays, the decision says `failed`, and the next sweep retries.
import { APPROVAL_TAG, covering, isActive, isoOf, unreadable, type Approval } from './approvals.js';
import { report, type Deps } from './process-event.js';
import { revokeRuleIds } from './revert.js';
import type { Decision, Result, TaggedRule } from './types.js';

const APPROVAL_ID = /^apr-[0-9a-f]{8,32}$/;

type Obj = Record<string, unknown>;

/** EventBridge's scheduled event: `detail-type` "Scheduled Event" from `aws.events`. */
export const isScheduledEvent = (e: unknown): e is Obj => (e as Obj)?.['detail-type'] === 'Scheduled Event' && (e as Obj).source === 'aws.events';

function verdict(rule: TaggedRule, id: string, a: Approval | undefined): [action: 'expired' | 'forged', reason: string] | undefined {
  if (!a || a.groupId !== rule.groupId) return ['forged', `approval ${id} does not exist`];
  if (!covering([a], rule)) return ['forged', `approval ${id} does not cover it`];
  if (a.revoked) return ['expired', `approval ${id} was revoked`];
  if (!isActive(a, Date.now())) return ['expired', `approval ${id} expired at ${isoOf(a.expiresAt)}`];
  return undefined;
}

async function checkRule(deps: Deps, rule: TaggedRule, lookup: (r: TaggedRule, id: string) => Promise<Approval | undefined>): Promise<Decision | undefined> {
  const id = (rule.tags[APPROVAL_TAG] ?? '').slice(0, 64);
  const direction = rule.isEgress ? 'egress' : 'ingress';
  const base: Decision = { groupId: rule.groupId, ruleIds: [rule.ruleId], direction, action: 'failed', reason: '', approvalId: id };
  let a: Approval | undefined;
  try {
    // a tag that is not even an approval id is forged without asking the store
    a = APPROVAL_ID.test(id) ? await lookup(rule, id) : undefined;
  } catch (err) {
    return { ...base, reason: `${unreadable(err)}; kept until the next sweep` };
  }
  const v = verdict(rule, id, a);
  if (!v) return undefined;
  const outcome = await revokeRuleIds(deps.ec2, direction, rule.groupId, [rule.ruleId]);
  return {
    ...base, ...(a ? { approver: a.approver, expiresAt: isoOf(a.expiresAt) } : {}),
    ...(outcome.action === 'failed' ? outcome : { action: v[0], reason: `${v[1]}: ${outcome.reason}` }),
  };
}

export async function sweep(event: Obj, deps: Deps): Promise<Result> {
  const approvals = deps.approvals;
  const meta = { eventId: String(event.id).slice(0, 128), eventName: 'Scheduled Event', account: approvals?.account ?? null, region: approvals?.region ?? null };
  const decisions: Decision[] = [];
  if (!approvals) decisions.push({ groupId: null, ruleIds: [], direction: null, action: 'ignored', reason: 'approvals are off' });
  // one GetItem per tagged rule: approved rules are few, and each lookup sees the store as it is now
  const lookup = (r: TaggedRule, id: string) => approvals!.store.get(approvals!.account, approvals!.region, r.groupId, id);
  // transient EC2 errors propagate: Lambda retries the sweep, which is idempotent
  for (const rule of approvals ? await deps.ec2.taggedRules(APPROVAL_TAG) : []) {
    const d = await checkRule(deps, rule, lookup);
    if (d) decisions.push(d);
  }
  return report({ ...meta, decisions }, deps);
}
