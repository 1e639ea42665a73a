// DynamoDB in the simulator: the approval store's template through CloudFormation, the item operations with
// condition expressions, cross-account access decided by the table's resource-based policy, TTL on the simulated
// clock, and the service's own throttling error.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateStackCommand, CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteItemCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { SimServer } from '../server.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';

const REGION = 'us-east-1';
const TEMPLATE = readFileSync(new URL('../../../templates/approvals.yaml', import.meta.url), 'utf8');
let sim: SimServer;
let mgmt: string;
let tableArn: string;
const clients: DynamoDBClient[] = [];

function ddb(creds?: TestCredentials): DynamoDBClient {
  const c = new DynamoDBClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${sim.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

const item = (id: string, ttl: number) => ({
  pk: { S: 'g1' },
  id: { S: id },
  ttl: { N: String(ttl) },
  note: { S: id },
});

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, stackMs: 20 });
  mgmt = sim.state.org.managementAccountId;
  const cfn = new CloudFormationClient(clientConfig(sim, REGION));
  await cfn.send(
    new CreateStackCommand({
      StackName: 'guardrail-approvals',
      TemplateBody: TEMPLATE,
      Parameters: [
        { ParameterKey: 'OrganizationId', ParameterValue: sim.state.org.id },
        { ParameterKey: 'FunctionRolePatterns', ParameterValue: 'arn:aws:iam::*:role/guardrail-FunctionRole-*' },
      ],
    }),
  );
  for (let i = 0; i < 100; i++) {
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail-approvals' }))).Stacks?.[0];
    if (s?.StackStatus === 'CREATE_COMPLETE') {
      tableArn = s.Outputs!.find((o) => o.OutputKey === 'TableArn')!.OutputValue!;
      break;
    }
    expect(s?.StackStatus).not.toMatch(/FAILED|ROLLBACK/);
    await new Promise((r) => setTimeout(r, 20));
  }
  cfn.destroy();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim.close();
});

