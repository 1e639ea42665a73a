// guardrail's record of rule definitions, as `guardrail baseline` writes it: one item per rule in the store stack's
// TABLE-rules, in the exact format the revert function reads (lambda-bundle/src/rule-records.ts: `toItem`/`fromItem`;
// test/approvals/baseline-records.test.ts checks the function reads back what this writes). The function records the
// rules it decides about; the baseline records the rules that were there before, so a later modification of one of
// them can be put back to what it was.
import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import type { AttributeValue as DynamoValue } from '@aws-sdk/client-dynamodb';

/** The partition of one group's records: ACCOUNT/REGION/GROUP (the function may touch only its own account's). */
export const recordsKey = (account: string, region: string, groupId: string): string =>
  `${account}/${region}/${groupId}`;

type Item = Record<string, DynamoValue>;

/** A rule's definition fields as DescribeSecurityGroupRules gives them, and the item attribute that holds each. */
const TEXT_FIELDS: readonly [string, (r: SecurityGroupRule) => string | undefined][] = [
  ['cidr4', (r) => r.CidrIpv4],
  ['cidr6', (r) => r.CidrIpv6],
  ['prefixList', (r) => r.PrefixListId],
  ['refGroup', (r) => r.ReferencedGroupInfo?.GroupId],
  ['refUser', (r) => r.ReferencedGroupInfo?.UserId],
  ['description', (r) => r.Description],
];

/** The sources open to everyone: a rule with one is recorded as it is, and counted so the operator sees it. */
export const isOpenToTheWorld = (r: SecurityGroupRule): boolean => r.CidrIpv4 === '0.0.0.0/0' || r.CidrIpv6 === '::/0';

/**
 * The baseline item of one rule as EC2 holds it now (`seenAt`: the service's time, epoch ms), or undefined for a
 * rule EC2 described without an id, group or protocol (nothing to key or restore it by).
 */
export function baselineItem(r: SecurityGroupRule, account: string, region: string, seenAt: number): Item | undefined {
  if (!r.SecurityGroupRuleId || !r.GroupId || !r.IpProtocol) return undefined;
  const item: Item = {
    pk: { S: recordsKey(account, region, r.GroupId) },
    id: { S: r.SecurityGroupRuleId },
    egress: { BOOL: r.IsEgress === true },
    protocol: { S: r.IpProtocol },
    seenAt: { N: String(seenAt) },
    how: { S: 'baseline' },
  };
  // EC2 reports -1 for the ports of protocol -1 (all traffic); the function's records keep what EC2 reports
  if (r.FromPort !== undefined) item.from = { N: String(r.FromPort) };
  if (r.ToPort !== undefined) item.to = { N: String(r.ToPort) };
  for (const [attr, field] of TEXT_FIELDS) {
    const v = field(r);
    if (v !== undefined) item[attr] = { S: v };
  }
  return item;
}

/** PutItem's condition: a record of what EC2 held later (the function's, or a later baseline's) is never replaced. */
export const KEEP_LATER = {
  ConditionExpression: 'attribute_not_exists(seenAt) OR seenAt <= :t',
  values: (seenAt: number): Record<string, DynamoValue> => ({ ':t': { N: String(seenAt) } }),
};
