// The Lambda entry point. Configuration and SDK clients live at module scope: built once per cold start.
// Every input arrives through the function's own SQS queue (the event source mapping delivers it): API-call events
// from the stack's rules and the sweep's schedule alike. Anything else, a direct `lambda invoke` above all, is
// refused: the function acts only on what it can prove came from its queue (provenance.ts).
import { EC2Client } from '@aws-sdk/client-ec2';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ec2Port, snsPort, sqsPort } from './aws.js';
import { loadConfig } from './config.js';
import { dynamoPort } from './dynamo.js';
import { consoleSink, decisionLine } from './log.js';
import { Hold, processEvent, report, type Deps, type EventOptions } from './process-event.js';
import { originOf, prove, queueRecords, type QueueRecord } from './provenance.js';
import { errorCode } from './revert.js';
import { sweep } from './sweep.js';
import type { Result } from './types.js';

// Five attempts with the SDK's backoff ride out EC2's RequestLimitExceeded bursts; beyond that the record goes back
// to the queue (logged as a failed attempt), whose redrive policy keeps it in the dead-letter queue in the end.
const config = loadConfig(process.env);
const deps: Deps = {
  config,
  ec2: ec2Port(new EC2Client({ maxAttempts: 5 })),
  sns: config.notifyTopicArn ? snsPort(new SNSClient({ maxAttempts: 5 })) : undefined,
  sqs: sqsPort(new SQSClient({ maxAttempts: 3 })),
  approvals: config.approvals && config.account && config.region
    ? { store: dynamoPort(config.approvals.tableArn, config.approvals.region), account: config.account, region: config.region }
    : undefined,
};

/** Logged at level error and notified: the input is not acted on, and nothing of it is trusted, not even its ids. */
function refuse(reason: string): Promise<Result> {
  const meta = { eventId: null, eventName: null, account: config.account ?? null, region: config.region ?? null };
  return report({ ...meta, decisions: [{ groupId: null, ruleIds: [], direction: null, action: 'refused', reason }] }, deps);
}

/** Puts the record back on the queue for `seconds` (then the event source mapping delivers it again). */
async function requeue(r: QueueRecord, seconds: number): Promise<void> {
  await deps.sqs!.changeVisibility(config.queue!.url, r.receiptHandle, Math.min(43_200, Math.max(1, Math.ceil(seconds))));
}

async function handleRecord(r: QueueRecord): Promise<{ retry: boolean; result?: Result }> {
  const proof = await prove(config, deps.sqs, r);
  // a genuine message that could not be proven for a moment comes back after its visibility timeout
  if (!proof.ok) return proof.transient ? { retry: true } : { retry: false, result: await refuse(proof.reason) };
  const origin = originOf(config, r.body);
  if (origin.kind === 'foreign') return { retry: false, result: await refuse(origin.reason) };
  const opts: EventOptions = { ageSeconds: Math.max(0, (Date.now() - r.sentAt) / 1000) };
  try {
    const result = origin.kind === 'schedule' ? await sweep(origin.envelope, deps) : await processEvent(origin.envelope, deps, opts);
    if (opts.recheckSeconds === undefined) return { retry: false, result };
    await requeue(r, opts.recheckSeconds);
    return { retry: true, result };
  } catch (err) {
    const detail = (origin.envelope.detail ?? {}) as Record<string, unknown>;
    const meta = { eventId: String(detail.eventID ?? origin.envelope.id).slice(0, 128), eventName: String(detail.eventName ?? 'Scheduled Event').slice(0, 64), account: config.account ?? null, region: config.region ?? null };
    if (err instanceof Hold) {
      (deps.log ?? consoleSink)({ level: 'info', eventId: meta.eventId, message: `held for ${err.seconds} s: ${err.reason}` });
      await requeue(r, err.seconds);
      return { retry: true };
    }
    // a transient failure: one line per attempt, then the queue delivers the record again after a short backoff
    const d = { groupId: null, ruleIds: [], direction: null, action: 'failed' as const, reason: `attempt ${r.attempt} failed (${errorCode(err)}); retried through the queue`, attempt: r.attempt, errorCode: errorCode(err) };
    (deps.log ?? consoleSink)(decisionLine(meta, d));
    await requeue(r, 5 * r.attempt).catch(() => undefined);
    return { retry: true };
  }
}

export const handler = async (event: unknown): Promise<Result | { batchItemFailures: { itemIdentifier: string }[]; results: Result[] }> => {
  const records = queueRecords(event);
  if (!records) return refuse('not a message of this function\'s queue (a direct invocation, or a payload of another source)');
  const batchItemFailures: { itemIdentifier: string }[] = [];
  const results: Result[] = [];
  await Promise.all(records.map(async (r) => {
    const o = await handleRecord(r);
    if (o.retry) batchItemFailures.push({ itemIdentifier: r.messageId });
    if (o.result) results.push(o.result);
  }));
  return { batchItemFailures, results };
};
