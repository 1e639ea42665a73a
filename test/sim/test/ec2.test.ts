import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GuardrailRetryStrategy } from '../../../src/aws/retry.js';
import type { SimServer } from '../server.js';
import { errorOf, assumeInto, clientConfig, memberIds, startTestSim, type TestCredentials } from './helpers.js';
import { callsToSeeThrottling, maxCallsThrough, maxOccurrences, minThrottled, seededThrottles } from './stats.js';

// capture what EC2 hands to the closed loop, and pass it on (the loop itself is tested elsewhere)
interface EmittedRecord extends Record<string, unknown> {
  eventName: string;
  userAgent: string;
  eventID: string;
  eventTime: string;
  userIdentity: { principalId: string };
}
const emitted = vi.hoisted(() => [] as { account: string; region: string; record: EmittedRecord }[]);
vi.mock(import('../loop.js'), async (importOriginal) => {
  const actual = await importOriginal();
  return {
    ...actual,
    emitCloudTrailEvent: (...args: Parameters<typeof actual.emitCloudTrailEvent>) => {
      const [, account, region, record] = args;
      emitted.push({ account, region, record: record as EmittedRecord });
      actual.emitCloudTrailEvent(...args);
    },
  };
});

let sim: SimServer;
let member: string;
let other: string;
let memberCreds: TestCredentials;
let ec2: EC2Client;
const clients: EC2Client[] = [];

function ec2As(creds?: TestCredentials, region = 'us-east-1'): EC2Client {
  const c = new EC2Client({ ...clientConfig(sim, region, creds), maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function newGroup(client: EC2Client, name: string): Promise<string> {
  const out = await client.send(new CreateSecurityGroupCommand({ GroupName: name, Description: `group ${name}` }));
  return out.GroupId!;
}

async function rulesOf(client: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const out = await client.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return out.SecurityGroupRules ?? [];
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 3, regions: ['us-east-1', 'eu-west-1'] });
  [member, other] = memberIds(sim) as [string, string];
  memberCreds = await assumeInto(sim, member, { sessionName: 'alice' });
  ec2 = ec2As(memberCreds);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim.close();
});
beforeEach(() => {
  emitted.length = 0;
});

