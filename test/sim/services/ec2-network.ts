// EC2 networking beyond security groups (issue N): managed prefix lists with their versions, security groups
// associated with other VPCs, and VPCs, subnets, network interfaces and instances, minimal but real enough for the
// SDK and for the calls that widen access without touching a rule. Every call acts in the caller's own account and
// the signed region. Creating or changing any of these answers at once; where EC2 answers an operation "in
// progress" (prefix lists, associations, RunInstances), the answer says so and the state is already the finished one
// (see test/sim/README.md, "EC2 networking"). The calls guardrail watches emit their CloudTrail records in the shapes
// of test/fixtures/cloudtrail-n/.
import { SimError, type ServiceContext, type SimRequest } from '../types.js';
import {
  type Instance,
  type ManagedPrefixList,
  type NetworkInterface,
  type PrefixListEntry,
  type RegionState,
  type SecurityGroup,
  type SecurityGroupVpcAssociation,
  type SimState,
  type Subnet,
  type Vpc,
} from '../state.js';
import { emitCloudTrailEvent } from '../loop.js';
import {
  badCidr,
  defaultVpc,
  filters,
  getGroup,
  intParam,
  list,
  missing,
  paginate,
  passes,
  str,
  tagFilterValues,
  tagSet,
  trailCall,
  validCidr4,
  validCidr6,
  type Filter,
} from './ec2.js';
import {
  buildRecord,
  createPrefixListRequestParameters,
  deletePrefixListRequestParameters,
  groupVpcRequestParameters,
  groupVpcResponseElements,
  modifyInstanceRequestParameters,
  modifyInterfaceRequestParameters,
  modifyPrefixListRequestParameters,
  prefixListResponseElements,
  restorePrefixListRequestParameters,
  returnResponseElements,
  type PrefixListElement,
} from './ec2-cloudtrail.js';

type Input = Record<string, unknown>;

/** The operations this module answers; ec2.ts hands them over. */
export const NETWORK_OPERATIONS = new Set([
  'CreateVpc',
  'CreateSubnet',
  'DescribeSubnets',
  'CreateManagedPrefixList',
  'DescribeManagedPrefixLists',
  'GetManagedPrefixListEntries',
  'GetManagedPrefixListAssociations',
  'ModifyManagedPrefixList',
  'RestoreManagedPrefixListVersion',
  'DeleteManagedPrefixList',
  'AssociateSecurityGroupVpc',
  'DisassociateSecurityGroupVpc',
  'DescribeSecurityGroupVpcAssociations',
  'CreateNetworkInterface',
  'DescribeNetworkInterfaces',
  'ModifyNetworkInterfaceAttribute',
  'RunInstances',
  'DescribeInstances',
  'ModifyInstanceAttribute',
]);

export function handleNetwork(ctx: ServiceContext, req: SimRequest, rs: RegionState): unknown {
  const input = req.input;
  switch (req.operation) {
    case 'CreateVpc':
      return createVpc(ctx.state, rs, input);
    case 'CreateSubnet':
      return createSubnet(ctx.state, rs, input);
    case 'DescribeSubnets':
      return describeSubnets(ctx.state, rs, input);
    case 'CreateManagedPrefixList':
      return createPrefixList(ctx, req, rs);
    case 'DescribeManagedPrefixLists':
      return describePrefixLists(ctx.state, rs, input);
    case 'GetManagedPrefixListEntries':
      return getPrefixListEntries(ctx.state, rs, input);
    case 'GetManagedPrefixListAssociations':
      return getPrefixListAssociations(ctx.state, rs, input);
    case 'ModifyManagedPrefixList':
      return modifyPrefixList(ctx, req, rs);
    case 'RestoreManagedPrefixListVersion':
      return restorePrefixList(ctx, req, rs);
    case 'DeleteManagedPrefixList':
      return deletePrefixList(ctx, req, rs);
    case 'AssociateSecurityGroupVpc':
      return associateGroupVpc(ctx, req, rs);
    case 'DisassociateSecurityGroupVpc':
      return disassociateGroupVpc(ctx, req, rs);
    case 'DescribeSecurityGroupVpcAssociations':
      return describeGroupVpcAssociations(rs, input);
    case 'CreateNetworkInterface':
      return createNetworkInterface(ctx.state, rs, input);
    case 'DescribeNetworkInterfaces':
      return describeNetworkInterfaces(rs, input);
    case 'ModifyNetworkInterfaceAttribute':
      return modifyNetworkInterface(ctx, req, rs);
    case 'RunInstances':
      return runInstances(ctx.state, rs, input);
    case 'DescribeInstances':
      return describeInstances(rs, input);
    case 'ModifyInstanceAttribute':
      return modifyInstance(ctx, req, rs);
    default:
      throw new SimError('InvalidAction', `The action ${req.operation} is not valid for this web service.`, 400);
  }
}

// ---------------------------------------------------------------- ids, addresses, slices

function networkId(state: SimState, prefix: string): string {
  return `${prefix}-${state.random.network.hex(17)}`;
}

const prefixListsOf = (rs: RegionState): Map<string, ManagedPrefixList> =>
  (rs.prefixLists ??= new Map<string, ManagedPrefixList>());
const subnetsOf = (rs: RegionState): Map<string, Subnet> => (rs.subnets ??= new Map<string, Subnet>());
const interfacesOf = (rs: RegionState): Map<string, NetworkInterface> =>
  (rs.networkInterfaces ??= new Map<string, NetworkInterface>());
const instancesOf = (rs: RegionState): Map<string, Instance> => (rs.instances ??= new Map<string, Instance>());
const associationsOf = (rs: RegionState): Map<string, SecurityGroupVpcAssociation> =>
  (rs.groupVpcAssociations ??= new Map<string, SecurityGroupVpcAssociation>());

function parseCidr4(cidr: string): { base: number; bits: number } {
  const [addr, bits] = cidr.split('/');
  const base = addr!.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return { base, bits: Number(bits) };
}

