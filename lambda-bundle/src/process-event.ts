// One event, start to finish: parse, decide per group and direction, act, log, notify. The AWS calls go through
// the ports in `deps`, so tests run this with fakes or against the simulator.
import { applyApprovals, type ApprovalsPort, type ApprovalUnit } from './approvals.js';
import { allowedPattern, directionIgnoreReason, eventIgnoreReason } from './decide.js';
import { consoleSink, decisionLine, type LineContext, type LogSink } from './log.js';
import { buildNotification, notify } from './notify.js';
import { parseEvent } from './parse-event.js';
import { errorCode, isTransient, revokePermissions, revokeRuleIds, ruleMatches, type Outcome } from './revert.js';
import { groupScope } from './scope.js';
import { decideTags } from './tags.js';
import type { Change, Config, Decision, Direction, Ec2Port, GroupInfo, Principal, Result, RuleInfo, SnsPort, SqsPort } from './types.js';

export interface Deps {
  config: Config;
  ec2: Ec2Port;
  sns?: SnsPort;
  /** the function's own queue: proves where a record came from (provenance.ts) */
  sqs?: SqsPort;
  log?: LogSink;
  /** the approval store and this function's account and region (set when config.approvals is) */
  approvals?: { store: ApprovalsPort; account: string; region: string };
}

/** What one decision acts on: one group, one direction, its rule ids or its permissions. */
type Unit = ApprovalUnit;

type Planned = { units: Unit[]; settled: Decision[] };

/**
 * Thrown to put the whole event back on the queue for `seconds`: its decision rests on a scope tag that may have been
 * put there a moment ago, and the tag's own event decides first. Nothing of the event has been acted on or logged.
 */
export class Hold extends Error {
  constructor(readonly seconds: number, readonly reason: string) {
    // an Error, so that a handler on the way that logs what it catches has a message to log
    super(`held for ${seconds} s: ${reason}`);
    this.name = 'Hold';
  }
}

export interface EventOptions {
  /** seconds since the event was queued: a decision that rests on a tag is held until it is `settleSeconds` old */
  ageSeconds?: number;
  /** set by the decision: decide the event again after this many seconds (onLookupError keep) */
  recheckSeconds?: number;
  /**
   * A retry of an event that failed before: decided on the group as it is now, so what is already undone (a rule
   * gone, a tag already taken off) is `ignored`, not counted again as reverted.
   */
  current?: boolean;
  /** where the event was read from, for the decision lines (retry.ts: the dead-letter queue) */
  via?: LineContext['via'];
}

/** Describe each group at most once per invocation; `vpcs` keeps the VPC of every group described (for the log). */
export function groupCache(ec2: Ec2Port, vpcs: Map<string, string>): (groupId: string) => Promise<GroupInfo | undefined> {
  const cache = new Map<string, Promise<GroupInfo | undefined>>();
  return (groupId) => {
    let p = cache.get(groupId);
    if (!p) {
      p = ec2.describeGroup({ groupId }).then((info) => {
        if (info?.vpcId) vpcs.set(groupId, info.vpcId);
        return info;
      });
      cache.set(groupId, p);
    }
    return p;
  };
}

async function resolveGroupId(ec2: Ec2Port, groupId: string | undefined, groupName: string | undefined): Promise<string | Decision> {
  if (groupId) return groupId;
  const name = groupName ?? '';
  try {
    const found = await ec2.describeGroup({ groupName: name });
    if (found) return found.groupId;
    return { groupId: null, ruleIds: [], direction: null, action: 'failed', reason: `no group named "${name}" in the default VPC` };
  } catch (err) {
    if (isTransient(err)) throw err;
    return { groupId: null, ruleIds: [], direction: null, action: 'failed', reason: `could not look up group "${name}" (${errorCode(err)})` };
  }
}

