// The Lambda entry point. Configuration and SDK clients live at module scope: built once per cold start.
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { ec2Port, snsPort } from './aws.js';
import { loadConfig } from './config.js';
import { processEvent, type Deps } from './process-event.js';
import type { Result } from './types.js';

// Five attempts with the SDK's backoff ride out EC2's RequestLimitExceeded bursts; beyond that the error is
// thrown and Lambda's asynchronous retries (then the dead-letter queue) take over.
const config = loadConfig(process.env);
const deps: Deps = {
  config,
  ec2: ec2Port(new EC2Client({ maxAttempts: 5 })),
  sns: config.notifyTopicArn ? snsPort(new SNSClient({ maxAttempts: 5 })) : undefined,
};

export const handler = async (event: unknown): Promise<Result> => processEvent(event, deps);