describe('DynamoDB', () => {
  it('creates the table from the template with TTL and its resource policy', async () => {
    expect(tableArn).toBe(`arn:aws:dynamodb:${REGION}:${mgmt}:table/guardrail-approvals`);
    const ttl = await ddb().send(new DescribeTimeToLiveCommand({ TableName: 'guardrail-approvals' }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  });

  it('puts, gets, queries, updates and deletes, with condition expressions', async () => {
    const c = ddb();
    const far = Math.floor(Date.now() / 1000) + 86_400;
    await c.send(
      new PutItemCommand({
        TableName: 'guardrail-approvals',
        Item: item('b', far),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await c.send(new PutItemCommand({ TableName: 'guardrail-approvals', Item: item('a', far) }));
    const again = await errorOf(
      c.send(
        new PutItemCommand({
          TableName: 'guardrail-approvals',
          Item: item('a', far),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    expect(again.name).toBe('ConditionalCheckFailedException');
    const got = await c.send(new GetItemCommand({ TableName: tableArn, Key: { pk: { S: 'g1' }, id: { S: 'a' } } }));
    expect(got.Item?.note).toEqual({ S: 'a' });
    const q = await c.send(
      new QueryCommand({
        TableName: 'guardrail-approvals',
        KeyConditionExpression: '#p = :p',
        ExpressionAttributeNames: { '#p': 'pk' },
        ExpressionAttributeValues: { ':p': { S: 'g1' } },
      }),
    );
    expect(q.Items?.map((i) => i.id?.S)).toEqual(['a', 'b']);
    const page = await c.send(
      new QueryCommand({
        TableName: 'guardrail-approvals',
        KeyConditionExpression: 'pk = :p',
        Limit: 1,
        ExpressionAttributeValues: { ':p': { S: 'g1' } },
      }),
    );
    expect(page.Items).toHaveLength(1);
    expect(page.LastEvaluatedKey).toEqual({ pk: { S: 'g1' }, id: { S: 'a' } });
    const up = await c.send(
      new UpdateItemCommand({
        TableName: 'guardrail-approvals',
        Key: { pk: { S: 'g1' }, id: { S: 'a' } },
        UpdateExpression: 'SET revokedAt = :t, #n = :n',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeNames: { '#n': 'note' },
        ExpressionAttributeValues: { ':t': { S: 'now' }, ':n': { S: 'revoked' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(up.Attributes?.revokedAt).toEqual({ S: 'now' });
    const twice = await errorOf(
      c.send(
        new UpdateItemCommand({
          TableName: 'guardrail-approvals',
          Key: { pk: { S: 'g1' }, id: { S: 'a' } },
          UpdateExpression: 'SET revokedAt = :t',
          ConditionExpression: 'attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':t': { S: 'x' } },
        }),
      ),
    );
    expect(twice.name).toBe('ConditionalCheckFailedException');
    const scan = await c.send(
      new ScanCommand({ TableName: 'guardrail-approvals', FilterExpression: 'attribute_exists(revokedAt)' }),
    );
    expect(scan.Items?.map((i) => i.id?.S)).toEqual(['a']);
    await c.send(new DeleteItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' }, id: { S: 'a' } } }));
    expect(
      (await c.send(new GetItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' }, id: { S: 'a' } } })))
        .Item,
    ).toBeUndefined();
    const bad = await errorOf(
      c.send(new GetItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' } } })),
    );
    expect(bad.name).toBe('ValidationException');
  });

  it('lets only guardrail function roles of the organisation read across accounts, and no other account write', async () => {
    const member = memberIds(sim)[0]!;
    await post('/_sim/roles', { account: member, roleName: 'guardrail-FunctionRole-ABC123' });
    const fnRole = ddb(await assumeInto(sim, member, { roleName: 'guardrail-FunctionRole-ABC123' }));
    const query = new QueryCommand({
      TableName: tableArn,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': { S: 'g1' } },
    });
    expect((await fnRole.send(query)).Items?.map((i) => i.id?.S)).toEqual(['b']);
    const write = await errorOf(fnRole.send(new PutItemCommand({ TableName: tableArn, Item: item('c', 1) })));
    expect(write.name).toBe('AccessDeniedException');

    // another role of the same member account: not guardrail's function role
    const admin = ddb(await assumeInto(sim, member));
    expect((await errorOf(admin.send(query))).name).toBe('AccessDeniedException');

    // a principal outside the organisation, even with guardrail's role name
    const foreign = '999999999999';
    await post('/_sim/roles', { account: foreign, roleName: 'guardrail-FunctionRole-XYZ' });
    const outsider = ddb(await assumeInto(sim, foreign, { roleName: 'guardrail-FunctionRole-XYZ' }));
    const denied = await errorOf(outsider.send(query));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('no resource-based policy allows the dynamodb:Query action');
    expect(
      (
        await errorOf(
          outsider.send(new GetItemCommand({ TableName: tableArn, Key: { pk: { S: 'g1' }, id: { S: 'b' } } })),
        )
      ).name,
    ).toBe('AccessDeniedException');
    expect((await errorOf(outsider.send(new PutItemCommand({ TableName: tableArn, Item: item('d', 1) })))).name).toBe(
      'AccessDeniedException',
    );
  });

  it('deletes items whose TTL passed when the simulated clock moves', async () => {
    const c = ddb();
    const soon = Math.floor(sim.state.clock.now() / 1000) + 120;
    await c.send(new PutItemCommand({ TableName: 'guardrail-approvals', Item: item('ttl', soon) }));
    await post('/_sim/clock', { advanceSeconds: 60 });
    expect(
      (
        await c.send(
          new GetItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' }, id: { S: 'ttl' } } }),
        )
      ).Item,
    ).toBeDefined();
    await post('/_sim/clock', { advanceSeconds: 61 });
    expect(
      (
        await c.send(
          new GetItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' }, id: { S: 'ttl' } } }),
        )
      ).Item,
    ).toBeUndefined();
  });

  it("throttles with DynamoDB's own error, and throttleServices limits faults to one service", async () => {
    await post('/_sim/faults', { throttleRate: 1, throttleServices: ['dynamodb'] });
    try {
      const err = await errorOf(
        ddb().send(new GetItemCommand({ TableName: 'guardrail-approvals', Key: { pk: { S: 'g1' }, id: { S: 'b' } } })),
      );
      expect(err.name).toBe('ProvisionedThroughputExceededException');
      const cfn = new CloudFormationClient({ ...clientConfig(sim, REGION), maxAttempts: 1 });
      await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail-approvals' }));
      cfn.destroy();
    } finally {
      await post('/_sim/faults', { throttleRate: 0, throttleServices: [] });
    }
  });
});