async function plan(change: Change, ec2: Ec2Port, lookup: boolean): Promise<Planned> {
  const settled: Decision[] = [];
  if (change.kind === 'tags') return { units: [], settled };
  if (change.kind === 'modify') {
    const ids = change.rules.map((r) => r.ruleId);
    let known: Map<string, RuleInfo>;
    try {
      known = await describeRulesTolerant(ec2, ids);
    } catch (err) {
      if (isTransient(err)) throw err;
      const reason = `could not describe the modified rules (${errorCode(err)})`;
      return { units: [], settled: [{ groupId: change.groupId, ruleIds: ids, direction: null, action: 'failed', reason }] };
    }
    const units = new Map<Direction, Unit>();
    for (const id of ids) {
      const rule = known.get(id);
      if (!rule) {
        settled.push({ groupId: change.groupId, ruleIds: [id], direction: null, action: 'ignored', reason: 'the modified rule no longer exists' });
        continue;
      }
      if (rule.groupId !== change.groupId) {
        settled.push({ groupId: change.groupId, ruleIds: [id], direction: null, action: 'ignored', reason: `rule belongs to ${rule.groupId}, not the event's group` });
        continue;
      }
      const direction: Direction = rule.isEgress ? 'egress' : 'ingress';
      const unit = units.get(direction) ?? { groupId: change.groupId, direction, ruleIds: [] };
      unit.ruleIds.push(id);
      units.set(direction, unit);
    }
    return { units: [...units.values()], settled };
  }
  const resolved = await resolveGroupId(ec2, change.groupId, change.groupName);
  if (typeof resolved !== 'string') return { units: [], settled: [{ ...resolved, direction: change.direction }] };
  if (change.kind === 'permissions') {
    // no rule ids in the event (the old format, or a truncated response): with approvals on, find the rules by the
    // request's values so that approvals apply to them; revoking the request's permissions stays the fallback
    const unit: Unit = { groupId: resolved, direction: change.direction, ruleIds: [], permissions: change.permissions };
    if (lookup) {
      const rules = await ec2.groupRules(resolved).catch((err: unknown) => (isTransient(err) ? Promise.reject(err) : []));
      unit.observed = rules.filter((r) => change.permissions.some((p) => ruleMatches(r, change.direction, p)));
      unit.ruleIds = unit.observed.map((r) => r.ruleId);
    }
    return { units: [unit], settled };
  }
  const byGroup = new Map<string, Unit>();
  for (const rule of change.rules) {
    const groupId = rule.groupId ?? resolved;
    const unit = byGroup.get(groupId) ?? { groupId, direction: change.direction, ruleIds: [] };
    unit.ruleIds.push(rule.ruleId);
    byGroup.set(groupId, unit);
  }
  return { units: [...byGroup.values()], settled };
}