describe('DescribeRegions', () => {
  it('lists the regions enabled for the account, and all known regions with AllRegions', async () => {
    const { Regions } = await ec2.send(new DescribeRegionsCommand({}));
    expect(Regions?.map((r) => r.RegionName).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(Regions?.[0]).toMatchObject({
      OptInStatus: 'opt-in-not-required',
      Endpoint: expect.stringMatching(/^ec2\.[a-z0-9-]+\.amazonaws\.com$/),
    });
    const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(all.Regions!.length).toBeGreaterThan(10);
    expect(all.Regions!.find((r) => r.RegionName === 'ap-southeast-2')?.OptInStatus).toBe('not-opted-in');
    const one = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-1'] }));
    expect(one.Regions?.map((r) => r.RegionName)).toEqual(['eu-west-1']);
  });
});

describe('security groups', () => {
  it('has a default VPC with its default group in every account-region', async () => {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
    const sg = SecurityGroups![0]!;
    expect(sg.GroupName).toBe('default');
    expect(sg.OwnerId).toBe(member);
    expect(sg.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.GroupId).toBe(sg.GroupId);
    expect(sg.IpPermissionsEgress?.[0]).toMatchObject({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
    const del = await errorOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId })));
    expect(del.name).toBe('CannotDelete');
  });

  it('creates a group with the default egress rule, rejects a duplicate name, and finds it by filters', async () => {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'web',
        Description: 'web servers',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'team', Value: 'blue' }] }],
      }),
    );
    expect(out.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(out.SecurityGroupArn).toBe(`arn:aws:ec2:us-east-1:${member}:security-group/${out.GroupId}`);
    expect(out.Tags).toEqual([{ Key: 'team', Value: 'blue' }]);
    const rules = await rulesOf(ec2, out.GroupId!);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      IsEgress: true,
      IpProtocol: '-1',
      FromPort: -1,
      ToPort: -1,
      CidrIpv4: '0.0.0.0/0',
      GroupOwnerId: member,
    });
    expect(rules[0]!.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);

    const dup = await errorOf(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'again' })));
    expect(dup.name).toBe('InvalidGroup.Duplicate');

    const vpcId = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [out.GroupId!] }))).SecurityGroups![0]!
      .VpcId!;
    for (const Filters of [
      [{ Name: 'tag:team', Values: ['blue'] }],
      [
        { Name: 'group-name', Values: ['we*'] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    ]) {
      const found = await ec2.send(new DescribeSecurityGroupsCommand({ Filters }));
      expect(found.SecurityGroups!.map((g) => g.GroupId)).toEqual([out.GroupId]);
    }
    const none = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:team', Values: ['red'] }] }),
    );
    expect(none.SecurityGroups).toEqual([]);
  });

  it("raises InvalidGroup.NotFound with AWS's message for an unknown group id", async () => {
    const err = await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })));
    expect(err.name).toBe('InvalidGroup.NotFound');
    expect(err.message).toBe("The security group 'sg-0123456789abcdef0' does not exist");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it("keeps accounts apart: a group made with one account's credentials is invisible to another's", async () => {
    const groupId = await newGroup(ec2, 'private');
    const otherEc2 = ec2As(await assumeInto(sim, other));
    const err = await errorOf(otherEc2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })));
    expect(err.name).toBe('InvalidGroup.NotFound');
    const theirs = await otherEc2.send(new DescribeSecurityGroupsCommand({}));
    expect(theirs.SecurityGroups!.map((g) => g.GroupName)).toEqual(['default']);
    expect(theirs.SecurityGroups![0]!.OwnerId).toBe(other);
    // and regions are apart too
    const eu = ec2As(memberCreds, 'eu-west-1');
    expect((await eu.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.map((g) => g.GroupName)).toEqual([
      'default',
    ]);
    // the management account's own keys act in the management account
    const mgmt = ec2As();
    expect((await mgmt.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.OwnerId).toBe(
      sim.state.org.managementAccountId,
    );
  });

  it("deletes a group, but not one another group's rule references", async () => {
    const a = await newGroup(ec2, 'del-a');
    const b = await newGroup(ec2, 'del-b');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: a,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: b }] }],
      }),
    );
    expect((await errorOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId: b })))).name).toBe('DependencyViolation');
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: a }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'del-b' }));
    expect((await errorOf(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [b] })))).name).toBe(
      'InvalidGroup.NotFound',
    );
  });
});

