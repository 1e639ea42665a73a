// Amazon DynamoDB (awsJson1_0, target prefix DynamoDB_20120810): DescribeTable, DescribeTimeToLive,
// GetResourcePolicy, PutItem, GetItem, UpdateItem, DeleteItem (with condition expressions), Query and Scan (with
// filter expressions and pagination). Tables come from CloudFormation (AWS::DynamoDB::Table, see dynamodbTable).
// A table is named by name (the caller's own account) or by ARN (any account): a caller from another account needs
// an Allow in the table's resource-based policy, and a Deny there stops anyone. TTL: on every move of the simulated
// clock, items whose TTL attribute (epoch seconds) has passed are deleted.
import { SimError, type Caller, type Service, type SimRequest } from '../types.js';
import { hexId, type DynamoTable, type SimState } from '../state.js';
import type { Provider } from '../cfn/providers.js';
import { applyUpdate, conditionNames, parseCondition, type ExpressionContext, type Item } from './dynamodb-expr.js';
import { evaluatePolicy } from './resource-policy.js';
import type { PolicyContext } from '../policy-conditions.js';

const TABLE_ARN = /^arn:aws[\w-]*:dynamodb:([\w-]+):(\d{12}):table\/([\w.-]{3,255})$/;

const notFound = () => new SimError('ResourceNotFoundException', 'Requested resource not found', 400);
const validation = (message: string) => new SimError('ValidationException', message, 400);

