// Turns untrusted input into a validated Change, or into a reason why there is nothing to do. Total: it never
// throws, whatever the input. Accepted inputs (decided on purpose):
//  - the EventBridge envelope (detail-type "AWS API Call via CloudTrail", the record under `detail`), which is what
//    the deployed rule delivers;
//  - a bare CloudTrail record (top-level eventName), so an operator can replay a record taken from a trail.
// Anything the function may later revoke must be named here, in the event; nothing is invented.
import { shown } from './shown.js';
import type {
  Change,
  Direction,
  EventMeta,
  EventName,
  Origin,
  ParsedEvent,
  Permission,
  Principal,
  RuleValues,
} from './types.js';

/**
 * More sources (one rule each) than any group can hold (EC2 allows at most 1,000 rules per direction): not a change
 * the function can read whole, so it is `failed`, never half-done. Up to the cap, reverts go in batches.
 */
export const MAX_RULES = 5000;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 1024): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;

/** A free-text field kept for the record, cut to `max` characters rather than dropped. */
const clip = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.length > 0 ? (v.length <= max ? v : `${v.slice(0, max - 1)}…`) : null;

const GROUP_ID = /^sg-[0-9a-z]{1,32}$/;
const RULE_ID = /^sgr-[0-9a-z]{1,32}$/;
const PREFIX_LIST = /^pl-[0-9a-z]{1,32}$/;
const USER_ID = /^[\w-]{1,64}$/;
const CIDR4 = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const CIDR6 = /^[0-9a-fA-F:.]{2,45}\/\d{1,3}$/;
const PROTOCOL = /^(-1|tcp|udp|icmp|icmpv6|\d{1,3})$/;

class Malformed extends Error {}
/** The event cannot be read whole (too many rules, a truncated record): `failed` and notified, never `ignored`. */
class Unreadable extends Error {}

function fail(reason: string): never {
  throw new Malformed(reason);
}

/** CloudTrail list forms: `{}` (empty), `{ items: [...] }`, and for robustness a bare array or a single item. */
function items(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (!isObj(v)) fail(`${what} is not a list`);
  if (!('items' in v)) {
    if (Object.keys(v).length === 0) return [];
    fail(`${what} has no items`);
  }
  const inner = v.items;
  if (Array.isArray(inner)) return inner;
  if (isObj(inner)) return [inner];
  if (inner === undefined || inner === null) return [];
  return fail(`${what}.items is not a list`);
}

function capped(list: unknown[], what: string): unknown[] {
  if (list.length > MAX_RULES) throw new Unreadable(`too many ${what} (${list.length} > ${MAX_RULES})`);
  return list;
}

function port(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d{1,5}$/.test(v.trim())) n = Number(v.trim());
  else return fail(`${what} is not a port number`);
  if (!Number.isInteger(n) || n < -1 || n > 65535) fail(`${what} out of range`);
  return n;
}

function protocol(v: unknown, what: string): string {
  const p = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (p === undefined || !PROTOCOL.test(p)) fail(`${what} missing or invalid`);
  return p;
}

function id(v: unknown, pattern: RegExp, what: string): string {
  if (typeof v !== 'string' || !pattern.test(v)) fail(`${what} missing or invalid`);
  return v;
}

function optionalId(v: unknown, pattern: RegExp, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return id(v, pattern, what);
}

