// Retrying what failed: the events waiting in the function's own dead-letter queue, decided again on the groups as
// they are now. The request (a synchronous `lambda invoke` from `guardrail retry`) says nothing but how many messages
// to read; it carries no event. The function receives the events from the dead-letter queue it knows by
// configuration, and that is their provenance: only SQS moving a record that failed five times in the event queue,
// and EventBridge delivering for this stack's rules, put messages there (the queue's policy denies every other
// sender; SQS marks a moved message with its source queue, and one moved from any queue but the event queue is
// refused here), and only the function's role may receive or delete them.
// Each message gets the event queue's checks (originOf: this account and region, an EC2 API call or the sweep's
// schedule) and the same decision path, and its lines say `"via": "dead-letter-queue"`. It is deleted only once its
// lines are written. One that fails again stays, hidden until its visibility timeout ends, and is counted as failed.
import { handleBatch, refuse, type BatchResponse } from './batch.js';
import { consoleSink, decisionLine, type LineContext } from './log.js';
import { Hold, processEvent, report, type Deps, type EventOptions } from './process-event.js';
import { originOf } from './provenance.js';
import { errorCode } from './revert.js';
import { shown } from './shown.js';
import { sweep } from './sweep.js';
import type { Action, DeadLetter, Decision, EventMeta, Result } from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The most messages one request may ask for. */
export const MAX_MESSAGES = 1000;
/** SQS's most per ReceiveMessage. */
const BATCH = 10;
/** How long a received message stays hidden: one that fails again is back in the queue after this. */
export const RETRY_VISIBILITY_SECONDS = 60;
/** Long polling: a short poll samples some of SQS's servers, and may answer nothing while messages wait. */
export const RECEIVE_WAIT_SECONDS = 1;
/** No batch starts with less than this left of the invocation (deciding one can take seconds when EC2 throttles). */
export const RESERVE_MS = 10_000;

const VIA: NonNullable<LineContext['via']> = 'dead-letter-queue';

export interface RetryCounts {
  /** messages received from the dead-letter queue */
  received: number;
  /** decisions, by their logged action (see BUCKET) */
  reverted: number;
  ignored: number;
  allowed: number;
  failed: number;
  /** ApproximateNumberOfMessages of the dead-letter queue after the run; -1 when it could not be read */
  remaining: number;
}

export interface RetryResponse {
  retry: RetryCounts;
}

/**
 * What the response counts each logged action as: what was undone (a rule revoked, a modified rule restored, an
 * expired approval's rule, a forged label taken off), what was let be (allowed, approved and so kept, monitored),
 * nothing to do, and what was not undone (failed, or refused: a message that is not guardrail's).
 */
const BUCKET: Record<Action, 'reverted' | 'ignored' | 'allowed' | 'failed'> = {
  reverted: 'reverted',
  restored: 'reverted',
  expired: 'reverted',
  forged: 'reverted',
  allowed: 'allowed',
  approved: 'allowed',
  monitored: 'allowed',
  ignored: 'ignored',
  failed: 'failed',
  refused: 'failed',
};

export type RetryRequest = { ok: true; maxMessages: number } | { ok: false; reason: string };

/**
 * The retry request, or undefined when the payload does not ask for one (it has no `guardrail` key). It must be
 * exactly `{"guardrail":"retry","maxMessages":N}`: a payload with anything more (an event above all) is refused
 * whole, so nothing it says is ever acted on.
 */
export function retryRequest(event: unknown): RetryRequest | undefined {
  if (!isObj(event) || !Object.hasOwn(event, 'guardrail')) return undefined;
  const keys = Object.keys(event);
  if (event.guardrail !== 'retry' || keys.length !== 2 || !Object.hasOwn(event, 'maxMessages')) {
    return {
      ok: false,
      reason: 'not a retry request: it must be exactly {"guardrail":"retry","maxMessages":N} and carries no event',
    };
  }
  const n = event.maxMessages;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_MESSAGES) {
    return { ok: false, reason: `not a retry request: maxMessages must be a whole number from 1 to ${MAX_MESSAGES}` };
  }
  return { ok: true, maxMessages: n };
}

/** One invocation: a retry request, or else (handleBatch) an SQS batch of the event queue; anything else is refused. */
export async function handleInvocation(
  event: unknown,
  deps: Deps,
  timeLeftMs: () => number,
): Promise<Result | BatchResponse | RetryResponse> {
  const request = retryRequest(event);
  if (!request) return handleBatch(event, deps);
  if (!request.ok) return refuse(deps, [request.reason]);
  return retryDeadLetters(deps, request.maxMessages, timeLeftMs);
}

function tally(counts: RetryCounts, decisions: Decision[]): void {
  for (const d of decisions) counts[BUCKET[d.action]]++;
}

const log = (deps: Deps) => deps.log ?? consoleSink;
const place = (deps: Deps): EventMeta => ({
  eventId: null,
  eventName: null,
  account: deps.config.account ?? null,
  region: deps.config.region ?? null,
});

/** A failure of the retry itself (no queue, the queue unreadable): one `failed` line, counted. */
function failure(deps: Deps, reason: string): Decision[] {
  const d: Decision = { groupId: null, ruleIds: [], direction: null, action: 'failed', reason };
  log(deps)(decisionLine(place(deps), d, { via: VIA }));
  return [d];
}

