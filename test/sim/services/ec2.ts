// EC2 (ec2 Query protocol): regions, security groups and their rules, with AWS's ids, errors and revoke semantics.
// Every call acts in the caller's own account (assumed-role keys act in the role's account) and the signed region.
// A successful Authorize*/ModifySecurityGroupRules call emits its CloudTrail record into the closed loop, and every
// change of a group is captured by AWS Config where the account records (services/config.ts).
import { SimError, type Caller, type Service, type ServiceContext, type SimRequest } from '../types.js';
import {
  hexId,
  newUuid,
  regionState,
  type RegionState,
  type SecurityGroup,
  type SecurityGroupRule,
  type SimState,
} from '../state.js';
import { KNOWN_REGIONS } from '../sim.js';
import { emitCloudTrailEvent } from '../loop.js';
import { captureGroup } from './config.js';
import { assertPrefixListVisible, groupInUse, handleNetwork, NETWORK_OPERATIONS } from './ec2-network.js';
import {
  authorizeRequestParameters,
  authorizeResponseElements,
  buildRecord,
  createSecurityGroupRequestParameters,
  createSecurityGroupResponseElements,
  modifyRequestParameters,
  modifyResponseElements,
  returnResponseElements,
  tagsRequestParameters,
} from './ec2-cloudtrail.js';

type Input = Record<string, unknown>;

/** Regions that an account must opt in to (OptInStatus opted-in / not-opted-in rather than opt-in-not-required). */
const OPT_IN_REGIONS = new Set(['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1', 'ap-south-2', 'eu-central-2']);

export const ec2: Service = {
  name: 'ec2',
  protocol: 'ec2',
  xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  throttle: { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' },
  handle(ctx, req) {
    const rs = regionState(ctx.state, req.caller.accountId, req.region);
    const input = req.input;
    switch (req.operation) {
      case 'DescribeRegions':
        return describeRegions(ctx.state, req.caller, input);
      case 'DescribeVpcs':
        return {
          vpcSet: [...rs.vpcs.values()].map((v) => ({
            vpcId: v.vpcId,
            cidrBlock: v.cidrBlock,
            isDefault: v.isDefault,
            state: 'available',
            ownerId: rs.accountId,
          })),
        };
      case 'CreateSecurityGroup':
        return createSecurityGroup(ctx, req, rs);
      case 'DeleteSecurityGroup':
        return deleteSecurityGroup(ctx.state, rs, input);
      case 'DescribeSecurityGroups':
        return describeSecurityGroups(rs, input);
      case 'DescribeSecurityGroupRules':
        return describeSecurityGroupRules(rs, input);
      case 'AuthorizeSecurityGroupIngress':
        return authorize(ctx, req, rs, false);
      case 'AuthorizeSecurityGroupEgress':
        return authorize(ctx, req, rs, true);
      case 'RevokeSecurityGroupIngress':
      case 'RevokeSecurityGroupEgress': {
        // the failRevoke fault: EC2 answering every revoke of the account with a transient error, throttling's 503
        // RequestLimitExceeded by default, or (failRevokeError) its 500 InternalError, which the function's SDK
        // retries with 100 ms base backoff instead of throttling's 500 ms: tests that only need a revoke to fail take
        // seconds, not half a minute
        if (ctx.state.faults.failRevoke?.includes(rs.accountId)) {
          if (ctx.state.faults.failRevokeError === 'InternalError')
            throw new SimError('InternalError', 'An internal error has occurred.', 500);
          throw new SimError('RequestLimitExceeded', 'Request limit exceeded.', 503);
        }
        const out = revoke(rs, input, req.operation === 'RevokeSecurityGroupEgress');
        captureGroup(ctx.state, rs, out.revokedSecurityGroupRuleSet[0]?.groupId ?? '');
        return out;
      }
      case 'ModifySecurityGroupRules':
        return modifyRules(ctx, req, rs);
      case 'CreateTags':
        return createTags(ctx, req, rs);
      case 'DeleteTags':
        return deleteTags(ctx, req, rs);
      default:
        if (NETWORK_OPERATIONS.has(req.operation)) return handleNetwork(ctx, req, rs);
        throw new SimError('InvalidAction', `The action ${req.operation} is not valid for this web service.`, 400);
    }
  },
};

// ---------------------------------------------------------------- input helpers

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function list<T = Input>(v: unknown): T[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]) as T[];
}

export function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new SimError('InvalidParameterValue', `Invalid value '${String(v)}' for ${name}`, 400);
  return n;
}

export function missing(name: string): SimError {
  return new SimError('MissingParameter', `The request must contain the parameter ${name}`, 400);
}

export function groupArn(rs: RegionState, groupId: string): string {
  return `arn:aws:ec2:${rs.region}:${rs.accountId}:security-group/${groupId}`;
}

function ruleArn(rs: RegionState, ruleId: string): string {
  return `arn:aws:ec2:${rs.region}:${rs.accountId}:security-group-rule/${ruleId}`;
}