function ip4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Is `inner` (a.b.c.d/n) inside `outer`? */
function cidrWithin(inner: string, outer: string): boolean {
  const i = parseCidr4(inner);
  const o = parseCidr4(outer);
  if (i.bits < o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(i.base / size) === Math.floor(o.base / size);
}

function getVpc(rs: RegionState, vpcId: string | undefined): Vpc {
  if (!vpcId) throw missing('VpcId');
  if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    throw new SimError('InvalidVpcID.Malformed', `Invalid id: "${vpcId}" (expecting "vpc-...")`, 400);
  const vpc = rs.vpcs.get(vpcId);
  if (!vpc) throw new SimError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`, 400);
  return vpc;
}

function defaultGroupOf(rs: RegionState, vpcId: string): SecurityGroup | undefined {
  return [...rs.securityGroups.values()].find((g) => g.vpcId === vpcId && g.groupName === 'default');
}

/** A group can sit on an interface of `vpcId` when that is its own VPC or a VPC it is associated with. */
function groupUsableIn(rs: RegionState, sg: SecurityGroup, vpcId: string): boolean {
  return sg.vpcId === vpcId || associationsOf(rs).has(`${sg.groupId}|${vpcId}`);
}

function tagsFor(input: Input, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of list(input.TagSpecification)) {
    if (spec.ResourceType !== undefined && spec.ResourceType !== resourceType) continue;
    for (const t of list(spec.Tag)) if (typeof t.Key === 'string') tags[t.Key] = String(t.Value ?? '');
  }
  return tags;
}

function emit(
  ctx: ServiceContext,
  req: SimRequest,
  rs: RegionState,
  eventName: string,
  requestParameters: Input,
  responseElements: Input,
): void {
  emitCloudTrailEvent(
    ctx,
    rs.accountId,
    rs.region,
    buildRecord(trailCall(ctx, req), eventName, requestParameters, responseElements),
  );
}

/** Offset pagination (the token names the operation and the offset), `n` items a page when given. */
function slicePage<T>(
  all: T[],
  n: number | undefined,
  token: string | undefined,
  operation: string,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (token) {
    const [op, offset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
    start = Number(offset);
    if (op !== operation || !Number.isInteger(start) || start < 0 || start > all.length) {
      throw new SimError('InvalidPaginationToken', `Invalid pagination token: ${token}`, 400);
    }
  }
  if (n === undefined) return { page: all.slice(start) };
  const end = Math.min(start + n, all.length);
  return {
    page: all.slice(start, end),
    nextToken: end < all.length ? Buffer.from(`${operation}:${end}`).toString('base64url') : undefined,
  };
}

// ---------------------------------------------------------------- VPCs and subnets

function createVpc(state: SimState, rs: RegionState, input: Input) {
  const cidr = str(input.CidrBlock);
  if (!cidr) throw missing('CidrBlock');
  if (!validCidr4(cidr)) throw badCidr(cidr, 'cidrBlock');
  const { bits } = parseCidr4(cidr);
  if (bits < 16 || bits > 28) throw new SimError('InvalidVpc.Range', `The CIDR '${cidr}' is invalid.`, 400);
  const vpcId = networkId(state, 'vpc');
  const vpc: Vpc = { vpcId, cidrBlock: cidr, isDefault: false };
  rs.vpcs.set(vpcId, vpc);
  // every VPC comes with its default group: all traffic from itself, all traffic out
  const groupId = networkId(state, 'sg');
  const sg: SecurityGroup = {
    groupId,
    groupName: 'default',
    description: 'default VPC security group',
    vpcId,
    ownerId: rs.accountId,
    tags: {},
    rules: new Map(),
  };
  const inRule = networkId(state, 'sgr');
  sg.rules.set(inRule, {
    ruleId: inRule,
    groupId,
    groupOwnerId: rs.accountId,
    isEgress: false,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    referencedGroup: { groupId, userId: rs.accountId },
    tags: {},
  });
  const outRule = networkId(state, 'sgr');
  sg.rules.set(outRule, {
    ruleId: outRule,
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
  return {
    vpc: {
      vpcId,
      state: 'available',
      cidrBlock: cidr,
      ownerId: rs.accountId,
      isDefault: false,
      instanceTenancy: 'default',
      tagSet: tagSet(tagsFor(input, 'vpc')),
    },
  };
}

/** The default VPC's default subnet, made on first use (a subnet of 172.31.0.0/20 in the region's first zone). */
function defaultSubnet(state: SimState, rs: RegionState): Subnet | undefined {
  const vpc = defaultVpc(rs);
  if (!vpc) return undefined;
  const subnets = subnetsOf(rs);
  let sub = [...subnets.values()].find((s) => s.vpcId === vpc.vpcId && s.defaultForAz);
  if (!sub) {
    sub = {
      subnetId: networkId(state, 'subnet'),
      vpcId: vpc.vpcId,
      cidrBlock: '172.31.0.0/20',
      availabilityZone: `${rs.region}a`,
      defaultForAz: true,
      nextHost: 4,
    };
    subnets.set(sub.subnetId, sub);
  }
  return sub;
}

function createSubnet(state: SimState, rs: RegionState, input: Input) {
  const vpc = getVpc(rs, str(input.VpcId));
  const cidr = str(input.CidrBlock);
  if (!cidr) throw missing('CidrBlock');
  if (!validCidr4(cidr)) throw badCidr(cidr, 'cidrBlock');
  const { bits } = parseCidr4(cidr);
  if (bits < 16 || bits > 28 || !cidrWithin(cidr, vpc.cidrBlock))
    throw new SimError('InvalidSubnet.Range', `The CIDR '${cidr}' is invalid.`, 400);
  const subnets = subnetsOf(rs);
  if (
    [...subnets.values()].some(
      (s) => s.vpcId === vpc.vpcId && (cidrWithin(cidr, s.cidrBlock) || cidrWithin(s.cidrBlock, cidr)),
    )
  ) {
    throw new SimError('InvalidSubnet.Conflict', `The CIDR '${cidr}' conflicts with another subnet`, 400);
  }
  const zone = str(input.AvailabilityZone) ?? `${rs.region}a`;
  if (!zone.startsWith(rs.region))
    throw new SimError(
      'InvalidParameterValue',
      `Value (${zone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${rs.region}a, ${rs.region}b, ${rs.region}c.`,
      400,
    );
  const sub: Subnet = {
    subnetId: networkId(state, 'subnet'),
    vpcId: vpc.vpcId,
    cidrBlock: cidr,
    availabilityZone: zone,
    defaultForAz: false,
    nextHost: 4,
  };
  subnets.set(sub.subnetId, sub);
  return { subnet: subnetShape(rs, sub) };
}

function subnetShape(rs: RegionState, s: Subnet) {
  return {
    subnetId: s.subnetId,
    subnetArn: `arn:aws:ec2:${rs.region}:${rs.accountId}:subnet/${s.subnetId}`,
    vpcId: s.vpcId,
    cidrBlock: s.cidrBlock,
    availabilityZone: s.availabilityZone,
    state: 'available',
    ownerId: rs.accountId,
    defaultForAz: s.defaultForAz,
    mapPublicIpOnLaunch: s.defaultForAz,
    availableIpAddressCount: 2 ** (32 - parseCidr4(s.cidrBlock).bits) - s.nextHost - 1,
  };
}

function getSubnet(rs: RegionState, subnetId: string): Subnet {
  if (!/^subnet-[0-9a-f]{8,17}$/.test(subnetId))
    throw new SimError('InvalidSubnetID.Malformed', `Invalid id: "${subnetId}" (expecting "subnet-...")`, 400);
  const s = subnetsOf(rs).get(subnetId);
  if (!s) throw new SimError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`, 400);
  return s;
}

function describeSubnets(state: SimState, rs: RegionState, input: Input) {
  defaultSubnet(state, rs);
  const ids = list<string>(input.SubnetId).map(String);
  const all = ids.length ? ids.map((id) => getSubnet(rs, id)) : [...subnetsOf(rs).values()];
  const fs = filters(input);
  const matched = all.filter((s) =>
    passes(fs, (name) => {
      switch (name) {
        case 'subnet-id':
          return [s.subnetId];
        case 'vpc-id':
          return [s.vpcId];
        case 'availability-zone':
          return [s.availabilityZone];
        case 'cidr-block':
          return [s.cidrBlock];
        case 'default-for-az':
          return [String(s.defaultForAz)];
        default:
          return undefined;
      }
    }),
  );
  const { page: out, nextToken } = paginate(matched, input, 'DescribeSubnets');
  return { subnetSet: out.map((s) => subnetShape(rs, s)), nextToken };
}

// ---------------------------------------------------------------- managed prefix lists

/**
 * The AWS-managed lists of a region (owner "AWS", read-only): S3 and DynamoDB of the region, and CloudFront's
 * origin-facing list. Their ids are derived from their names, so every account of the simulator sees the same ones,
 * as every account of a region sees the same ids on AWS. A few of each service's published ranges stand in for
 * its entries.
 */
const AWS_LISTS = new Map<string, ManagedPrefixList[]>();

function awsManagedLists(region: string): ManagedPrefixList[] {
  let lists = AWS_LISTS.get(region);
  if (!lists) {
    const make = (name: string, cidrs: string[]): ManagedPrefixList => ({
      prefixListId: `pl-${fnv(name)}`,
      prefixListName: name,
      addressFamily: 'IPv4',
      maxEntries: cidrs.length,
      ownerId: 'AWS',
      state: 'create-complete',
      version: 1,
      tags: {},
      versions: new Map([[1, cidrs.map((cidr) => ({ cidr }))]]),
      sharedWith: [],
    });
    lists = [
      make(`com.amazonaws.${region}.s3`, ['3.5.0.0/19', '16.182.0.0/16', '52.216.0.0/15', '54.231.0.0/16']),
      make(`com.amazonaws.${region}.dynamodb`, ['3.218.182.0/24', '35.71.64.0/22', '52.94.0.0/22']),
      make('com.amazonaws.global.cloudfront.origin-facing', ['13.224.0.0/14', '18.64.0.0/14', '52.84.0.0/15']),
    ];
    AWS_LISTS.set(region, lists);
  }
  return lists;
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

type Access = 'own' | 'shared' | 'aws';

/** Every list the caller can see: its own, those shared with it from other accounts (same region), AWS's. */
function visibleLists(state: SimState, rs: RegionState): { list: ManagedPrefixList; access: Access }[] {
  const out: { list: ManagedPrefixList; access: Access }[] = [...prefixListsOf(rs).values()].map((l) => ({
    list: l,
    access: 'own' as const,
  }));
  for (const acct of state.accounts.values()) {
    if (acct.id === rs.accountId) continue;
    for (const l of acct.regions.get(rs.region)?.prefixLists?.values() ?? []) {
      if (l.sharedWith.includes(rs.accountId)) out.push({ list: l, access: 'shared' });
    }
  }
  for (const l of awsManagedLists(rs.region)) out.push({ list: l, access: 'aws' });
  return out;
}

const PREFIX_LIST_ID = /^pl-[0-9a-f]{8}([0-9a-f]{9})?$/;

function findList(
  state: SimState,
  rs: RegionState,
  id: string | undefined,
): { list: ManagedPrefixList; access: Access } {
  if (!id) throw missing('PrefixListId');
  if (!PREFIX_LIST_ID.test(id))
    throw new SimError('InvalidPrefixListId.Malformed', `Invalid id: "${id}" (expecting "pl-...")`, 400);
  const found = visibleLists(state, rs).find((v) => v.list.prefixListId === id);
  if (!found) throw new SimError('InvalidPrefixListID.NotFound', `The prefix list ID '${id}' does not exist`, 400);
  return found;
}

/**
 * Security-group rules may name a list the caller can see (its own, shared with it, AWS's); others do not exist for it.
 */
export function assertPrefixListVisible(state: SimState, rs: RegionState, id: string): void {
  findList(state, rs, id);
}

/**
 * A list the caller may change: only its own (AWS's lists are read-only, a shared list changes in its owner's account).
 */
function ownList(state: SimState, rs: RegionState, id: string | undefined): ManagedPrefixList {
  const { list: l, access } = findList(state, rs, id);
  if (access === 'aws')
    throw new SimError(
      'InvalidPrefixListModification',
      `The prefix list ${l.prefixListId} is managed by AWS and cannot be modified.`,
      400,
    );
  if (access === 'shared')
    throw new SimError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403);
  return l;
}

function entriesOf(l: ManagedPrefixList, version = l.version): PrefixListEntry[] {
  return l.versions.get(version) ?? [];
}

function listElement(region: string, l: ManagedPrefixList, state = l.state, version = l.version): PrefixListElement {
  return {
    prefixListId: l.prefixListId,
    addressFamily: l.addressFamily,
    state,
    prefixListArn: `arn:aws:ec2:${region}:${l.ownerId === 'AWS' ? 'aws' : l.ownerId}:prefix-list/${l.prefixListId}`,
    prefixListName: l.prefixListName,
    maxEntries: l.maxEntries,
    version,
    ownerId: l.ownerId,
  };
}

function listShape(region: string, l: ManagedPrefixList, state = l.state, version = l.version) {
  return { ...listElement(region, l, state, version), tagSet: tagSet(l.tags) };
}

function checkEntryCidr(l: Pick<ManagedPrefixList, 'addressFamily'>, cidr: string | undefined): string {
  if (!cidr) throw missing('Cidr');
  const ok = l.addressFamily === 'IPv4' ? validCidr4(cidr) : validCidr6(cidr);
  if (!ok)
    throw new SimError('InvalidParameterValue', `The CIDR (${cidr}) is not a valid ${l.addressFamily} CIDR.`, 400);
  return l.addressFamily === 'IPv6' ? cidr.toLowerCase() : cidr;
}

function perRequest(n: number): void {
  if (n > 100)
    throw new SimError('InvalidParameterValue', 'The number of entries per request cannot exceeds limit (100).', 400);
}

function maxEntriesParam(v: unknown): number | undefined {
  const n = intParam(v, 'MaxEntries');
  if (n !== undefined && (n < 1 || n > 1000))
    throw new SimError('InvalidParameterValue', 'Must specify a max size between 1 and 1000', 400);
  return n;
}

function createPrefixList(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const name = str(input.PrefixListName);
  if (!name) throw missing('PrefixListName');
  if (name.length > 255)
    throw new SimError('InvalidParameterValue', 'The prefix list name cannot exceed 255 characters.', 400);
  if (name.toLowerCase().startsWith('com.amazonaws'))
    throw new SimError('InvalidParameterValue', 'The prefix list name cannot start with com.amazonaws.', 400);
  const maxEntries = maxEntriesParam(input.MaxEntries);
  if (maxEntries === undefined) throw missing('MaxEntries');
  const family = str(input.AddressFamily);
  if (!family) throw missing('AddressFamily');
  if (family !== 'IPv4' && family !== 'IPv6')
    throw new SimError(
      'InvalidParameterValue',
      `Value (${family}) for parameter addressFamily is invalid. Valid values: IPv4, IPv6.`,
      400,
    );
  const raw = list(input.Entry);
  perRequest(raw.length);
  const entries: PrefixListEntry[] = [];
  for (const e of raw) {
    const cidr = checkEntryCidr({ addressFamily: family }, str(e.Cidr));
    if (entries.some((x) => x.cidr === cidr))
      throw new SimError('InvalidPrefixListModification', `An entry with the CIDR (${cidr}) already exists.`, 400);
    entries.push({ cidr, description: str(e.Description) });
  }
  if (entries.length > maxEntries) throw entriesExceed(name, maxEntries);
  const l: ManagedPrefixList = {
    prefixListId: networkId(ctx.state, 'pl'),
    prefixListName: name,
    addressFamily: family,
    maxEntries,
    ownerId: rs.accountId,
    state: 'create-complete',
    version: 1,
    tags: tagsFor(input, 'prefix-list'),
    versions: new Map([[1, entries]]),
    sharedWith: [],
  };
  prefixListsOf(rs).set(l.prefixListId, l);
  const answer = listElement(rs.region, l, 'create-in-progress');
  emit(
    ctx,
    req,
    rs,
    'CreateManagedPrefixList',
    createPrefixListRequestParameters(input),
    prefixListResponseElements('CreateManagedPrefixList', req.requestId, answer),
  );
  return { prefixList: { ...answer, tagSet: tagSet(l.tags) } };
}

function entriesExceed(what: string, max: number): SimError {
  return new SimError(
    'InvalidParameterValue',
    `The prefix list ${what} cannot have more than its maximum number of entries (${max}).`,
    400,
  );
}

function describePrefixLists(state: SimState, rs: RegionState, input: Input) {
  const ids = list<string>(input.PrefixListId).map(String);
  const all = ids.length ? ids.map((id) => findList(state, rs, id)) : visibleLists(state, rs);
  const fs: Filter[] = filters(input);
  const matched = all.filter(({ list: l }) =>
    passes(fs, (name) => {
      switch (name) {
        case 'owner-id':
          return [l.ownerId];
        case 'prefix-list-id':
          return [l.prefixListId];
        case 'prefix-list-name':
          return [l.prefixListName];
        default:
          return tagFilterValues(name, l.tags);
      }
    }),
  );
  const { page: out, nextToken } = boundedPage(matched, input, 'DescribeManagedPrefixLists', 1, 100);
  return { prefixListSet: out.map(({ list: l }) => listShape(rs.region, l)), nextToken };
}

function boundedPage<T>(all: T[], input: Input, operation: string, min: number, max: number) {
  const n = intParam(input.MaxResults, 'MaxResults');
  if (n !== undefined && (n < min || n > max)) {
    throw new SimError(
      'InvalidParameterValue',
      `Value ( ${n} ) for parameter maxResults is invalid. Parameter must be between ${min} and ${max}.`,
      400,
    );
  }
  return slicePage(all, n, str(input.NextToken), operation);
}

function getPrefixListEntries(state: SimState, rs: RegionState, input: Input) {
  const { list: l } = findList(state, rs, str(input.PrefixListId));
  const target = intParam(input.TargetVersion, 'TargetVersion');
  if (target !== undefined && !l.versions.has(target)) {
    throw new SimError('InvalidParameterValue', `The prefix list ${l.prefixListId} has no version ${target}.`, 400);
  }
  const { page: out, nextToken } = boundedPage(entriesOf(l, target), input, 'GetManagedPrefixListEntries', 1, 100);
  return { entrySet: out.map((e) => ({ cidr: e.cidr, description: e.description })), nextToken };
}

/**
 * The security groups whose rules reference the list. Its owner sees them in every account of the region (its
 * consumers' too); any other account sees only its own.
 */
function getPrefixListAssociations(state: SimState, rs: RegionState, input: Input) {
  const { list: l } = findList(state, rs, str(input.PrefixListId));
  const accounts = l.ownerId === rs.accountId ? [...state.accounts.values()].map((a) => a.id) : [rs.accountId];
  const found = accounts.flatMap((id) =>
    referencingGroups(state, id, rs.region, l.prefixListId).map((g) => ({ resourceId: g.groupId, resourceOwner: id })),
  );
  const { page: out, nextToken } = boundedPage(found, input, 'GetManagedPrefixListAssociations', 5, 255);
  return { prefixListAssociationSet: out, nextToken };
}

function referencingGroups(state: SimState, accountId: string, region: string, prefixListId: string): SecurityGroup[] {
  const r = state.accounts.get(accountId)?.regions.get(region);
  if (!r) return [];
  return [...r.securityGroups.values()].filter((g) =>
    [...g.rules.values()].some((x) => x.prefixListId === prefixListId),
  );
}

function checkVersion(l: ManagedPrefixList, current: number | undefined): void {
  if (current !== undefined && current !== l.version) {
    throw new SimError('PrefixListVersionMismatch', 'The prefix list has the incorrect version number.', 400);
  }
}

function modifyPrefixList(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const l = ownList(ctx.state, rs, str(input.PrefixListId));
  checkVersion(l, intParam(input.CurrentVersion, 'CurrentVersion'));
  const adds = list(input.AddEntry);
  const removes = list(input.RemoveEntry);
  const maxEntries = maxEntriesParam(input.MaxEntries);
  const name = str(input.PrefixListName);
  if (maxEntries !== undefined && (adds.length || removes.length)) {
    throw new SimError(
      'InvalidParameterCombination',
      'You cannot modify the entries and the maximum entries for the prefix list in the same request.',
      400,
    );
  }
  if (!adds.length && !removes.length && maxEntries === undefined && name === undefined) {
    throw new SimError(
      'MissingParameter',
      'The request must contain at least one of AddEntry, RemoveEntry, MaxEntries or PrefixListName',
      400,
    );
  }
  if (name !== undefined && name.toLowerCase().startsWith('com.amazonaws')) {
    throw new SimError('InvalidParameterValue', 'The prefix list name cannot start with com.amazonaws.', 400);
  }
  perRequest(adds.length);
  perRequest(removes.length);
  const before = listElement(rs.region, l, 'modify-in-progress');
  // everything is checked before anything changes: the call is all or nothing
  let next: PrefixListEntry[] | undefined;
  if (adds.length || removes.length) {
    next = [...entriesOf(l)];
    for (const r of removes) {
      const cidr = checkEntryCidr(l, str(r.Cidr));
      const i = next.findIndex((e) => e.cidr === cidr);
      if (i < 0)
        throw new SimError('InvalidPrefixListModification', `The entry with the CIDR (${cidr}) does not exist.`, 400);
      next.splice(i, 1);
    }
    for (const a of adds) {
      const cidr = checkEntryCidr(l, str(a.Cidr));
      const description = str(a.Description);
      if (next.some((e) => e.cidr === cidr)) {
        throw new SimError(
          'InvalidPrefixListModification',
          `An entry with the CIDR (${cidr}) and description (${description ?? ''}) already exists.`,
          400,
        );
      }
      next.push({ cidr, description });
    }
    if (next.length > l.maxEntries) throw entriesExceed(l.prefixListId, l.maxEntries);
  }
  if (maxEntries !== undefined && maxEntries < entriesOf(l).length) throw entriesExceed(l.prefixListId, maxEntries);
  if (name !== undefined) l.prefixListName = name;
  if (maxEntries !== undefined) l.maxEntries = maxEntries;
  if (next) {
    // a change of the entries is a new version; a new name or size is not
    l.version += 1;
    l.versions.set(l.version, next);
  }
  l.state = 'modify-complete';
  const answer = { ...before, prefixListName: l.prefixListName, maxEntries: l.maxEntries };
  emit(
    ctx,
    req,
    rs,
    'ModifyManagedPrefixList',
    modifyPrefixListRequestParameters(input),
    prefixListResponseElements('ModifyManagedPrefixList', req.requestId, answer),
  );
  return { prefixList: { ...answer, tagSet: tagSet(l.tags) } };
}

function restorePrefixList(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const l = ownList(ctx.state, rs, str(input.PrefixListId));
  const previous = intParam(input.PreviousVersion, 'PreviousVersion');
  const current = intParam(input.CurrentVersion, 'CurrentVersion');
  if (previous === undefined) throw missing('PreviousVersion');
  if (current === undefined) throw missing('CurrentVersion');
  checkVersion(l, current);
  if (previous >= l.version || !l.versions.has(previous)) {
    throw new SimError(
      'InvalidParameterValue',
      `The version ${previous} is not a previous version of the prefix list ${l.prefixListId}.`,
      400,
    );
  }
  const entries = entriesOf(l, previous).map((e) => ({ ...e }));
  if (entries.length > l.maxEntries) throw entriesExceed(l.prefixListId, l.maxEntries);
  const answer = listElement(rs.region, l, 'restore-in-progress');
  l.version += 1;
  l.versions.set(l.version, entries);
  l.state = 'restore-complete';
  emit(
    ctx,
    req,
    rs,
    'RestoreManagedPrefixListVersion',
    restorePrefixListRequestParameters(input),
    prefixListResponseElements('RestoreManagedPrefixListVersion', req.requestId, answer),
  );
  return { prefixList: { ...answer, tagSet: tagSet(l.tags) } };
}

function deletePrefixList(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const l = ownList(ctx.state, rs, str(input.PrefixListId));
  for (const acct of ctx.state.accounts.values()) {
    const user = referencingGroups(ctx.state, acct.id, rs.region, l.prefixListId)[0];
    if (user)
      throw new SimError(
        'DependencyViolation',
        `The prefix list ${l.prefixListId} is referenced by the security group ${user.groupId}.`,
        400,
      );
  }
  prefixListsOf(rs).delete(l.prefixListId);
  const answer = listElement(rs.region, l, 'delete-in-progress');
  emit(
    ctx,
    req,
    rs,
    'DeleteManagedPrefixList',
    deletePrefixListRequestParameters(input),
    prefixListResponseElements('DeleteManagedPrefixList', req.requestId, answer),
  );
  return { prefixList: { ...answer, tagSet: tagSet(l.tags) } };
}

/**
 * The admin switch behind `POST /_sim/prefix-list-shares` (AWS RAM sharing a customer-managed list): the owner's
 * list becomes visible to the consumer, which may read it and reference it from its rules; changes stay the owner's.
 */
export function sharePrefixList(
  state: SimState,
  owner: string,
  region: string,
  prefixListId: string,
  consumer: string,
  shared: boolean,
): ManagedPrefixList {
  const l = state.accounts.get(owner)?.regions.get(region)?.prefixLists?.get(prefixListId);
  if (!l) throw new Error(`no prefix list ${prefixListId} of account ${owner} in ${region}`);
  if (consumer === owner) throw new Error('a list cannot be shared with its owner');
  if (!state.org.accounts.has(consumer)) throw new Error(`no account ${consumer}`);
  l.sharedWith = l.sharedWith.filter((a) => a !== consumer);
  if (shared) l.sharedWith.push(consumer);
  return l;
}

// ---------------------------------------------------------------- security groups in other VPCs

function associateGroupVpc(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const groupId = str(input.GroupId);
  if (!groupId) throw missing('GroupId');
  const sg = getGroup(rs, groupId);
  const vpc = getVpc(rs, str(input.VpcId));
  if (sg.groupName === 'default') {
    throw new SimError(
      'InvalidParameterValue',
      `The security group ${sg.groupId} is a default security group and cannot be associated with another VPC.`,
      400,
    );
  }
  if (sg.vpcId === vpc.vpcId)
    throw new SimError(
      'InvalidParameterValue',
      `The security group ${sg.groupId} already belongs to the VPC ${vpc.vpcId}.`,
      400,
    );
  const key = `${sg.groupId}|${vpc.vpcId}`;
  if (associationsOf(rs).has(key))
    throw new SimError(
      'InvalidParameterValue',
      `The security group ${sg.groupId} is already associated with the VPC ${vpc.vpcId}.`,
      400,
    );
  associationsOf(rs).set(key, {
    groupId: sg.groupId,
    vpcId: vpc.vpcId,
    vpcOwnerId: rs.accountId,
    groupOwnerId: sg.ownerId,
    state: 'associated',
  });
  emit(
    ctx,
    req,
    rs,
    'AssociateSecurityGroupVpc',
    groupVpcRequestParameters('AssociateSecurityGroupVpc', input),
    groupVpcResponseElements('AssociateSecurityGroupVpc', req.requestId, 'associating'),
  );
  return { state: 'associating' };
}

function disassociateGroupVpc(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const groupId = str(input.GroupId);
  if (!groupId) throw missing('GroupId');
  const sg = getGroup(rs, groupId);
  const vpc = getVpc(rs, str(input.VpcId));
  const key = `${sg.groupId}|${vpc.vpcId}`;
  if (!associationsOf(rs).has(key))
    throw new SimError(
      'InvalidParameterValue',
      `The security group ${sg.groupId} is not associated with the VPC ${vpc.vpcId}.`,
      400,
    );
  // EC2: "You cannot disassociate the security group if any Elastic network interfaces in the associated VPC are
  // still associated with the security group" (API reference, DisassociateSecurityGroupVpc)
  if ([...interfacesOf(rs).values()].some((ni) => ni.vpcId === vpc.vpcId && ni.groups.includes(sg.groupId))) {
    throw new SimError('DependencyViolation', `resource ${sg.groupId} has a dependent object`, 400);
  }
  associationsOf(rs).delete(key);
  emit(
    ctx,
    req,
    rs,
    'DisassociateSecurityGroupVpc',
    groupVpcRequestParameters('DisassociateSecurityGroupVpc', input),
    groupVpcResponseElements('DisassociateSecurityGroupVpc', req.requestId, 'disassociating'),
  );
  return { state: 'disassociating' };
}

function describeGroupVpcAssociations(rs: RegionState, input: Input) {
  const fs = filters(input);
  const matched = [...associationsOf(rs).values()].filter((a) =>
    passes(fs, (name) => {
      switch (name) {
        case 'group-id':
          return [a.groupId];
        case 'vpc-id':
          return [a.vpcId];
        case 'vpc-owner-id':
          return [a.vpcOwnerId];
        case 'group-owner-id':
          return [a.groupOwnerId];
        case 'state':
          return [a.state];
        default:
          return undefined;
      }
    }),
  );
  const { page: out, nextToken } = paginate(matched, input, 'DescribeSecurityGroupVpcAssociations');
  return { securityGroupVpcAssociationSet: out.map((a) => ({ ...a })), nextToken };
}

/**
 * Does a network interface carry the group, or is it associated with another VPC? (DeleteSecurityGroup's dependents)
 */
export function groupInUse(rs: RegionState, groupId: string): boolean {
  return (
    [...(rs.networkInterfaces?.values() ?? [])].some((ni) => ni.groups.includes(groupId)) ||
    [...(rs.groupVpcAssociations?.values() ?? [])].some((a) => a.groupId === groupId)
  );
}

// ---------------------------------------------------------------- network interfaces

const MAX_GROUPS_PER_INTERFACE = 5;

/** Groups named for an interface in `subnet`: each must exist and be usable in its VPC, five at most. */
function interfaceGroups(rs: RegionState, ids: string[], subnet: Subnet): string[] {
  const unique = [...new Set(ids)];
  if (unique.length > MAX_GROUPS_PER_INTERFACE) {
    throw new SimError(
      'SecurityGroupsPerInterfaceLimitExceeded',
      'The maximum number of security groups per interface has been reached.',
      400,
    );
  }
  for (const id of unique) {
    const sg = getGroup(rs, id);
    if (!groupUsableIn(rs, sg, subnet.vpcId)) {
      throw new SimError(
        'InvalidParameter',
        `Security group ${sg.groupId} and subnet ${subnet.subnetId} belong to different networks.`,
        400,
      );
    }
  }
  return unique;
}

function newInterface(
  state: SimState,
  rs: RegionState,
  subnet: Subnet,
  groups: string[],
  description: string,
): NetworkInterface {
  const host = subnet.nextHost++;
  const mac = state.random.network.hex(10).replace(/(..)/g, '$1:').slice(0, 14);
  const ni: NetworkInterface = {
    networkInterfaceId: networkId(state, 'eni'),
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    description,
    groups,
    privateIpAddress: ip4(parseCidr4(subnet.cidrBlock).base + host),
    macAddress: `02:${mac}`,
    sourceDestCheck: true,
    tags: {},
  };
  interfacesOf(rs).set(ni.networkInterfaceId, ni);
  return ni;
}

function groupItems(rs: RegionState, ids: string[]) {
  return ids.map((id) => ({ groupId: id, groupName: rs.securityGroups.get(id)?.groupName }));
}

function interfaceShape(rs: RegionState, ni: NetworkInterface) {
  return {
    networkInterfaceId: ni.networkInterfaceId,
    subnetId: ni.subnetId,
    vpcId: ni.vpcId,
    availabilityZone: ni.availabilityZone,
    description: ni.description,
    ownerId: rs.accountId,
    requesterManaged: false,
    status: ni.attachment ? 'in-use' : 'available',
    macAddress: ni.macAddress,
    privateIpAddress: ni.privateIpAddress,
    sourceDestCheck: ni.sourceDestCheck,
    interfaceType: 'interface',
    groupSet: groupItems(rs, ni.groups),
    privateIpAddressesSet: [{ privateIpAddress: ni.privateIpAddress, primary: true }],
    attachment: ni.attachment
      ? {
          attachmentId: ni.attachment.attachmentId,
          instanceId: ni.attachment.instanceId,
          instanceOwnerId: rs.accountId,
          deviceIndex: ni.attachment.deviceIndex,
          status: 'attached',
          attachTime: ni.attachment.attachTime,
          deleteOnTermination: true,
          networkCardIndex: 0,
        }
      : undefined,
    tagSet: tagSet(ni.tags),
  };
}

function createNetworkInterface(state: SimState, rs: RegionState, input: Input) {
  const subnetId = str(input.SubnetId);
  if (!subnetId) throw missing('SubnetId');
  const subnet = getSubnet(rs, subnetId);
  const given = list<string>(input.SecurityGroupId).map(String);
  const groups = given.length
    ? interfaceGroups(rs, given, subnet)
    : [defaultGroupOf(rs, subnet.vpcId)?.groupId].filter((g): g is string => !!g);
  const ni = newInterface(state, rs, subnet, groups, typeof input.Description === 'string' ? input.Description : '');
  ni.tags = tagsFor(input, 'network-interface');
  return { networkInterface: interfaceShape(rs, ni) };
}

function getInterface(rs: RegionState, id: string | undefined): NetworkInterface {
  if (!id) throw missing('NetworkInterfaceId');
  if (!/^eni-[0-9a-f]{8,17}$/.test(id))
    throw new SimError('InvalidNetworkInterfaceID.Malformed', `Invalid id: "${id}" (expecting "eni-...")`, 400);
  const ni = interfacesOf(rs).get(id);
  if (!ni)
    throw new SimError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`, 400);
  return ni;
}

function describeNetworkInterfaces(rs: RegionState, input: Input) {
  const ids = list<string>(input.NetworkInterfaceId).map(String);
  const all = ids.length ? ids.map((id) => getInterface(rs, id)) : [...interfacesOf(rs).values()];
  const fs = filters(input);
  const matched = all.filter((ni) =>
    passes(fs, (name) => {
      switch (name) {
        case 'network-interface-id':
          return [ni.networkInterfaceId];
        case 'vpc-id':
          return [ni.vpcId];
        case 'subnet-id':
          return [ni.subnetId];
        case 'group-id':
          return ni.groups;
        case 'attachment.instance-id':
          return ni.attachment ? [ni.attachment.instanceId] : [];
        case 'status':
          return [ni.attachment ? 'in-use' : 'available'];
        default:
          return tagFilterValues(name, ni.tags);
      }
    }),
  );
  const { page: out, nextToken } = paginate(matched, input, 'DescribeNetworkInterfaces');
  return { networkInterfaceSet: out.map((ni) => interfaceShape(rs, ni)), nextToken };
}

/** The attributes an attribute call names (each call may change only one). */
function attributesGiven(input: Input, ignore: string[]): string[] {
  return Object.keys(input).filter((k) => !ignore.includes(k) && input[k] !== undefined);
}

function modifyNetworkInterface(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const ni = getInterface(rs, str(input.NetworkInterfaceId));
  const attrs = attributesGiven(input, ['NetworkInterfaceId', 'DryRun']);
  if (attrs.length !== 1)
    throw new SimError('InvalidParameterCombination', 'You can specify only one attribute at a time.', 400);
  if (attrs[0] === 'SecurityGroupId') {
    const ids = list<string>(input.SecurityGroupId).map(String);
    if (!ids.length) throw missing('SecurityGroupId');
    ni.groups = interfaceGroups(rs, ids, subnetsOf(rs).get(ni.subnetId)!);
  } else if (attrs[0] === 'SourceDestCheck') {
    ni.sourceDestCheck = String((input.SourceDestCheck as Input | undefined)?.Value).toLowerCase() === 'true';
  } else if (attrs[0] === 'Description') {
    ni.description = String((input.Description as Input | undefined)?.Value ?? '');
  }
  // the other attributes (attachment, ENA Express, connection tracking, public IP, primary IPv6) are accepted as given
  emit(
    ctx,
    req,
    rs,
    'ModifyNetworkInterfaceAttribute',
    modifyInterfaceRequestParameters(input),
    returnResponseElements(req.requestId),
  );
  return { return: true };
}

// ---------------------------------------------------------------- instances

function runInstances(state: SimState, rs: RegionState, input: Input) {
  const imageId = str(input.ImageId);
  if (!imageId) throw missing('ImageId');
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId))
    throw new SimError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`, 400);
  const min = intParam(input.MinCount, 'MinCount');
  const max = intParam(input.MaxCount, 'MaxCount');
  if (min === undefined) throw missing('MinCount');
  if (max === undefined) throw missing('MaxCount');
  if (min < 1 || max < min)
    throw new SimError(
      'InvalidParameterValue',
      `Invalid value '${max}' for maxCount. Must be at least minCount (${min}) and at least 1.`,
      400,
    );
  if (max > 20)
    throw new SimError(
      'InstanceLimitExceeded',
      `You have requested more instances (${max}) than your current instance limit of 20 allows for the specified instance type.`,
      400,
    );
  const nics = list(input.NetworkInterface);
  if (nics.length && (input.SubnetId !== undefined || input.SecurityGroupId !== undefined)) {
    throw new SimError(
      'InvalidParameterCombination',
      'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request',
      400,
    );
  }
  const primary = nics.find((n) => String(n.DeviceIndex ?? '0') === '0') ?? nics[0];
  if (nics.length > 1)
    throw new SimError(
      'InvalidParameterValue',
      'The simulator launches instances with one network interface only',
      400,
    );
  const subnetId = str(primary?.SubnetId) ?? str(input.SubnetId);
  const subnet = subnetId ? getSubnet(rs, subnetId) : defaultSubnet(state, rs);
  if (!subnet) throw new SimError('VPCIdNotSpecified', 'No default VPC for this user', 400);
  const ids = list<string>(primary ? primary.SecurityGroupId : input.SecurityGroupId).map(String);
  for (const name of list<string>(input.SecurityGroup).map(String)) {
    const sg = [...rs.securityGroups.values()].find((g) => g.groupName === name && g.vpcId === subnet.vpcId);
    if (!sg)
      throw new SimError(
        'InvalidGroup.NotFound',
        `The security group '${name}' does not exist in VPC '${subnet.vpcId}'`,
        400,
      );
    ids.push(sg.groupId);
  }
  const groups = ids.length
    ? interfaceGroups(rs, ids, subnet)
    : [defaultGroupOf(rs, subnet.vpcId)?.groupId].filter((g): g is string => !!g);
  const reservationId = networkId(state, 'r');
  const launchTime = state.clock
    .date()
    .toISOString()
    .replace(/\.\d{3}Z$/, '.000Z');
  const tags = tagsFor(input, 'instance');
  const made: Instance[] = [];
  for (let i = 0; i < max; i++) {
    const instanceId = networkId(state, 'i');
    const ni = newInterface(
      state,
      rs,
      subnet,
      [...groups],
      typeof primary?.Description === 'string' ? primary.Description : '',
    );
    ni.attachment = {
      attachmentId: networkId(state, 'eni-attach'),
      instanceId,
      deviceIndex: 0,
      attachTime: launchTime,
    };
    const inst: Instance = {
      instanceId,
      reservationId,
      imageId,
      instanceType: str(input.InstanceType) ?? 'm1.small',
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      launchTime,
      networkInterfaceIds: [ni.networkInterfaceId],
      tags: { ...tags },
    };
    instancesOf(rs).set(instanceId, inst);
    made.push(inst);
  }
  // EC2 answers "pending"; the simulator's instances are running at once
  return {
    reservationId,
    ownerId: rs.accountId,
    groupSet: [],
    instancesSet: made.map((inst, i) => instanceShape(rs, inst, i, { code: 0, name: 'pending' })),
  };
}

function instanceShape(rs: RegionState, inst: Instance, index = 0, state = { code: 16, name: 'running' }) {
  const nis = inst.networkInterfaceIds.map((id) => interfacesOf(rs).get(id)).filter((n): n is NetworkInterface => !!n);
  const primary = nis[0];
  return {
    instanceId: inst.instanceId,
    imageId: inst.imageId,
    instanceState: state,
    privateDnsName: primary ? `ip-${primary.privateIpAddress.replace(/\./g, '-')}.ec2.internal` : '',
    amiLaunchIndex: index,
    instanceType: inst.instanceType,
    launchTime: inst.launchTime,
    placement: { availabilityZone: primary?.availabilityZone, tenancy: 'default' },
    subnetId: inst.subnetId,
    vpcId: inst.vpcId,
    privateIpAddress: primary?.privateIpAddress,
    sourceDestCheck: primary?.sourceDestCheck ?? true,
    groupSet: groupItems(rs, [...new Set(nis.flatMap((n) => n.groups))]),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    networkInterfaceSet: nis.map((n) => ({
      networkInterfaceId: n.networkInterfaceId,
      subnetId: n.subnetId,
      vpcId: n.vpcId,
      description: n.description,
      ownerId: rs.accountId,
      status: 'in-use',
      macAddress: n.macAddress,
      privateIpAddress: n.privateIpAddress,
      sourceDestCheck: n.sourceDestCheck,
      interfaceType: 'interface',
      groupSet: groupItems(rs, n.groups),
      attachment: n.attachment
        ? {
            attachmentId: n.attachment.attachmentId,
            deviceIndex: n.attachment.deviceIndex,
            status: 'attached',
            attachTime: n.attachment.attachTime,
            deleteOnTermination: true,
            networkCardIndex: 0,
          }
        : undefined,
      privateIpAddressesSet: [{ privateIpAddress: n.privateIpAddress, primary: true }],
    })),
    tagSet: tagSet(inst.tags),
  };
}

function getInstance(rs: RegionState, id: string | undefined): Instance {
  if (!id) throw missing('InstanceId');
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new SimError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`, 400);
  const inst = instancesOf(rs).get(id);
  if (!inst) throw new SimError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`, 400);
  return inst;
}

