// The approval store, read with DynamoDB's low-level API: one Query per group (the function), one GetItem per
// tagged rule (the sweep). The table may live in another account: it is named by ARN, and its resource policy
// grants this function's role dynamodb:Query and dynamodb:GetItem. Items are read defensively: a malformed rule
// is dropped (it then covers nothing), never guessed.
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { ApprovedRule } from './contain.js';
import type { Approval, ApprovalsPort, KeptRule } from './approvals.js';

type Item = Record<string, AttributeValue>;

/** The store's partition key: one partition per security group. */
export const groupKey = (account: string, region: string, groupId: string): string => `${account}/${region}/${groupId}`;

const text = (item: Item, k: string): string => item[k]?.S ?? '';

function isApprovedRule(r: unknown): r is ApprovedRule {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return (
    (o.direction === 'ingress' || o.direction === 'egress') &&
    Number.isInteger(o.fromPort) &&
    Number.isInteger(o.toPort) &&
    typeof o.protocol === 'string' &&
    typeof o.source === 'string'
  );
}

/** The approval's rules; anything malformed is dropped (it then covers nothing). */
function rulesOf(raw: string): ApprovedRule[] {
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) ? list.filter(isApprovedRule) : [];
  } catch {
    return [];
  }
}

export function toApproval(item: Item): Approval {
  return {
    id: text(item, 'id'),
    groupId: text(item, 'groupId'),
    approver: text(item, 'approver'),
    expiresAt: Number(item.expiresAt?.N ?? 0) || 0,
    revoked: item.revokedAt?.S !== undefined,
    rules: rulesOf(text(item, 'rules')),
  };
}

/**
 * The partition of the rules kept in one account and region. The store's policy lets a function role write only
 * partitions that start with its own account id (dynamodb:LeadingKeys), so no account can keep or forget another's.
 */
export const keptKey = (account: string, region: string): string => `${account}/${region}/kept`;

const KEPT_LISTABLE_SECONDS = 30 * 86_400;

function toKept(item: Item): KeptRule | undefined {
  const k: KeptRule = {
    ruleId: text(item, 'id'),
    groupId: text(item, 'groupId'),
    direction: text(item, 'direction') === 'egress' ? 'egress' : 'ingress',
    approvalId: text(item, 'approvalId'),
    expiresAt: Number(item.expiresAt?.N ?? 0) || 0,
  };
  return /^sgr-[0-9a-z]+$/.test(k.ruleId) && /^sg-[0-9a-z]+$/.test(k.groupId) ? k : undefined;
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
      const out = await client.send(
        new QueryCommand({
          TableName: tableArn,
          KeyConditionExpression: 'pk = :pk',
          ConsistentRead: true,
          ExpressionAttributeValues: { ':pk': { S: groupKey(account, region, groupId) } },
        }),
        timeout(),
      );
      return (out.Items ?? []).map(toApproval);
    },
    async get(account, region, groupId, id) {
      const out = await client.send(
        new GetItemCommand({
          TableName: tableArn,
          ConsistentRead: true,
          Key: { pk: { S: groupKey(account, region, groupId) }, id: { S: id } },
        }),
        timeout(),
      );
      return out.Item ? toApproval(out.Item) : undefined;
    },
    async keep(account, region, rules) {
      await Promise.all(
        rules.map((r) =>
          client.send(
            new PutItemCommand({
              TableName: tableArn,
              Item: {
                pk: { S: keptKey(account, region) },
                id: { S: r.ruleId },
                groupId: { S: r.groupId },
                direction: { S: r.direction },
                approvalId: { S: r.approvalId },
                expiresAt: { N: String(r.expiresAt) },
                ttl: { N: String(r.expiresAt + KEPT_LISTABLE_SECONDS) },
              },
            }),
            timeout(),
          ),
        ),
      );
    },
    async kept(account, region) {
      const out: KeptRule[] = [];
      let ExclusiveStartKey: Item | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableArn,
            KeyConditionExpression: 'pk = :pk',
            ConsistentRead: true,
            ExclusiveStartKey,
            ExpressionAttributeValues: { ':pk': { S: keptKey(account, region) } },
          }),
          timeout(),
        );
        for (const item of page.Items ?? []) {
          const k = toKept(item);
          if (k) out.push(k);
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return out;
    },
    async forget(account, region, ruleId) {
      await client.send(
        new DeleteItemCommand({ TableName: tableArn, Key: { pk: { S: keptKey(account, region) }, id: { S: ruleId } } }),
        timeout(),
      );
    },
  };
}