export function tagSet(tags: Record<string, string>) {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function defaultVpc(rs: RegionState) {
  return [...rs.vpcs.values()].find((v) => v.isDefault);
}

/** Glob matching for filter values: `*` any run, `?` any one character. */
function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

export interface Filter {
  name: string;
  values: string[];
}

export function filters(input: Input): Filter[] {
  return list(input.Filter).map((f) => ({ name: String(f.Name ?? ''), values: list<string>(f.Value).map(String) }));
}

/** Filters AND together; the values of one filter OR together. `values` gives the candidate's values for a name. */
export function passes(fs: Filter[], values: (name: string) => string[] | undefined): boolean {
  return fs.every((f) => {
    const have = values(f.name);
    if (have === undefined) throw new SimError('InvalidParameterValue', `The filter '${f.name}' is invalid`, 400);
    return f.values.some((want) => have.some((v) => globMatch(want, v)));
  });
}

export function tagFilterValues(name: string, tags: Record<string, string>): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

/** Offset pagination for Describe* calls: MaxResults 5..1000, NextToken opaque. */
export function paginate<T>(all: T[], input: Input, operation: string): { page: T[]; nextToken?: string } {
  const max = intParam(input.MaxResults, 'MaxResults');
  if (max !== undefined && (max < 5 || max > 1000)) {
    throw new SimError(
      'InvalidParameterValue',
      `Value ( ${max} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.`,
      400,
    );
  }
  let start = 0;
  const token = str(input.NextToken);
  if (token) {
    const [op, offset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
    start = Number(offset);
    if (op !== operation || !Number.isInteger(start) || start < 0 || start > all.length) {
      throw new SimError('InvalidPaginationToken', `Invalid pagination token: ${token}`, 400);
    }
  }
  if (max === undefined) return { page: all.slice(start) };
  const end = Math.min(start + max, all.length);
  return {
    page: all.slice(start, end),
    nextToken: end < all.length ? Buffer.from(`${operation}:${end}`).toString('base64url') : undefined,
  };
}

// ---------------------------------------------------------------- regions

function describeRegions(state: SimState, caller: Caller, input: Input) {
  const account = state.org.accounts.get(caller.accountId);
  const enabled = new Set(account?.enabledRegions ?? state.regions);
  const all = String(input.AllRegions ?? '').toLowerCase() === 'true';
  const names = new Set(list<string>(input.RegionName).map(String));
  const fs = filters(input);
  const regions = [...new Set([...KNOWN_REGIONS, ...enabled])]
    .filter((r) => all || enabled.has(r))
    .map((r) => ({
      regionName: r,
      regionEndpoint: `ec2.${r}.amazonaws.com`,
      optInStatus: enabled.has(r) ? (OPT_IN_REGIONS.has(r) ? 'opted-in' : 'opt-in-not-required') : 'not-opted-in',
    }));
  for (const n of names) {
    if (!regions.some((r) => r.regionName === n)) {
      throw new SimError('InvalidParameterValue', `Invalid region: ${n}`, 400);
    }
  }
  return {
    regionInfo: regions
      .filter((r) => names.size === 0 || names.has(r.regionName))
      .filter((r) =>
        passes(fs, (name) => {
          if (name === 'region-name') return [r.regionName];
          if (name === 'endpoint') return [r.regionEndpoint];
          if (name === 'opt-in-status') return [r.optInStatus];
          return undefined;
        }),
      ),
  };
}

// ---------------------------------------------------------------- groups

const GROUP_ID = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;
const RULE_ID = /^sgr-[0-9a-f]{8}([0-9a-f]{9})?$/;

function notFound(groupId: string): SimError {
  return new SimError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`, 400);
}

export function getGroup(rs: RegionState, groupId: string): SecurityGroup {
  if (!GROUP_ID.test(groupId)) {
    throw new SimError('InvalidGroupId.Malformed', `Invalid id: "${groupId}" (expecting "sg-...")`, 400);
  }
  const sg = rs.securityGroups.get(groupId);
  if (!sg) throw notFound(groupId);
  return sg;
}

/** GroupId, or a GroupName resolved in the default VPC. */
function resolveGroup(rs: RegionState, input: Input, allowName = true): SecurityGroup {
  const id = str(input.GroupId);
  if (id) return getGroup(rs, id);
  const name = allowName ? str(input.GroupName) : undefined;
  if (!name) throw missing(allowName ? 'groupId or groupName' : 'groupId');
  const vpc = defaultVpc(rs);
  const sg = [...rs.securityGroups.values()].find((g) => g.groupName === name && g.vpcId === vpc?.vpcId);
  if (!sg) {
    throw new SimError(
      'InvalidGroup.NotFound',
      `The security group '${name}' does not exist in default VPC '${vpc?.vpcId ?? 'none'}'`,
      400,
    );
  }
  return sg;
}

function createSecurityGroup(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const { state } = ctx;
  const input = req.input;
  const name = str(input.GroupName);
  const description = typeof input.GroupDescription === 'string' ? input.GroupDescription : undefined;
  if (!name) throw missing('GroupName');
  if (description === undefined) throw missing('GroupDescription');
  if (name.length > 255 || description.length > 255) {
    throw new SimError(
      'InvalidParameterValue',
      'Value for parameter groupName or groupDescription is too long (the maximum is 255 characters)',
      400,
    );
  }
  if (/^sg-/i.test(name)) {
    throw new SimError(
      'InvalidParameterValue',
      `Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`,
      400,
    );
  }
  const vpcId = str(input.VpcId) ?? defaultVpc(rs)?.vpcId;
  if (!vpcId || !rs.vpcs.has(vpcId)) {
    throw new SimError('InvalidVpcID.NotFound', `The vpc ID '${str(input.VpcId) ?? 'default'}' does not exist`, 400);
  }
  if (name === 'default') throw new SimError('InvalidGroup.Reserved', "The security group 'default' is reserved", 400);
  if ([...rs.securityGroups.values()].some((g) => g.vpcId === vpcId && g.groupName === name)) {
    throw new SimError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`, 400);
  }
  const tags: Record<string, string> = {};
  for (const spec of list(input.TagSpecification)) {
    if (spec.ResourceType !== undefined && spec.ResourceType !== 'security-group') continue;
    for (const t of list(spec.Tag)) if (typeof t.Key === 'string') tags[t.Key] = String(t.Value ?? '');
  }
  const groupId = `sg-${hexId(state, 17)}`;
  const sg: SecurityGroup = {
    groupId,
    groupName: name,
    description,
    vpcId,
    ownerId: rs.accountId,
    tags,
    rules: new Map(),
  };
  // a new group allows all outbound IPv4 traffic
  const ruleId = `sgr-${hexId(state, 17)}`;
  sg.rules.set(ruleId, {
    ruleId,
    groupId,
    groupOwnerId: rs.accountId,
    isEgress: true,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    cidrIpv4: '0.0.0.0/0',
    tags: {},
  });
  rs.securityGroups.set(groupId, sg);
  const record = buildRecord(
    trailCall(ctx, req),
    'CreateSecurityGroup',
    createSecurityGroupRequestParameters(input),
    createSecurityGroupResponseElements(req.requestId, groupId),
  );
  emitCloudTrailEvent(ctx, rs.accountId, rs.region, record);
  captureGroup(ctx.state, rs, groupId, record.eventID as string);
  return { groupId, tagSet: tagSet(tags), securityGroupArn: groupArn(rs, groupId) };
}

