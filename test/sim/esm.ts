// Lambda event source mappings for SQS: the poller that receives a queue's messages in batches and invokes the
// function with Lambda's SQS event, deletes what succeeded (all of it, or all but the reported batch item failures),
// and leaves the rest in flight until its visibility timeout. It runs when a queue with an enabled mapping gets a
// message, when the simulated clock moves, and when a visibility timeout runs out (a timer on real time, which the
// simulated clock follows). Invocations go through loop.ts, so they are recorded, logged and awaited by
// whenLoopIdle like every other invocation.
import type { Caller, ServiceContext } from './types.js';
import type { EventSourceMapping, LambdaFunction, RegionState, SimState, SqsMessage, SqsQueue } from './state.js';
import { regionState } from './state.js';
import { findFunctionByArn, holdLoop, invokeSync, releaseLoop, Throttled, whenLoopIdle } from './loop.js';
import {
  deleteByHandle,
  findQueueByArn,
  queuePolicyVerdict,
  receiveMessages,
  systemAttributesOf,
} from './services/sqs.js';
import { roleIdFor } from './server.js';

/**
 * Lambda starts an SQS mapping with five concurrent batches (its pollers); ScalingConfig.MaximumConcurrency caps it.
 */
export const INITIAL_CONCURRENT_BATCHES = 5;

interface Poller {
  ctx: ServiceContext;
  /** queues whose poll is scheduled (setImmediate) */
  scheduled: Set<string>;
  /** batches being processed per mapping */
  active: Map<string, number>;
  /** a timer per queue: when its next message becomes visible, or a batching window closes */
  timers: Map<string, { at: number; timer: NodeJS.Timeout }>;
  /** when a mapping's batching window opened */
  windows: Map<string, number>;
  closed: boolean;
}

const pollers = new WeakMap<SimState, Poller>();

/** server.ts: start polling for this state (clock moves re-poll every queue that has a mapping). */
export function startSqsPolling(ctx: ServiceContext): void {
  const poller: Poller = {
    ctx,
    scheduled: new Set(),
    active: new Map(),
    timers: new Map(),
    windows: new Map(),
    closed: false,
  };
  pollers.set(ctx.state, poller);
  ctx.state.clock.onAdvance(async () => {
    const queues = mappedQueues(ctx.state);
    for (const arn of queues) schedule(poller, arn);
    // POST /_sim/clock answers once the redeliveries it caused have run
    if (queues.length) await whenLoopIdle(ctx.state, 60_000);
    return 0;
  });
}

export function closeSqsPolling(state: SimState): void {
  const poller = pollers.get(state);
  if (!poller) return;
  poller.closed = true;
  for (const { timer } of poller.timers.values()) clearTimeout(timer);
  poller.timers.clear();
  pollers.delete(state);
}

/** Every mapping of the state, wherever it lives. */
function* allMappings(state: SimState): Generator<{ esm: EventSourceMapping; rs: RegionState }> {
  for (const acct of state.accounts.values()) {
    for (const rs of acct.regions.values()) for (const esm of rs.eventSourceMappings?.values() ?? []) yield { esm, rs };
  }
}

/** Mappings by queue ARN, rebuilt when a mapping is added or removed. */
const indexes = new WeakMap<SimState, Map<string, EventSourceMapping[]>>();
function index(state: SimState): Map<string, EventSourceMapping[]> {
  let idx = indexes.get(state);
  if (!idx) {
    idx = new Map();
    for (const { esm } of allMappings(state)) {
      const list = idx.get(esm.eventSourceArn) ?? [];
      list.push(esm);
      idx.set(esm.eventSourceArn, list);
    }
    indexes.set(state, idx);
  }
  return idx;
}
function mappedQueues(state: SimState): string[] {
  return [...index(state).entries()].filter(([, l]) => l.some((e) => e.enabled)).map(([arn]) => arn);
}

/** Called by SQS whenever a queue may have become pollable (a message sent, a visibility timeout ended, attributes). */
export function queueChanged(state: SimState, queue: SqsQueue): void {
  const poller = pollers.get(state);
  if (!poller || poller.closed) return;
  if (
    !index(state)
      .get(queue.arn)
      ?.some((e) => e.enabled)
  )
    return;
  schedule(poller, queue.arn);
}

