import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import type { SimServer } from '../server.js';
import { assumeInto, clientConfig, memberIds, startTestSim } from './helpers.js';
import { putRule, putTopic } from './sim-resources.js';
import { regionState } from '../state.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let client: EventBridgeClient;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2 });
  mgmt = sim.state.org.managementAccountId;
  client = new EventBridgeClient({ ...clientConfig(sim, REGION), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

describe('EventBridge', () => {
  it('DescribeRule, DisableRule and EnableRule', async () => {
    const rule = putRule(sim, mgmt, REGION, 'guardrail-sg', { source: ['aws.ec2'] }, [
      `arn:aws:lambda:${REGION}:${mgmt}:function:f`,
    ]);
    const d = await client.send(new DescribeRuleCommand({ Name: 'guardrail-sg' }));
    expect(d).toMatchObject({
      Name: 'guardrail-sg',
      Arn: rule.arn,
      State: 'ENABLED',
      EventBusName: 'default',
      Description: 'test rule',
    });
    expect(JSON.parse(d.EventPattern ?? '{}')).toEqual({ source: ['aws.ec2'] });
    await client.send(new DisableRuleCommand({ Name: 'guardrail-sg' }));
    expect(rule.state).toBe('DISABLED');
    expect((await client.send(new DescribeRuleCommand({ Name: 'guardrail-sg' }))).State).toBe('DISABLED');
    await client.send(new EnableRuleCommand({ Name: 'guardrail-sg', EventBusName: 'default' }));
    expect(rule.state).toBe('ENABLED');
  });

  it('unknown rules raise ResourceNotFoundException with AWS message, and rules are per account', async () => {
    for (const cmd of [
      new DescribeRuleCommand({ Name: 'missing' }),
      new DisableRuleCommand({ Name: 'missing' }),
      new EnableRuleCommand({ Name: 'missing' }),
      new ListTargetsByRuleCommand({ Rule: 'missing' }),
    ]) {
      await expect(client.send(cmd as DescribeRuleCommand)).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: 'Rule missing does not exist on EventBus default.',
      });
    }
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'guardrail-sg', EventBusName: 'custom' })),
    ).rejects.toMatchObject({ message: 'Rule guardrail-sg does not exist on EventBus custom.' });
    const member = memberIds(sim)[0]!;
    const other = new EventBridgeClient({
      ...clientConfig(sim, REGION, await assumeInto(sim, member)),
      maxAttempts: 1,
    });
    try {
      await expect(other.send(new DescribeRuleCommand({ Name: 'guardrail-sg' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      other.destroy();
    }
  });

  it('ListTargetsByRule and ListRules paginate', async () => {
    putRule(
      sim,
      mgmt,
      REGION,
      'many-targets',
      { source: ['x'] },
      Array.from({ length: 5 }, (_, i) => `arn:aws:sqs:${REGION}:${mgmt}:q${i}`),
    );
    const page1 = await client.send(new ListTargetsByRuleCommand({ Rule: 'many-targets', Limit: 3 }));
    expect(page1.Targets?.map((t) => t.Id)).toEqual(['t1', 't2', 't3']);
    expect(page1.NextToken).toBeDefined();
    const page2 = await client.send(
      new ListTargetsByRuleCommand({ Rule: 'many-targets', Limit: 3, NextToken: page1.NextToken }),
    );
    expect(page2.Targets?.map((t) => t.Arn)).toEqual([
      `arn:aws:sqs:${REGION}:${mgmt}:q3`,
      `arn:aws:sqs:${REGION}:${mgmt}:q4`,
    ]);
    expect(page2.NextToken).toBeUndefined();
    const rules = await client.send(new ListRulesCommand({ NamePrefix: 'guardrail' }));
    expect(rules.Rules?.map((r) => r.Name)).toEqual(['guardrail-sg']);
  });

  it('PutEvents delivers custom events to matching rules and rejects aws.* sources', async () => {
    const topic = putTopic(sim, mgmt, REGION, 'custom-events');
    putRule(sim, mgmt, REGION, 'custom', { source: ['my.app'], detail: { level: [{ numeric: ['>=', 3] }] } }, [
      topic.arn,
    ]);
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'my.app', DetailType: 'alert', Detail: JSON.stringify({ level: 5 }) },
          { Source: 'my.app', DetailType: 'alert', Detail: JSON.stringify({ level: 1 }) },
          { Source: 'aws.ec2', DetailType: 'spoof', Detail: '{}' },
          { Source: 'my.app', DetailType: 'bad', Detail: 'not json' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries?.[0]?.EventId).toBeDefined();
    expect(out.Entries?.[2]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    expect(out.Entries?.[3]?.ErrorCode).toBe('MalformedDetail');
    const rs = regionState(sim.state, mgmt, REGION);
    const delivered = rs.snsMessages.filter((m) => m.topicArn === topic.arn);
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.message)).toMatchObject({ source: 'my.app', detail: { level: 5 }, account: mgmt });
    expect(rs.events.filter((e) => e.event.source === 'my.app').map((e) => e.matchedRules)).toEqual([['custom'], []]);
  });

  it('throttles with ThrottlingException', async () => {
    sim.state.faults.throttleRate = 1;
    try {
      await expect(client.send(new DescribeRuleCommand({ Name: 'guardrail-sg' }))).rejects.toMatchObject({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      sim.state.faults.throttleRate = 0;
    }
  });
});