describe('AuthorizeSecurityGroupIngress/Egress', () => {
  it('makes one rule per CIDR, IPv6 CIDR, prefix list and group pair, across all permissions', async () => {
    const groupId = await newGroup(ec2, 'many');
    const peer = await newGroup(ec2, 'peer');
    // a rule may name only a prefix list that exists for the account (test/sim/test/ec2-network.test.ts)
    const pl = (
      await ec2.send(
        new CreateManagedPrefixListCommand({ PrefixListName: 'many', MaxEntries: 2, AddressFamily: 'IPv4' }),
      )
    ).PrefixList!.PrefixListId!;
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }, { CidrIp: '10.0.0.0/8' }],
            Ipv6Ranges: [{ CidrIpv6: '::/0' }],
          },
          {
            IpProtocol: '6',
            FromPort: 443,
            ToPort: 443,
            PrefixListIds: [{ PrefixListId: pl }],
            UserIdGroupPairs: [{ GroupId: peer }],
          },
          { IpProtocol: '-1', UserIdGroupPairs: [{ UserId: '123456789012', GroupId: 'sg-0aaaaaaaaaaaaaaaa' }] },
        ],
      }),
    );
    expect(out.Return).toBe(true);
    const rules = out.SecurityGroupRules!;
    expect(rules).toHaveLength(6);
    expect(new Set(rules.map((r) => r.SecurityGroupRuleId)).size).toBe(6);
    expect(rules.every((r) => r.GroupId === groupId && r.GroupOwnerId === member && r.IsEgress === false)).toBe(true);
    expect(rules.map((r) => r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId)).toEqual([
      '0.0.0.0/0',
      '10.0.0.0/8',
      '::/0',
      pl,
      peer,
      'sg-0aaaaaaaaaaaaaaaa',
    ]);
    expect(rules[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Description: 'ssh' });
    expect(rules[3]).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(rules[4]!.ReferencedGroupInfo).toEqual({ GroupId: peer, UserId: member });
    expect(rules[5]).toMatchObject({
      IpProtocol: '-1',
      FromPort: -1,
      ToPort: -1,
      ReferencedGroupInfo: { GroupId: 'sg-0aaaaaaaaaaaaaaaa', UserId: '123456789012' },
    });

    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const ssh = SecurityGroups![0]!.IpPermissions!.find((p) => p.FromPort === 22)!;
    expect(ssh.IpRanges).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'ssh' }, { CidrIp: '10.0.0.0/8' }]);
    expect(ssh.Ipv6Ranges).toEqual([{ CidrIpv6: '::/0' }]);
    const all = SecurityGroups![0]!.IpPermissions!.find((p) => p.IpProtocol === '-1')!;
    expect(all.FromPort).toBeUndefined();
  });

  it('fails the whole call on a duplicate rule, adding nothing', async () => {
    const groupId = await newGroup(ec2, 'dups');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    emitted.length = 0;
    const err = await errorOf(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              IpRanges: [{ CidrIp: '10.1.0.0/16' }, { CidrIp: '0.0.0.0/0', Description: 'different text' }],
            },
          ],
        }),
      ),
    );
    expect(err.name).toBe('InvalidPermission.Duplicate');
    expect(err.message).toContain('already exists');
    expect(await rulesOf(ec2, groupId)).toHaveLength(2);
    expect(emitted).toHaveLength(0);
    // asking for the same rule twice in one call is a duplicate too
    const twice = await errorOf(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [
            {
              IpProtocol: 'udp',
              FromPort: 53,
              ToPort: 53,
              IpRanges: [{ CidrIp: '10.0.0.0/8' }, { CidrIp: '10.0.0.0/8' }],
            },
          ],
        }),
      ),
    );
    expect(twice.name).toBe('InvalidPermission.Duplicate');
  });

  it('accepts the legacy single-rule parameters and a group name in the default VPC', async () => {
    const groupId = await newGroup(ec2, 'legacy');
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupName: 'legacy',
        IpProtocol: 'tcp',
        FromPort: 3389,
        ToPort: 3389,
        CidrIp: '0.0.0.0/0',
      }),
    );
    expect(out.SecurityGroupRules).toHaveLength(1);
    expect(out.SecurityGroupRules![0]).toMatchObject({
      GroupId: groupId,
      IpProtocol: 'tcp',
      FromPort: 3389,
      CidrIpv4: '0.0.0.0/0',
    });
    const named = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, SourceSecurityGroupName: 'default' }),
    );
    expect(named.SecurityGroupRules!.map((r) => r.IpProtocol).sort()).toEqual(['icmp', 'tcp', 'udp']);
    const bad = await errorOf(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpProtocol: 'tcp',
          FromPort: 1,
          ToPort: 2,
          CidrIp: '300.0.0.0/8',
        }),
      ),
    );
    expect(bad.name).toBe('InvalidParameterValue');
    const nogroup = await errorOf(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupName: 'nope',
          IpProtocol: 'tcp',
          FromPort: 1,
          ToPort: 2,
          CidrIp: '1.0.0.0/8',
        }),
      ),
    );
    expect(nogroup.name).toBe('InvalidGroup.NotFound');
  });

  it('authorizes egress rules', async () => {
    const groupId = await newGroup(ec2, 'out');
    const out = await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '8.8.8.8/32' }] }],
      }),
    );
    expect(out.SecurityGroupRules![0]).toMatchObject({ IsEgress: true, IpProtocol: 'udp', CidrIpv4: '8.8.8.8/32' });
    const dup = await errorOf(
      ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      ),
    );
    expect(dup.name).toBe('InvalidPermission.Duplicate');
    expect(emitted.map((e) => e.record.eventName)).toEqual(['CreateSecurityGroup', 'AuthorizeSecurityGroupEgress']);
  });

  it('hands the closed loop a CloudTrail record with the caller, the request and the new rule ids', async () => {
    const groupId = await newGroup(ec2, 'trail');
    emitted.length = 0;
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    expect(emitted).toHaveLength(1);
    const { account, region, record } = emitted[0]!;
    expect([account, region]).toEqual([member, 'us-east-1']);
    expect(record).toMatchObject({
      eventVersion: '1.10',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: member,
      eventCategory: 'Management',
      requestID: out.$metadata.requestId,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${member}:assumed-role/OrganizationAccountAccessRole/alice`,
        accountId: member,
        accessKeyId: memberCreds.accessKeyId,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`,
            userName: 'OrganizationAccountAccessRole',
          },
        },
      },
      requestParameters: {
        groupId,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
              groups: {},
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      responseElements: {
        requestId: out.$metadata.requestId,
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              securityGroupRuleId: out.SecurityGroupRules![0]!.SecurityGroupRuleId,
              groupId,
              isEgress: false,
              cidrIpv4: '0.0.0.0/0',
            },
          ],
        },
      },
    });
    expect(record.userAgent).toMatch(/aws-sdk-js/);
    expect(record.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(record.userIdentity.principalId).toMatch(/^AROA[A-Z0-9]+:alice$/);
  });
});