function parsePermission(raw: unknown, at: string): Permission {
  if (!isObj(raw)) fail(`${at} is not an object`);
  const perm: Permission = {
    ipProtocol: protocol(raw.ipProtocol, `${at}.ipProtocol`),
    fromPort: port(raw.fromPort, `${at}.fromPort`),
    toPort: port(raw.toPort, `${at}.toPort`),
    ipRanges: capped(items(raw.ipRanges, `${at}.ipRanges`), 'ipRanges').map((r, i) =>
      id(isObj(r) ? r.cidrIp : undefined, CIDR4, `${at}.ipRanges[${i}].cidrIp`),
    ),
    ipv6Ranges: capped(items(raw.ipv6Ranges, `${at}.ipv6Ranges`), 'ipv6Ranges').map((r, i) =>
      id(isObj(r) ? r.cidrIpv6 : undefined, CIDR6, `${at}.ipv6Ranges[${i}].cidrIpv6`),
    ),
    prefixListIds: capped(items(raw.prefixListIds, `${at}.prefixListIds`), 'prefixListIds').map((r, i) =>
      id(isObj(r) ? r.prefixListId : undefined, PREFIX_LIST, `${at}.prefixListIds[${i}].prefixListId`),
    ),
    groups: capped(items(raw.groups, `${at}.groups`), 'groups').map((g, i) => {
      const where = `${at}.groups[${i}]`;
      if (!isObj(g)) fail(`${where} is not an object`);
      const pair = {
        groupId: optionalId(g.groupId, GROUP_ID, `${where}.groupId`),
        groupName: str(g.groupName, 255),
        userId: optionalId(g.userId, USER_ID, `${where}.userId`),
      };
      if (!pair.groupId && !pair.groupName) fail(`${where} names no group`);
      return pair;
    }),
  };
  if (perm.ipRanges.length + perm.ipv6Ranges.length + perm.prefixListIds.length + perm.groups.length === 0) {
    fail(`${at} names no source`);
  }
  return perm;
}

/** The pre-2011 form: cidrIp / sourceSecurityGroupName at the top of the request. */
function legacyPermission(rp: Obj): Permission | undefined {
  const cidr = rp.cidrIp;
  const sourceName = rp.sourceSecurityGroupName;
  if (cidr === undefined && sourceName === undefined) return undefined;
  return parsePermission(
    {
      // a group grant without a protocol (SourceSecurityGroupName alone) opens every protocol: it is protocol -1
      ipProtocol: rp.ipProtocol ?? (cidr === undefined ? '-1' : undefined),
      fromPort: rp.fromPort,
      toPort: rp.toPort,
      ipRanges: cidr === undefined ? {} : { items: [{ cidrIp: cidr }] },
      groups:
        sourceName === undefined ? {} : { items: [{ groupName: sourceName, userId: rp.sourceSecurityGroupOwnerId }] },
    },
    'requestParameters',
  );
}

function parseResponseRule(raw: unknown, at: string, fallbackGroup: string | undefined): RuleValues {
  if (!isObj(raw)) fail(`${at} is not an object`);
  const ref = isObj(raw.referencedGroupInfo) ? raw.referencedGroupInfo : {};
  return {
    ruleId: id(raw.securityGroupRuleId, RULE_ID, `${at}.securityGroupRuleId`),
    groupId: optionalId(raw.groupId, GROUP_ID, `${at}.groupId`) ?? fallbackGroup,
    isEgress: typeof raw.isEgress === 'boolean' ? raw.isEgress : undefined,
    ipProtocol:
      typeof raw.ipProtocol === 'string' || typeof raw.ipProtocol === 'number'
        ? String(raw.ipProtocol).slice(0, 16)
        : undefined,
    fromPort: typeof raw.fromPort === 'number' ? raw.fromPort : undefined,
    toPort: typeof raw.toPort === 'number' ? raw.toPort : undefined,
    cidrIpv4: str(raw.cidrIpv4, 64),
    cidrIpv6: str(raw.cidrIpv6, 64),
    prefixListId: str(raw.prefixListId, 64),
    referencedGroupId: str(ref.groupId, 64),
    referencedUserId: str(ref.userId, 64),
    description: str(raw.description, 255),
  };
}

function parseModifyRule(raw: unknown, at: string, groupId: string): RuleValues {
  if (!isObj(raw)) fail(`${at} is not an object`);
  const v = isObj(raw.SecurityGroupRule) ? raw.SecurityGroupRule : {};
  return {
    ruleId: id(raw.SecurityGroupRuleId, RULE_ID, `${at}.SecurityGroupRuleId`),
    groupId,
    ipProtocol:
      typeof v.IpProtocol === 'string' || typeof v.IpProtocol === 'number'
        ? String(v.IpProtocol).slice(0, 16)
        : undefined,
    fromPort: port(v.FromPort, `${at}.FromPort`),
    toPort: port(v.ToPort, `${at}.ToPort`),
    cidrIpv4: str(v.CidrIpv4, 64),
    cidrIpv6: str(v.CidrIpv6, 64),
    prefixListId: str(v.PrefixListId, 64),
    referencedGroupId: str(v.ReferencedGroupId, 64),
    description: str(v.Description, 255),
  };
}

