// The approval store: one DynamoDB item per approval, partitioned by security group, so the revert function reads
// a group's approvals with one Query (lambda-bundle/src/dynamo.ts reads the same shape).
//   pk = ACCOUNT/REGION/GROUP, id = apr-…, rules = JSON list of ApprovalRule, expiresAt = epoch seconds,
//   ttl = expiresAt + 30 days (DynamoDB deletes the item after that; until then `approvals --all` lists it),
//   revokedAt/revokedBy/revokeReason once revoked.
import {
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ApprovalRule } from './rule.js';

type Item = Record<string, AttributeValue>;

export const LISTABLE_AFTER_EXPIRY_SECONDS = 30 * 86_400;

export interface Approval {
  id: string;
  account: string;
  region: string;
  groupId: string;
  rules: ApprovalRule[];
  reason: string;
  approver: string;
  createdAt: string;
  /** ISO time */
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
}

export type ApprovalState = 'active' | 'expired' | 'revoked';

export function stateOf(a: Approval, nowMs: number): ApprovalState {
  if (a.revokedAt) return 'revoked';
  return Date.parse(a.expiresAt) > nowMs ? 'active' : 'expired';
}

export const groupKey = (account: string, region: string, groupId: string): string => `${account}/${region}/${groupId}`;

function toItem(a: Approval): Item {
  const expires = Math.floor(Date.parse(a.expiresAt) / 1000);
  return {
    pk: { S: groupKey(a.account, a.region, a.groupId) },
    id: { S: a.id },
    account: { S: a.account },
    region: { S: a.region },
    groupId: { S: a.groupId },
    rules: { S: JSON.stringify(a.rules) },
    reason: { S: a.reason },
    approver: { S: a.approver },
    createdAt: { S: a.createdAt },
    expiresAt: { N: String(expires) },
    ttl: { N: String(expires + LISTABLE_AFTER_EXPIRY_SECONDS) },
  };
}

function fromItem(item: Item): Approval {
  const s = (k: string) => item[k]?.S ?? '';
  let rules: ApprovalRule[] = [];
  try {
    rules = JSON.parse(s('rules')) as ApprovalRule[];
  } catch {
    /* shown as no rules: the function ignores it too */
  }
  return {
    id: s('id'),
    account: s('account'),
    region: s('region'),
    groupId: s('groupId'),
    rules,
    reason: s('reason'),
    approver: s('approver'),
    createdAt: s('createdAt'),
    expiresAt: new Date(Number(item.expiresAt?.N ?? 0) * 1000).toISOString(),
    revokedAt: item.revokedAt?.S ?? null,
    revokedBy: item.revokedBy?.S ?? null,
    revokeReason: item.revokeReason?.S ?? null,
  };
}

export class ApprovalStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async put(a: Approval): Promise<void> {
    // a new id never overwrites an existing approval
    await this.client.send(
      new PutItemCommand({ TableName: this.table, Item: toItem(a), ConditionExpression: 'attribute_not_exists(id)' }),
    );
  }

  /** Every approval in the store (a Scan: the table holds at most a month of lapsed approvals besides the active). */
  async all(): Promise<Approval[]> {
    const out: Approval[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.table, ExclusiveStartKey, ConsistentRead: true }),
      );
      out.push(...(page.Items ?? []).map(fromItem));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out.sort((x, y) => x.createdAt.localeCompare(y.createdAt) || x.id.localeCompare(y.id));
  }

  /** Marks it revoked; false when it was revoked already (someone else got there first). */
  async revoke(a: Approval, by: string, reason: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: groupKey(a.account, a.region, a.groupId) }, id: { S: a.id } },
          UpdateExpression: 'SET revokedAt = :at, revokedBy = :by, revokeReason = :why',
          ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':at': { S: at }, ':by': { S: by }, ':why': { S: reason } },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