function describeInstances(rs: RegionState, input: Input) {
  const ids = list<string>(input.InstanceId).map(String);
  const all = ids.length ? ids.map((id) => getInstance(rs, id)) : [...instancesOf(rs).values()];
  const fs = filters(input);
  const groupsOf = (inst: Instance) => inst.networkInterfaceIds.flatMap((id) => interfacesOf(rs).get(id)?.groups ?? []);
  const matched = all.filter((inst) =>
    passes(fs, (name) => {
      switch (name) {
        case 'instance-id':
          return [inst.instanceId];
        case 'vpc-id':
          return [inst.vpcId];
        case 'subnet-id':
          return [inst.subnetId];
        case 'instance-state-name':
          return ['running'];
        case 'instance.group-id':
          return groupsOf(inst);
        case 'network-interface.network-interface-id':
          return inst.networkInterfaceIds;
        default:
          return tagFilterValues(name, inst.tags);
      }
    }),
  );
  const { page: out, nextToken } = paginate(matched, input, 'DescribeInstances');
  const reservations = new Map<string, Instance[]>();
  for (const inst of out) reservations.set(inst.reservationId, [...(reservations.get(inst.reservationId) ?? []), inst]);
  return {
    reservationSet: [...reservations.entries()].map(([reservationId, insts]) => ({
      reservationId,
      ownerId: rs.accountId,
      groupSet: [],
      instancesSet: insts.map((inst, i) => instanceShape(rs, inst, i)),
    })),
    nextToken,
  };
}