function parseAuthorize(rp: Obj, re: Obj, direction: Direction): Change {
  const groupId = optionalId(rp.groupId, GROUP_ID, 'requestParameters.groupId');
  const groupName = groupId ? undefined : str(rp.groupName, 255);
  const ruleSet = capped(
    items(re.securityGroupRuleSet, 'responseElements.securityGroupRuleSet'),
    'rules in the response',
  );
  if (ruleSet.length > 0) {
    const rules = ruleSet.map((r, i) => parseResponseRule(r, `securityGroupRuleSet[${i}]`, groupId));
    for (const r of rules) {
      if (r.isEgress !== undefined && r.isEgress !== (direction === 'egress')) {
        fail(`rule ${r.ruleId} is ${r.isEgress ? 'egress' : 'ingress'} but the call was ${direction}`);
      }
      if (!r.groupId && !groupName) fail('no groupId in the response or the request');
    }
    return { kind: 'rule-ids', direction, groupId: groupId ?? rules[0]?.groupId, groupName, rules };
  }
  if (!groupId && !groupName) fail('no groupId or groupName in requestParameters');
  const rawPerms = capped(items(rp.ipPermissions, 'requestParameters.ipPermissions'), 'permissions');
  const permissions = rawPerms.map((p, i) => parsePermission(p, `ipPermissions[${i}]`));
  const legacy = permissions.length === 0 ? legacyPermission(rp) : undefined;
  if (legacy) permissions.push(legacy);
  if (permissions.length === 0) fail('no ipPermissions in the request and no securityGroupRuleSet in the response');
  const sources = permissions.reduce(
    (n, p) => n + p.ipRanges.length + p.ipv6Ranges.length + p.prefixListIds.length + p.groups.length,
    0,
  );
  if (sources > MAX_RULES) throw new Unreadable(`too many permissions (${sources} rules > ${MAX_RULES})`);
  return { kind: 'permissions', direction, groupId, groupName, permissions };
}

function parseModify(rp: Obj): Change {
  const req = rp.ModifySecurityGroupRulesRequest;
  if (!isObj(req)) fail('requestParameters.ModifySecurityGroupRulesRequest missing');
  const groupId = id(req.GroupId, GROUP_ID, 'ModifySecurityGroupRulesRequest.GroupId');
  const raw = req.SecurityGroupRule ?? req.SecurityGroupRules;
  const list = capped(
    Array.isArray(raw)
      ? raw
      : isObj(raw) && 'items' in raw
        ? items(raw, 'SecurityGroupRule')
        : raw === undefined
          ? []
          : [raw],
    'rules',
  );
  if (list.length === 0) fail('ModifySecurityGroupRulesRequest names no SecurityGroupRule');
  return { kind: 'modify', groupId, rules: list.map((r, i) => parseModifyRule(r, `SecurityGroupRule[${i}]`, groupId)) };
}

const RESOURCE = /^[a-z]{1,12}-[0-9a-z]{1,40}$/;
const tagKey = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined;

function tagList(v: unknown, what: string): { key: string; value?: string }[] {
  return capped(items(v, what), 'tags').flatMap((t) => {
    const key = isObj(t) ? tagKey(t.key) : undefined;
    return key ? [{ key, value: isObj(t) && typeof t.value === 'string' ? t.value.slice(0, 256) : undefined }] : [];
  });
}

