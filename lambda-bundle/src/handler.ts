// The Lambda entry point. Configuration and SDK clients live at module scope: built once per cold start.
// Every event arrives through the function's own SQS queue (the event source mapping delivers it): API-call events
// from the stack's rules and the sweep's schedule alike. Anything else, a direct `lambda invoke` above all, is
// refused: the function acts only on what it can prove came from its queue (provenance.ts). The one invocation
// that is not a batch is `guardrail retry`'s request, which carries no event: the function then reads the events
// from its own dead-letter queue (retry.ts).
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ec2Port, snsPort, sqsPort } from './aws.js';
import { loadConfig } from './config.js';
import { configHistory } from './config-history.js';
import { dynamoRecords } from './rule-records.js';
import { dynamoPort } from './dynamo.js';
import type { BatchResponse } from './batch.js';
import { handleInvocation, type RetryResponse } from './retry.js';
import type { Deps } from './process-event.js';
import type { Result } from './types.js';

// Five attempts with the SDK's backoff ride out EC2's RequestLimitExceeded bursts; beyond that the record goes back
// to the queue (logged as a failed attempt), whose redrive policy keeps it in the dead-letter queue in the end.
const config = loadConfig(process.env);
const deps: Deps = {
  config,
  ec2: ec2Port(new EC2Client({ maxAttempts: 5 })),
  sns: config.notifyTopicArn ? snsPort(new SNSClient({ maxAttempts: 5 })) : undefined,
  sqs: sqsPort(new SQSClient({ maxAttempts: 3 })),
  approvals:
    config.approvals && config.account && config.region
      ? {
          store: dynamoPort(config.approvals.tableArn, config.approvals.region),
          account: config.account,
          region: config.region,
        }
      : undefined,
  // a modified rule's previous definition: guardrail's own records, else AWS Config's history (previous.ts)
  records:
    config.rulesTable && config.account && config.region
      ? dynamoRecords(config.rulesTable.tableArn, config.rulesTable.region, config.account, config.region)
      : undefined,
  history: configHistory(),
};

/** Lambda's context, of which the function reads only the time it has left (a retry stops in time). */
interface Context {
  getRemainingTimeInMillis?: () => number;
}

export const handler = (event: unknown, context?: Context): Promise<Result | BatchResponse | RetryResponse> => {
  const end = Date.now() + 30_000;
  const timeLeft =
    typeof context?.getRemainingTimeInMillis === 'function'
      ? () => context.getRemainingTimeInMillis!()
      : () => end - Date.now();
  return handleInvocation(event, deps, timeLeft);
};
