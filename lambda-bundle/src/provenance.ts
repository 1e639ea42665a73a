// Where an input came from, proven rather than read. The function acts only on messages of its own event queue:
// the queue's policy lets nothing but this stack's EventBridge rules send to it, and only the function's role may
// receive from it. A payload says nothing about its origin (a direct `lambda invoke` can carry a perfect SQS batch
// or EventBridge envelope), so each record is proven with ChangeMessageVisibility on the queue the function knows
// by configuration: SQS accepts the receipt handle only for a message of that queue that is still there (in flight,
// or just past its visibility timeout and not yet received again), and the handle was given to the one receiver
// (the event source mapping, polling with the function's role): the proof rests on handles staying secret, which
// the queue's policy ensures and this function keeps (it never logs one). A made-up handle, a handle of another
// queue and a message already deleted are refused by SQS itself.
import { errorCode, isTransient } from './revert.js';
import { shown } from './shown.js';
import type { Config, SqsPort } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How long a record stays invisible while the function decides it (its timeout is 30 s). */
export const LEASE_SECONDS = 60;

export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** SentTimestamp, epoch ms */
  sentAt: number;
  /** ApproximateReceiveCount */
  attempt: number;
  /** eventSourceARN: the queue the record claims to come from */
  arn?: string;
}

/** The records of an SQS batch, or undefined when the payload is not one. Each record is still unproven. */
export function queueRecords(event: unknown): QueueRecord[] | undefined {
  if (!isObj(event) || !Array.isArray(event.Records) || event.Records.length === 0) return undefined;
  const out: QueueRecord[] = [];
  for (const r of event.Records.slice(0, 100) as unknown[]) {
    if (!isObj(r) || r.eventSource !== 'aws:sqs') return undefined;
    const a = isObj(r.attributes) ? r.attributes : {};
    // the ARN is checked too, though the proof does not rest on it: a record naming another queue is refused
    if (r.eventSourceARN !== undefined && typeof r.eventSourceARN !== 'string') return undefined;
    out.push({
      messageId: typeof r.messageId === 'string' ? r.messageId.slice(0, 128) : '',
      receiptHandle: typeof r.receiptHandle === 'string' ? r.receiptHandle : '',
      body: typeof r.body === 'string' ? r.body : '',
      sentAt: Number(a.SentTimestamp) || 0,
      attempt: Number(a.ApproximateReceiveCount) || 1,
      arn: r.eventSourceARN,
    });
  }
  return out;
}

export type Proof = { ok: true } | { ok: false; transient: boolean; reason: string };

/** Proves that the record is an in-flight message of the function's own queue, and takes a lease on it. */
export async function prove(config: Config, sqs: SqsPort | undefined, record: QueueRecord): Promise<Proof> {
  const queue = config.queue;
  if (!queue || !sqs) return { ok: false, transient: false, reason: 'the function has no event queue configured' };
  if (record.arn !== queue.arn) return { ok: false, transient: false, reason: `not a message of ${queue.arn}` };
  if (!record.receiptHandle || record.receiptHandle.length > 8192)
    return { ok: false, transient: false, reason: 'no receipt handle' };
  try {
    await sqs.changeVisibility(queue.url, record.receiptHandle, LEASE_SECONDS);
    return { ok: true };
  } catch (err) {
    return { ok: false, transient: isTransient(err), reason: `SQS refused its receipt handle (${errorCode(err)})` };
  }
}

export type Origin =
  { kind: 'api-call'; envelope: Obj } | { kind: 'schedule'; envelope: Obj } | { kind: 'foreign'; reason: string };

/**
 * What a proven message holds. Only this stack's rules can send to the queue, but the body is still checked against
 * the function's own account and region, so that a rule edited to forward other events achieves nothing.
 */
export function originOf(config: Config, body: string): Origin {
  let e: unknown;
  try {
    e = JSON.parse(body);
  } catch {
    return { kind: 'foreign', reason: 'the message is not JSON' };
  }
  if (!isObj(e)) return { kind: 'foreign', reason: 'the message is not an EventBridge event' };
  const here = `${shown(e.account, 20)}/${shown(e.region, 30)}`;
  if (e.account !== config.account || e.region !== config.region) {
    return {
      kind: 'foreign',
      reason: `an event of ${here}, not of this function's ${config.account}/${config.region}`,
    };
  }
  if (e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event') return { kind: 'schedule', envelope: e };
  const d = isObj(e.detail) ? e.detail : {};
  if (e.source !== 'aws.ec2' || e['detail-type'] !== 'AWS API Call via CloudTrail') {
    return { kind: 'foreign', reason: 'not an EC2 API call recorded by CloudTrail' };
  }
  if (
    (d.recipientAccountId !== undefined && d.recipientAccountId !== config.account) ||
    (d.awsRegion !== undefined && d.awsRegion !== config.region)
  ) {
    return {
      kind: 'foreign',
      reason: `a CloudTrail record of ${shown(d.recipientAccountId, 20)}/${shown(d.awsRegion, 30)}`,
    };
  }
  return { kind: 'api-call', envelope: e };
}