/** CreateTags / DeleteTags, and the tags a CreateSecurityGroup put on the new group. */
function parseTags(name: string, rp: Obj, re: Obj): Change {
  if (name === 'CreateSecurityGroup') {
    const specs = capped(items(rp.tagSpecificationSet, 'tagSpecificationSet'), 'tag specifications').filter(
      (t) => isObj(t) && t.resourceType === 'security-group',
    );
    if (specs.length === 0) return { kind: 'tags', op: 'create', resources: [], tags: [] };
    const groupId = id(re.groupId, GROUP_ID, 'responseElements.groupId');
    return {
      kind: 'tags',
      op: 'create',
      resources: [groupId],
      groupId,
      tags: specs.flatMap((t) => tagList((t as Obj).tags, 'tags')),
    };
  }
  const resources = capped(items(rp.resourcesSet, 'resourcesSet'), 'resources').map((r, i) =>
    id(isObj(r) ? r.resourceId : undefined, RESOURCE, `resourcesSet[${i}].resourceId`),
  );
  const tags = tagList(rp.tagSet, 'tagSet');
  if (resources.length === 0) throw new Unreadable(`${name} names no resource`);
  // DeleteTags without tags deletes every tag of the resources, scope tags included
  if (tags.length === 0 && name === 'DeleteTags') return { kind: 'tags', op: 'delete', resources, tags, all: true };
  if (tags.length === 0) throw new Unreadable(`${name} names no tag`);
  return { kind: 'tags', op: name === 'CreateTags' ? 'create' : 'delete', resources, tags };
}

