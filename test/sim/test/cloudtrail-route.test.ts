// POST /_sim/cloudtrail (a recorded CloudTrail record delivered as EC2's own records are), the event pattern's
// account and region fields, PutEvents refusing aws.* sources, and DynamoDB table policies with
// dynamodb:LeadingKeys, policy variables and explicit Deny.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { matchesPattern } from '../event-pattern.js';
import { whenLoopIdle } from '../loop.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';
import { authorizeRecord, GUARDRAIL_PATTERN, putFunction, putRule } from './sim-resources.js';

const REGION = 'us-east-1';
const OTHER_REGION = 'eu-west-1';
let sim: SimServer;
let members: string[];

// the repository's copy of the recorded events (test/fixtures/cloudtrail, from ../shared/fixtures/cloudtrail)
const FIXTURES = fileURLToPath(new URL('../../fixtures/cloudtrail/', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(`${FIXTURES}${name}`, 'utf8')) as Record<string, unknown>;

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.endpoint}/_sim/cloudtrail`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, regions: [REGION, OTHER_REGION] });
  members = memberIds(sim);
});
afterAll(async () => {
  await sim.close();
});

describe('POST /_sim/cloudtrail', () => {
  it('delivers a record to the account-region default bus as EC2 does, through the rules and the function policy', async () => {
    const [account] = members as [string];
    const fn = putFunction(sim, account, REGION, {
      name: 'revert',
      code: 'exports.handler = async (e) => e.detail.eventName;',
      allowRule: 'any',
    });
    putRule(sim, account, REGION, 'sg-changes', GUARDRAIL_PATTERN, [fn.functionArn]);
    putRule(sim, account, REGION, 'disabled', GUARDRAIL_PATTERN, [fn.functionArn], 'DISABLED');
    const record = authorizeRecord(account, REGION, 'sg-0123456789abcdef0');
    const { status, json } = await post({ account, region: REGION, record });
    expect(status).toBe(200);
    expect(json.matchedRules).toEqual(['sg-changes']);
    const recorded = regionState(sim.state, account, REGION).events.at(-1)!;
    expect(recorded.event).toMatchObject({
      version: '0',
      id: json.id,
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account,
      region: REGION,
      time: record.eventTime,
      resources: [],
      detail: record,
    });
    await whenLoopIdle(sim.state);
    expect(regionState(sim.state, account, REGION).invocations.at(-1)).toMatchObject({
      functionArn: fn.functionArn,
      status: 'succeeded',
      result: 'AuthorizeSecurityGroupIngress',
    });
    // another region of the same account sees nothing
    expect(regionState(sim.state, account, OTHER_REGION).events).toHaveLength(0);
  });

  it('a function without a permission for EventBridge is not run (the route bypasses nothing)', async () => {
    const account = members[1]!;
    const fn = putFunction(sim, account, REGION, { name: 'no-permission', code: 'exports.handler = async () => 1;' });
    putRule(sim, account, REGION, 'sg-changes', GUARDRAIL_PATTERN, [fn.functionArn]);
    const { json } = await post({
      account,
      region: REGION,
      record: authorizeRecord(account, REGION, 'sg-0123456789abcdef0'),
    });
    expect(json.matchedRules).toEqual(['sg-changes']);
    expect(regionState(sim.state, account, REGION).invocations.at(-1)).toMatchObject({
      status: 'failed',
      error: { name: 'AccessDeniedException' },
    });
  });

  it('takes the record from a whole EventBridge envelope; source follows eventSource', async () => {
    const account = members[0]!;
    const envelope = fixture('authorize-ingress.2022-group-ref-by-cloudformation.event.json');
    const { status, json } = await post({ account, region: REGION, record: envelope });
    expect(status).toBe(200);
    const recorded = regionState(sim.state, account, REGION).events.find((e) => e.event.id === json.id)!;
    expect(recorded.event.detail).toEqual(envelope.detail);
    // the envelope's own account and id are not kept: the event is this account's
    expect(recorded.event.account).toBe(account);
    expect(recorded.event.id).not.toBe(envelope.id);
    const bare = fixture('authorize-ingress.2024.record.json');
    const second = await post({ account, region: REGION, record: { ...bare, eventSource: 'iam.amazonaws.com' } });
    const other = regionState(sim.state, account, REGION).events.find((e) => e.event.id === second.json.id)!;
    expect(other.event.source).toBe('aws.iam');
    expect(second.json.matchedRules).toEqual([]);
  });

  it('validates the body: unknown account 404, unknown region 404, bad record 400', async () => {
    const record = authorizeRecord(members[0]!, REGION, 'sg-0123456789abcdef0');
    expect(await post({ account: '999999999999', region: REGION, record })).toMatchObject({
      status: 404,
      json: { error: expect.stringContaining('999999999999') },
    });
    expect((await post({ account: 'x', region: REGION, record })).status).toBe(400);
    expect((await post({ account: members[0], region: 'ap-south-2', record })).status).toBe(404);
    expect((await post({ account: members[0], region: REGION, record: 'text' })).status).toBe(400);
    expect((await post({ account: members[0], region: REGION, record: { eventName: 'X' } })).status).toBe(400);
    expect((await post({ account: members[0], region: REGION })).status).toBe(400);
  });
});

describe('event patterns on account and region', () => {
  const event = {
    version: '0',
    id: '1',
    source: 'aws.ec2',
    'detail-type': 'AWS API Call via CloudTrail',
    account: '111122223333',
    region: 'us-east-1',
    resources: [],
    detail: {},
  };

  it('matches the top-level account and region fields like any other', () => {
    expect(matchesPattern({ account: ['111122223333'], source: ['aws.ec2'] }, event)).toBe(true);
    expect(matchesPattern({ account: ['444455556666'], source: ['aws.ec2'] }, event)).toBe(false);
    expect(matchesPattern({ account: [{ 'anything-but': '111122223333' }] }, event)).toBe(false);
    expect(matchesPattern({ region: ['eu-west-1'] }, event)).toBe(false);
    expect(matchesPattern({ region: [{ prefix: 'us-' }], account: ['111122223333'] }, event)).toBe(true);
  });

  it('a rule for another account does not match what the route delivers', async () => {
    const [a, b] = members as [string, string];
    putRule(sim, a, OTHER_REGION, 'only-b', { ...GUARDRAIL_PATTERN, account: [b] }, []);
    putRule(sim, a, OTHER_REGION, 'only-a', { ...GUARDRAIL_PATTERN, account: [a], region: [OTHER_REGION] }, []);
    const { json } = await post({
      account: a,
      region: OTHER_REGION,
      record: authorizeRecord(a, OTHER_REGION, 'sg-0123456789abcdef0'),
    });
    expect(json.matchedRules).toEqual(['only-a']);
  });
});

describe('PutEvents', () => {
  it('refuses a forged aws.ec2 event per entry (NotAuthorizedForSourceException); nothing reaches the rules', async () => {
    const account = members[0]!;
    const creds: TestCredentials = await assumeInto(sim, account);
    const client = new EventBridgeClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
    const before = regionState(sim.state, account, REGION).events.length;
    try {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'aws.ec2',
              DetailType: 'AWS API Call via CloudTrail',
              Detail: JSON.stringify(authorizeRecord(account, REGION, 'sg-0123456789abcdef0')),
            },
            { Source: 'my.app', DetailType: 'x', Detail: '{}' },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(1);
      expect(out.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
      expect(out.Entries?.[1]?.EventId).toBeDefined();
      const added = regionState(sim.state, account, REGION).events.slice(before);
      expect(added.map((e) => e.event.source)).toEqual(['my.app']);
    } finally {
      client.destroy();
    }
  });
});

describe('DynamoDB table policies: dynamodb:LeadingKeys and policy variables', () => {
  it('a cross-account write is allowed only for partition keys the statement allows; an explicit Deny wins', async () => {
    const [owner, writer] = members as [string, string];
    const rs = regionState(sim.state, owner, REGION);
    const arn = `arn:aws:dynamodb:${REGION}:${owner}:table/approvals`;
    rs.tables.set('approvals', {
      name: 'approvals',
      arn,
      tableId: 't',
      hashKey: 'pk',
      billingMode: 'PAY_PER_REQUEST',
      items: new Map(),
      createdAt: new Date().toISOString(),
      properties: {},
      resourcePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${writer}:root` },
            Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
            Resource: arn,
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['${aws:PrincipalAccount}#*'] } },
          },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'dynamodb:*',
            Resource: arn,
            Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': [`${writer}#locked`] } },
          },
        ],
      },
    });
    const creds = await assumeInto(sim, writer);
    const ddb = new DynamoDBClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
    try {
      await ddb.send(new PutItemCommand({ TableName: arn, Item: { pk: { S: `${writer}#sg-1` }, v: { N: '1' } } }));
      await ddb.send(
        new UpdateItemCommand({
          TableName: arn,
          Key: { pk: { S: `${writer}#sg-1` } },
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': { N: '2' } },
        }),
      );
      expect(rs.tables.get('approvals')!.items.size).toBe(1);
      const foreign = await errorOf(
        ddb.send(new PutItemCommand({ TableName: arn, Item: { pk: { S: `${owner}#sg-1` } } })),
      );
      expect(foreign.name).toBe('AccessDeniedException');
      expect(foreign.message).toContain('because no resource-based policy allows the dynamodb:PutItem action');
      const locked = await errorOf(
        ddb.send(new PutItemCommand({ TableName: arn, Item: { pk: { S: `${writer}#locked` } } })),
      );
      expect(locked.message).toContain('with an explicit deny in a resource-based policy');
      // another account's partition key is refused for every allowed action
      const del = await errorOf(ddb.send(new DeleteItemCommand({ TableName: arn, Key: { pk: { S: `${owner}#x` } } })));
      expect(del.name).toBe('AccessDeniedException');
      await ddb.send(new DeleteItemCommand({ TableName: arn, Key: { pk: { S: `${writer}#sg-1` } } }));
      expect(rs.tables.get('approvals')!.items.size).toBe(0);
    } finally {
      ddb.destroy();
    }
  });
});
