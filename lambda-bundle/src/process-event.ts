// One event, start to finish: parse, decide per group and direction, act, log, notify. The AWS calls go through
// the ports in `deps`, so tests run this with fakes or against the simulator.
import { applyApprovals, type ApprovalsPort, type ApprovalUnit } from './approvals.js';
import type { HistoryPort } from './config-history.js';
import { allowedPattern, directionIgnoreReason, eventIgnoreReason } from './decide.js';
import { consoleSink, decisionLine, type LineContext, type LogSink } from './log.js';
import { buildNotification, notify } from './notify.js';
import { parseEvent } from './parse-event.js';
import { decideModify, definitionOf, type ModifyUnit } from './modify.js';
import { errorCode, isTransient, revokePermissions, revokeRuleIds, ruleMatches, type Outcome } from './revert.js';
import { remember, type RecordedHow, type RecordsPort } from './rule-records.js';
import { associatedVpcs, groupScope } from './scope.js';
import { decideSideDoor } from './side-doors.js';
import { decideTags } from './tags.js';
import { accessOf } from './wider.js';
import type {
  Change,
  Config,
  Decision,
  Direction,
  Ec2Port,
  GroupInfo,
  ParsedEvent,
  Principal,
  Result,
  RuleInfo,
  SnsPort,
  SqsPort,
} from './types.js';

export interface Deps {
  config: Config;
  ec2: Ec2Port;
  sns?: SnsPort;
  /** the function's own queue: proves where a record came from (provenance.ts) */
  sqs?: SqsPort;
  log?: LogSink;
  /** the approval store and this function's account and region (set when config.approvals is) */
  approvals?: { store: ApprovalsPort; account: string; region: string };
  /** guardrail's record of rule definitions (the stack's table; set when config.rulesTable is) */
  records?: RecordsPort;
  /** AWS Config's history of security groups (a modified rule's previous definition, when there is no record) */
  history?: HistoryPort;
}

/** What one decision acts on: one group, one direction, its rule ids or its permissions. */
type Unit = ApprovalUnit;

type Planned = { units: Unit[]; settled: Decision[] };

/**
 * Thrown to put the whole event back on the queue for `seconds`: its decision rests on a scope tag that may have been
 * put there a moment ago, and the tag's own event decides first. Nothing of the event has been acted on or logged.
 */
