import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  authorizeRequestParameters,
  authorizeResponseElements,
  buildRecord,
  groupVpcRequestParameters,
  groupVpcResponseElements,
  modifyInstanceRequestParameters,
  modifyInterfaceRequestParameters,
  modifyPrefixListRequestParameters,
  modifyRequestParameters,
  modifyResponseElements,
  prefixListResponseElements,
  restorePrefixListRequestParameters,
  returnResponseElements,
  userIdentity,
  type PrefixListElement,
} from '../services/ec2-cloudtrail.js';
import type { Caller } from '../types.js';
import type { SecurityGroupRule } from '../state.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/cloudtrail');
/** The parts of a recorded CloudTrail record these tests read. */
interface TrailRecord {
  userIdentity: Record<string, unknown>;
  requestParameters: { ipPermissions: { items: { groups: { items: { description: string }[] } }[] } };
  responseElements: { requestId: string; securityGroupRuleSet: { items: { description: string }[] } };
}
const fixture = <T>(name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as T;

const record2024 = fixture<TrailRecord>('authorize-ingress.2024.record.json');
const event2022 = fixture<{ detail: TrailRecord }>('authorize-ingress.2022-group-ref-by-cloudformation.event.json');

const roleCaller: Caller = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE12',
  accountId: '222222222222',
  assumedRole: true,
  arn: 'arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/alice',
  roleArn: 'arn:aws:iam::222222222222:role/OrganizationAccountAccessRole',
  roleName: 'OrganizationAccountAccessRole',
  sessionName: 'alice',
  userId: 'AROAEXAMPLE:alice',
};
const rootCaller: Caller = {
  accessKeyId: 'AKIDMGMT',
  accountId: '111111111111',
  assumedRole: false,
  arn: 'arn:aws:iam::111111111111:root',
  userId: '111111111111',
};