describe('RevokeSecurityGroupIngress/Egress', () => {
  it('revokes by rule ids; an unknown id fails the call and revokes nothing', async () => {
    const groupId = await newGroup(ec2, 'rev-ids');
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }],
          },
        ],
      }),
    );
    const [a, b] = out.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!) as [string, string];
    const err = await errorOf(
      ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [a, 'sgr-0123456789abcdef0'] }),
      ),
    );
    expect(err.name).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(await rulesOf(ec2, groupId)).toHaveLength(3);
    // an egress rule's id is not an ingress rule
    const egressId = (await rulesOf(ec2, groupId)).find((r) => r.IsEgress)!.SecurityGroupRuleId!;
    expect(
      (
        await errorOf(
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [egressId] })),
        )
      ).name,
    ).toBe('InvalidSecurityGroupRuleId.NotFound');
    const ok = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [a] }));
    expect(ok.Return).toBe(true);
    expect(ok.RevokedSecurityGroupRules?.map((r) => r.SecurityGroupRuleId)).toEqual([a]);
    expect((await rulesOf(ec2, groupId)).map((r) => r.SecurityGroupRuleId).sort()).toEqual([b, egressId].sort());
    // revokes are not part of the loop (the group's creation is)
    expect(emitted.map((e) => e.record.eventName)).toEqual(['CreateSecurityGroup', 'AuthorizeSecurityGroupIngress']);
    await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: [egressId] }));
    expect((await rulesOf(ec2, groupId)).map((r) => r.SecurityGroupRuleId)).toEqual([b]);
  });

  it('revokes by permissions: matches are removed, the rest come back in UnknownIpPermissions with Return true', async () => {
    const groupId = await newGroup(ec2, 'rev-perms');
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }] },
        ],
      }),
    );
    const out = await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: '6',
            FromPort: 22,
            ToPort: 22,
            IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '192.0.2.0/24' }],
          },
        ],
      }),
    );
    expect(out.Return).toBe(true);
    expect(out.RevokedSecurityGroupRules).toHaveLength(1);
    expect(out.UnknownIpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 22,
        ToPort: 22,
        IpRanges: [{ CidrIp: '192.0.2.0/24' }],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      },
    ]);
    expect((await rulesOf(ec2, groupId)).filter((r) => !r.IsEgress)).toEqual([]);
    // a revoke whose ports differ matches nothing
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const miss = await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    expect(miss.Return).toBe(true);
    expect(miss.UnknownIpPermissions).toHaveLength(1);
    expect((await rulesOf(ec2, groupId)).filter((r) => !r.IsEgress)).toHaveLength(1);
  });
});

