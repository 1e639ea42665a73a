// A stateful in-memory EC2 (groups with rules, AWS's error names) and helpers to build events and configs.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import type {
  Config,
  Ec2Port,
  GroupInfo,
  InterfaceInfo,
  PrefixListInfo,
  GroupRule,
  Permission,
  RevokeRequest,
  RuleDefinition,
  RuleInfo,
  SnsPort,
  TaggedRule,
} from '../src/types.js';

export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/cloudtrail', import.meta.url));

export function fixtures(): { name: string; event: unknown }[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => ({ name, event: JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8')) as unknown }));
}

export interface FakeRule {
  ruleId: string;
  isEgress: boolean;
  protocol: string;
  from?: number;
  to?: number;
  cidr4?: string;
  cidr6?: string;
  prefixList?: string;
  refGroup?: string;
  refUser?: string;
  description?: string;
  tags?: Record<string, string>;
}

/** A fake rule as DescribeSecurityGroupRules describes it. */
export function described(r: FakeRule, groupId: string): RuleInfo {
  return {
    ruleId: r.ruleId,
    groupId,
    isEgress: r.isEgress,
    ipProtocol: r.protocol,
    fromPort: r.from,
    toPort: r.to,
    cidrIpv4: r.cidr4,
    cidrIpv6: r.cidr6,
    prefixListId: r.prefixList,
    referencedGroupId: r.refGroup,
    referencedUserId: r.refUser,
    description: r.description,
  };
}

export interface FakeGroup {
  groupId: string;
  name: string;
  vpcId: string;
  defaultVpc: boolean;
  tags: Record<string, string>;
  rules: FakeRule[];
}

export class AwsError extends Error {
  constructor(
    name: string,
    message = name,
    public $metadata: { httpStatusCode?: number } = { httpStatusCode: 400 },
  ) {
    super(message);
    this.name = name;
  }
}

const norm = (p: string): string => ({ '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' })[p] ?? p;

/** Rules one wire permission names: one per source, as EC2 stores them. */
function matches(rule: FakeRule, isEgress: boolean, p: Permission): boolean {
  if (rule.isEgress !== isEgress || norm(rule.protocol) !== norm(p.ipProtocol)) return false;
  const ported = !['-1'].includes(norm(p.ipProtocol));
  if (ported && (rule.from !== p.fromPort || rule.to !== p.toPort)) return false;
  return (
    (rule.cidr4 !== undefined && p.ipRanges.includes(rule.cidr4)) ||
    (rule.cidr6 !== undefined && p.ipv6Ranges.includes(rule.cidr6)) ||
    (rule.prefixList !== undefined && p.prefixListIds.includes(rule.prefixList)) ||
    (rule.refGroup !== undefined &&
      p.groups.some((g) => g.groupId === rule.refGroup && (!g.userId || !rule.refUser || g.userId === rule.refUser)))
  );
}

export class FakeEc2 implements Ec2Port {
  groups = new Map<string, FakeGroup>();
  calls: { op: string; input: unknown }[] = [];
  revokes: RevokeRequest[] = [];
  /** Errors to throw, by operation, consumed in order. */
  failNext: Partial<
    Record<'describeGroup' | 'describeRules' | 'revoke' | 'tagRules' | 'untag' | 'modifyRules', Error[]>
  > = {};
  modifies: { groupId: string; rules: { ruleId: string; definition: RuleDefinition }[] }[] = [];

  addGroup(g: Partial<FakeGroup> & { groupId: string }): FakeGroup {
    const group: FakeGroup = { name: g.groupId, vpcId: 'vpc-default', defaultVpc: true, tags: {}, rules: [], ...g };
    this.groups.set(group.groupId, group);
    return group;
  }

  private maybeFail(op: 'describeGroup' | 'describeRules' | 'revoke' | 'tagRules' | 'untag' | 'modifyRules'): void {
    const err = this.failNext[op]?.shift();
    if (err) throw err;
  }

  async describeGroup(q: { groupId?: string; groupName?: string }): Promise<GroupInfo | undefined> {
    this.calls.push({ op: 'describeGroup', input: q });
    this.maybeFail('describeGroup');
    const g = q.groupId
      ? this.groups.get(q.groupId)
      : [...this.groups.values()].find((x) => x.defaultVpc && x.name === q.groupName);
    return g ? { groupId: g.groupId, vpcId: g.vpcId, tags: { ...g.tags } } : undefined;
  }

  async describeRules(ruleIds: string[]): Promise<RuleInfo[]> {
    this.calls.push({ op: 'describeRules', input: ruleIds });
    this.maybeFail('describeRules');
    const all = [...this.groups.values()].flatMap((g) => g.rules.map((r) => described(r, g.groupId)));
    const missing = ruleIds.find((id) => !all.some((r) => r.ruleId === id));
    if (missing)
      throw new AwsError(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${missing}' does not exist`,
      );
    return all.filter((r) => ruleIds.includes(r.ruleId));
  }

  async groupRules(groupId: string): Promise<GroupRule[]> {
    this.calls.push({ op: 'groupRules', input: groupId });
    const g = this.groups.get(groupId);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    return g.rules.map((r) => described(r, groupId));
  }

  async taggedRules(key: string): Promise<TaggedRule[]> {
    this.calls.push({ op: 'taggedRules', input: key });
    return [...this.groups.values()].flatMap((g) =>
      g.rules
        .filter((r) => r.tags?.[key] !== undefined)
        .map((r) => ({
          ruleId: r.ruleId,
          groupId: g.groupId,
          isEgress: r.isEgress,
          ipProtocol: r.protocol,
          fromPort: r.from,
          toPort: r.to,
          cidrIpv4: r.cidr4,
          cidrIpv6: r.cidr6,
          prefixListId: r.prefixList,
          referencedGroupId: r.refGroup,
          tags: { ...r.tags },
        })),
    );
  }

  async tagRules(ruleIds: string[], tags: Record<string, string>): Promise<void> {
    this.calls.push({ op: 'tagRules', input: { ruleIds, tags } });
    this.maybeFail('tagRules');
    for (const g of this.groups.values()) {
      if (ruleIds.includes(g.groupId)) g.tags = { ...g.tags, ...tags };
      for (const r of g.rules) if (ruleIds.includes(r.ruleId)) r.tags = { ...r.tags, ...tags };
    }
  }

  async untag(resources: string[], keys: string[]): Promise<void> {
    this.calls.push({ op: 'untag', input: { resources, keys } });
    this.maybeFail('untag');
    const drop = (tags: Record<string, string> = {}) =>
      Object.fromEntries(Object.entries(tags).filter(([k]) => !keys.includes(k)));
    for (const g of this.groups.values()) {
      if (resources.includes(g.groupId)) g.tags = drop(g.tags);
      for (const r of g.rules) if (resources.includes(r.ruleId)) r.tags = drop(r.tags);
    }
  }

  async revoke(req: RevokeRequest): Promise<{ unknownPermissions: number }> {
    this.calls.push({ op: 'revoke', input: req });
    this.revokes.push(req);
    this.maybeFail('revoke');
    const g = this.groups.get(req.groupId);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${req.groupId}' does not exist`);
    const isEgress = req.direction === 'egress';
    if (req.ruleIds) {
      for (const id of req.ruleIds) {
        if (!g.rules.some((r) => r.ruleId === id && r.isEgress === isEgress)) {
          throw new AwsError(
            'InvalidSecurityGroupRuleId.NotFound',
            `The security group rule ID '${id}' does not exist`,
          );
        }
      }
      g.rules = g.rules.filter((r) => !req.ruleIds?.includes(r.ruleId));
      return { unknownPermissions: 0 };
    }
    let unknown = 0;
    for (const p of req.permissions ?? []) {
      const hit = g.rules.filter((r) => matches(r, isEgress, p));
      if (hit.length === 0) unknown++;
      g.rules = g.rules.filter((r) => !hit.includes(r));
    }
    return { unknownPermissions: unknown };
  }

  /** As EC2 does it: every rule must exist in the group, and each keeps its id, direction and tags. */
  async modifyRules(groupId: string, rules: { ruleId: string; definition: RuleDefinition }[]): Promise<void> {
    this.calls.push({ op: 'modifyRules', input: { groupId, rules } });
    this.modifies.push({ groupId, rules });
    this.maybeFail('modifyRules');
    const g = this.groups.get(groupId);
    if (!g) throw new AwsError('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    const found = rules.map(({ ruleId }) => {
      const r = g.rules.find((x) => x.ruleId === ruleId);
      if (!r)
        throw new AwsError(
          'InvalidSecurityGroupRuleId.NotFound',
          `The security group rule ID '${ruleId}' does not exist`,
        );
      return r;
    });
    rules.forEach(({ definition: d }, i) => {
      Object.assign(found[i]!, {
        protocol: d.ipProtocol,
        from: d.fromPort,
        to: d.toPort,
        cidr4: d.cidrIpv4,
        cidr6: d.cidrIpv6,
        prefixList: d.prefixListId,
        refGroup: d.referencedGroupId,
        refUser: d.referencedUserId,
        description: d.description,
      });
    });
  }

  // ---- prefix lists with versions, VPC associations, interfaces (issue N) ----
  /** each list's versions: versions[0] is version 1's entries */
  prefixLists = new Map<string, { ownerId: string; state: string; versions: string[][] }>();
  associations = new Map<string, { vpcId: string; state: string }[]>();
  enis = new Map<string, InterfaceInfo & { instanceId?: string }>();
  restores: { prefixListId: string; previous: number; current: number }[] = [];
  disassociations: { groupId: string; vpcId: string }[] = [];

  addPrefixList(id: string, versions: string[][], ownerId = ACCOUNT): void {
    this.prefixLists.set(id, { ownerId, state: 'modify-complete', versions });
  }

  async describePrefixList(prefixListId: string): Promise<PrefixListInfo | undefined> {
    this.calls.push({ op: 'describePrefixList', input: prefixListId });
    const l = this.prefixLists.get(prefixListId);
    return l ? { prefixListId, ownerId: l.ownerId, version: l.versions.length, state: l.state } : undefined;
  }

  async prefixListEntries(prefixListId: string, version: number): Promise<string[]> {
    this.calls.push({ op: 'prefixListEntries', input: { prefixListId, version } });
    const v = this.prefixLists.get(prefixListId)?.versions[version - 1];
    if (!v) throw new AwsError('InvalidPrefixListVersion', `no version ${version} of ${prefixListId}`);
    return [...v];
  }

  async restorePrefixList(prefixListId: string, previous: number, current: number): Promise<void> {
    this.calls.push({ op: 'restorePrefixList', input: { prefixListId, previous, current } });
    const l = this.prefixLists.get(prefixListId);
    if (!l) throw new AwsError('InvalidPrefixListID.NotFound');
    if (current !== l.versions.length)
      throw new AwsError('PrefixListVersionMismatch', 'The prefix list has a newer version');
    const old = l.versions[previous - 1];
    if (!old) throw new AwsError('InvalidPrefixListVersion');
    this.restores.push({ prefixListId, previous, current });
    l.versions.push([...old]);
  }

  async groupVpcAssociations(groupId: string): Promise<{ vpcId: string; state: string }[]> {
    this.calls.push({ op: 'groupVpcAssociations', input: groupId });
    return (this.associations.get(groupId) ?? []).map((a) => ({ ...a }));
  }

  async disassociateGroupVpc(groupId: string, vpcId: string): Promise<void> {
    this.calls.push({ op: 'disassociateGroupVpc', input: { groupId, vpcId } });
    const list = this.associations.get(groupId) ?? [];
    if (!list.some((a) => a.vpcId === vpcId)) throw new AwsError('InvalidGroupId.Malformed', 'not associated');
    this.disassociations.push({ groupId, vpcId });
    this.associations.set(
      groupId,
      list.filter((a) => a.vpcId !== vpcId),
    );
  }

  async interfaces(q: { networkInterfaceId?: string; instanceId?: string }): Promise<InterfaceInfo[]> {
    this.calls.push({ op: 'interfaces', input: q });
    return [...this.enis.values()]
      .filter((e) =>
        q.networkInterfaceId ? e.networkInterfaceId === q.networkInterfaceId : e.instanceId === q.instanceId,
      )
      .map((e) => ({ networkInterfaceId: e.networkInterfaceId, vpcId: e.vpcId, groupIds: [...e.groupIds] }));
  }
}

export class FakeSns implements SnsPort {
  messages: { topicArn: string; subject: string; message: string }[] = [];
  failNext: Error[] = [];
  async publish(topicArn: string, subject: string, message: string): Promise<void> {
    const err = this.failNext.shift();
    if (err) throw err;
    this.messages.push({ topicArn, subject, message });
  }
}

export function config(env: Record<string, string> = {}): Config {
  return loadConfig(env);
}

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
export const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;

export interface EventOptions {
  eventName?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  userIdentity?: unknown;
  extra?: Record<string, unknown>;
}

/** A CloudTrail record inside an EventBridge envelope, as the rule delivers it. */
export function envelope(o: EventOptions): Record<string, unknown> {
  return {
    version: '0',
    id: 'e0000000-0000-4000-8000-000000000001',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: ACCOUNT,
    time: '2025-01-01T00:00:00Z',
    region: REGION,
    resources: [],
    detail: {
      eventVersion: '1.10',
      userIdentity: o.userIdentity ?? { type: 'IAMUser', arn: USER_ARN, accountId: ACCOUNT, userName: 'alice' },
      eventTime: '2025-01-01T00:00:00Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: o.eventName ?? 'AuthorizeSecurityGroupIngress',
      awsRegion: REGION,
      requestParameters: o.requestParameters,
      responseElements: o.responseElements ?? { requestId: 'r', _return: true },
      eventID: 'c0000000-0000-4000-8000-000000000002',
      readOnly: false,
      eventType: 'AwsApiCall',
      recipientAccountId: ACCOUNT,
      ...o.extra,
    },
  };
}

export const items = <T>(list: T[]): { items: T[] } | Record<string, never> => (list.length ? { items: list } : {});

/** CloudTrail's form of one permission. */
export function ctPermission(p: {
  protocol: string | number;
  from?: number | string;
  to?: number | string;
  cidrs?: string[];
  v6?: string[];
  prefixLists?: string[];
  groups?: { groupId?: string; userId?: string; groupName?: string }[];
}): Record<string, unknown> {
  return {
    ipProtocol: p.protocol,
    ...(p.from !== undefined ? { fromPort: p.from } : {}),
    ...(p.to !== undefined ? { toPort: p.to } : {}),
    ipRanges: items((p.cidrs ?? []).map((cidrIp) => ({ cidrIp }))),
    ipv6Ranges: items((p.v6 ?? []).map((cidrIpv6) => ({ cidrIpv6 }))),
    prefixListIds: items((p.prefixLists ?? []).map((prefixListId) => ({ prefixListId }))),
    groups: items(p.groups ?? []),
  };
}
