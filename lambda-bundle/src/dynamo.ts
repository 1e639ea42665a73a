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

/** The approval's rules; anything malformed is dropped (it then covers nothing). */
function rulesOf(raw: string): ApprovedRule[] {
  try {
    const list: unknown = JSON.parse(raw);
    return (Array.isArray(list) ? list : []).filter((r: ApprovedRule) => /^(in|e)gress$/.test(r?.direction)
      && Number.isInteger(r.fromPort) && Number.isInteger(r.toPort) && typeof r.protocol === 'string' && typeof r.source === 'string');
  } catch {
    return [];
  }
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
      // One page (1 MB) holds well over a thousand approvals of one group; a group with more has a bigger problem.
      const out = await client.send(new QueryCommand({
        TableName: tableArn, KeyConditionExpression: 'pk = :pk', ConsistentRead: true,
        ExpressionAttributeValues: { ':pk': { S: groupKey(account, region, groupId) } },
      }), timeout());
      return (out.Items ?? []).map(toApproval);
    },
    async get(account, region, groupId, id) {
      const out = await client.send(new GetItemCommand({
        TableName: tableArn, ConsistentRead: true, Key: { pk: { S: groupKey(account, region, groupId) }, id: { S: id } },
      }), timeout());
      return out.Item ? toApproval(out.Item) : undefined;
    },
  };
}