function deleteSecurityGroup(state: SimState, rs: RegionState, input: Input) {
  const sg = resolveGroup(rs, input);
  if (sg.groupName === 'default') {
    throw new SimError(
      'CannotDelete',
      `the specified group: "${sg.groupId}" name: "default" cannot be deleted by a user`,
      400,
    );
  }
  for (const other of rs.securityGroups.values()) {
    if (other === sg) continue;
    for (const r of other.rules.values()) {
      if (r.referencedGroup?.groupId === sg.groupId) {
        throw new SimError('DependencyViolation', `resource ${sg.groupId} has a dependent object`, 400);
      }
    }
  }
  // a group on a network interface, or associated with another VPC, has dependents too
  if (groupInUse(rs, sg.groupId))
    throw new SimError('DependencyViolation', `resource ${sg.groupId} has a dependent object`, 400);
  rs.securityGroups.delete(sg.groupId);
  captureGroup(state, rs, sg.groupId);
  return { return: true, groupId: sg.groupId };
}

/** The rules of a group folded into IpPermissions, as DescribeSecurityGroups shows them. */
function ipPermissions(sg: SecurityGroup, egress: boolean) {
  const perms = new Map<
    string,
    {
      ipProtocol: string;
      fromPort?: number;
      toPort?: number;
      groups: object[];
      ipRanges: object[];
      ipv6Ranges: object[];
      prefixListIds: object[];
    }
  >();
  for (const r of sg.rules.values()) {
    if (r.isEgress !== egress) continue;
    const key = `${r.ipProtocol}|${r.fromPort}|${r.toPort}`;
    let p = perms.get(key);
    if (!p) {
      p = {
        ipProtocol: r.ipProtocol,
        ...(r.ipProtocol === '-1' ? {} : { fromPort: r.fromPort, toPort: r.toPort }),
        groups: [],
        ipRanges: [],
        ipv6Ranges: [],
        prefixListIds: [],
      };
      perms.set(key, p);
    }
    const description = r.description;
    if (r.cidrIpv4) p.ipRanges.push({ cidrIp: r.cidrIpv4, description });
    else if (r.cidrIpv6) p.ipv6Ranges.push({ cidrIpv6: r.cidrIpv6, description });
    else if (r.prefixListId) p.prefixListIds.push({ prefixListId: r.prefixListId, description });
    else if (r.referencedGroup)
      p.groups.push({ userId: r.referencedGroup.userId, groupId: r.referencedGroup.groupId, description });
  }
  return [...perms.values()];
}

function groupShape(rs: RegionState, sg: SecurityGroup) {
  return {
    ownerId: sg.ownerId,
    groupId: sg.groupId,
    groupName: sg.groupName,
    groupDescription: sg.description,
    ipPermissions: ipPermissions(sg, false),
    ipPermissionsEgress: ipPermissions(sg, true),
    vpcId: sg.vpcId,
    securityGroupArn: groupArn(rs, sg.groupId),
    tagSet: tagSet(sg.tags),
  };
}

function permissionFilterValues(sg: SecurityGroup, egress: boolean, field: string): string[] | undefined {
  const rules = [...sg.rules.values()].filter((r) => r.isEgress === egress);
  switch (field) {
    case 'cidr':
      return rules.flatMap((r) => (r.cidrIpv4 ? [r.cidrIpv4] : []));
    case 'ipv6-cidr':
      return rules.flatMap((r) => (r.cidrIpv6 ? [r.cidrIpv6] : []));
    case 'prefix-list-id':
      return rules.flatMap((r) => (r.prefixListId ? [r.prefixListId] : []));
    case 'group-id':
      return rules.flatMap((r) => (r.referencedGroup ? [r.referencedGroup.groupId] : []));
    case 'user-id':
      return rules.flatMap((r) => (r.referencedGroup ? [r.referencedGroup.userId] : []));
    case 'protocol':
      return rules.map((r) => r.ipProtocol);
    case 'from-port':
      return rules.map((r) => String(r.fromPort));
    case 'to-port':
      return rules.map((r) => String(r.toPort));
    default:
      return undefined;
  }
}

