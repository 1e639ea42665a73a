// One invocation's input, decided: an SQS batch from the event source mapping, each record proven before anything
// else (provenance.ts), or anything else, which is refused. The handler (handler.ts) only wires the clients.
import { consoleSink, decisionLine } from './log.js';
import { Hold, processEvent, report, type Deps, type EventOptions } from './process-event.js';
import { originOf, prove, queueRecords, type QueueRecord } from './provenance.js';
import { errorCode } from './revert.js';
import { shown } from './shown.js';
import { sweep } from './sweep.js';
import type { Result } from './types.js';

export type BatchResponse = { batchItemFailures: { itemIdentifier: string }[]; results: Result[] };

/**
 * Logged at level error and notified, once per invocation however many records it refuses: the input is not acted
 * on, and nothing of it is trusted, not even its ids.
 */
export function refuse(deps: Deps, reasons: string[]): Promise<Result> {
  const { config } = deps;
  const meta = { eventId: null, eventName: null, account: config.account ?? null, region: config.region ?? null };
  const counted = [...new Set(reasons)].map((reason) => {
    const n = reasons.filter((x) => x === reason).length;
    return n > 1 ? `${reason} (${n} records)` : reason;
  });
  return report(
    {
      ...meta,
      decisions: counted.map((reason) => ({
        groupId: null,
        ruleIds: [],
        direction: null,
        action: 'refused' as const,
        reason,
      })),
    },
    deps,
  );
}

/** Puts the record back on the queue for `seconds` (then the event source mapping delivers it again). */
async function requeue(deps: Deps, r: QueueRecord, seconds: number): Promise<void> {
  await deps.sqs!.changeVisibility(
    deps.config.queue!.url,
    r.receiptHandle,
    Math.min(43_200, Math.max(1, Math.ceil(seconds))),
  );
}

type Handled = { retry: boolean; result?: Result; refused?: string };

async function handleRecord(deps: Deps, r: QueueRecord): Promise<Handled> {
  const { config } = deps;
  const proof = await prove(config, deps.sqs, r);
  // a genuine message that could not be proven for a moment comes back after its visibility timeout
  if (!proof.ok) return proof.transient ? { retry: true } : { retry: false, refused: proof.reason };
  const origin = originOf(config, r.body);
  if (origin.kind === 'foreign') return { retry: false, refused: origin.reason };
  const opts: EventOptions = { ageSeconds: Math.max(0, (Date.now() - r.sentAt) / 1000) };
  try {
    const result =
      origin.kind === 'schedule' ? await sweep(origin.envelope, deps) : await processEvent(origin.envelope, deps, opts);
    if (opts.recheckSeconds === undefined) return { retry: false, result };
    await requeue(deps, r, opts.recheckSeconds);
    return { retry: true, result };
  } catch (err) {
    const detail = (origin.envelope.detail ?? {}) as Record<string, unknown>;
    const meta = {
      eventId: shown(detail.eventID ?? origin.envelope.id, 128),
      eventName: shown(detail.eventName ?? 'Scheduled Event', 64),
      account: config.account ?? null,
      region: config.region ?? null,
    };
    if (err instanceof Hold) {
      (deps.log ?? consoleSink)({
        level: 'info',
        eventId: meta.eventId,
        message: `held for ${err.seconds} s: ${err.reason}`,
      });
      await requeue(deps, r, err.seconds);
      return { retry: true };
    }
    // a transient failure: one line per attempt, then the queue delivers the record again after a short backoff
    const d = {
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'failed' as const,
      reason: `attempt ${r.attempt} failed (${errorCode(err)}); retried through the queue`,
      attempt: r.attempt,
      errorCode: errorCode(err),
    };
    (deps.log ?? consoleSink)(decisionLine(meta, d));
    await requeue(deps, r, 5 * r.attempt).catch(() => undefined);
    return { retry: true };
  }
}

export async function handleBatch(event: unknown, deps: Deps): Promise<Result | BatchResponse> {
  const records = queueRecords(event);
  if (!records)
    return refuse(deps, [
      "not a message of this function's queue (a direct invocation, or a payload of another source)",
    ]);
  const batchItemFailures: { itemIdentifier: string }[] = [];
  const results: Result[] = [];
  const refused: string[] = [];
  await Promise.all(
    records.map(async (r) => {
      const o = await handleRecord(deps, r);
      if (o.retry) batchItemFailures.push({ itemIdentifier: r.messageId });
      if (o.result) results.push(o.result);
      if (o.refused) refused.push(o.refused);
    }),
  );
  if (refused.length > 0) results.push(await refuse(deps, refused));
  return { batchItemFailures, results };
}