function principalOf(v: unknown): Principal {
  if (!isObj(v)) return {};
  const arn = str(v.arn, 2048);
  const ctx = isObj(v.sessionContext) ? v.sessionContext : {};
  const issuer = isObj(ctx.sessionIssuer) ? ctx.sessionIssuer : {};
  let roleArn = str(issuer.arn, 2048);
  const assumed = /^arn:([\w-]+):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(arn ?? '');
  if (!roleArn && assumed) roleArn = `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  return { arn, roleArn, type: str(v.type, 64), invokedBy: str(v.invokedBy, 256) };
}

// ---- the side doors (issue N): calls that widen access without touching a rule ----------------------------------
// CloudTrail records the EC2 query API's parameters in lower camel case (groupId, networkInterfaceId,
// groupSet.items[].groupId), and some newer calls wrapped in a `<Name>Request` object with the API's own PascalCase
// names (ModifySecurityGroupRules does). Both are read, by name, case-insensitively; nothing else is guessed. The
// event only points at a list, group or interface: what is decided is read back from EC2.
const PREFIX_LIST_ID = PREFIX_LIST;
const VPC = /^vpc-[0-9a-z]{1,32}$/;
const ENI = /^eni-[0-9a-z]{1,32}$/;
const INSTANCE = /^i-[0-9a-z]{1,32}$/;

/** The request's parameters: the `<Name>Request` wrapper's when CloudTrail used one, else the top level. */
function requestOf(name: string, rp: Obj): Obj {
  const wrapped = rp[`${name}Request`];
  return isObj(wrapped) ? wrapped : rp;
}

/** A parameter by name, whatever its case (groupId, GroupId). */
function param(o: Obj, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : o[key];
}

function version(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) fail(`${what} is not a version number`);
  return n;
}

function parseSideDoor(name: string, rp: Obj, re: Obj): Change {
  const req = requestOf(name, rp);
  if (name === 'ModifyManagedPrefixList' || name === 'RestoreManagedPrefixListVersion') {
    const prefixListId = id(param(req, 'prefixListId'), PREFIX_LIST_ID, 'requestParameters.prefixListId');
    // CurrentVersion is optional in ModifyManagedPrefixList; the response shows the list as the call found it (the
    // old version, *-in-progress), so either names the version before the change
    const wrapped = re[`${name}Response`];
    const response = isObj(wrapped) ? wrapped : re;
    const listed = isObj(response.prefixList) ? response.prefixList : {};
    const fromVersion =
      version(param(req, 'currentVersion'), 'requestParameters.currentVersion') ??
      (param(listed, 'prefixListId') === prefixListId
        ? version(param(listed, 'version'), 'responseElements.prefixList.version')
        : undefined);
    // a rename or a new MaxEntries makes no version: judged as an entry change it would be held to whatever version
    // came next, someone else's change, and the renamer's principal would decide it. Only entry changes are judged.
    const keys = Object.keys(req).map((k) => k.toLowerCase());
    const entries = keys.some((k) => /^(add|remove)entr/.test(k));
    if (
      name === 'ModifyManagedPrefixList' &&
      !entries &&
      keys.some((k) => k === 'prefixlistname' || k === 'maxentries')
    ) {
      return { kind: 'prefix-list', prefixListId, fromVersion, entries: false };
    }
    return { kind: 'prefix-list', prefixListId, fromVersion };
  }
  if (name === 'AssociateSecurityGroupVpc') {
    return {
      kind: 'associate',
      groupId: id(param(req, 'groupId'), GROUP_ID, 'requestParameters.groupId'),
      vpcId: id(param(req, 'vpcId'), VPC, 'requestParameters.vpcId'),
    };
  }
  // ModifyNetworkInterfaceAttribute / ModifyInstanceAttribute: only a group set attaches groups
  const set = param(req, 'groupSet') ?? param(req, 'groupId');
  const groupIds = capped(typeof set === 'string' ? [set] : items(set, 'requestParameters.groupSet'), 'groups').map(
    (g, i) => id(isObj(g) ? param(g, 'groupId') : g, GROUP_ID, `groupSet[${i}].groupId`),
  );
  if (name === 'ModifyNetworkInterfaceAttribute') {
    return {
      kind: 'attach',
      groupIds,
      networkInterfaceId: id(param(req, 'networkInterfaceId'), ENI, 'requestParameters.networkInterfaceId'),
    };
  }
  return {
    kind: 'attach',
    groupIds,
    instanceId: id(param(req, 'instanceId'), INSTANCE, 'requestParameters.instanceId'),
  };
}

const SIDE_DOORS = new Set([
  'ModifyManagedPrefixList',
  'RestoreManagedPrefixListVersion',
  'AssociateSecurityGroupVpc',
  'ModifyNetworkInterfaceAttribute',
  'ModifyInstanceAttribute',
]);

/** An attribute call that sets no group set (sourceDestCheck, instanceType, …): nothing guardrail guards. */
function attachesNoGroup(name: string, rp: Obj): boolean {
  if (name !== 'ModifyNetworkInterfaceAttribute' && name !== 'ModifyInstanceAttribute') return false;
  const req = requestOf(name, rp);
  const none = param(req, 'groupSet') === undefined && param(req, 'groupId') === undefined;
  // Attribute=groupSet with a Value names groups in a form guardrail does not read: a failure to report, not a pass
  if (none && `${shown(param(req, 'attribute'), 40)}`.toLowerCase().includes('groupset'))
    throw new Unreadable(`${name} sets groupSet through Attribute/Value`);
  return none;
}

const GUARDED: Record<string, Direction | null> = {
  AuthorizeSecurityGroupIngress: 'ingress',
  AuthorizeSecurityGroupEgress: 'egress',
  ModifySecurityGroupRules: null,
};
const TAGGING = new Set(['CreateTags', 'DeleteTags', 'CreateSecurityGroup']);

export function parseEvent(event: unknown): ParsedEvent {
  const meta: EventMeta = { eventId: null, eventName: null, account: null, region: null };
  const origin: Origin = { eventTime: null, sourceIPAddress: null, userAgent: null };
  let direction: Direction | null = null;
  let groupId: string | null = null;
  const ignore = (reason: string): ParsedEvent => ({ ok: false, meta, origin, direction, groupId, reason });
  // every input is a genuine CloudTrail record (provenance.ts): one the function cannot read is a failure to report
  const unreadable = (reason: string): ParsedEvent => ({
    ok: false,
    meta,
    origin,
    direction,
    groupId,
    reason,
    unreadable: true,
  });
  try {
    if (!isObj(event)) return unreadable('malformed: the event is not an object');
    let record: Obj;
    let envelope: Obj | undefined;
    if ('detail' in event || 'detail-type' in event) {
      envelope = event;
      meta.eventId = str(event.id, 128) ?? null;
      meta.account = str(event.account, 64) ?? null;
      meta.region = str(event.region, 64) ?? null;
      if (event['detail-type'] !== 'AWS API Call via CloudTrail') {
        return ignore(
          `not a CloudTrail API call event (detail-type ${JSON.stringify(event['detail-type'] ?? null).slice(0, 80)})`,
        );
      }
      if (!isObj(event.detail)) return unreadable('malformed: no detail');
      record = event.detail;
    } else if ('eventName' in event) {
      record = event;
    } else {
      return unreadable('malformed: neither an EventBridge event nor a CloudTrail record');
    }

    meta.eventId = str(record.eventID, 128) ?? meta.eventId;
    origin.eventTime = str(record.eventTime, 64) ?? (envelope ? str(envelope.time, 64) : undefined) ?? null;
    origin.sourceIPAddress = clip(record.sourceIPAddress, 256);
    origin.userAgent = clip(record.userAgent, 1024);
    meta.account ??=
      str(record.recipientAccountId, 64) ??
      (isObj(record.userIdentity) ? str(record.userIdentity.accountId, 64) : undefined) ??
      null;
    meta.region ??= str(record.awsRegion, 64) ?? null;
    const name = str(record.eventName, 128);
    meta.eventName = name ?? null;
    if (!name) return unreadable('malformed: no eventName');
    direction = GUARDED[name] ?? null;
    const rp = record.requestParameters;
    if (isObj(rp) && typeof rp.groupId === 'string' && GROUP_ID.test(rp.groupId)) groupId = rp.groupId;

    const errorCode = record.errorCode;
    if (errorCode !== undefined && errorCode !== null && errorCode !== '') {
      return ignore(`the call failed (errorCode ${shown(errorCode, 100)})`);
    }
    if (record.eventSource !== 'ec2.amazonaws.com') {
      return ignore(`not an EC2 call (eventSource ${shown(record.eventSource ?? 'missing', 100)})`);
    }
    if (/^Revoke/.test(name)) return ignore(`a revoke call (${name})`);
    if (record.readOnly === true || /^(Describe|Get|List)/.test(name)) return ignore(`a read-only call (${name})`);
    if (!(name in GUARDED) && !TAGGING.has(name) && !SIDE_DOORS.has(name))
      return ignore(`not a guarded call (${name})`);
    if (envelope !== undefined && envelope.source !== undefined && envelope.source !== 'aws.ec2') {
      return ignore(`not an EC2 event (source ${shown(envelope.source, 100)})`);
    }
    // CloudTrail leaves out request parameters or response elements it cannot record whole: a change guardrail cannot
    // read is a failure to report, never a reason to ignore the call
    // (a truncated field comes with `omitted: true`, CloudTrail's record-contents reference says)
    if (!isObj(rp) || rp.omitted === true || record.omitted === true) {
      throw new Unreadable('CloudTrail left out or truncated requestParameters');
    }
    // a truncated response loses the rule ids: the rules are then looked up by the request's values
    const re =
      isObj(record.responseElements) && record.responseElements.omitted !== true ? record.responseElements : {};
    if (SIDE_DOORS.has(name)) {
      if (attachesNoGroup(name, rp)) return ignore(`${name} sets no group set`);
      return {
        ok: true,
        meta: { ...meta, eventName: name as EventName },
        origin,
        principal: principalOf(record.userIdentity),
        change: parseSideDoor(name, rp, re),
      };
    }
    if (re._return === false) return ignore('the call returned false');
    const modifyResponse = isObj(re.ModifySecurityGroupRulesResponse) ? re.ModifySecurityGroupRulesResponse : {};
    if (modifyResponse.return === false) return ignore('the call returned false');

    const change = TAGGING.has(name)
      ? parseTags(name, rp, re)
      : direction
        ? parseAuthorize(rp, re, direction)
        : parseModify(rp);
    return {
      ok: true,
      meta: { ...meta, eventName: name as EventName },
      origin,
      principal: principalOf(record.userIdentity),
      change,
    };
  } catch (err) {
    if (err instanceof Unreadable) return unreadable(`unreadable: ${err.message}`);
    if (err instanceof Malformed) return unreadable(`malformed: ${err.message}`);
    // Anything else (a getter that throws, a stack overflow on absurd nesting) is still untrusted input.
    return unreadable(`malformed: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable event'}`);
  }
}