function describeSecurityGroups(rs: RegionState, input: Input) {
  const ids = list<string>(input.GroupId).map(String);
  const names = list<string>(input.GroupName).map(String);
  if (ids.length && input.MaxResults !== undefined) {
    throw new SimError(
      'InvalidParameterCombination',
      'The parameter groupIds cannot be used with the parameter maxResults',
      400,
    );
  }
  let groups: SecurityGroup[];
  if (ids.length || names.length) {
    groups = ids.map((id) => getGroup(rs, id));
    const vpc = defaultVpc(rs);
    for (const name of names) {
      const sg = [...rs.securityGroups.values()].find((g) => g.groupName === name && g.vpcId === vpc?.vpcId);
      if (!sg)
        throw new SimError(
          'InvalidGroup.NotFound',
          `The security group '${name}' does not exist in default VPC '${vpc?.vpcId ?? 'none'}'`,
          400,
        );
      if (!groups.includes(sg)) groups.push(sg);
    }
  } else {
    groups = [...rs.securityGroups.values()];
  }
  const fs = filters(input);
  const matched = groups.filter((sg) =>
    passes(fs, (name) => {
      switch (name) {
        case 'group-id':
          return [sg.groupId];
        case 'group-name':
          return [sg.groupName];
        case 'vpc-id':
          return [sg.vpcId];
        case 'description':
          return [sg.description];
        case 'owner-id':
          return [sg.ownerId];
        default: {
          const egress = /^egress\.ip-permission\.(.+)$/.exec(name);
          if (egress) return permissionFilterValues(sg, true, egress[1]!);
          const ingress = /^ip-permission\.(.+)$/.exec(name);
          if (ingress) return permissionFilterValues(sg, false, ingress[1]!);
          return tagFilterValues(name, sg.tags);
        }
      }
    }),
  );
  const { page, nextToken } = paginate(matched, input, 'DescribeSecurityGroups');
  return { securityGroupInfo: page.map((sg) => groupShape(rs, sg)), nextToken };
}

// ---------------------------------------------------------------- rules

export function ruleShape(rs: RegionState, r: SecurityGroupRule) {
  return {
    securityGroupRuleId: r.ruleId,
    groupId: r.groupId,
    groupOwnerId: r.groupOwnerId,
    isEgress: r.isEgress,
    ipProtocol: r.ipProtocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    cidrIpv4: r.cidrIpv4,
    cidrIpv6: r.cidrIpv6,
    prefixListId: r.prefixListId,
    referencedGroupInfo: r.referencedGroup
      ? { groupId: r.referencedGroup.groupId, userId: r.referencedGroup.userId }
      : undefined,
    description: r.description,
    tagSet: tagSet(r.tags),
    securityGroupRuleArn: ruleArn(rs, r.ruleId),
  };
}

function allRules(rs: RegionState): SecurityGroupRule[] {
  return [...rs.securityGroups.values()].flatMap((sg) => [...sg.rules.values()]);
}

function findRule(rs: RegionState, ruleId: string): SecurityGroupRule | undefined {
  for (const sg of rs.securityGroups.values()) {
    const r = sg.rules.get(ruleId);
    if (r) return r;
  }
  return undefined;
}

function ruleNotFound(ruleId: string): SimError {
  return new SimError(
    'InvalidSecurityGroupRuleId.NotFound',
    `The security group rule ID '${ruleId}' does not exist`,
    400,
  );
}

function describeSecurityGroupRules(rs: RegionState, input: Input) {
  const ids = list<string>(input.SecurityGroupRuleId).map(String);
  let rules: SecurityGroupRule[];
  if (ids.length) {
    rules = ids.map((id) => {
      if (!RULE_ID.test(id))
        throw new SimError('InvalidSecurityGroupRuleId.Malformed', `Invalid id: "${id}" (expecting "sgr-...")`, 400);
      const r = findRule(rs, id);
      if (!r) throw ruleNotFound(id);
      return r;
    });
  } else {
    rules = allRules(rs);
  }
  const fs = filters(input);
  const matched = rules.filter((r) =>
    passes(fs, (name) => {
      if (name === 'group-id') return [r.groupId];
      if (name === 'security-group-rule-id') return [r.ruleId];
      return tagFilterValues(name, r.tags);
    }),
  );
  const { page, nextToken } = paginate(matched, input, 'DescribeSecurityGroupRules');
  return { securityGroupRuleSet: page.map((r) => ruleShape(rs, r)), nextToken };
}

/** A rule's content before it gets an id: protocol, ports and exactly one peer. */
type RuleSpec = Omit<SecurityGroupRule, 'ruleId' | 'groupId' | 'groupOwnerId' | 'isEgress' | 'tags'>;

const PROTOCOL_NAMES: Record<string, string> = {
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
  icmpv6: 'icmpv6',
  '58': 'icmpv6',
  '-1': '-1',
  all: '-1',
};