/** The structure of a JSON value: keys and value types, recursively (lists by their first item). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, shape(x)]),
    );
  return typeof v;
}

describe('EC2 CloudTrail records', () => {
  it('writes requestParameters for AuthorizeSecurityGroupIngress exactly as the 2024 record does', () => {
    // the same request the fixture recorded, as the EC2 Query protocol decodes it (numbers arrive as strings)
    const input = {
      GroupId: 'sg-0f63fecfa17ef4fee',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: '22', ToPort: '22', IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
    };
    expect(authorizeRequestParameters(input)).toEqual(record2024.requestParameters);
  });

  it('writes responseElements with the rule ids exactly as the 2024 record does', () => {
    const rule: SecurityGroupRule = {
      ruleId: 'sgr-027eb7c59241731e0',
      groupId: 'sg-0f63fecfa17ef4fee',
      groupOwnerId: '000000000',
      isEgress: false,
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIpv4: '203.0.113.0/24',
      tags: {},
    };
    const requestId = record2024.responseElements.requestId;
    expect(authorizeResponseElements(requestId, [rule], 'us-east-1')).toEqual(record2024.responseElements);
  });

  it('writes a group reference as the 2022 event does, in request and response', () => {
    const detail = event2022.detail;
    const input = {
      GroupId: 'sg-01f414f5313452cd1',
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: '1521',
          ToPort: '1521',
          Groups: [
            {
              GroupId: 'sg-000537769a1c2d858',
              Description: detail.requestParameters.ipPermissions.items[0]!.groups.items[0]!.description,
            },
          ],
        },
      ],
    };
    expect(authorizeRequestParameters(input)).toEqual(detail.requestParameters);
    const rule: SecurityGroupRule = {
      ruleId: 'sgr-02e2ca7d55820dc26',
      groupId: 'sg-01f414f5313452cd1',
      groupOwnerId: '770203350335',
      isEgress: false,
      ipProtocol: 'tcp',
      fromPort: 1521,
      toPort: 1521,
      referencedGroup: { groupId: 'sg-000537769a1c2d858', userId: '770203350335' },
      description: detail.responseElements.securityGroupRuleSet.items[0]!.description,
      tags: {},
    };
    const out = authorizeResponseElements(detail.responseElements.requestId, [rule], 'us-east-1');
    // today's records add the rule ARN; everything the 2022 record carried is the same
    const item = (out.securityGroupRuleSet as { items: Record<string, unknown>[] }).items[0]!;
    expect(item.securityGroupRuleArn).toBe(
      'arn:aws:ec2:us-east-1:770203350335:security-group-rule/sgr-02e2ca7d55820dc26',
    );
    delete item.securityGroupRuleArn;
    expect(out).toEqual(detail.responseElements);
  });

  it('records empty collections as {} and the legacy single-rule parameters in camelCase', () => {
    expect(
      authorizeRequestParameters({
        GroupName: 'web',
        IpProtocol: 'tcp',
        FromPort: '443',
        ToPort: '443',
        CidrIp: '0.0.0.0/0',
      }),
    ).toEqual({
      groupName: 'web',
      ipPermissions: {},
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIp: '0.0.0.0/0',
    });
    const all = authorizeRequestParameters({
      GroupId: 'sg-1',
      IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
    });
    expect(all).toEqual({
      groupId: 'sg-1',
      ipPermissions: {
        items: [
          {
            ipProtocol: '-1',
            groups: {},
            ipRanges: {},
            ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] },
            prefixListIds: {},
          },
        ],
      },
    });
  });

  it("builds a whole record with the 2024 record's fields and types", () => {
    const call = {
      caller: rootCaller,
      accountId: '111111111111',
      region: 'us-east-1',
      requestId: 'req-1',
      eventId: 'evt-1',
      userAgent: 'aws-sdk-js/3',
      eventTime: new Date('2026-01-02T03:04:05.678Z'),
    };
    const record = buildRecord(
      call,
      'AuthorizeSecurityGroupIngress',
      authorizeRequestParameters({ GroupId: 'sg-1' }),
      authorizeResponseElements('req-1', [], 'us-east-1'),
    );
    const {
      userIdentity: _a,
      requestParameters: _b,
      responseElements: _c,
      ...fixtureTop
    } = shape(record2024) as Record<string, unknown>;
    const {
      userIdentity: _d,
      requestParameters: _e,
      responseElements: _f,
      ...ourTop
    } = shape(record) as Record<string, unknown>;
    // every top-level field of the real record, with the same type; plus managementEvent as in the 2022 event
    expect(ourTop).toEqual({ ...fixtureTop, managementEvent: 'boolean' });
    expect(record).toMatchObject({
      eventVersion: '1.10',
      eventTime: '2026-01-02T03:04:05Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js/3',
      requestID: 'req-1',
      eventID: 'evt-1',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: '111111111111',
      eventCategory: 'Management',
    });
    expect(record.userIdentity).toEqual({
      type: 'Root',
      principalId: '111111111111',
      arn: 'arn:aws:iam::111111111111:root',
      accountId: '111111111111',
      accessKeyId: 'AKIDMGMT',
    });
  });

  it("writes an assumed role's userIdentity with the 2022 event's structure", () => {
    const issuedAt = Date.parse('2026-01-02T03:00:00.000Z');
    const ui = userIdentity(roleCaller, {
      accessKeyId: roleCaller.accessKeyId,
      secretAccessKey: 's',
      sessionToken: 't',
      accountId: '222222222222',
      roleName: 'OrganizationAccountAccessRole',
      roleArn: roleCaller.roleArn!,
      sessionName: 'alice',
      expiresAt: issuedAt + 3600_000,
      issuedAt,
      chained: false,
    });
    const { invokedBy: _ignored, ...real } = event2022.detail.userIdentity;
    expect(shape(ui)).toEqual(shape({ ...real, accessKeyId: 'x' }));
    expect(ui).toMatchObject({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:alice',
      arn: roleCaller.arn,
      accountId: '222222222222',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: roleCaller.roleArn,
          accountId: '222222222222',
          userName: 'OrganizationAccountAccessRole',
        },
        attributes: { creationDate: '2026-01-02T03:00:00Z', mfaAuthenticated: 'false' },
      },
    });
    const issuer = (ui.sessionContext as { sessionIssuer: { principalId: string } }).sessionIssuer;
    expect(issuer.principalId).toMatch(/^AROA/);
  });

  it('writes ModifySecurityGroupRules in PascalCase under ModifySecurityGroupRulesRequest', () => {
    const input = {
      GroupId: 'sg-1',
      SecurityGroupRule: [
        {
          SecurityGroupRuleId: 'sgr-1',
          SecurityGroupRule: {
            IpProtocol: 'tcp',
            FromPort: '22',
            ToPort: '22',
            CidrIpv4: '0.0.0.0/0',
            Description: 'x',
          },
        },
      ],
    };
    expect(modifyRequestParameters(input)).toEqual({
      ModifySecurityGroupRulesRequest: {
        GroupId: 'sg-1',
        // one update is an object, with CloudTrail's positional tag
        SecurityGroupRule: {
          SecurityGroupRuleId: 'sgr-1',
          tag: 1,
          SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0', Description: 'x' },
        },
      },
    });
    const two = modifyRequestParameters({
      GroupId: 'sg-1',
      SecurityGroupRule: [
        input.SecurityGroupRule[0],
        { SecurityGroupRuleId: 'sgr-2', SecurityGroupRule: { IpProtocol: '-1', CidrIpv6: '::/0' } },
      ],
    });
    // several are a list, numbered in the request's order
    expect(
      (
        two.ModifySecurityGroupRulesRequest as { SecurityGroupRule: { SecurityGroupRuleId: string; tag: number }[] }
      ).SecurityGroupRule.map((u) => [u.SecurityGroupRuleId, u.tag]),
    ).toEqual([
      ['sgr-1', 1],
      ['sgr-2', 2],
    ]);
    expect(modifyResponseElements('req-9')).toEqual({
      ModifySecurityGroupRulesResponse: { requestId: 'req-9', return: true },
    });
  });
});

// The records of issue N's calls (test/fixtures/cloudtrail-n/): each builder, given the request as the EC2 Query
// protocol decodes it (numbers arrive as strings), writes exactly the fixture's requestParameters and responseElements.
describe('EC2 CloudTrail records of the calls that widen access without a rule (cloudtrail-n)', () => {
  const N = path.resolve(import.meta.dirname, '../../fixtures/cloudtrail-n');
  interface NEvent {
    detail: { requestParameters: Record<string, unknown>; responseElements: Record<string, Record<string, unknown>> };
  }
  const event = (name: string) => (JSON.parse(readFileSync(path.join(N, name), 'utf8')) as NEvent).detail;
  const pl = 'pl-0a1b2c3d4e5f60718';
  const list = (state: string, version: number): PrefixListElement => ({
    prefixListId: pl,
    addressFamily: 'IPv4',
    state,
    prefixListArn: `arn:aws:ec2:us-east-1:111122223333:prefix-list/${pl}`,
    prefixListName: 'office-cidrs',
    maxEntries: 10,
    version,
    ownerId: '111122223333',
  });
  const requestIdOf = (d: NEvent['detail']) => Object.values(d.responseElements)[0]!.requestId as string;

  it.each([
    [
      'modify-managed-prefix-list.add.event.json',
      { PrefixListId: pl, CurrentVersion: '1', AddEntry: [{ Cidr: '0.0.0.0/0', Description: 'temporary' }] },
      1,
    ],
    [
      'modify-managed-prefix-list.add-two.event.json',
      {
        PrefixListId: pl,
        CurrentVersion: '2',
        AddEntry: [{ Cidr: '203.0.113.0/24', Description: 'branch office' }, { Cidr: '198.51.100.0/24' }],
      },
      2,
    ],
    [
      'modify-managed-prefix-list.remove.event.json',
      { PrefixListId: pl, CurrentVersion: '3', RemoveEntry: [{ Cidr: '198.51.100.0/24' }] },
      3,
    ],
  ])('writes %s', (name, input, version) => {
    const d = event(name);
    expect(modifyPrefixListRequestParameters(input)).toEqual(d.requestParameters);
    expect(
      prefixListResponseElements('ModifyManagedPrefixList', requestIdOf(d), list('modify-in-progress', version)),
    ).toEqual(d.responseElements);
  });

  it('writes RestoreManagedPrefixListVersion', () => {
    const d = event('restore-managed-prefix-list-version.event.json');
    expect(restorePrefixListRequestParameters({ PrefixListId: pl, PreviousVersion: '1', CurrentVersion: '4' })).toEqual(
      d.requestParameters,
    );
    expect(
      prefixListResponseElements('RestoreManagedPrefixListVersion', requestIdOf(d), list('restore-in-progress', 4)),
    ).toEqual(d.responseElements);
  });

  it.each([
    ['associate-security-group-vpc.event.json', 'AssociateSecurityGroupVpc', 'associating'],
    ['disassociate-security-group-vpc.event.json', 'DisassociateSecurityGroupVpc', 'disassociating'],
  ])('writes %s', (name, action, state) => {
    const d = event(name);
    expect(
      groupVpcRequestParameters(action, { GroupId: 'sg-0f1e2d3c4b5a69788', VpcId: 'vpc-0123456789abcdef0' }),
    ).toEqual(d.requestParameters);
    expect(
      groupVpcResponseElements(action, requestIdOf({ ...d, responseElements: d.responseElements }), state),
    ).toEqual(d.responseElements);
  });

  it.each([
    [
      'modify-network-interface-attribute.groups.event.json',
      modifyInterfaceRequestParameters,
      {
        NetworkInterfaceId: 'eni-0a9b8c7d6e5f40312',
        SecurityGroupId: ['sg-0f1e2d3c4b5a69788', 'sg-01234abcd5678ef90'],
      },
    ],
    [
      'modify-instance-attribute.groups.event.json',
      modifyInstanceRequestParameters,
      { InstanceId: 'i-0123456789abcdef0', GroupId: ['sg-0f1e2d3c4b5a69788'] },
    ],
    [
      'modify-instance-attribute.instance-type.event.json',
      modifyInstanceRequestParameters,
      { InstanceId: 'i-0123456789abcdef0', InstanceType: { Value: 't3.large' } },
    ],
    [
      'modify-instance-attribute.attribute-value.event.json',
      modifyInstanceRequestParameters,
      { InstanceId: 'i-0123456789abcdef0', Attribute: 'disableApiTermination', Value: 'true' },
    ],
  ] as const)('writes %s', (name, build, input) => {
    const d = event(name);
    expect(build(input)).toEqual(d.requestParameters);
    expect(returnResponseElements(d.responseElements.requestId as unknown as string)).toEqual(d.responseElements);
  });

  it('writes the other attributes as CloudTrail does: booleans and strings under value, user data redacted', () => {
    expect(
      modifyInterfaceRequestParameters({ NetworkInterfaceId: 'eni-1', SourceDestCheck: { Value: 'false' } }),
    ).toEqual({ networkInterfaceId: 'eni-1', sourceDestCheck: { value: false } });
    expect(modifyInstanceRequestParameters({ InstanceId: 'i-1', DisableApiTermination: { Value: 'false' } })).toEqual({
      instanceId: 'i-1',
      disableApiTermination: { value: false },
    });
    expect(modifyInstanceRequestParameters({ InstanceId: 'i-1', UserData: { Value: 'IyEvYmluL3NoCg==' } })).toEqual({
      instanceId: 'i-1',
      userData: '<sensitiveDataRemoved>',
    });
  });
});