/**
 * Reads up to `maxMessages` from the dead-letter queue, ten at a time, until it is empty or the invocation's time runs
 * short, and decides each one. `timeLeftMs` is the invocation's remaining time.
 */
export async function retryDeadLetters(
  deps: Deps,
  maxMessages: number,
  timeLeftMs: () => number,
): Promise<RetryResponse> {
  const counts: RetryCounts = { received: 0, reverted: 0, ignored: 0, allowed: 0, failed: 0, remaining: -1 };
  const dlq = deps.config.deadLetterQueue;
  const sqs = deps.sqs;
  if (!dlq || !sqs) {
    tally(
      counts,
      failure(
        deps,
        'the function has no dead-letter queue configured (GUARDRAIL_DEAD_LETTER_QUEUE_URL); nothing retried',
      ),
    );
    return { retry: counts };
  }
  while (counts.received < maxMessages && timeLeftMs() > RESERVE_MS) {
    let batch: DeadLetter[];
    try {
      batch = await sqs.receive(
        dlq.url,
        Math.min(BATCH, maxMessages - counts.received),
        RETRY_VISIBILITY_SECONDS,
        RECEIVE_WAIT_SECONDS,
      );
    } catch (err) {
      tally(counts, failure(deps, `could not read the dead-letter queue (${errorCode(err)})`));
      break;
    }
    if (batch.length === 0) break;
    counts.received += batch.length;
    for (const decisions of await Promise.all(batch.map((m) => retryOne(deps, dlq.url, m)))) tally(counts, decisions);
  }
  counts.remaining = await sqs.depth(dlq.url).catch(() => -1);
  return { retry: counts };
}

/** The event's ids for the lines written when its decision could not be made (cut, as every field of it). */
function metaOf(deps: Deps, envelope: Obj): EventMeta {
  const detail = isObj(envelope.detail) ? envelope.detail : {};
  return {
    eventId: shown(detail.eventID ?? envelope.id, 128),
    eventName: shown(detail.eventName ?? 'Scheduled Event', 64),
    account: deps.config.account ?? null,
    region: deps.config.region ?? null,
  };
}

/**
 * Deletes a message whose decision lines are written. A delete that fails leaves it to be decided again (idempotent).
 */
async function remove(deps: Deps, url: string, m: DeadLetter, eventId: string | null): Promise<void> {
  try {
    await deps.sqs!.delete(url, m.receiptHandle);
  } catch (err) {
    log(deps)({
      level: 'error',
      eventId,
      via: VIA,
      message: `decided, but message ${m.messageId} could not be deleted from the dead-letter queue (${errorCode(err)}); it will be decided again`,
    });
  }
}

/**
 * A message that is not guardrail's: logged `refused` (level error, notified), never acted on, then deleted, as the
 * event queue's mapping deletes a refused record; the line is the record of it.
 */
async function refuseMessage(deps: Deps, url: string, m: DeadLetter, reason: string): Promise<Decision[]> {
  const d: Decision = {
    groupId: null,
    ruleIds: [],
    direction: null,
    action: 'refused',
    reason: `message ${m.messageId} of the dead-letter queue: ${reason}`,
  };
  await report({ ...place(deps), decisions: [d] }, deps, { via: VIA });
  await remove(deps, url, m, null);
  return [d];
}

async function retryOne(deps: Deps, url: string, m: DeadLetter): Promise<Decision[]> {
  const { config } = deps;
  // SQS alone sets DeadLetterQueueSourceArn: a message it moved here from a queue of someone's own making (which may
  // name this queue in its redrive policy) is not an event guardrail's rules ever delivered
  if (m.sourceQueueArn !== undefined && m.sourceQueueArn !== config.queue?.arn) {
    return refuseMessage(
      deps,
      url,
      m,
      `moved here from ${shown(m.sourceQueueArn, 256)}, not from this function's event queue`,
    );
  }
  const origin = originOf(config, m.body);
  if (origin.kind === 'foreign') return refuseMessage(deps, url, m, origin.reason);
  const opts: EventOptions = {
    current: true,
    via: VIA,
    ageSeconds: m.sentAt > 0 ? Math.max(0, (Date.now() - m.sentAt) / 1000) : undefined,
  };
  let result: Result;
  try {
    result =
      origin.kind === 'schedule'
        ? await sweep(origin.envelope, deps, VIA)
        : await processEvent(origin.envelope, deps, opts);
  } catch (err) {
    const meta = metaOf(deps, origin.envelope);
    if (err instanceof Hold) {
      log(deps)({
        level: 'info',
        eventId: meta.eventId,
        via: VIA,
        message: `held for ${err.seconds} s: ${err.reason}; it stays in the dead-letter queue`,
      });
      return [];
    }
    const d: Decision = {
      groupId: null,
      ruleIds: [],
      direction: null,
      action: 'failed',
      reason: `retry from the dead-letter queue failed (${errorCode(err)}, receive ${m.receiveCount}); the message stays there`,
    };
    log(deps)(decisionLine(meta, d, { via: VIA }));
    return [d];
  }
  // onLookupError keep: the rule is kept for the grace, and the event is decided again by a later retry
  if (opts.recheckSeconds === undefined) await remove(deps, url, m, result.eventId);
  return result.decisions;
}
