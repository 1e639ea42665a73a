// The Lambda entry point. Configuration and SDK clients live at module scope: built once per cold start.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ec2Port, snsPort } from './aws.js';
import { loadConfig } from './config.js';
import { dynamoPort } from './dynamo.js';
import { processEvent, type Deps } from './process-event.js';
import { isScheduledEvent, sweep } from './sweep.js';
import type { Result } from './types.js';

// Five attempts with the SDK's backoff ride out EC2's RequestLimitExceeded bursts; beyond that the error is
// thrown and Lambda's asynchronous retries (then the dead-letter queue) take over.
const config = loadConfig(process.env);
const account = /^arn:[\w-]+:iam::(\d{12}):/.exec(config.selfRoleArn ?? '')?.[1];
const deps: Deps = {
  config,
  ec2: ec2Port(new EC2Client({ maxAttempts: 5 })),
  sns: config.notifyTopicArn ? snsPort(new SNSClient({ maxAttempts: 5 })) : undefined,
  approvals: config.approvals && account && config.region
    ? { store: dynamoPort(config.approvals.tableArn, config.approvals.region), account, region: config.region }
    : undefined,
};

// A scheduled event (EventBridge's own source) runs the approval sweep; everything else is a CloudTrail event.
export const handler = async (event: unknown): Promise<Result> => (isScheduledEvent(event) ? sweep(event, deps) : processEvent(event, deps));