function tableOf(state: SimState, req: SimRequest): DynamoTable {
  const raw = req.input.TableName;
  if (typeof raw !== 'string' || raw === '')
    throw validation(
      "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
    );
  const arn = TABLE_ARN.exec(raw);
  if (!arn && !/^[\w.-]{3,255}$/.test(raw))
    throw validation(
      `1 validation error detected: Value '${raw}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  const [region, account, name] = arn ? [arn[1]!, arn[2]!, arn[3]!] : [req.region, req.caller.accountId, raw];
  if (region !== req.region)
    throw validation(`The table ARN names region ${region}, but the request was sent to ${req.region}`);
  const table = state.accounts.get(account)?.regions.get(region)?.tables.get(name);
  const arnOf = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  authorize(
    state,
    req.caller,
    `dynamodb:${req.operation}`,
    arnOf,
    account,
    table,
    table ? serviceContext(table, req) : {},
  );
  if (!table) throw notFound();
  return table;
}

/**
 * The DynamoDB condition keys of the request: dynamodb:LeadingKeys, the partition key values it touches (the item's
 * for PutItem, the Key's for GetItem/UpdateItem/DeleteItem). Calls that name no partition key value (Scan, and
 * Query here) carry none, and a ForAllValues condition holds for them, as IAM's set operators do for an empty set.
 */
function serviceContext(table: DynamoTable, req: SimRequest): PolicyContext {
  const source =
    req.operation === 'PutItem'
      ? req.input.Item
      : ['GetItem', 'UpdateItem', 'DeleteItem'].includes(req.operation)
        ? req.input.Key
        : undefined;
  const v = (source as Item | undefined)?.[table.hashKey];
  const value = v?.S ?? v?.N ?? v?.B;
  return value === undefined ? {} : { 'dynamodb:LeadingKeys': [String(value)] };
}

function authorize(
  state: SimState,
  caller: Caller,
  action: string,
  arn: string,
  owner: string,
  table: DynamoTable | undefined,
  context: PolicyContext,
): void {
  const verdict =
    table?.resourcePolicy === undefined
      ? 'none'
      : evaluatePolicy(table.resourcePolicy, state, caller, action, arn, context);
  const crossAccount = caller.accountId !== owner;
  if (verdict === 'deny' || (crossAccount && verdict !== 'allow')) {
    throw new SimError(
      'AccessDeniedException',
      `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${arn} ` +
        (verdict === 'deny'
          ? 'with an explicit deny in a resource-based policy'
          : `because no resource-based policy allows the ${action} action`),
      400,
    );
  }
}

/** The item's primary key as a map key. */
function keyOf(table: DynamoTable, item: Item): string {
  const part = (name: string | undefined) => {
    if (!name) return null;
    const v = item[name];
    const value = v?.S ?? v?.N ?? v?.B;
    if (value === undefined) throw validation('The provided key element does not match the schema');
    return value;
  };
  return JSON.stringify([part(table.hashKey), part(table.rangeKey)]);
}

function keyInput(table: DynamoTable, key: unknown): Item {
  const k = (key ?? {}) as Item;
  const expected = [table.hashKey, table.rangeKey].filter((x): x is string => x !== undefined);
  if (Object.keys(k).length !== expected.length || !expected.every((n) => k[n] !== undefined)) {
    throw validation('The provided key element does not match the schema');
  }
  return k;
}

function ctxOf(input: Record<string, unknown>): ExpressionContext {
  return {
    names: (input.ExpressionAttributeNames ?? {}) as Record<string, string>,
    values: (input.ExpressionAttributeValues ?? {}) as ExpressionContext['values'],
  };
}

function checkCondition(input: Record<string, unknown>, existing: Item | undefined): void {
  if (typeof input.ConditionExpression !== 'string') return;
  if (!parseCondition(input.ConditionExpression, ctxOf(input))(existing ?? {})) {
    throw new SimError('ConditionalCheckFailedException', 'The conditional request failed', 400);
  }
}

function project(item: Item, input: Record<string, unknown>): Item {
  if (typeof input.ProjectionExpression !== 'string') return item;
  const ctx = ctxOf(input);
  const names = input.ProjectionExpression.split(',')
    .map((n) => n.trim())
    .map((n) => (n.startsWith('#') ? (ctx.names[n] ?? n) : n));
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.includes(k)));
}

function returned(
  input: Record<string, unknown>,
  old: Item | undefined,
  now: Item | undefined,
): Record<string, unknown> {
  const mode = input.ReturnValues ?? 'NONE';
  if (mode === 'ALL_OLD' && old) return { Attributes: old };
  if (mode === 'ALL_NEW' && now) return { Attributes: now };
  return {};
}

/** Query and Scan: filter, order, Limit and ExclusiveStartKey / LastEvaluatedKey. */
function read(table: DynamoTable, input: Record<string, unknown>, query: boolean): Record<string, unknown> {
  const ctx = ctxOf(input);
  let candidates = [...table.items.values()];
  if (query) {
    const kce = input.KeyConditionExpression;
    if (typeof kce !== 'string')
      throw validation(
        'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
      );
    if (!conditionNames(kce, ctx).includes(table.hashKey))
      throw validation('Query condition missed key schema element: ' + table.hashKey);
    const pred = parseCondition(kce, ctx, 'KeyConditionExpression');
    candidates = candidates.filter(pred);
    if (table.rangeKey) {
      const rk = table.rangeKey;
      const v = (i: Item) => String(i[rk]?.S ?? i[rk]?.N ?? '');
      const numeric = candidates.some((i) => i[rk]?.N !== undefined);
      candidates.sort((a, b) => (numeric ? Number(v(a)) - Number(v(b)) : v(a) < v(b) ? -1 : v(a) > v(b) ? 1 : 0));
      if (input.ScanIndexForward === false) candidates.reverse();
    }
  }
  if (input.ExclusiveStartKey) {
    const start = keyOf(table, input.ExclusiveStartKey as Item);
    const at = candidates.findIndex((i) => keyOf(table, i) === start);
    candidates = at >= 0 ? candidates.slice(at + 1) : [];
  }
  const limit = input.Limit === undefined ? Infinity : Number(input.Limit);
  if (!(limit >= 1)) throw validation('Limit must be greater than or equal to 1');
  const page = candidates.slice(0, limit);
  const filter =
    typeof input.FilterExpression === 'string'
      ? parseCondition(input.FilterExpression, ctx, 'FilterExpression')
      : () => true;
  const items = page.filter(filter).map((i) => project(i, input));
  const last = page.length < candidates.length ? page[page.length - 1] : undefined;
  const lastKey = last
    ? Object.fromEntries([table.hashKey, table.rangeKey].filter((k): k is string => !!k).map((k) => [k, last[k]]))
    : undefined;
  return {
    ...(input.Select === 'COUNT' ? {} : { Items: items }),
    Count: items.length,
    ScannedCount: page.length,
    ...(lastKey ? { LastEvaluatedKey: lastKey } : {}),
  };
}

function describe(table: DynamoTable): Record<string, unknown> {
  const keys = [
    { AttributeName: table.hashKey, KeyType: 'HASH' },
    ...(table.rangeKey ? [{ AttributeName: table.rangeKey, KeyType: 'RANGE' }] : []),
  ];
  return {
    Table: {
      TableName: table.name,
      TableArn: table.arn,
      TableId: table.tableId,
      TableStatus: 'ACTIVE',
      KeySchema: keys,
      ItemCount: table.items.size,
      CreationDateTime: Date.parse(table.createdAt) / 1000,
      BillingModeSummary: { BillingMode: table.billingMode },
    },
  };
}

export const dynamodb: Service = {
  name: 'dynamodb',
  protocol: 'json',
  jsonVersion: '1.0',
  throttle: {
    code: 'ProvisionedThroughputExceededException',
    status: 400,
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  handle(ctx, req) {
    const { state } = ctx;
    const input = req.input;
    const op = req.operation;
    const known = [
      'DescribeTable',
      'DescribeTimeToLive',
      'GetResourcePolicy',
      'PutItem',
      'GetItem',
      'UpdateItem',
      'DeleteItem',
      'Query',
      'Scan',
    ];
    if (!known.includes(op))
      throw new SimError('UnknownOperationException', `The simulator does not implement DynamoDB ${op}`, 400);
    const table = tableOf(state, req);
    switch (op) {
      case 'DescribeTable':
        return describe(table);
      case 'DescribeTimeToLive':
        return {
          TimeToLiveDescription: table.ttl?.enabled
            ? { TimeToLiveStatus: 'ENABLED', AttributeName: table.ttl.attributeName }
            : { TimeToLiveStatus: 'DISABLED' },
        };
      case 'GetResourcePolicy':
        if (table.resourcePolicy === undefined)
          throw new SimError(
            'PolicyNotFoundException',
            `Resource-based policy not found for the provided ResourceArn: ${table.arn}`,
            400,
          );
        return {
          Policy:
            typeof table.resourcePolicy === 'string' ? table.resourcePolicy : JSON.stringify(table.resourcePolicy),
          RevisionId: '1',
        };
      case 'GetItem': {
        const item = table.items.get(keyOf(table, keyInput(table, input.Key)));
        return item ? { Item: project(item, input) } : {};
      }
      case 'PutItem': {
        const item = (input.Item ?? {}) as Item;
        const key = keyOf(table, item);
        const old = table.items.get(key);
        checkCondition(input, old);
        table.items.set(key, item);
        return returned(input, old, undefined);
      }
      case 'UpdateItem': {
        const k = keyInput(table, input.Key);
        const key = keyOf(table, k);
        const old = table.items.get(key);
        checkCondition(input, old);
        const next =
          typeof input.UpdateExpression === 'string'
            ? applyUpdate(input.UpdateExpression, ctxOf(input), old ?? { ...k })
            : (old ?? { ...k });
        table.items.set(key, next);
        return returned(input, old, next);
      }
      case 'DeleteItem': {
        const key = keyOf(table, keyInput(table, input.Key));
        const old = table.items.get(key);
        checkCondition(input, old);
        table.items.delete(key);
        return returned(input, old, undefined);
      }
      case 'Query':
        return read(table, input, true);
      default:
        return read(table, input, false);
    }
  },
};

const ttlRegistered = new WeakSet<SimState>();

/** Deletes expired items whenever the simulated clock moves (AWS does it within days; the simulator at once). */
export function expireItems(state: SimState, nowMs: number): number {
  let n = 0;
  for (const acct of state.accounts.values()) {
    for (const rs of acct.regions.values()) {
      for (const table of rs.tables.values()) {
        if (!table.ttl?.enabled) continue;
        for (const [key, item] of table.items) {
          const ttl = Number(item[table.ttl.attributeName]?.N);
          if (Number.isFinite(ttl) && ttl * 1000 <= nowMs) {
            table.items.delete(key);
            n++;
          }
        }
      }
    }
  }
  return n;
}

function ttlOf(props: Record<string, unknown>): DynamoTable['ttl'] {
  const spec = props.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
  return spec && typeof spec.AttributeName === 'string'
    ? { attributeName: spec.AttributeName, enabled: spec.Enabled === true || spec.Enabled === 'true' }
    : undefined;
}

/** AWS::DynamoDB::Table for the CloudFormation engine. */
export const dynamodbTable: Provider = {
  replaceOn: ['TableName', 'KeySchema'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name =
      previous?.physicalId ??
      (typeof props.TableName === 'string'
        ? props.TableName
        : `${env.stackName}-${logicalId}-${hexId(env.state, 12).toUpperCase()}`);
    return {
      physicalId: name,
      attrs: { Arn: `arn:aws:dynamodb:${env.region}:${env.accountId}:table/${name}`, StreamArn: '' },
    };
  },
  createCheck(env, name) {
    return env.rs.tables.has(name)
      ? `Resource of type 'AWS::DynamoDB::Table' with identifier '${name}' already exists.`
      : undefined;
  },
  apply(env, r) {
    if (!ttlRegistered.has(env.state)) {
      ttlRegistered.add(env.state);
      env.state.clock.onAdvance((_from, to) => expireItems(env.state, to));
    }
    const p = r.props;
    const keys = (p.KeySchema as { AttributeName?: unknown; KeyType?: unknown }[] | undefined) ?? [];
    const hashKey = String(keys.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '');
    const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const existing = env.rs.tables.get(r.physicalId);
    const policy = (p.ResourcePolicy as { PolicyDocument?: unknown } | undefined)?.PolicyDocument;
    env.rs.tables.set(r.physicalId, {
      name: r.physicalId,
      arn: String(r.attrs.Arn),
      tableId: existing?.tableId ?? hexId(env.state, 32),
      hashKey,
      ...(range !== undefined ? { rangeKey: String(range) } : {}),
      billingMode: typeof p.BillingMode === 'string' ? p.BillingMode : 'PROVISIONED',
      items: existing?.items ?? new Map(),
      ttl: ttlOf(p),
      resourcePolicy: policy,
      createdAt: existing?.createdAt ?? new Date(env.now).toISOString(),
      properties: {
        PointInTimeRecoverySpecification: p.PointInTimeRecoverySpecification,
        SSESpecification: p.SSESpecification,
        DeletionProtectionEnabled: p.DeletionProtectionEnabled,
      },
    });
  },
  remove(env, r) {
    env.rs.tables.delete(r.physicalId);
  },
  actual(env, r) {
    const t = env.rs.tables.get(r.physicalId);
    if (!t) return undefined;
    return {
      BillingMode: t.billingMode,
      ...(t.ttl ? { TimeToLiveSpecification: { AttributeName: t.ttl.attributeName, Enabled: t.ttl.enabled } } : {}),
      ...(t.resourcePolicy !== undefined ? { ResourcePolicy: { PolicyDocument: t.resourcePolicy } } : {}),
    };
  },
  driftKeys: ['BillingMode', 'TimeToLiveSpecification', 'ResourcePolicy'],
};