function normaliseProtocol(raw: unknown): string {
  const p = String(raw ?? '').toLowerCase();
  if (!p) throw missing('ipProtocol');
  const named = PROTOCOL_NAMES[p];
  if (named) return named;
  if (/^\d+$/.test(p) && Number(p) <= 255) return String(Number(p));
  throw new SimError('InvalidParameterValue', `Invalid value '${String(raw)}' for IP protocol. Unknown protocol.`, 400);
}

/**
 * AWS's port rules: TCP/UDP need both ports (0..65535, from <= to); ICMP types/codes are -1..255; others ignore ports.
 */
function ports(protocol: string, fromRaw: unknown, toRaw: unknown): [number, number] {
  const from = intParam(fromRaw, 'fromPort');
  const to = intParam(toRaw, 'toPort');
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      throw new SimError(
        'InvalidParameterValue',
        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
        400,
      );
    }
    if (from < 0 || to > 65535 || from > to) {
      throw new SimError('InvalidParameterValue', `Invalid TCP/UDP port range: ${from} to ${to}`, 400);
    }
    return [from, to];
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = from ?? -1;
    const code = to ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255) {
      throw new SimError('InvalidParameterValue', `Invalid value for portRange. ICMP type ${type}, code ${code}`, 400);
    }
    return [type, code];
  }
  return [-1, -1];
}

