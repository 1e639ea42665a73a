// The approval store, read with DynamoDB's low-level API: one Query per group (the function), one GetItem per
// tagged rule (the sweep). The table may live in another account: it is named by ARN, and its resource policy
// grants this function's role dynamodb:Query and dynamodb:GetItem. Items are read defensively: a malformed rule
// is dropped (it then covers nothing), never guessed.
import { DynamoDBClient, GetItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ApprovedRule } from './contain.js';
import type { Approval, ApprovalsPort } from './approvals.js';

type Item = Record<string, AttributeValue>;

/** The store's partition key: one partition per security group. */
export const groupKey = (account: string, region: string, groupId: string): string => `${account}/${region}/${groupId}`;

const text = (item: Item, k: string): string => item[k]?.S ?? '';

function rulesOf(raw: string): ApprovedRule[] {
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter((r): r is ApprovedRule => typeof r === 'object' && r !== null
    && (r.direction === 'ingress' || r.direction === 'egress') && typeof r.protocol === 'string'
    && Number.isInteger(r.fromPort) && Number.isInteger(r.toPort) && typeof r.source === 'string');
}

export function toApproval(item: Item): Approval {
  return {
    id: text(item, 'id'), groupId: text(item, 'groupId'), approver: text(item, 'approver'),
    expiresAt: Number(item.expiresAt?.N ?? 0) || 0, revoked: item.revokedAt?.S !== undefined, rules: rulesOf(text(item, 'rules')),
  };
}

/** Abandons a lookup that takes longer than this: onLookupError then decides. */
const LOOKUP_TIMEOUT_MS = 3000;

export function dynamoPort(tableArn: string, region: string): ApprovalsPort {
  // two attempts: one retry rides out a blip; a throttled or slow store is the onLookupError case, not a wait
  const client = new DynamoDBClient({ region, maxAttempts: 2 });
  const timeout = () => ({ abortSignal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
  return {
    async forGroup(account, region, groupId) {
      const items: Item[] = [];
      let ExclusiveStartKey: Item | undefined;
      do {
        const out = await client.send(new QueryCommand({
          TableName: tableArn, KeyConditionExpression: 'pk = :pk', ConsistentRead: true,
          ExpressionAttributeValues: { ':pk': { S: groupKey(account, region, groupId) } }, ExclusiveStartKey,
        }), timeout());
        items.push(...(out.Items ?? []));
        ExclusiveStartKey = out.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items.map(toApproval);
    },
    async get(account, region, groupId, id) {
      const out = await client.send(new GetItemCommand({
        TableName: tableArn, ConsistentRead: true, Key: { pk: { S: groupKey(account, region, groupId) }, id: { S: id } },
      }), timeout());
      return out.Item ? toApproval(out.Item) : undefined;
    },
  };
}
