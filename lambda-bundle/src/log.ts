// One JSON line per decision, with stable keys, so log queries, metric filters and `guardrail activity` can rely on
// them. The line is the record of what the function did: when and what was called, by whom and from where, on which
// group and rules, and what was decided and why.
//
// Every value comes from the (untrusted) event. A line must stay under CloudWatch Logs' 256 KB event limit, so rule
// lists are capped (`rulesOmitted` says how many were left out) and free-text fields are cut where they are parsed.
import type { Change, Decision, EventMeta, GroupRule, Origin, Principal, RuleDefinition } from './types.js';

export type LogLine = Record<string, unknown>;
export type LogSink = (line: LogLine) => void;

/** Rules listed per line; the rest are counted in `rulesOmitted`. */
export const MAX_LOGGED_RULES = 50;
/** Beyond this many characters the rule list is dropped entirely (CloudWatch's event limit is 256 KB). */
export const MAX_LINE_CHARS = 200_000;

// Absent keys are left undefined: JSON.stringify leaves them out of the line.
const LEVELS: Record<string, 'warn' | 'error'> = {
  monitored: 'warn',
  reverted: 'warn',
  restored: 'warn',
  expired: 'warn',
  failed: 'error',
  forged: 'error',
  refused: 'error',
};

/** One rule as the log records it: protocol, ports, source (or destination, for egress) and its id when known. */
export interface LoggedRule {
  ruleId?: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: string;
}

/** What the line needs besides the decision: who called, from where, and what the call asked for. */
export interface LineContext {
  origin?: Origin;
  principal?: Principal;
  change?: Change;
  /** the group's VPC, when the function looked the group up */
  vpcId?: string;
  /** where the event was read from when not from the event queue: a retry reads it from the dead-letter queue */
  via?: 'dead-letter-queue';
}

const pair = (userId: string | undefined, group: string): string => (userId ? `${userId}/${group}` : group);

/** The rules of the change that this decision is about. */
export function rulesOf(change: Change | undefined, d: Decision): LoggedRule[] {
  if (
    !change ||
    change.kind === 'tags' ||
    change.kind === 'prefix-list' ||
    change.kind === 'associate' ||
    change.kind === 'attach'
  )
    return [];
  if (change.kind === 'permissions') {
    return change.permissions.flatMap((p) =>
      [
        ...p.ipRanges,
        ...p.ipv6Ranges,
        ...p.prefixListIds,
        ...p.groups.map((g) => pair(g.userId, g.groupId ?? g.groupName ?? 'unknown')),
      ].map((source) => ({ protocol: p.ipProtocol, fromPort: p.fromPort, toPort: p.toPort, source })),
    );
  }
  const wanted = new Set(d.ruleIds);
  return change.rules
    .filter((r) => wanted.size === 0 || wanted.has(r.ruleId))
    .map((r) => ({
      ruleId: r.ruleId,
      protocol: r.ipProtocol ?? 'unknown',
      fromPort: r.fromPort,
      toPort: r.toPort,
      source:
        r.cidrIpv4 ??
        r.cidrIpv6 ??
        r.prefixListId ??
        (r.referencedGroupId ? pair(r.referencedUserId, r.referencedGroupId) : 'unknown'),
    }));
}

/** A rule of a group as the log records it. */
const sourceOf = (r: RuleDefinition): string =>
  r.cidrIpv4 ??
  r.cidrIpv6 ??
  r.prefixListId ??
  (r.referencedGroupId ? pair(r.referencedUserId, r.referencedGroupId) : '?');

export function loggedRule(r: GroupRule): LoggedRule {
  return { ruleId: r.ruleId, protocol: r.ipProtocol, fromPort: r.fromPort, toPort: r.toPort, source: sourceOf(r) };
}

/** A modified rule's definition, before or after, as the log records it. */
export function loggedDefinition(d: RuleDefinition): LoggedRule & { description?: string } {
  return {
    protocol: d.ipProtocol,
    fromPort: d.fromPort,
    toPort: d.toPort,
    source: sourceOf(d),
    description: d.description,
  };
}

export function decisionLine(meta: EventMeta, d: Decision, context: LineContext = {}): LogLine {
  const { origin, principal } = context;
  // the rules as the event names them; else as the decider saw them (the sweep); else at least their ids
  let all = d.rules ?? rulesOf(context.change, d);
  if (all.length === 0) all = d.ruleIds.map((ruleId) => ({ ruleId, protocol: '?', source: '?' }));
  const omitted = Math.max(all.length, d.ruleIds.length) - MAX_LOGGED_RULES;
  const line: LogLine = {
    level: LEVELS[d.action] ?? 'info',
    eventTime: origin?.eventTime ?? null,
    eventName: meta.eventName,
    eventId: meta.eventId,
    account: meta.account,
    region: meta.region,
    groupId: d.groupId,
    vpcId: d.vpcId ?? context.vpcId,
    direction: d.direction,
    ruleIds: d.ruleIds.slice(0, MAX_LOGGED_RULES),
    rules: all.slice(0, MAX_LOGGED_RULES),
    rulesOmitted: omitted > 0 ? omitted : undefined,
    principal: principal?.arn ?? principal?.roleArn ?? null,
    // the session's issuer (the role, or a federated user's IAM user): what allowPrincipals is matched against
    roleArn: principal?.roleArn ?? null,
    sourceIPAddress: origin?.sourceIPAddress ?? null,
    userAgent: origin?.userAgent ?? null,
    action: d.action,
    reason: d.reason,
    // approved, expired and forged: the approval (an unknown approver or expiry is left out of the line)
    approvalId: d.approvalId,
    approver: d.approver,
    expiresAt: d.expiresAt,
    via: context.via,
    // a modified rule: the definition it had before (restored, when the action is `restored`) and the one it was given
    before: d.before ? loggedDefinition(d.before) : undefined,
    after: d.after ? loggedDefinition(d.after) : undefined,
    // the side doors (issue N): a prefix list's change (its versions and the entries added and removed), an
    // association's VPC (vpcId above), an attachment's interface or instance
    prefixListId: d.prefixListId,
    versionBefore: d.versionBefore,
    versionAfter: d.versionAfter,
    entriesAdded: d.entriesAdded?.slice(0, MAX_LOGGED_RULES),
    entriesRemoved: d.entriesRemoved?.slice(0, MAX_LOGGED_RULES),
    networkInterfaceId: d.networkInterfaceId,
    instanceId: d.instanceId,
  };
  if (JSON.stringify(line).length > MAX_LINE_CHARS) {
    line.rulesOmitted = Math.max(all.length, d.ruleIds.length);
    line.rules = line.ruleIds = [];
  }
  return line;
}

// Straight to stdout, not console.log: Lambda's text log format prefixes console lines with the time, request id and
// level, and CloudWatch's JSON filter patterns (which `guardrail activity` relies on) match only events that are a
// JSON object. Lines written to stdout reach CloudWatch Logs as written, one event per line.
export const consoleSink: LogSink = (line) => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