export class Hold extends Error {
  constructor(
    readonly seconds: number,
    readonly reason: string,
  ) {
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
export function groupCache(
  ec2: Ec2Port,
  vpcs: Map<string, string>,
): (groupId: string) => Promise<GroupInfo | undefined> {
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

async function resolveGroupId(
  ec2: Ec2Port,
  groupId: string | undefined,
  groupName: string | undefined,
): Promise<string | Decision> {
  if (groupId) return groupId;
  const name = groupName ?? '';
  try {
    const found = await ec2.describeGroup({ groupName: name });
    if (found) return found.groupId;
    return {
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'failed',
      reason: `no group named "${name}" in the default VPC`,
    };
  } catch (err) {
    if (isTransient(err)) throw err;
    return {
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'failed',
      reason: `could not look up group "${name}" (${errorCode(err)})`,
    };
  }
}

/** The changes decided rule by rule (the side doors are decided in side-doors.ts). */
type RuleChange = Exclude<Change, { kind: 'prefix-list' | 'associate' | 'attach' }>;

async function plan(change: RuleChange, ec2: Ec2Port, lookup: boolean): Promise<Planned> {
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
      return {
        units: [],
        settled: [{ groupId: change.groupId, ruleIds: ids, direction: null, action: 'failed', reason }],
      };
    }
    const units = new Map<Direction, Unit & { observed: RuleInfo[] }>();
    for (const id of ids) {
      const rule = known.get(id);
      if (!rule) {
        settled.push({
          groupId: change.groupId,
          ruleIds: [id],
          direction: null,
          action: 'ignored',
          reason: 'the modified rule no longer exists',
        });
        continue;
      }
      if (rule.groupId !== change.groupId) {
        settled.push({
          groupId: change.groupId,
          ruleIds: [id],
          direction: null,
          action: 'ignored',
          reason: `rule belongs to ${rule.groupId}, not the event's group`,
        });
        continue;
      }
      const direction: Direction = rule.isEgress ? 'egress' : 'ingress';
      // the rules as EC2 holds them now: what a modification is judged on (modify.ts)
      const unit = units.get(direction) ?? { groupId: change.groupId, direction, ruleIds: [], observed: [] };
      unit.ruleIds.push(id);
      unit.observed.push(rule);
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
      const rules = await ec2
        .groupRules(resolved)
        .catch((err: unknown) => (isTransient(err) ? Promise.reject(err) : []));
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

/** The definitions of a unit's rules as the event (an addition's response) or EC2 (a modification) gave them. */
function definitions(
  unit: Unit,
  change: Change,
): Map<string, { isEgress: boolean; definition: ReturnType<typeof definitionOf> }> {
  const out = new Map<string, { isEgress: boolean; definition: ReturnType<typeof definitionOf> }>();
  const isEgress = unit.direction === 'egress';
  for (const r of unit.observed ?? []) out.set(r.ruleId, { isEgress: r.isEgress, definition: definitionOf(r) });
  if (change.kind === 'rule-ids')
    for (const r of change.rules) if (!out.has(r.ruleId)) out.set(r.ruleId, { isEgress, definition: definitionOf(r) });
  return out;
}

/**
 * Records what a decision keeps (guardrail's record of rule definitions): an addition's rules as its response
 * describes them, seen at the event's time; a modification's as EC2 described them now. Rules it cannot read are
 * not recorded. A failure to write becomes a note in the decision's reason.
 */
async function recordKept(
  deps: Deps,
  unit: Unit,
  change: Change,
  decision: Decision,
  how: RecordedHow,
  ctx: EventContext,
): Promise<void> {
  if (!deps.records) return;
  const known = definitions(unit, change);
  const at = change.kind === 'modify' ? Date.now() : Date.parse(ctx.eventTime ?? '');
  const seenAt = Number.isFinite(at) ? at : Date.now();
  const records = decision.ruleIds.flatMap((ruleId) => {
    const k = known.get(ruleId);
    return k && accessOf(k.definition)
      ? [
          {
            groupId: unit.groupId,
            ruleId,
            isEgress: k.isEgress,
            definition: k.definition,
            seenAt,
            how,
            ...(ctx.eventId ? { eventId: ctx.eventId } : {}),
          },
        ]
      : [];
  });
  if (records.length === 0) return;
  const note = await remember(deps.records, records);
  if (note) decision.reason = `${decision.reason}; ${note}`;
}

interface EventContext {
  change: Change;
  eventId: string | null;
  eventTime: string | null;
}

async function decideUnit(
  unit: Unit,
  deps: Deps,
  principal: Principal,
  ctx: EventContext,
  describe: (id: string) => Promise<GroupInfo | undefined>,
  opts: EventOptions,
): Promise<Decision | Decision[]> {
  const { config, ec2 } = deps;
  const { change } = ctx;
  const base = { groupId: unit.groupId, ruleIds: unit.ruleIds, direction: unit.direction };
  const kept = async (d: Decision, how: RecordedHow): Promise<Decision> => {
    await recordKept(deps, unit, change, d, how, ctx);
    return d;
  };
  const ignored = directionIgnoreReason(config, unit.direction);
  if (ignored) return { ...base, action: 'ignored', reason: ignored };
  const pattern = allowedPattern(config, principal);
  if (pattern)
    return kept({ ...base, action: 'allowed', reason: `caller matches allowed principal ${pattern}` }, 'allowed');

  const scope = await groupScope(config, unit.groupId, describe, associatedVpcs(ec2));
  if (scope?.byTag && opts.ageSeconds !== undefined && opts.ageSeconds < config.settleSeconds) {
    throw new Hold(
      Math.ceil(config.settleSeconds - opts.ageSeconds),
      `${scope.reason}: decided once the group's tag events have been`,
    );
  }
  if (change.kind === 'modify' && scope?.action !== 'allowed' && scope?.action !== 'failed') {
    const reportOnly = scope ? 'monitor mode' : config.onModify === 'alert' ? 'onModify=alert' : undefined;
    const o = await decideModify(
      unit as ModifyUnit,
      deps,
      {
        eventId: ctx.eventId,
        eventTime: ctx.eventTime,
        requested: change.rules,
        ageSeconds: opts.ageSeconds,
      },
      reportOnly,
    );
    if (o.recheckSeconds !== undefined) opts.recheckSeconds = Math.max(opts.recheckSeconds ?? 0, o.recheckSeconds);
    return o.decisions;
  }
  if (scope) {
    const d: Decision = { ...base, action: scope.action, reason: scope.reason };
    return scope.action === 'failed' ? d : kept(d, scope.action === 'monitored' ? 'monitored' : 'allowed');
  }

  let approved: Decision[] = [];
  let note: string | undefined;
  if (deps.approvals && config.approvals) {
    const o = await applyApprovals(
      ec2,
      deps.approvals.store,
      {
        ...deps.approvals,
        onLookupError: config.approvals.onLookupError,
        graceMinutes: config.graceMinutes,
        ageSeconds: opts.ageSeconds,
      },
      unit,
    );
    if (o.recheckSeconds !== undefined) opts.recheckSeconds = Math.max(opts.recheckSeconds ?? 0, o.recheckSeconds);
    for (const d of o.kept) if (d.action === 'approved') await recordKept(deps, unit, change, d, 'approved', ctx);
    if (!o.rest) return o.kept;
    ({ kept: approved, note } = o);
    unit = o.rest;
  }
  const { gone, ...outcome }: Outcome =
    unit.permissions && unit.ruleIds.length === 0
      ? await revokePermissions(ec2, unit.direction, unit.groupId, unit.permissions)
      : await revokeRuleIds(ec2, unit.direction, unit.groupId, unit.ruleIds);
  if (gone && opts.current)
    return [
      ...approved,
      { ...base, ruleIds: unit.ruleIds, action: 'ignored', reason: `nothing left to revert now: ${outcome.reason}` },
    ];
  return [
    ...approved,
    { ...base, ruleIds: unit.ruleIds, ...outcome, ...(note ? { reason: `${note}; ${outcome.reason}` } : {}) },
  ];
}

const contextOf = (parsed: Extract<ParsedEvent, { ok: true }>): EventContext => ({
  change: parsed.change,
  eventId: parsed.meta.eventId,
  eventTime: parsed.origin.eventTime,
});

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
      decisions = [
        {
          groupId: c.groupId ?? null,
          ruleIds: c.kind === 'rule-ids' || c.kind === 'modify' ? c.rules.map((r) => r.ruleId) : [],
          direction: c.kind === 'rule-ids' || c.kind === 'permissions' ? c.direction : null,
          action: 'ignored',
          reason: ignored,
        },
      ];
    } else if (parsed.change.kind === 'tags') {
      decisions = await decideTags(deps.config, deps.ec2, principal, parsed.change, opts.current === true);
      if (decisions.length === 0)
        decisions = [
          {
            groupId: parsed.change.groupId ?? null,
            ruleIds: [],
            direction: null,
            action: 'ignored',
            reason: 'touches no scope tag',
          },
        ];
    } else if (
      parsed.change.kind === 'prefix-list' ||
      parsed.change.kind === 'associate' ||
      parsed.change.kind === 'attach'
    ) {
      decisions = await decideSideDoor(parsed.change, deps, principal, groupCache(deps.ec2, vpcs), opts);
    } else {
      const { units, settled } = await plan(
        parsed.change,
        deps.ec2,
        deps.approvals !== undefined && deps.config.mode === 'enforce',
      );
      const describe = groupCache(deps.ec2, vpcs);
      const ctx = contextOf(parsed);
      decisions = [...settled];
      for (const unit of units)
        decisions.push(...[await decideUnit(unit, deps, principal, ctx, describe, opts)].flat());
    }
  }
  return report({ ...parsed.meta, decisions }, deps, { origin: parsed.origin, principal, change, via: opts.via }, vpcs);
}

/**
 * Logs one line per decision and sends the notification: the end of every invocation, event or sweep. `vpcs` holds
 * the VPC of every group the function described.
 */
export async function report(
  result: Result,
  deps: Deps,
  context: LineContext = {},
  vpcs?: Map<string, string>,
): Promise<Result> {
  const log = deps.log ?? consoleSink;
  const { decisions } = result;
  const { principal = {}, change } = context;
  for (const d of decisions) log(decisionLine(result, d, { ...context, vpcId: d.vpcId ?? vpcs?.get(d.groupId ?? '') }));
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
