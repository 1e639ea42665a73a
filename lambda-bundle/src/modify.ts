// A ModifySecurityGroupRules event, per group and direction, once the caller and the group's scope have been
// checked (process-event.ts): restore, never destroy. Each modified rule is judged as EC2 holds it now against its
// previous definition (previous.ts): not wider → kept (`allowed`, with the reason); wider and not approved →
// restored to the previous definition with ModifySecurityGroupRules, which keeps the rule's id, tags and place
// (`restored`, the line carrying `before` and `after`); not known → `policy.onModifyUnknown`. An approval that
// covers the rule as EC2 holds it keeps it, as for additions. What the function keeps or restores, it records.
// The event says which rules changed and what the call asked for; what the rules were before never comes from it.
import { applyApprovals, type ApprovalsPort, type ApprovalUnit } from './approvals.js';
import type { HistoryPort, ModifiedRule } from './config-history.js';
import { previousDefinitions, type Previous } from './previous.js';
import { errorCode, isGone, isTransient, revokeRuleIds } from './revert.js';
import { remember, type RecordedHow, type RecordsPort, type RuleRecord } from './rule-records.js';
import { shown } from './shown.js';
import { compare, isWider, openToWorld, sameAccess } from './wider.js';
import type { Config, Decision, Ec2Port, GroupRule, RuleDefinition, RuleValues } from './types.js';

export interface ModifyPorts {
  config: Config;
  ec2: Ec2Port;
  records?: RecordsPort;
  history?: HistoryPort;
  approvals?: { store: ApprovalsPort; account: string; region: string };
}

export interface ModifyEvent {
  eventId: string | null;
  eventTime: string | null;
  /** the values the call asked for, by rule id (the event's; used only to tell an undone change from a kept one) */
  requested: RuleValues[];
  /** seconds since the event was queued (approvals' lookup grace) */
  ageSeconds?: number;
}

/** A unit of process-event.ts whose rules EC2 has described (the plan does that for every modify). */
export type ModifyUnit = ApprovalUnit & { observed: GroupRule[] };

/** Only report: monitor mode (`monitor`), or `policy.onModify: alert` (`alert`). */
export type ReportOnly = 'monitor mode' | 'onModify=alert' | undefined;

export function definitionOf(r: GroupRule | RuleValues): RuleDefinition {
  const d: RuleDefinition = { ipProtocol: r.ipProtocol ?? '' };
  for (const k of ['fromPort', 'toPort'] as const) if (r[k] !== undefined) d[k] = r[k];
  for (const k of [
    'cidrIpv4',
    'cidrIpv6',
    'prefixListId',
    'referencedGroupId',
    'referencedUserId',
    'description',
  ] as const) {
    if (r[k] !== undefined) d[k] = r[k];
  }
  return d;
}

/** What the call asked for: the rule as EC2 holds it, with the values the request gave in their place. */
export function requestedDefinition(current: RuleDefinition, values: RuleValues | undefined): RuleDefinition {
  if (!values) return current;
  const out: RuleDefinition = { ...current };
  const sources = ['cidrIpv4', 'cidrIpv6', 'prefixListId', 'referencedGroupId'] as const;
  if (sources.some((k) => values[k] !== undefined)) {
    for (const k of [...sources, 'referencedUserId'] as const) delete out[k];
    for (const k of sources) if (values[k] !== undefined) out[k] = values[k];
  }
  if (values.ipProtocol !== undefined) out.ipProtocol = values.ipProtocol;
  if (values.fromPort !== undefined) out.fromPort = values.fromPort;
  if (values.toPort !== undefined) out.toPort = values.toPort;
  if (values.description !== undefined) out.description = values.description;
  return out;
}

export type Verdict =
  | { kind: 'kept'; reason: string; previous: Previous }
  | { kind: 'undone'; reason: string; previous: Previous }
  | { kind: 'wider'; reason: string; previous: Previous }
  | { kind: 'unknown'; reason: string };