describe('ModifySecurityGroupRules and CreateTags', () => {
  it('modifies a rule in place, keeps its id, and hands the loop a PascalCase record', async () => {
    const groupId = await newGroup(ec2, 'modify');
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    emitted.length = 0;
    const mod = await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              CidrIpv4: '0.0.0.0/0',
              Description: 'opened',
            },
          },
        ],
      }),
    );
    expect(mod.Return).toBe(true);
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }),
    );
    expect(SecurityGroupRules![0]).toMatchObject({
      SecurityGroupRuleId: ruleId,
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: '0.0.0.0/0',
      Description: 'opened',
    });
    expect(emitted).toHaveLength(1);
    expect(emitted[0]!.record).toMatchObject({
      eventName: 'ModifySecurityGroupRules',
      requestParameters: {
        ModifySecurityGroupRulesRequest: {
          GroupId: groupId,
          SecurityGroupRule: {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              CidrIpv4: '0.0.0.0/0',
              Description: 'opened',
            },
          },
        },
      },
      responseElements: { ModifySecurityGroupRulesResponse: { requestId: mod.$metadata.requestId, return: true } },
    });
    const unknown = await errorOf(
      ec2.send(
        new ModifySecurityGroupRulesCommand({
          GroupId: groupId,
          SecurityGroupRules: [
            {
              SecurityGroupRuleId: 'sgr-0123456789abcdef0',
              SecurityGroupRule: { IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' },
            },
          ],
        }),
      ),
    );
    expect(unknown.name).toBe('InvalidSecurityGroupRuleId.NotFound');
  });

  it('tags groups and rules, and DescribeSecurityGroupRules filters by tag', async () => {
    const groupId = await newGroup(ec2, 'tagged');
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    await ec2.send(
      new CreateTagsCommand({ Resources: [groupId, ruleId], Tags: [{ Key: 'guardrail:exempt', Value: 'true' }] }),
    );
    const sg = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0]!;
    expect(sg.Tags).toEqual([{ Key: 'guardrail:exempt', Value: 'true' }]);
    const tagged = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'tag:guardrail:exempt', Values: ['true'] }] }),
    );
    expect(tagged.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId)).toEqual([ruleId]);
    const bad = await errorOf(
      ec2.send(new CreateTagsCommand({ Resources: ['sg-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })),
    );
    expect(bad.name).toBe('InvalidGroup.NotFound');
  });
});

describe('EC2 at the HTTP layer', () => {
  it('rejects a request without credentials with AuthFailure', async () => {
    const res = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeSecurityGroups&Version=2016-11-15',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('<Code>AuthFailure</Code>');
  });

  it('rejects expired credentials', async () => {
    const creds = await assumeInto(sim, other);
    sim.state.credentials.get(creds.accessKeyId)!.expiresAt = Date.now() - 1;
    const err = await errorOf(ec2As(creds).send(new DescribeSecurityGroupsCommand({})));
    expect(err.name).toBe('ExpiredToken');
  });
});