/** DescribeSecurityGroupRules fails as a whole when one id is unknown; then ask one id at a time. */
async function describeRulesTolerant(ec2: Ec2Port, ids: string[]): Promise<Map<string, RuleInfo>> {
  const out = new Map<string, RuleInfo>();
  const add = (rules: RuleInfo[]): void => {
    for (const r of rules) if (ids.includes(r.ruleId)) out.set(r.ruleId, r);
  };
  const notFound = (err: unknown): boolean => errorCode(err) === 'InvalidSecurityGroupRuleId.NotFound';
  try {
    add(await ec2.describeRules(ids));
    return out;
  } catch (err) {
    if (!notFound(err)) throw err;
    if (ids.length === 1) return out;
  }
  for (const id of ids) {
    try {
      add(await ec2.describeRules([id]));
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  return out;
}

async function decideUnit(
  unit: Unit, deps: Deps, principal: Principal, isModify: boolean, describe: (id: string) => Promise<GroupInfo | undefined>,
  opts: EventOptions,
): Promise<Decision | Decision[]> {
  const { config, ec2 } = deps;
  const base = { groupId: unit.groupId, ruleIds: unit.ruleIds, direction: unit.direction };
  const ignored = directionIgnoreReason(config, unit.direction);
  if (ignored) return { ...base, action: 'ignored', reason: ignored };
  const pattern = allowedPattern(config, principal);
  if (pattern) return { ...base, action: 'allowed', reason: `caller matches allowed principal ${pattern}` };

  const scope = await groupScope(config, unit.groupId, describe);
  if (scope?.byTag && opts.ageSeconds !== undefined && opts.ageSeconds < config.settleSeconds) {
    throw new Hold(Math.ceil(config.settleSeconds - opts.ageSeconds), `${scope.reason}: decided once the group's tag events have been`);
  }
  if (scope) return { ...base, action: scope.action, reason: scope.reason };
  if (isModify && config.onModify === 'alert') return { ...base, action: 'monitored', reason: 'onModify=alert' };

  let kept: Decision[] = [];
  let note: string | undefined;
  if (deps.approvals && config.approvals) {
    const o = await applyApprovals(ec2, deps.approvals.store, {
      ...deps.approvals, onLookupError: config.approvals.onLookupError, graceMinutes: config.graceMinutes, ageSeconds: opts.ageSeconds,
    }, unit);
    if (o.recheckSeconds !== undefined) opts.recheckSeconds = Math.max(opts.recheckSeconds ?? 0, o.recheckSeconds);
    if (!o.rest) return o.kept;
    ({ kept, note } = o);
    unit = o.rest;
  }
  const { gone, ...outcome }: Outcome = unit.permissions && unit.ruleIds.length === 0
    ? await revokePermissions(ec2, unit.direction, unit.groupId, unit.permissions)
    : await revokeRuleIds(ec2, unit.direction, unit.groupId, unit.ruleIds);
  if (gone && opts.current) return [...kept, { ...base, ruleIds: unit.ruleIds, action: 'ignored', reason: `nothing left to revert now: ${outcome.reason}` }];
  return [...kept, { ...base, ruleIds: unit.ruleIds, ...outcome, ...(note ? { reason: `${note}; ${outcome.reason}` } : {}) }];
}

export async function processEvent(event: unknown, deps: Deps, opts: EventOptions = {}): Promise<Result> {
  const parsed = parseEvent(event);
  let decisions: Decision[];
  let principal: Principal = {};
  let change: Change | undefined;
  const vpcs = new Map<string, string>();
  if (!parsed.ok) {
    // an event guardrail cannot read whole is a failure to report: it may hide a change that stays open
    const action = parsed.unreadable ? 'failed' : 'ignored';
    decisions = [{ groupId: parsed.groupId, ruleIds: [], direction: parsed.direction, action, reason: parsed.reason }];
  } else {
    principal = parsed.principal;
    change = parsed.change;
    const ignored = eventIgnoreReason(deps.config, principal, parsed.meta.region);
    if (ignored) {
      const c = parsed.change;
      decisions = [{
        groupId: c.groupId ?? null,
        ruleIds: c.kind === 'rule-ids' || c.kind === 'modify' ? c.rules.map((r) => r.ruleId) : [],
        direction: c.kind === 'rule-ids' || c.kind === 'permissions' ? c.direction : null,
        action: 'ignored',
        reason: ignored,
      }];
    } else if (parsed.change.kind === 'tags') {
      decisions = await decideTags(deps.config, deps.ec2, principal, parsed.change, opts.current === true);
      if (decisions.length === 0) decisions = [{ groupId: parsed.change.groupId ?? null, ruleIds: [], direction: null, action: 'ignored', reason: 'touches no scope tag' }];
    } else {
      const { units, settled } = await plan(parsed.change, deps.ec2, deps.approvals !== undefined && deps.config.mode === 'enforce');
      const describe = groupCache(deps.ec2, vpcs);
      decisions = [...settled];
      for (const unit of units) decisions.push(...[await decideUnit(unit, deps, principal, parsed.change.kind === 'modify', describe, opts)].flat());
    }
  }
  return report({ ...parsed.meta, decisions }, deps, { origin: parsed.origin, principal, change, via: opts.via }, vpcs);
}

/**
 * Logs one line per decision and sends the notification: the end of every invocation, event or sweep. `vpcs` holds
 * the VPC of every group the function described.
 */
export async function report(result: Result, deps: Deps, context: LineContext = {}, vpcs?: Map<string, string>): Promise<Result> {
  const log = deps.log ?? consoleSink;
  const { decisions } = result;
  const { principal = {}, change } = context;
  for (const d of decisions) log(decisionLine(result, d, { ...context, vpcId: vpcs?.get(d.groupId ?? '') }));
  for (const w of deps.config.warnings) log({ level: 'warn', eventId: result.eventId, message: `configuration: ${w}` });

  const topic = deps.config.notifyTopicArn;
  const message = topic && deps.sns ? buildNotification(result, principal, change, deps.config.notifyOn) : undefined;
  if (topic && deps.sns && message) {
    try {
      await notify(deps.sns, topic, message);
    } catch (err) {
      // Not rethrown: the reverts are done, and retrying the whole event for its notification would run them again
      // (harmless, since they are idempotent, but the retry could fail on something else). Logged at level error.
      log({ level: 'error', eventId: result.eventId, message: `notification to ${topic} failed (${errorCode(err)})` });
    }
  }
  return result;
}