/** The verdict on one modified rule: pure. */
export function verdict(
  previous: Previous | undefined,
  current: RuleDefinition,
  requested: RuleDefinition,
  unknown: string,
): Verdict {
  if (!previous) return { kind: 'unknown', reason: `previous definition unknown (${unknown})` };
  const c = compare(previous.definition, current);
  const from = `previous definition from ${previous.from}`;
  if (c.wider) return { kind: 'wider', reason: `${c.reason}; ${from}`, previous };
  // the call widened the rule, and EC2 holds the previous definition again: a restore (a retry of this event's, or
  // someone's) has been done already
  if (isWider(previous.definition, requested) && sameAccess(current, previous.definition)) {
    return { kind: 'undone', reason: `already back at its previous definition; ${from}`, previous };
  }
  return { kind: 'kept', reason: `${c.reason}; ${from}`, previous };
}

type Item = { rule: GroupRule; current: RuleDefinition; verdict: Verdict };

/**
 * Puts a rule's previous definition back. One call per rule: EC2 takes a modification whole or not at all, so a rule
 * that cannot be restored holds up no other.
 */
async function restoreOne(
  ports: ModifyPorts,
  unit: ModifyUnit,
  ruleId: string,
  definition: RuleDefinition,
): Promise<Pick<Decision, 'action' | 'reason'>> {
  try {
    await ports.ec2.modifyRules(unit.groupId, [{ ruleId, definition }]);
    return { action: 'restored', reason: 'restored the previous definition' };
  } catch (err) {
    if (isTransient(err)) throw err;
    return failedRestore(err);
  }
}

async function failedRestore(err: unknown): Promise<Pick<Decision, 'action' | 'reason'>> {
  const code = errorCode(err);
  if (isGone(err)) return { action: 'ignored', reason: `the rule no longer exists (${code})` };
  // InvalidPermission.Duplicate among them: another rule has the previous definition now; the widened rule is left
  // for a person to look at (failed is notified)
  const message = err instanceof Error ? err.message : shown(err, 200);
  return { action: 'failed', reason: `restore failed (${code}: ${message})`.slice(0, 400) };
}

export interface ModifyOutcome {
  decisions: Decision[];
  /** onLookupError keep: decide the event again after this many seconds */
  recheckSeconds?: number;
}

