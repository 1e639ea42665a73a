// The contract between `guardrail baseline` (src/stack/rule-records.ts) and the revert function
// (lambda-bundle/src/rule-records.ts): what the baseline writes is a record the function reads back, definition and
// all; and what it cannot key or restore by is not written.
import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { fromItem, recordsKey as functionKey } from '../../lambda-bundle/src/rule-records.js';
import { baselineItem, isOpenToTheWorld, recordsKey } from '../../src/stack/rule-records.js';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const AT = 1_765_000_000_000;

const rule = (over: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  SecurityGroupRuleId: 'sgr-0a1',
  GroupId: 'sg-0db',
  GroupOwnerId: ACCOUNT,
  IsEgress: false,
  IpProtocol: 'tcp',
  FromPort: 5432,
  ToPort: 5432,
  CidrIpv4: '10.0.0.0/16',
  Description: 'orders app',
  ...over,
});

describe('a baseline record is what the function reads', () => {
  it('keys the same partition and rule', () => {
    expect(recordsKey(ACCOUNT, REGION, 'sg-0db')).toBe(functionKey(ACCOUNT, REGION, 'sg-0db'));
  });

  it.each([
    ['an IPv4 source with a description', rule({})],
    [
      'an IPv6 source, egress',
      rule({ IsEgress: true, CidrIpv4: undefined, CidrIpv6: '2001:db8::/32', Description: undefined }),
    ],
    ['a prefix list', rule({ CidrIpv4: undefined, PrefixListId: 'pl-0abc' })],
    [
      'a referenced group of another account',
      rule({ CidrIpv4: undefined, ReferencedGroupInfo: { GroupId: 'sg-0app', UserId: '444455556666' } }),
    ],
    ['all traffic (EC2 reports ports -1)', rule({ IpProtocol: '-1', FromPort: -1, ToPort: -1 })],
    ['ICMP type 8 any code', rule({ IpProtocol: 'icmp', FromPort: 8, ToPort: -1 })],
  ])('%s', (_what, r) => {
    const item = baselineItem(r, ACCOUNT, REGION, AT)!;
    const back = fromItem(item, recordsKey(ACCOUNT, REGION, r.GroupId!), r.GroupId!, r.SecurityGroupRuleId!);
    expect(back).toEqual({
      groupId: r.GroupId,
      ruleId: r.SecurityGroupRuleId,
      isEgress: r.IsEgress,
      seenAt: AT,
      how: 'baseline',
      definition: Object.fromEntries(
        Object.entries({
          ipProtocol: r.IpProtocol,
          fromPort: r.FromPort,
          toPort: r.ToPort,
          cidrIpv4: r.CidrIpv4,
          cidrIpv6: r.CidrIpv6,
          prefixListId: r.PrefixListId,
          referencedGroupId: r.ReferencedGroupInfo?.GroupId,
          referencedUserId: r.ReferencedGroupInfo?.UserId,
          description: r.Description,
        }).filter(([, v]) => v !== undefined),
      ),
    });
  });

  it('a record read under another account, region or group is no record (the partition is the proof)', () => {
    const item = baselineItem(rule({}), ACCOUNT, REGION, AT)!;
    expect(fromItem(item, recordsKey('999988887777', REGION, 'sg-0db'), 'sg-0db', 'sgr-0a1')).toBeUndefined();
    expect(fromItem(item, recordsKey(ACCOUNT, 'us-east-1', 'sg-0db'), 'sg-0db', 'sgr-0a1')).toBeUndefined();
    expect(fromItem(item, recordsKey(ACCOUNT, REGION, 'sg-0db'), 'sg-0db', 'sgr-0other')).toBeUndefined();
  });

  it('writes nothing for a rule without an id, a group or a protocol', () => {
    expect(baselineItem(rule({ SecurityGroupRuleId: undefined }), ACCOUNT, REGION, AT)).toBeUndefined();
    expect(baselineItem(rule({ GroupId: undefined }), ACCOUNT, REGION, AT)).toBeUndefined();
    expect(baselineItem(rule({ IpProtocol: undefined }), ACCOUNT, REGION, AT)).toBeUndefined();
  });

  it('counts a rule open to the world, IPv4 or IPv6', () => {
    expect(isOpenToTheWorld(rule({ CidrIpv4: '0.0.0.0/0' }))).toBe(true);
    expect(isOpenToTheWorld(rule({ CidrIpv4: undefined, CidrIpv6: '::/0' }))).toBe(true);
    expect(isOpenToTheWorld(rule({}))).toBe(false);
  });
});
