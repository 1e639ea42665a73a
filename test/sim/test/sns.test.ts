import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetTopicAttributesCommand, ListTopicsCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SimServer } from '../server.js';
import { assumeInto, clientConfig, memberIds, startTestSim } from './helpers.js';
import { putTopic } from './sim-resources.js';
import { regionState } from '../state.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let client: SNSClient;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2 });
  mgmt = sim.state.org.managementAccountId;
  client = new SNSClient({ ...clientConfig(sim, REGION), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

describe('SNS', () => {
  it('Publish records the message with its subject, attributes and caller', async () => {
    const topic = putTopic(sim, mgmt, REGION, 'alerts');
    const out = await client.send(
      new PublishCommand({
        TopicArn: topic.arn,
        Subject: 'Reverted',
        Message: '{"groupId":"sg-1"}',
        MessageAttributes: { severity: { DataType: 'String', StringValue: 'high' } },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const msgs = regionState(sim.state, mgmt, REGION).snsMessages;
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({
      topicArn: topic.arn,
      messageId: out.MessageId,
      subject: 'Reverted',
      message: '{"groupId":"sg-1"}',
      attributes: { severity: { DataType: 'String', StringValue: 'high' } },
      publishedBy: `arn:aws:iam::${mgmt}:root`,
    });
  });

  it('errors: unknown topic, bad parameters, another account without a policy', async () => {
    await expect(
      client.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:nope`, Message: 'x' })),
    ).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(client.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(
      client.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts`, Message: '' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(
        new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts`, Message: 'x', Subject: 'a\nb' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(
        new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts`, Message: 'x'.repeat(262_145) }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Message too long' });

    const member = memberIds(sim)[0]!;
    const memberClient = new SNSClient({ ...clientConfig(sim, REGION, await assumeInto(sim, member)), maxAttempts: 1 });
    try {
      await expect(
        memberClient.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts`, Message: 'x' })),
      ).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
      const shared = putTopic(sim, mgmt, REGION, 'shared', {
        Policy: JSON.stringify({
          Statement: [{ Effect: 'Allow', Principal: { AWS: member }, Action: 'sns:Publish', Resource: '*' }],
        }),
      });
      await memberClient.send(new PublishCommand({ TopicArn: shared.arn, Message: 'from member' }));
      expect(regionState(sim.state, mgmt, REGION).snsMessages.at(-1)).toMatchObject({
        message: 'from member',
        publishedBy: expect.stringContaining(`:${member}:assumed-role/`),
      });
    } finally {
      memberClient.destroy();
    }
  });

  it('ListTopics and GetTopicAttributes', async () => {
    const topics = await client.send(new ListTopicsCommand({}));
    expect(topics.Topics?.map((t) => t.TopicArn)).toEqual([
      `arn:aws:sns:${REGION}:${mgmt}:alerts`,
      `arn:aws:sns:${REGION}:${mgmt}:shared`,
    ]);
    const attrs = await client.send(
      new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts` }),
    );
    expect(attrs.Attributes).toMatchObject({ TopicArn: `arn:aws:sns:${REGION}:${mgmt}:alerts`, Owner: mgmt });
    expect(JSON.parse(attrs.Attributes?.Policy ?? '{}')).toHaveProperty('Statement');
  });

  it('throttles with Throttled (429)', async () => {
    sim.state.faults.throttleRate = 1;
    try {
      await expect(client.send(new ListTopicsCommand({}))).rejects.toMatchObject({
        name: 'ThrottledException',
        $metadata: { httpStatusCode: 429 },
      });
    } finally {
      sim.state.faults.throttleRate = 0;
    }
  });
});