function schedule(poller: Poller, queueArn: string): void {
  if (poller.closed || poller.scheduled.has(queueArn)) return;
  poller.scheduled.add(queueArn);
  holdLoop(poller.ctx);
  setImmediate(() => {
    poller.scheduled.delete(queueArn);
    try {
      poll(poller, queueArn);
    } catch (err) {
      process.stderr.write(`sim: SQS poller failed: ${(err as Error)?.stack ?? String(err)}\n`);
    } finally {
      releaseLoop(poller.ctx);
    }
  });
}

/** A function's execution role, as the caller of the mapping's SQS calls. */
export function roleCaller(fn: LambdaFunction, accountId: string): Caller {
  const roleName = fn.role.split('/').pop() ?? '';
  return {
    accessKeyId: '',
    accountId,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${fn.functionName}`,
    roleArn: fn.role,
    roleName,
    sessionName: fn.functionName,
    assumedRole: true,
    userId: `${roleIdFor(fn.role)}:${fn.functionName}`,
  };
}

function poll(poller: Poller, queueArn: string): void {
  const { state } = poller.ctx;
  const found = findQueueByArn(state, queueArn);
  if (!found) return;
  const { queue } = found;
  for (const esm of index(state).get(queueArn) ?? []) {
    if (!esm.enabled) continue;
    const target = findFunctionByArn(state, esm.functionArn);
    if (!target) {
      esm.lastProcessingResult = 'PROBLEM: Function not found.';
      continue;
    }
    const caller = roleCaller(target.fn, target.rs.accountId);
    const verdict = queuePolicyVerdict(state, queue, { kind: 'iam', caller }, 'sqs:ReceiveMessage', found.rs.region);
    if (verdict === 'deny' || (found.rs.accountId !== target.rs.accountId && verdict !== 'allow')) {
      esm.lastProcessingResult =
        'PROBLEM: Lambda failed to receive messages: the execution role is not authorized to perform sqs:ReceiveMessage.';
      continue;
    }
    const cap = esm.maximumConcurrency ?? INITIAL_CONCURRENT_BATCHES;
    while ((poller.active.get(esm.uuid) ?? 0) < cap) {
      const now = state.clock.now();
      const visible = (queue.messages ?? []).filter((m) => m.visibleAt <= now).length;
      if (visible === 0) break;
      if (esm.maximumBatchingWindowInSeconds > 0 && visible < esm.batchSize) {
        const opened = poller.windows.get(esm.uuid) ?? now;
        poller.windows.set(esm.uuid, opened);
        const closesAt = opened + esm.maximumBatchingWindowInSeconds * 1000;
        if (now < closesAt) {
          wakeAt(poller, queueArn, closesAt);
          break;
        }
      }
      poller.windows.delete(esm.uuid);
      const visibility = Number(queue.attributes.VisibilityTimeout ?? 30);
      const messages = receiveMessages(state, queue, esm.batchSize, visibility);
      if (messages.length === 0) break;
      poller.active.set(esm.uuid, (poller.active.get(esm.uuid) ?? 0) + 1);
      holdLoop(poller.ctx);
      void runBatch(poller, esm, target.rs, target.fn, queue, found.rs.region, messages).finally(() => {
        poller.active.set(esm.uuid, (poller.active.get(esm.uuid) ?? 1) - 1);
        schedule(poller, queueArn);
        releaseLoop(poller.ctx);
      });
    }
  }
  // the next message to become visible (a visibility timeout or a delay running out)
  const now = state.clock.now();
  let next = Infinity;
  for (const m of queue.messages ?? []) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
  if (next !== Infinity) wakeAt(poller, queueArn, next);
}

/** A real-time timer for a simulated time (the clock is real time plus an offset). Not awaited by whenLoopIdle. */
function wakeAt(poller: Poller, queueArn: string, at: number): void {
  const existing = poller.timers.get(queueArn);
  if (existing && existing.at <= at && existing.at > poller.ctx.state.clock.now()) return;
  if (existing) clearTimeout(existing.timer);
  const timer = setTimeout(
    () => {
      poller.timers.delete(queueArn);
      schedule(poller, queueArn);
    },
    Math.max(0, at - poller.ctx.state.clock.now()) + 1,
  );
  timer.unref();
  poller.timers.set(queueArn, { at, timer });
}

/** Lambda's SQS event record. */
function record(m: SqsMessage, queue: SqsQueue, region: string): Record<string, unknown> {
  const sys = systemAttributesOf(m);
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: sys.ApproximateReceiveCount!,
    SentTimestamp: sys.SentTimestamp!,
    SenderId: sys.SenderId!,
    ApproximateFirstReceiveTimestamp: sys.ApproximateFirstReceiveTimestamp!,
    ...(sys.DeadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: sys.DeadLetterQueueSourceArn } : {}),
  };
  const messageAttributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.messageAttributes ?? {})) {
    messageAttributes[k] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: v.DataType,
    };
  }
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes,
    messageAttributes,
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * The message ids a ReportBatchItemFailures response asks to keep, or 'all' when the response means the whole
 * batch failed: an itemIdentifier that is empty, null, not a string, missing (a wrong key name) or not a message of
 * the batch. A null or empty response, or an empty or null batchItemFailures, is full success (Lambda's rules).
 */
export function batchItemFailures(result: unknown, ids: Set<string>): Set<string> | 'all' {
  if (result === null || result === undefined || result === '') return new Set();
  if (typeof result !== 'object' || Array.isArray(result)) return 'all';
  const list = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return 'all';
  const keep = new Set<string>();
  for (const item of list) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return 'all';
    keep.add(id);
  }
  return keep;
}

async function runBatch(
  poller: Poller,
  esm: EventSourceMapping,
  rs: RegionState,
  fn: LambdaFunction,
  queue: SqsQueue,
  region: string,
  messages: SqsMessage[],
): Promise<void> {
  const handles = messages.map((m) => ({ id: m.messageId, handle: m.receiptHandle! }));
  const event = { Records: messages.map((m) => record(m, queue, region)) };
  let outcome;
  try {
    outcome = await invokeSync(poller.ctx, rs, fn, event, messages[0]?.messageId ?? '');
  } catch (err) {
    if (!(err instanceof Throttled)) throw err;
    // throttled (reserved concurrency): the batch goes back to the queue when its visibility timeout ends, each
    // message with its receive counted, as Lambda hands back a batch it could not invoke the function with
    esm.lastProcessingResult = 'OK';
    return;
  }
  if (poller.closed) return;
  if (outcome.status === 'failed') {
    // the whole batch stays in flight until its visibility timeout
    esm.lastProcessingResult = 'OK';
    return;
  }
  let keep = new Set<string>();
  if (esm.functionResponseTypes.includes('ReportBatchItemFailures')) {
    const verdict = batchItemFailures(outcome.result, new Set(handles.map((h) => h.id)));
    if (verdict === 'all') {
      esm.lastProcessingResult = 'OK';
      return;
    }
    keep = verdict;
  }
  for (const h of handles) {
    if (keep.has(h.id)) continue;
    try {
      deleteByHandle(queue, h.handle);
    } catch {
      /* the queue forgot the handle (purged or deleted): nothing to delete */
    }
  }
  esm.lastProcessingResult = 'OK';
}

// ---------------------------------------------------------------------------------------------------------------
// mappings: validation shared by CloudFormation and the Lambda API

export interface MappingInput {
  eventSourceArn: string;
  functionRef: string;
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  functionResponseTypes?: string[];
  enabled?: boolean;
  maximumConcurrency?: number;
  filterCriteria?: unknown;
}

/** Lambda's checks on an SQS mapping; the message of the first that fails. */
export function mappingProblem(
  state: SimState,
  region: string,
  account: string,
  input: MappingInput,
): string | undefined {
  if (!/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]+$/.test(input.eventSourceArn)) {
    if (input.eventSourceArn.endsWith('.fifo'))
      return 'The simulator models standard queues only (FIFO queues are not simulated).';
    return `Unrecognized event source, must be kinesis, dynamodb stream or sqs. Unsupported source arn : ${input.eventSourceArn}`;
  }
  if (input.eventSourceArn.split(':')[3] !== region)
    return 'The event source must be in the same region as the function.';
  const window = input.maximumBatchingWindowInSeconds ?? 0;
  if (!Number.isInteger(window) || window < 0 || window > 300)
    return `1 validation error detected: Value '${window}' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300`;
  const size = input.batchSize ?? 10;
  if (!Number.isInteger(size) || size < 1 || size > 10000)
    return `1 validation error detected: Value '${size}' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000`;
  if (size > 10 && window === 0)
    return 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10';
  for (const t of input.functionResponseTypes ?? []) {
    if (t !== 'ReportBatchItemFailures')
      return `1 validation error detected: Value '[${t}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]`;
  }
  if (
    input.maximumConcurrency !== undefined &&
    (!Number.isInteger(input.maximumConcurrency) || input.maximumConcurrency < 2 || input.maximumConcurrency > 1000)
  ) {
    return `1 validation error detected: Value '${input.maximumConcurrency}' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2`;
  }
  if (input.filterCriteria !== undefined)
    return 'The simulator does not evaluate FilterCriteria on event source mappings';
  // when both already exist: Lambda refuses a queue whose visibility timeout is shorter than the function's timeout
  const queue = findQueueByArn(state, input.eventSourceArn)?.queue;
  const fn = state.accounts.get(account)?.regions.get(region)?.functions.get(functionName(input.functionRef));
  if (queue && fn && Number(queue.attributes.VisibilityTimeout ?? 30) < fn.timeout) {
    return `Invalid parameter: Queue visibility timeout: ${queue.attributes.VisibilityTimeout ?? 30} seconds is less than Function timeout: ${fn.timeout} seconds`;
  }
  return undefined;
}