/**
 * ModifyInstanceAttribute: one attribute a call. GroupId.N replaces the groups of the instance's primary interface
 * (EC2 refuses when the instance has several interfaces: "There are multiple interfaces attached to instance …",
 * as quoted in hashicorp/terraform#14299); every other attribute is accepted and ignored.
 */
function modifyInstance(ctx: ServiceContext, req: SimRequest, rs: RegionState) {
  const input = req.input;
  const inst = getInstance(rs, str(input.InstanceId));
  const attrs = attributesGiven(input, ['InstanceId', 'DryRun', 'Value']);
  const onlyGroupSet = attrs.length === 2 && attrs.includes('GroupId') && str(input.Attribute) === 'groupSet';
  if (attrs.length !== 1 && !onlyGroupSet)
    throw new SimError('InvalidParameterCombination', 'You can specify only one attribute at a time.', 400);
  if (input.Value !== undefined && input.Attribute === undefined) throw missing('Attribute');
  if (attrs.includes('GroupId')) {
    if (inst.networkInterfaceIds.length > 1) {
      throw new SimError(
        'InvalidInstanceID',
        `There are multiple interfaces attached to instance '${inst.instanceId}'. Please specify an interface ID for the operation instead.`,
        400,
      );
    }
    const ni = interfacesOf(rs).get(inst.networkInterfaceIds[0]!)!;
    const ids = list<string>(input.GroupId).map(String);
    if (!ids.length) throw missing('GroupId');
    ni.groups = interfaceGroups(rs, ids, subnetsOf(rs).get(ni.subnetId)!);
  }
  emit(
    ctx,
    req,
    rs,
    'ModifyInstanceAttribute',
    modifyInstanceRequestParameters(input),
    returnResponseElements(req.requestId),
  );
  return { return: true };
}
