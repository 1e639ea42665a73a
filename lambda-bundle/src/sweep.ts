// The sweep: a scheduled EventBridge rule (delivered through the function's own queue, like every input) runs it
// every few minutes. It undoes only what guardrail itself kept: the rules the store records for this account and
// region. A recorded rule whose approval expired, was revoked, is gone from the store or no longer contains the rule
// is revoked (`expired`), whether or not its label is still there. A `guardrail:approval` label without a record is
// never a reason to revoke: anyone who may tag a rule can write one. The label is taken off and the rule is left as
// it is (`forged`). The sweep applies the event path's scope (directions, exempt groups, tags, VPCs, monitor mode)
// through the same code. When the store cannot be read nothing is revoked and the next sweep tries again.
import {
  APPROVAL_TAG,
  covering,
  EXPIRES_TAG,
  isActive,
  isoOf,
  unreadable,
  type Approval,
  type KeptRule,
} from './approvals.js';
import { directionIgnoreReason } from './decide.js';
import { loggedRule, type LineContext } from './log.js';
import { groupCache, report, type Deps } from './process-event.js';
import { isGone, isTransient, errorCode, revokeRuleIds } from './revert.js';
import { shown } from './shown.js';
import { associatedVpcs, groupScope } from './scope.js';
import type { Decision, GroupInfo, GroupRule, Result } from './types.js';

type Obj = Record<string, unknown>;
type Store = NonNullable<Deps['approvals']>;

/** Why a kept rule's approval no longer holds, or undefined while it does. Store errors propagate. */
async function lapsed(a: Store, k: KeptRule, rule: GroupRule): Promise<string | undefined> {
  if (k.expiresAt * 1000 <= Date.now()) return `approval ${k.approvalId} expired at ${isoOf(k.expiresAt)}`;
  const found: Approval | undefined = await a.store.get(a.account, a.region, k.groupId, k.approvalId);
  if (!found || found.groupId !== k.groupId) return `approval ${k.approvalId} is no longer in the store`;
  if (found.revoked) return `approval ${k.approvalId} was revoked`;
  if (!isActive(found, Date.now())) return `approval ${k.approvalId} expired at ${isoOf(found.expiresAt)}`;
  if (!covering([found], rule)) return `the rule no longer lies within approval ${k.approvalId}`;
  return undefined;
}

async function checkKept(
  deps: Deps,
  a: Store,
  k: KeptRule,
  rule: GroupRule,
  describe: (id: string) => Promise<GroupInfo | undefined>,
): Promise<Decision | undefined> {
  const base = {
    groupId: k.groupId,
    ruleIds: [k.ruleId],
    direction: k.direction,
    approvalId: k.approvalId,
    expiresAt: isoOf(k.expiresAt),
    rules: [loggedRule(rule)],
  };
  let why: string | undefined;
  try {
    why = await lapsed(a, k, rule);
  } catch (err) {
    return { ...base, action: 'failed', reason: `${unreadable(err)}; kept until the next sweep` };
  }
  if (!why) return undefined;
  const forget = () => a.store.forget(a.account, a.region, k.ruleId);
  const ignored = directionIgnoreReason(deps.config, k.direction);
  const scope = ignored
    ? { action: 'ignored' as const, reason: ignored }
    : await groupScope(deps.config, k.groupId, describe, associatedVpcs(deps.ec2));
  if (scope) {
    // not guardrail's to revoke (any more): the record goes, so the next sweep does not say it again
    if (scope.action !== 'failed') await forget();
    return { ...base, action: scope.action, reason: `${why}; not revoked: ${scope.reason}` };
  }
  const outcome = await revokeRuleIds(deps.ec2, k.direction, k.groupId, [k.ruleId]);
  if (outcome.action === 'failed') return { ...base, ...outcome };
  await forget();
  return { ...base, action: 'expired', reason: `${why}: ${outcome.reason}` };
}

/** The current rules of each group that has kept rules (a group that is gone has none). */
async function rulesByGroup(deps: Deps, kept: KeptRule[]): Promise<Map<string, GroupRule[]>> {
  const out = new Map<string, GroupRule[]>();
  for (const g of new Set(kept.map((k) => k.groupId))) {
    out.set(g, await deps.ec2.groupRules(g).catch((err: unknown) => (isGone(err) ? [] : Promise.reject(err))));
  }
  return out;
}

/** `via`: where the scheduled event was read from, when not from the event queue (a retry: the dead-letter queue). */
export async function sweep(event: Obj, deps: Deps, via?: LineContext['via']): Promise<Result> {
  const a = deps.approvals;
  const meta = {
    eventId: shown(event.id, 128),
    eventName: 'Scheduled Event',
    account: a?.account ?? null,
    region: a?.region ?? null,
  };
  const decisions: Decision[] = [];
  if (!a) {
    decisions.push({ groupId: null, ruleIds: [], direction: null, action: 'ignored', reason: 'approvals are off' });
    return report({ ...meta, decisions }, deps, { via });
  }
  let kept: KeptRule[];
  try {
    kept = await a.store.kept(a.account, a.region);
  } catch (err) {
    decisions.push({
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'failed',
      reason: `${unreadable(err)}; nothing expired, the next sweep tries again`,
    });
    return report({ ...meta, decisions }, deps, { via });
  }
  // transient EC2 errors propagate: the message goes back to the queue, and the sweep is idempotent
  const rules = await rulesByGroup(deps, kept);
  const describe = groupCache(deps.ec2, new Map());
  for (const k of kept) {
    const rule = rules.get(k.groupId)?.find((r) => r.ruleId === k.ruleId);
    if (!rule) {
      await a.store.forget(a.account, a.region, k.ruleId);
      continue;
    }
    const d = await checkKept(deps, a, k, rule, describe);
    if (d) decisions.push(d);
  }
  const recorded = new Set(kept.map((k) => k.ruleId));
  for (const r of await deps.ec2.taggedRules(APPROVAL_TAG)) {
    if (recorded.has(r.ruleId)) continue;
    const label = (r.tags[APPROVAL_TAG] ?? '').slice(0, 64);
    const base: Decision = {
      groupId: r.groupId,
      ruleIds: [r.ruleId],
      direction: r.isEgress ? 'egress' : 'ingress',
      action: 'forged',
      reason: '',
      approvalId: label,
      rules: [loggedRule(r)],
    };
    try {
      await deps.ec2.untag([r.ruleId], [APPROVAL_TAG, EXPIRES_TAG]);
      decisions.push({
        ...base,
        reason: `label ${APPROVAL_TAG}=${label} without a record in the store: label taken off, the rule left as it is`,
      });
    } catch (err) {
      if (isTransient(err)) throw err;
      decisions.push({
        ...base,
        action: 'failed',
        reason: `a forged label ${label}: could not take it off (${errorCode(err)}); the rule is left as it is`,
      });
    }
  }
  return report({ ...meta, decisions }, deps, { via });
}