export function functionName(ref: string): string {
  const full = /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:([\w-]+)/.exec(ref);
  if (full) return full[1]!;
  const partial = /^\d{12}:function:([\w-]+)/.exec(ref);
  return partial ? partial[1]! : ref.split(':')[0]!;
}

/** Writes a mapping into the function's region state and the queue index, and polls at once. */
export function putMapping(
  state: SimState,
  region: string,
  account: string,
  uuid: string,
  input: MappingInput,
): EventSourceMapping {
  const rs = regionState(state, account, region);
  const esm: EventSourceMapping = {
    uuid,
    arn: `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}`,
    eventSourceArn: input.eventSourceArn,
    functionArn: `arn:aws:lambda:${region}:${account}:function:${functionName(input.functionRef)}`,
    batchSize: input.batchSize ?? 10,
    maximumBatchingWindowInSeconds: input.maximumBatchingWindowInSeconds ?? 0,
    functionResponseTypes: input.functionResponseTypes ?? [],
    enabled: input.enabled ?? true,
    lastModified: state.clock.now(),
    lastProcessingResult: 'No records processed',
    ...(input.maximumConcurrency !== undefined ? { maximumConcurrency: input.maximumConcurrency } : {}),
  };
  (rs.eventSourceMappings ??= new Map()).set(uuid, esm);
  indexes.delete(state);
  const queue = findQueueByArn(state, esm.eventSourceArn)?.queue;
  if (queue) queueChanged(state, queue);
  return esm;
}

export function removeMapping(state: SimState, region: string, account: string, uuid: string): boolean {
  const removed = state.accounts.get(account)?.regions.get(region)?.eventSourceMappings?.delete(uuid) ?? false;
  indexes.delete(state);
  return removed;
}

/** The Lambda API's EventSourceMappingConfiguration. */
export function mappingConfiguration(esm: EventSourceMapping, state?: string): Record<string, unknown> {
  return {
    UUID: esm.uuid,
    BatchSize: esm.batchSize,
    MaximumBatchingWindowInSeconds: esm.maximumBatchingWindowInSeconds,
    EventSourceArn: esm.eventSourceArn,
    FunctionArn: esm.functionArn,
    LastModified: esm.lastModified / 1000,
    State: state ?? (esm.enabled ? 'Enabled' : 'Disabled'),
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: esm.functionResponseTypes,
    EventSourceMappingArn: esm.arn,
    ...(esm.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: esm.maximumConcurrency } } : {}),
  };
}