describe('throttling with --throttle-rate 0.3', () => {
  const THROTTLE_CODES = ['RequestLimitExceeded', 'TooManyRequestsException', 'Throttling'];

  interface CallsReport {
    total: number;
    throttled: number;
    calls: { service: string; count: number; throttled: number }[];
  }
  let throttledSeed = 0;

  /** 200 calls spread over EC2, Organizations and STS, all in flight together. */
  async function run200(extra: { maxAttempts?: number; retryStrategy?: GuardrailRetryStrategy }) {
    const throttled = await startTestSim({ accounts: 2, throttleRate: 0.3 });
    throttledSeed = throttled.state.seed;
    const cfg = { ...clientConfig(throttled), ...extra };
    const e = new EC2Client(cfg);
    const o = new OrganizationsClient(cfg);
    const s = new STSClient(cfg);
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          try {
            const out =
              i % 3 === 0
                ? await e.send(new DescribeRegionsCommand({}))
                : i % 3 === 1
                  ? await o.send(new ListRootsCommand({}))
                  : await s.send(new GetCallerIdentityCommand({}));
            return { ok: true, attempts: out.$metadata.attempts ?? 1, name: '' };
          } catch (err) {
            const meta = (err as { $metadata?: { attempts?: number } }).$metadata;
            return { ok: false, attempts: meta?.attempts ?? 1, name: (err as Error).name };
          }
        }),
      );
      const calls = (await (await fetch(`${throttled.endpoint}/_sim/calls`)).json()) as CallsReport;
      return { results, calls };
    } finally {
      e.destroy();
      o.destroy();
      s.destroy();
      await throttled.close();
    }
  }

  it("default SDK clients (3 attempts) retry each service's own throttling error; /_sim/calls counts every attempt", async () => {
    const { results, calls } = await run200({});
    const failures = results.filter((r) => !r.ok);
    // with 3 attempts a call fails when all three are throttled (0.3^3 = 2.7%, fresh draws): a few of 200 usually do.
    // More than 19 of 200 with probability 6.5e-7 (exact binomial tail, test/sim/test/stats.ts)
    for (const f of failures) {
      expect(THROTTLE_CODES).toContain(f.name);
      expect(f.attempts).toBe(3);
    }
    expect(failures.length).toBeLessThanOrEqual(maxOccurrences(200, 0.3 ** 3));
    const attempts = results.reduce((n, r) => n + r.attempts, 0);
    expect(calls.total).toBe(attempts);
    expect(calls.throttled).toBe(attempts - results.filter((r) => r.ok).length);
    expect(calls.throttled).toBe(seededThrottles(throttledSeed, 0.3, calls.total));
    expect(calls.throttled).toBeGreaterThanOrEqual(minThrottled(calls.total, 0.3));
    // each service gets at least 66 of the 200 calls; its first 66 all pass with probability 0.7^66 ≈ 6e-11
    expect(callsToSeeThrottling(0.3, 3)).toBeLessThanOrEqual(66);
    expect(new Set(calls.calls.filter((c) => c.throttled > 0).map((c) => c.service))).toEqual(
      new Set(['ec2', 'organizations', 'sts']),
    );
  });

  it("all 200 complete with 20 attempts (guardrail's retry policy, short backoff to keep the test fast)", async () => {
    // 20 attempts, not 10: a call fails when all its attempts are throttled, and with 10 one of 200 calls does about
    // once in 850 runs (200 × 0.3^10); with 20 it is 200 × 0.3^20 ≈ 7e-9 (maxCallsThrough allows 28,679 calls)
    const attempts = 20;
    expect(maxCallsThrough(0.3, attempts)).toBeGreaterThanOrEqual(200);
    const { results, calls } = await run200({
      retryStrategy: new GuardrailRetryStrategy({ throttlingAttempts: attempts, throttlingBaseMs: 10, capMs: 50 }),
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(calls.total).toBe(results.reduce((n, r) => n + r.attempts, 0));
    expect(calls.throttled).toBe(calls.total - 200);
    expect(calls.throttled).toBe(seededThrottles(throttledSeed, 0.3, calls.total));
    expect(calls.throttled).toBeGreaterThanOrEqual(minThrottled(calls.total, 0.3));
  });
});
