// guardrail's own record of rule definitions: for every rule the function decided to keep (allowed, approved,
// monitored) or put back (restored), its definition as EC2 held it then, one item per rule (`guardrail baseline`
// writes the same items for the rules that were there before). It is the first place a modified rule's previous
// definition comes from. The table sits beside the approval store, in the store's account (templates/approvals.yaml,
// RuleTable): one partition per account, region and group (ACCOUNT/REGION/sg-…, the rule id as sort key), and its
// policy lets a function role read and write only partitions of its own account (dynamodb:LeadingKeys), so no
// member account can write a "previous definition" for another, and nobody in one but the function for its own.
// Items are read defensively: one that does not describe one readable rule of its key is no record, never a guess.
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { errorCode } from './revert.js';
import { accessOf } from './wider.js';
import type { RuleDefinition } from './types.js';

/** The partition of one group's records. */
export const recordsKey = (account: string, region: string, groupId: string): string =>
  `${account}/${region}/${groupId}`;

export const RECORDED_HOW = ['allowed', 'approved', 'monitored', 'restored', 'baseline'] as const;
export type RecordedHow = (typeof RECORDED_HOW)[number];

export interface RuleRecord {
  groupId: string;
  ruleId: string;
  isEgress: boolean;
  definition: RuleDefinition;
  /** epoch milliseconds: when EC2 was seen holding this definition (a record never replaces a later one) */
  seenAt: number;
  /** the decision that kept it, or `baseline` */
  how: RecordedHow;
  /** the event that was decided (baseline: none) */
  eventId?: string;
}

export interface RecordsPort {
  get(groupId: string, ruleId: string): Promise<RuleRecord | undefined>;
  /** Writes each record unless the table holds one seen later. */
  put(records: RuleRecord[]): Promise<void>;
}

type Item = Record<string, AttributeValue>;

/** The item's text fields and the definition's fields they hold. */
const FIELDS = [
  ['cidr4', 'cidrIpv4'],
  ['cidr6', 'cidrIpv6'],
  ['prefixList', 'prefixListId'],
  ['refGroup', 'referencedGroupId'],
  ['refUser', 'referencedUserId'],
  ['description', 'description'],
] as const;

export function toItem(r: RuleRecord, account: string, region: string): Item {
  const d = r.definition;
  const item: Item = {
    pk: { S: recordsKey(account, region, r.groupId) },
    id: { S: r.ruleId },
    egress: { BOOL: r.isEgress },
    protocol: { S: d.ipProtocol },
    seenAt: { N: String(r.seenAt) },
    how: { S: r.how },
  };
  if (d.fromPort !== undefined) item.from = { N: String(d.fromPort) };
  if (d.toPort !== undefined) item.to = { N: String(d.toPort) };
  for (const [attr, field] of FIELDS) if (d[field] !== undefined) item[attr] = { S: d[field] };
  if (r.eventId) item.eventId = { S: r.eventId };
  return item;
}

const num = (v: AttributeValue | undefined): number | undefined => {
  const n = v?.N === undefined ? NaN : Number(v.N);
  return Number.isInteger(n) ? n : undefined;
};

/**
 * The record an item holds, or undefined when it is not one readable rule of this group (of this account and region).
 */
export function fromItem(item: Item, key: string, groupId: string, ruleId: string): RuleRecord | undefined {
  if (item.pk?.S !== key || item.id?.S !== ruleId || typeof item.egress?.BOOL !== 'boolean' || !item.protocol?.S)
    return undefined;
  const definition: RuleDefinition = { ipProtocol: item.protocol.S };
  const from = num(item.from);
  const to = num(item.to);
  if (from !== undefined) definition.fromPort = from;
  if (to !== undefined) definition.toPort = to;
  for (const [attr, field] of FIELDS) {
    const v = item[attr]?.S;
    if (v !== undefined) definition[field] = v.slice(0, 255);
  }
  const how = RECORDED_HOW.find((h) => h === item.how?.S);
  const seenAt = num(item.seenAt);
  if (!accessOf(definition) || !how || seenAt === undefined) return undefined;
  return {
    groupId,
    ruleId,
    isEgress: item.egress.BOOL,
    definition,
    seenAt,
    how,
    ...(item.eventId?.S ? { eventId: item.eventId.S.slice(0, 128) } : {}),
  };
}

/**
 * Writes the records of what the function kept or restored. Never throws: the decision has been acted on, and a
 * retry would act again. Returns the note for the decision's reason when the table could not be written.
 */
export async function remember(records: RecordsPort, list: RuleRecord[]): Promise<string | undefined> {
  try {
    await records.put(list);
    return undefined;
  } catch (err) {
    return `not recorded (${errorCode(err)})`;
  }
}

/** Abandons a read or write that takes longer than this: the decision then goes on without it. */
const TIMEOUT_MS = 3000;

/** The records of this account and region in the table named by ARN (in the store's account and region). */
export function dynamoRecords(tableArn: string, tableRegion: string, account: string, region: string): RecordsPort {
  // two attempts: one retry rides out a blip; a store that cannot be read leaves the previous definition to AWS Config
  const client = new DynamoDBClient({ region: tableRegion, maxAttempts: 2 });
  const timeout = () => ({ abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
  return {
    async get(groupId, ruleId) {
      const key = recordsKey(account, region, groupId);
      const out = await client.send(
        new GetItemCommand({ TableName: tableArn, ConsistentRead: true, Key: { pk: { S: key }, id: { S: ruleId } } }),
        timeout(),
      );
      return out.Item ? fromItem(out.Item, key, groupId, ruleId) : undefined;
    },
    async put(records) {
      await Promise.all(
        records.map(async (r) => {
          try {
            await client.send(
              new PutItemCommand({
                TableName: tableArn,
                Item: toItem(r, account, region),
                // a record of what EC2 held later stays: decisions of one rule may finish out of order
                ConditionExpression: 'attribute_not_exists(seenAt) OR seenAt <= :t',
                ExpressionAttributeValues: { ':t': { N: String(r.seenAt) } },
              }),
              timeout(),
            );
          } catch (err) {
            if (errorCode(err) !== 'ConditionalCheckFailedException') throw err;
          }
        }),
      );
    },
  };
}