export function validCidr4(c: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(c);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

export function validCidr6(c: string): boolean {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(c);
  return !!m && m[1]!.includes(':') && Number(m[2]) <= 128 && (m[1]!.match(/::/g)?.length ?? 0) <= 1;
}

/**
 * The rules one call asks for: one per CIDR, IPv6 CIDR, prefix list and group pair, across all permissions.
 * Handles IpPermissions and the legacy top-level CidrIp/IpProtocol/FromPort/ToPort/SourceSecurityGroupName.
 */
function requestedRules(
  rs: RegionState,
  sg: SecurityGroup,
  input: Input,
  egress: boolean,
  prefixListExists: (id: string) => void = () => undefined,
): RuleSpec[] {
  const perms = list(input.IpPermissions);
  const legacy = [
    'CidrIp',
    'IpProtocol',
    'FromPort',
    'ToPort',
    'SourceSecurityGroupName',
    'SourceSecurityGroupOwnerId',
  ].filter((k) => input[k] !== undefined);
  if (perms.length && legacy.length) {
    throw new SimError(
      'InvalidParameterCombination',
      "The parameter 'ipPermissions' may not be used in combination with 'cidrIp', 'ipProtocol', 'fromPort', 'toPort' or 'sourceSecurityGroupName'",
      400,
    );
  }
  const specs: RuleSpec[] = [];
  if (legacy.length) {
    if (egress) {
      throw new SimError(
        'InvalidParameterValue',
        'The legacy parameters (CidrIp, IpProtocol, FromPort, ToPort) are not supported for egress; use IpPermissions',
        400,
      );
    }
    const sourceName = str(input.SourceSecurityGroupName);
    if (sourceName) {
      if (
        input.CidrIp !== undefined ||
        input.IpProtocol !== undefined ||
        input.FromPort !== undefined ||
        input.ToPort !== undefined
      ) {
        throw new SimError(
          'InvalidParameterCombination',
          "The parameter 'sourceSecurityGroupName' may not be used in combination with 'cidrIp', 'ipProtocol', 'fromPort' or 'toPort'",
          400,
        );
      }
      const ref = resolvePeer(rs, sg, { GroupName: sourceName, UserId: str(input.SourceSecurityGroupOwnerId) });
      // [default VPC] a source group name grants full ICMP, TCP and UDP access
      specs.push({ ipProtocol: 'icmp', fromPort: -1, toPort: -1, referencedGroup: ref });
      specs.push({ ipProtocol: 'tcp', fromPort: 0, toPort: 65535, referencedGroup: ref });
      specs.push({ ipProtocol: 'udp', fromPort: 0, toPort: 65535, referencedGroup: ref });
    } else {
      const protocol = normaliseProtocol(input.IpProtocol);
      const [fromPort, toPort] = ports(protocol, input.FromPort, input.ToPort);
      const cidr = str(input.CidrIp);
      if (!cidr) throw missing('cidrIp');
      if (!validCidr4(cidr)) throw badCidr(cidr, 'cidrIp');
      specs.push({ ipProtocol: protocol, fromPort, toPort, cidrIpv4: cidr });
    }
    return specs;
  }
  if (!perms.length) throw missing('ipPermissions');
  for (const p of perms) {
    const protocol = normaliseProtocol(p.IpProtocol);
    const [fromPort, toPort] = ports(protocol, p.FromPort, p.ToPort);
    const base = { ipProtocol: protocol, fromPort, toPort };
    let peers = 0;
    for (const r of list(p.IpRanges)) {
      const cidr = String(r.CidrIp ?? '');
      if (!validCidr4(cidr)) throw badCidr(cidr, 'cidrIp');
      specs.push({ ...base, cidrIpv4: cidr, description: str(r.Description) });
      peers++;
    }
    for (const r of list(p.Ipv6Ranges)) {
      const cidr = String(r.CidrIpv6 ?? '');
      if (!validCidr6(cidr)) throw badCidr(cidr, 'cidrIpv6');
      specs.push({ ...base, cidrIpv6: cidr.toLowerCase(), description: str(r.Description) });
      peers++;
    }
    for (const r of list(p.PrefixListIds)) {
      const pl = String(r.PrefixListId ?? '');
      if (!/^pl-[0-9a-f]{8,17}$/.test(pl))
        throw new SimError('InvalidPrefixListId.Malformed', `Invalid id: "${pl}" (expecting "pl-...")`, 400);
      prefixListExists(pl);
      specs.push({ ...base, prefixListId: pl, description: str(r.Description) });
      peers++;
    }
    for (const g of list(p.Groups)) {
      specs.push({ ...base, referencedGroup: resolvePeer(rs, sg, g), description: str(g.Description) });
      peers++;
    }
    if (!peers) {
      throw new SimError(
        'InvalidParameterValue',
        'The request must contain at least one of IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs in each IP permission',
        400,
      );
    }
  }
  return specs;
}

export function badCidr(cidr: string, param: string): SimError {
  return new SimError(
    'InvalidParameterValue',
    `Value (${cidr}) for parameter ${param} is invalid. This is not a valid CIDR block.`,
    400,
  );
}

/**
 * A group pair: a group of this account (by id, or by name in the group's VPC), or another account's (UserId +
 * GroupId).
 */
function resolvePeer(rs: RegionState, sg: SecurityGroup, g: Input): { groupId: string; userId: string } {
  const userId = str(g.UserId);
  const groupId = str(g.GroupId);
  const groupName = str(g.GroupName);
  if (userId && userId !== rs.accountId) {
    if (!groupId)
      throw new SimError(
        'InvalidGroup.NotFound',
        `You must specify a group id for a security group of account ${userId}`,
        400,
      );
    if (!GROUP_ID.test(groupId))
      throw new SimError('InvalidGroupId.Malformed', `Invalid id: "${groupId}" (expecting "sg-...")`, 400);
    return { groupId, userId };
  }
  if (groupId) return { groupId: getGroup(rs, groupId).groupId, userId: rs.accountId };
  if (groupName) {
    const peer = [...rs.securityGroups.values()].find((x) => x.groupName === groupName && x.vpcId === sg.vpcId);
    if (!peer)
      throw new SimError(
        'InvalidGroup.NotFound',
        `The security group '${groupName}' does not exist in VPC '${sg.vpcId}'`,
        400,
      );
    return { groupId: peer.groupId, userId: rs.accountId };
  }
  throw missing('groupId or groupName of the user id group pair');
}

function peerOf(r: RuleSpec): string {
  return r.cidrIpv4 ?? r.cidrIpv6 ?? r.prefixListId ?? r.referencedGroup?.groupId ?? '';
}

/** Two rules are the same rule when direction, protocol, ports and peer agree (descriptions do not count). */
function sameRule(a: RuleSpec & { isEgress?: boolean }, b: RuleSpec & { isEgress?: boolean }): boolean {
  return (
    a.ipProtocol === b.ipProtocol &&
    a.fromPort === b.fromPort &&
    a.toPort === b.toPort &&
    peerOf(a) === peerOf(b) &&
    !!a.cidrIpv4 === !!b.cidrIpv4 &&
    !!a.cidrIpv6 === !!b.cidrIpv6 &&
    !!a.prefixListId === !!b.prefixListId
  );
}

function describeForError(r: RuleSpec): string {
  const proto = r.ipProtocol === '-1' ? 'ALL' : r.ipProtocol.toUpperCase();
  const portText = r.ipProtocol === '-1' ? '' : `, from port: ${r.fromPort}, to port: ${r.toPort}`;
  return `peer: ${peerOf(r)}, ${proto}${portText}, ALLOW`;
}

function duplicate(r: RuleSpec): SimError {
  return new SimError('InvalidPermission.Duplicate', `the specified rule "${describeForError(r)}" already exists`, 400);
}

function newRule(state: SimState, sg: SecurityGroup, spec: RuleSpec, isEgress: boolean): SecurityGroupRule {
  const ruleId = `sgr-${hexId(state, 17)}`;
  return {
    ruleId,
    groupId: sg.groupId,
    groupOwnerId: sg.ownerId,
    isEgress,
    ipProtocol: spec.ipProtocol,
    fromPort: spec.fromPort,
    toPort: spec.toPort,
    cidrIpv4: spec.cidrIpv4,
    cidrIpv6: spec.cidrIpv6,
    prefixListId: spec.prefixListId,
    referencedGroup: spec.referencedGroup,
    description: spec.description,
    tags: {},
  };
}

export function trailCall(ctx: ServiceContext, req: SimRequest) {
  const ua = req.headers['user-agent'];
  return {
    caller: req.caller,
    credentials: ctx.state.credentials.get(req.caller.accessKeyId),
    accountId: req.caller.accountId,
    region: req.region,
    requestId: req.requestId,
    eventId: newUuid(ctx.state),
    userAgent: Array.isArray(ua) ? ua.join(' ') : (ua ?? ''),
    eventTime: ctx.state.clock.date(),
  };
}

function authorize(ctx: ServiceContext, req: SimRequest, rs: RegionState, egress: boolean) {
  const input = req.input;
  const sg = resolveGroup(rs, input, !egress);
  // a rule may name a prefix list the account can see: its own, one shared with it, or AWS's
  const specs = requestedRules(rs, sg, input, egress, (id) => assertPrefixListVisible(ctx.state, rs, id));
  // all or nothing: a rule that exists already, or is asked for twice, fails the whole call
  const existing = [...sg.rules.values()].filter((r) => r.isEgress === egress);
  specs.forEach((spec, i) => {
    if (existing.some((r) => sameRule(r, spec)) || specs.slice(0, i).some((s) => sameRule(s, spec)))
      throw duplicate(spec);
  });
  const tags: Record<string, string> = {};
  for (const spec of list(input.TagSpecification)) {
    if (spec.ResourceType !== undefined && spec.ResourceType !== 'security-group-rule') continue;
    for (const t of list(spec.Tag)) if (typeof t.Key === 'string') tags[t.Key] = String(t.Value ?? '');
  }
  const created = specs.map((spec) => newRule(ctx.state, sg, spec, egress));
  for (const r of created) {
    r.tags = { ...tags };
    sg.rules.set(r.ruleId, r);
  }
  const eventName = egress ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress';
  const record = buildRecord(
    trailCall(ctx, req),
    eventName,
    authorizeRequestParameters(input),
    authorizeResponseElements(req.requestId, created, rs.region),
  );
  emitCloudTrailEvent(ctx, rs.accountId, rs.region, record);
  captureGroup(ctx.state, rs, sg.groupId, record.eventID as string);
  return { return: true, securityGroupRuleSet: created.map((r) => ruleShape(rs, r)) };
}

function revokedShape(r: SecurityGroupRule) {
  return {
    securityGroupRuleId: r.ruleId,
    groupId: r.groupId,
    isEgress: r.isEgress,
    ipProtocol: r.ipProtocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    cidrIpv4: r.cidrIpv4,
    cidrIpv6: r.cidrIpv6,
    prefixListId: r.prefixListId,
    referencedGroupId: r.referencedGroup?.groupId,
    description: r.description,
  };
}

/** An IpPermission naming one unmatched peer, for unknownIpPermissionSet. */
function unknownPermission(spec: RuleSpec) {
  return {
    ipProtocol: spec.ipProtocol,
    ...(spec.ipProtocol === '-1' ? {} : { fromPort: spec.fromPort, toPort: spec.toPort }),
    groups: spec.referencedGroup
      ? [{ groupId: spec.referencedGroup.groupId, userId: spec.referencedGroup.userId }]
      : [],
    ipRanges: spec.cidrIpv4 ? [{ cidrIp: spec.cidrIpv4 }] : [],
    ipv6Ranges: spec.cidrIpv6 ? [{ cidrIpv6: spec.cidrIpv6 }] : [],
    prefixListIds: spec.prefixListId ? [{ prefixListId: spec.prefixListId }] : [],
  };
}

/**
 * Revoke by SecurityGroupRuleIds (every id must exist in the group, in this direction, or nothing is revoked), or by
 * permissions: matching rules are removed; in a default VPC the peers that match nothing come back in
 * unknownIpPermissionSet with Return true, in any other VPC they fail the call with InvalidPermission.NotFound.
 */
function revoke(rs: RegionState, input: Input, egress: boolean) {
  const ruleIds = list<string>(input.SecurityGroupRuleId).map(String);
  if (ruleIds.length) {
    if (input.IpPermissions !== undefined) {
      throw new SimError(
        'InvalidParameterCombination',
        "The parameter 'securityGroupRuleIds' may not be used in combination with 'ipPermissions'",
        400,
      );
    }
    const sg = resolveGroup(rs, input, !egress);
    const rules = ruleIds.map((id) => {
      const r = sg.rules.get(id);
      if (!r || r.isEgress !== egress) throw ruleNotFound(id);
      return r;
    });
    for (const r of rules) sg.rules.delete(r.ruleId);
    return { return: true, revokedSecurityGroupRuleSet: rules.map(revokedShape) };
  }
  const sg = resolveGroup(rs, input, !egress);
  const specs = requestedRules(rs, sg, input, egress);
  const matched: SecurityGroupRule[] = [];
  const unknown: RuleSpec[] = [];
  for (const spec of specs) {
    const r = [...sg.rules.values()].find((x) => x.isEgress === egress && sameRule(x, spec) && !matched.includes(x));
    if (r) matched.push(r);
    else unknown.push(spec);
  }
  const inDefaultVpc = rs.vpcs.get(sg.vpcId)?.isDefault ?? false;
  if (unknown.length && !inDefaultVpc) {
    throw new SimError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.', 400);
  }
  for (const r of matched) sg.rules.delete(r.ruleId);
  return {
    return: true,
    unknownIpPermissionSet: unknown.length ? unknown.map(unknownPermission) : undefined,
    revokedSecurityGroupRuleSet: matched.map(revokedShape),
  };
}

function modifyRules(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const groupId = str(input.GroupId);
  if (!groupId) throw missing('GroupId');
  const sg = getGroup(rs, groupId);
  const updates = list(input.SecurityGroupRule);
  if (!updates.length) throw missing('SecurityGroupRule');
  // validate every update first: the call is all or nothing
  const planned = updates.map((u) => {
    const id = str(u.SecurityGroupRuleId);
    if (!id) throw missing('SecurityGroupRuleId');
    const rule = sg.rules.get(id);
    if (!rule) throw ruleNotFound(id);
    const r = (u.SecurityGroupRule ?? {}) as Input;
    const protocol = normaliseProtocol(r.IpProtocol);
    const [fromPort, toPort] = ports(protocol, r.FromPort, r.ToPort);
    const peers = ['CidrIpv4', 'CidrIpv6', 'PrefixListId', 'ReferencedGroupId'].filter((k) => str(r[k]) !== undefined);
    if (peers.length !== 1) {
      throw new SimError(
        'InvalidParameterValue',
        'Exactly one of CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId must be specified',
        400,
      );
    }
    const spec: RuleSpec = {
      ipProtocol: protocol,
      fromPort,
      toPort,
      description: typeof r.Description === 'string' ? r.Description : undefined,
    };
    const cidr4 = str(r.CidrIpv4);
    const cidr6 = str(r.CidrIpv6);
    const pl = str(r.PrefixListId);
    const ref = str(r.ReferencedGroupId);
    if (cidr4) {
      if (!validCidr4(cidr4)) throw badCidr(cidr4, 'CidrIpv4');
      spec.cidrIpv4 = cidr4;
    } else if (cidr6) {
      if (!validCidr6(cidr6)) throw badCidr(cidr6, 'CidrIpv6');
      spec.cidrIpv6 = cidr6.toLowerCase();
    } else if (pl) {
      assertPrefixListVisible(ctx.state, rs, pl);
      spec.prefixListId = pl;
    } else if (ref) {
      spec.referencedGroup = { groupId: getGroup(rs, ref).groupId, userId: rs.accountId };
    }
    return { rule, spec };
  });
  for (const { rule, spec } of planned) {
    const clash = [...sg.rules.values()].some(
      (x) => x !== rule && x.isEgress === rule.isEgress && sameRule(x, spec) && !planned.some((p) => p.rule === x),
    );
    if (clash) throw duplicate(spec);
  }
  for (const { rule, spec } of planned) {
    Object.assign(rule, {
      ipProtocol: spec.ipProtocol,
      fromPort: spec.fromPort,
      toPort: spec.toPort,
      cidrIpv4: spec.cidrIpv4,
      cidrIpv6: spec.cidrIpv6,
      prefixListId: spec.prefixListId,
      referencedGroup: spec.referencedGroup,
      description: spec.description,
    });
  }
  const record = buildRecord(
    trailCall(ctx, req),
    'ModifySecurityGroupRules',
    modifyRequestParameters(input),
    modifyResponseElements(req.requestId),
  );
  emitCloudTrailEvent(ctx, rs.accountId, rs.region, record);
  captureGroup(ctx.state, rs, sg.groupId, record.eventID as string);
  return { return: true };
}

/** The tag maps of the resources a tag call names, resolved before anything changes (sg- and sgr- ids). */
function tagTargets(rs: RegionState, input: Input): Record<string, string>[] {
  const ids = list<string>(input.ResourceId).map(String);
  if (!ids.length) throw missing('ResourceId');
  return ids.map((id) => {
    if (id.startsWith('sgr-')) {
      const r = findRule(rs, id);
      if (!r) throw ruleNotFound(id);
      return r.tags;
    }
    if (id.startsWith('sg-')) return getGroup(rs, id).tags;
    throw new SimError('InvalidID', `The ID '${id}' is not valid`, 400);
  });
}

function createTags(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  if (!list(input.ResourceId).length) throw missing('ResourceId');
  const tags = list(input.Tag).map((t) => ({ key: String(t.Key ?? ''), value: String(t.Value ?? '') }));
  if (!tags.length) throw missing('Tag');
  for (const t of tags) {
    if (!t.key || t.key.length > 128)
      throw new SimError('InvalidParameterValue', `Tag key '${t.key}' must be 1 to 128 characters`, 400);
    if (t.key.toLowerCase().startsWith('aws:'))
      throw new SimError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use", 400);
  }
  const targets = tagTargets(rs, input);
  for (const target of targets) for (const t of tags) target[t.key] = t.value;
  const record = buildRecord(
    trailCall(ctx, req),
    'CreateTags',
    tagsRequestParameters(input),
    returnResponseElements(req.requestId),
  );
  emitCloudTrailEvent(ctx, rs.accountId, rs.region, record);
  for (const id of list<string>(input.ResourceId).map(String))
    if (id.startsWith('sg-')) captureGroup(ctx.state, rs, id, record.eventID as string);
  return { return: true };
}

/**
 * DeleteTags: a tag given with a value is deleted only where the resource's value equals it (an empty value
 * included); a tag given without a value is deleted whatever its value; no tags at all deletes every user tag.
 */
function deleteTags(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const targets = tagTargets(rs, input);
  const given = list(input.Tag).map((t) => ({
    key: String(t.Key ?? ''),
    value: t.Value === undefined ? undefined : String(t.Value),
  }));
  for (const t of given) {
    if (t.key.toLowerCase().startsWith('aws:'))
      throw new SimError('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use", 400);
  }
  for (const target of targets) {
    if (!given.length) {
      for (const k of Object.keys(target)) delete target[k];
      continue;
    }
    for (const t of given) {
      if (!(t.key in target)) continue;
      if (t.value === undefined || target[t.key] === t.value) delete target[t.key];
    }
  }
  const record = buildRecord(
    trailCall(ctx, req),
    'DeleteTags',
    tagsRequestParameters(input),
    returnResponseElements(req.requestId),
  );
  emitCloudTrailEvent(ctx, rs.accountId, rs.region, record);
  for (const id of list<string>(input.ResourceId).map(String))
    if (id.startsWith('sg-')) captureGroup(ctx.state, rs, id, record.eventID as string);
  return { return: true };
}