export async function decideModify(
  unit: ModifyUnit,
  ports: ModifyPorts,
  event: ModifyEvent,
  reportOnly: ReportOnly,
): Promise<ModifyOutcome> {
  const { config, ec2 } = ports;
  const rules = unit.observed.filter((r) => unit.ruleIds.includes(r.ruleId));
  const modified: ModifiedRule[] = rules.map((r) => ({
    ruleId: r.ruleId,
    isEgress: r.isEgress,
    current: definitionOf(r),
  }));
  const found = await previousDefinitions(ports, unit.groupId, modified, event.eventTime, event.eventId);
  const items: Item[] = rules.map((rule, i) => {
    const current = modified[i]!.current;
    const requested = requestedDefinition(
      current,
      event.requested.find((v) => v.ruleId === rule.ruleId),
    );
    return { rule, current, verdict: verdict(found.previous.get(rule.ruleId), current, requested, found.unknown) };
  });

  const decisions: Decision[] = [];
  const toRecord: { item: Item; how: RecordedHow; definition: RuleDefinition; decision: Decision }[] = [];
  const decide = (
    item: Item,
    action: Decision['action'],
    reason: string,
    how?: RecordedHow,
    recorded?: RuleDefinition,
  ): Decision => {
    const v = item.verdict;
    const d: Decision = {
      groupId: unit.groupId,
      ruleIds: [item.rule.ruleId],
      direction: unit.direction,
      action,
      reason,
      ...('previous' in v ? { before: v.previous.definition } : {}),
      after: item.current,
    };
    decisions.push(d);
    if (how) toRecord.push({ item, how, definition: recorded ?? item.current, decision: d });
    return d;
  };

  const open: Item[] = [];
  for (const item of items) {
    const v = item.verdict;
    if (v.kind === 'kept') decide(item, 'allowed', v.reason, 'allowed');
    else if (v.kind === 'undone') {
      if (reportOnly) decide(item, 'allowed', v.reason);
      else decide(item, 'restored', v.reason, 'restored', v.previous.definition);
    } else if (reportOnly) decide(item, 'monitored', `${v.reason}; not acted on (${reportOnly})`, 'monitored');
    else open.push(item);
  }

  let recheckSeconds: number | undefined;
  let rest = open;
  if (rest.length > 0 && ports.approvals && config.approvals) {
    const o = await applyApprovals(
      ec2,
      ports.approvals.store,
      {
        ...ports.approvals,
        onLookupError: config.approvals.onLookupError,
        graceMinutes: config.graceMinutes,
        ageSeconds: event.ageSeconds,
      },
      {
        groupId: unit.groupId,
        direction: unit.direction,
        ruleIds: rest.map((i) => i.rule.ruleId),
        observed: unit.observed,
      },
    );
    recheckSeconds = o.recheckSeconds;
    for (const k of o.kept) {
      for (const ruleId of k.ruleIds) {
        const item = rest.find((i) => i.rule.ruleId === ruleId);
        if (!item) continue;
        // kept for the store's grace (onLookupError keep) is no decision on the rule: it is decided again
        decide(item, k.action, `${item.verdict.reason}; ${k.reason}`, k.action === 'approved' ? 'approved' : undefined);
        Object.assign(decisions[decisions.length - 1]!, {
          approvalId: k.approvalId,
          approver: k.approver,
          expiresAt: k.expiresAt,
        });
      }
    }
    const left = new Set(o.rest?.ruleIds ?? []);
    rest = rest.filter((i) => left.has(i.rule.ruleId));
    if (o.note) for (const i of rest) i.verdict.reason = `${i.verdict.reason}; ${o.note}`;
  }

  if (config.onModify === 'revoke' && rest.length > 0) {
    const o = await revokeRuleIds(
      ec2,
      unit.direction,
      unit.groupId,
      rest.map((i) => i.rule.ruleId),
    );
    for (const item of rest) decide(item, o.action, `${item.verdict.reason}; ${o.reason} (onModify=revoke)`);
    rest = [];
  }
  for (const item of rest) {
    const v = item.verdict;
    if (v.kind !== 'wider') continue;
    const o = await restoreOne(ports, unit, item.rule.ruleId, v.previous.definition);
    decide(
      item,
      o.action,
      `${v.reason}; ${o.reason}`,
      o.action === 'restored' ? 'restored' : undefined,
      v.previous.definition,
    );
  }
  const unknown = rest.filter((i) => i.verdict.kind === 'unknown');
  const revokeOpen = config.onModifyUnknown === 'revoke-if-wider-than-before-unknown';
  const revoking = revokeOpen ? unknown.filter((i) => openToWorld(i.current)) : [];
  for (const item of unknown.filter((i) => !revoking.includes(i))) {
    decide(
      item,
      'failed',
      `${item.verdict.reason}; left as it is (onModifyUnknown=${config.onModifyUnknown}${revokeOpen ? ': not open to the world' : ''})`,
    );
  }
  if (revoking.length > 0) {
    const o = await revokeRuleIds(
      ec2,
      unit.direction,
      unit.groupId,
      revoking.map((i) => i.rule.ruleId),
    );
    for (const item of revoking)
      decide(
        item,
        o.action,
        `${item.verdict.reason}; open to the world: ${o.reason} (onModifyUnknown=${config.onModifyUnknown})`,
      );
  }

  if (ports.records && toRecord.length > 0) {
    const seenAt = Date.now();
    const records: RuleRecord[] = toRecord.map((t) => ({
      groupId: unit.groupId,
      ruleId: t.item.rule.ruleId,
      isEgress: t.item.rule.isEgress,
      definition: t.definition,
      seenAt,
      how: t.how,
      ...(event.eventId ? { eventId: event.eventId } : {}),
    }));
    const note = await remember(ports.records, records);
    if (note) for (const t of toRecord) t.decision.reason = `${t.decision.reason}; ${note}`;
  }
  return { decisions, ...(recheckSeconds !== undefined ? { recheckSeconds } : {}) };
}
