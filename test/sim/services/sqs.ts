// Amazon SQS (awsJson1_0 with AWS query compatibility, X-Amz-Target AmazonSQS.<Op>): standard queues, their
// messages, visibility timeouts, delays, receipt handles, redrive to a dead-letter queue, and queue policies.
// Errors carry the JSON __type (com.amazonaws.sqs#Shape) and the x-amzn-query-error header (Code;Sender) that the
// SDK's query-compatible protocol reads first. Time is the simulator's clock (state.clock): advancing it makes
// in-flight messages visible again, and the event source mappings (esm.ts) poll again.
import { createHash } from 'node:crypto';
import { SimError, type Caller, type Service, type SimRequest } from '../types.js';
import { regionState, type RegionState, type SimState, type SqsMessage, type SqsQueue } from '../state.js';
import { evaluateResourcePolicy, type PolicyPrincipal } from './resource-policy.js';
import { queueChanged } from '../esm.js';

/**
 * The SenderId SQS shows for a message EventBridge delivered. Real AWS shows the principal id of the service's
 * own sender, which no source we could check names: this value is the simulator's, and nothing should depend on it.
 */
export const EVENTBRIDGE_SENDER_ID = 'AIDAEVENTBRIDGESIMULATED';

const DEFAULTS: Record<string, string> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  MaximumMessageSize: '262144',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};
/** settable attributes and their integer ranges (undefined: free text, JSON or boolean) */
const SETTABLE: Record<string, [number, number] | undefined> = {
  VisibilityTimeout: [0, 43200],
  MessageRetentionPeriod: [60, 1209600],
  MaximumMessageSize: [1024, 1048576],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
  Policy: undefined,
  RedrivePolicy: undefined,
  RedriveAllowPolicy: undefined,
  KmsMasterKeyId: undefined,
  SqsManagedSseEnabled: undefined,
  FifoQueue: undefined,
  ContentBasedDeduplication: undefined,
};
const COMPUTED = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

// ---------------------------------------------------------------------------------------------------------------
// errors, as SQS's JSON protocol carries them

function sqsError(
  shape: string,
  queryCode: string,
  status: number,
  message: string,
  ns = 'com.amazonaws.sqs',
): SimError {
  const err = new SimError(`${ns}#${shape}`, message, status);
  err.headers = { 'x-amzn-query-error': `${queryCode};Sender` };
  return err;
}
const noQueue = () =>
  sqsError('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 400, 'The specified queue does not exist.');
const invalidHandle = (h: string) =>
  sqsError(
    'ReceiptHandleIsInvalid',
    'ReceiptHandleIsInvalid',
    404,
    `The input receipt handle "${h}" is not a valid receipt handle.`,
  );
const invalidValue = (message: string) =>
  sqsError('InvalidParameterValueException', 'InvalidParameterValue', 400, message);
const missing = (name: string) =>
  sqsError(
    'MissingRequiredParameterException',
    'MissingParameter',
    400,
    `The request must contain the parameter ${name}.`,
  );
const badAttributeName = (name: string) =>
  sqsError('InvalidAttributeName', 'InvalidAttributeName', 400, `Unknown Attribute ${name}.`);
const badAttributeValue = (name: string) =>
  sqsError('InvalidAttributeValue', 'InvalidAttributeValue', 400, `Invalid value for the parameter ${name}.`);

function accessDenied(caller: Caller, action: string, arn: string, explicit: boolean): SimError {
  return sqsError(
    'AccessDeniedException',
    'AccessDenied',
    403,
    `User: ${caller.arn} is not authorized to perform: ${action.toLowerCase()} ` +
      `on resource: ${arn} ${explicit ? 'with an explicit deny in a resource-based policy' : `because no resource-based policy allows the ${action.toLowerCase()} action`}`,
    'com.amazon.coral.service',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// queues

export const queueArnOf = (region: string, account: string, name: string) => `arn:aws:sqs:${region}:${account}:${name}`;

const endpoints = new WeakMap<SimState, () => string>();
/** server.ts: the simulator's endpoint, which queue URLs are on (as a real queue URL is on SQS's endpoint). */
export function setSqsEndpoint(state: SimState, endpoint: () => string): void {
  endpoints.set(state, endpoint);
}

/**
 * A queue's URL: ENDPOINT/ACCOUNT/NAME on the simulator's own endpoint, as AWS's queue URLs are on SQS's endpoint
 * (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME). The SDK's SQS client sends a call to the host of its QueueUrl
 * when its endpoint comes from AWS_ENDPOINT_URL rather than the client's config (useQueueUrlAsEndpoint), so an
 * amazonaws.com URL would send the call to AWS itself. Without a running server: the AWS form.
 */
export function queueUrlOf(state: SimState, region: string, account: string, name: string): string {
  const endpoint = endpoints.get(state)?.();
  return endpoint ? `${endpoint}/${account}/${name}` : `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

/** A queue named by its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or any host with /ACCOUNT/NAME). */
export function parseQueueUrl(
  url: string,
  defaultRegion: string,
): { region: string; account: string; name: string } | undefined {
  const m = /^(?:https?:\/\/([^/]+))?\/(\d{12})\/([\w-]{1,80}(?:\.fifo)?)\/?$/.exec(url);
  if (!m) return undefined;
  const host =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(m[1] ?? '') ??
    /^([a-z]{2}(?:-gov)?-[a-z]+-\d)\.queue\.amazonaws\.com$/.exec(m[1] ?? '');
  return { region: host?.[1] ?? defaultRegion, account: m[2]!, name: m[3]! };
}

export function findQueueByArn(state: SimState, arn: string): { queue: SqsQueue; rs: RegionState } | undefined {
  const m = /^arn:aws[\w-]*:sqs:([\w-]+):(\d{12}):([\w.-]+)$/.exec(arn);
  if (!m) return undefined;
  const rs = state.accounts.get(m[2]!)?.regions.get(m[1]!);
  const queue = rs?.queues.get(m[3]!) ?? (rs ? [...rs.queues.values()].find((q) => q.arn === arn) : undefined);
  return queue && rs ? { queue, rs } : undefined;
}

/** Validates attribute names and values as SetQueueAttributes does; returns them as SQS stores them. */
export function validateAttributes(state: SimState, attrs: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(attrs)) {
    if (!Object.hasOwn(SETTABLE, name)) throw badAttributeName(name);
    const value =
      typeof raw === 'string' ? raw : typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw);
    const range = SETTABLE[name];
    if (range) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < range[0] || n > range[1]) throw badAttributeValue(name);
    }
    if (name === 'FifoQueue' && value === 'true')
      throw invalidValue('The simulator models standard queues only (FifoQueue is not simulated).');
    if (name === 'Policy' && value !== '') {
      try {
        JSON.parse(value);
      } catch {
        throw badAttributeValue(name);
      }
    }
    if (name === 'RedrivePolicy' && value !== '') {
      const redrive = parseRedrive(value);
      if (!redrive)
        throw invalidValue(
          `Value ${value} for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map or is missing deadLetterTargetArn or maxReceiveCount.`,
        );
      if (redrive.maxReceiveCount < 1 || redrive.maxReceiveCount > 1000) {
        throw invalidValue(
          `Value ${value} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${redrive.maxReceiveCount}, valid values are from 1 to 1000 both inclusive.`,
        );
      }
      if (!findQueueByArn(state, redrive.deadLetterTargetArn)) {
        throw invalidValue(
          `Value ${value} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
        );
      }
    }
    if (
      (name === 'SqsManagedSseEnabled' || name === 'ContentBasedDeduplication') &&
      value !== 'true' &&
      value !== 'false'
    )
      throw badAttributeValue(name);
    out[name] = value;
  }
  return out;
}

export function parseRedrive(
  value: string | undefined,
): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  if (!value) return undefined;
  try {
    const r = JSON.parse(value) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const max = Number(r.maxReceiveCount);
    if (typeof r.deadLetterTargetArn !== 'string' || !Number.isInteger(max)) return undefined;
    return { deadLetterTargetArn: r.deadLetterTargetArn, maxReceiveCount: max };
  } catch {
    return undefined;
  }
}

/** A new queue record with SQS's defaults under the given attributes (already validated). */
export function newQueue(
  state: SimState,
  region: string,
  account: string,
  name: string,
  attributes: Record<string, string>,
  url?: string,
): SqsQueue {
  const seconds = String(Math.floor(state.clock.now() / 1000));
  return {
    name,
    url: url ?? queueUrlOf(state, region, account, name),
    arn: queueArnOf(region, account, name),
    attributes: { ...DEFAULTS, ...attributes, CreatedTimestamp: seconds, LastModifiedTimestamp: seconds },
    messages: [],
    handles: new Map(),
  };
}

function counts(queue: SqsQueue, now: number): { visible: number; inFlight: number; delayed: number } {
  let visible = 0;
  let inFlight = 0;
  let delayed = 0;
  for (const m of queue.messages ?? []) {
    if (m.visibleAt <= now) visible++;
    else if (m.receiveCount > 0) inFlight++;
    else delayed++;
  }
  return { visible, inFlight, delayed };
}

/** GET /_sim/state shows a queue's messages as these counts. */
export function queueSummary(queue: SqsQueue, now: number): Record<string, number> {
  return { ...counts(queue, now), total: queue.messages?.length ?? 0 };
}

/** Drops messages older than the retention period. */
function sweep(queue: SqsQueue, now: number): void {
  const retention = Number(queue.attributes.MessageRetentionPeriod ?? DEFAULTS.MessageRetentionPeriod) * 1000;
  if (!queue.messages?.length || queue.messages[0]!.sentAtMs + retention > now) return;
  const kept: SqsMessage[] = [];
  for (const m of queue.messages) {
    if (m.sentAtMs + retention > now) kept.push(m);
    else forget(queue, m);
  }
  queue.messages = kept;
}

/** A removed message's handles stay known, so a later call with one is told the message is gone. */
function forget(queue: SqsQueue, m: SqsMessage): void {
  const handles = (queue.handles ??= new Map());
  for (const [h, id] of handles) if (id === m.messageId) handles.set(h, '');
}

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/** MD5OfMessageAttributes as SQS documents it: each attribute, sorted by name, length-prefixed. */
function md5OfAttributes(attrs: NonNullable<SqsMessage['messageAttributes']>): string {
  const hash = createHash('md5');
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    hash.update(len);
    hash.update(b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      field(Buffer.from(a.BinaryValue, 'base64'));
    } else {
      hash.update(Buffer.from([1]));
      field(Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

export interface Sender {
  /** the sender's ARN as the simulator records it */
  arn: string;
  /** SQS's SenderId attribute */
  senderId: string;
}

/** Puts a message on the queue (after any access check) and lets the queue's pollers know. */
export function enqueue(
  state: SimState,
  queue: SqsQueue,
  body: string,
  sender: Sender,
  opts: {
    delaySeconds?: number;
    messageAttributes?: SqsMessage['messageAttributes'];
    systemAttributes?: Record<string, string>;
    messageId?: string;
    sentAtMs?: number;
  } = {},
): SqsMessage {
  const now = state.clock.now();
  sweep(queue, now);
  const delay = opts.delaySeconds ?? Number(queue.attributes.DelaySeconds ?? 0);
  const sentAtMs = opts.sentAtMs ?? now;
  const m: SqsMessage = {
    messageId: opts.messageId ?? state.random.ids.uuid(),
    body,
    md5OfBody: md5(body),
    sentAt: new Date(sentAtMs).toISOString(),
    sentAtMs,
    sentBy: sender.arn,
    senderId: sender.senderId,
    visibleAt: now + delay * 1000,
    receiveCount: 0,
    ...(opts.messageAttributes && Object.keys(opts.messageAttributes).length
      ? { messageAttributes: opts.messageAttributes }
      : {}),
    ...(opts.systemAttributes ? { systemAttributes: opts.systemAttributes } : {}),
  };
  (queue.messages ??= []).push(m);
  queueChanged(state, queue);
  return m;
}

function newReceiptHandle(state: SimState): string {
  return `AQEB${Buffer.from(state.random.ids.hex(240), 'hex').toString('base64')}`;
}

/**
 * ReceiveMessage: up to `max` visible messages, each with a fresh receipt handle, its receive count raised and
 * hidden for `visibilitySeconds`. A message whose receive count has reached the RedrivePolicy's maxReceiveCount
 * moves to the dead-letter queue instead of being returned (at the receive that would exceed it).
 */
export function receiveMessages(
  state: SimState,
  queue: SqsQueue,
  max: number,
  visibilitySeconds: number,
): SqsMessage[] {
  const now = state.clock.now();
  sweep(queue, now);
  const out: SqsMessage[] = [];
  const redrive = parseRedrive(queue.attributes.RedrivePolicy);
  const dlq = redrive ? findQueueByArn(state, redrive.deadLetterTargetArn)?.queue : undefined;
  for (const m of [...(queue.messages ?? [])]) {
    if (out.length >= max) break;
    if (m.visibleAt > now) continue;
    if (redrive && dlq && dlq !== queue && m.receiveCount >= redrive.maxReceiveCount) {
      removeMessage(queue, m);
      enqueue(
        state,
        dlq,
        m.body,
        { arn: m.sentBy, senderId: m.senderId },
        {
          messageId: m.messageId,
          sentAtMs: m.sentAtMs,
          messageAttributes: m.messageAttributes,
          delaySeconds: 0,
          systemAttributes: { ...m.systemAttributes, DeadLetterQueueSourceArn: queue.arn },
        },
      );
      continue;
    }
    m.receiveCount++;
    m.firstReceiveAt ??= now;
    m.lastReceivedAt = now;
    m.receiptHandle = newReceiptHandle(state);
    (queue.handles ??= new Map()).set(m.receiptHandle, m.messageId);
    m.visibleAt = now + visibilitySeconds * 1000;
    out.push(m);
  }
  return out;
}

function removeMessage(queue: SqsQueue, m: SqsMessage): void {
  queue.messages = (queue.messages ?? []).filter((x) => x !== m);
  forget(queue, m);
}

/**
 * DeleteMessage by receipt handle. A handle this queue never issued is ReceiptHandleIsInvalid; one of a message
 * already deleted succeeds and does nothing; any handle the message was given deletes it, even an older one
 * (SQS accepts a receipt handle from an earlier receive).
 */
export function deleteByHandle(queue: SqsQueue, handle: string): void {
  const id = queue.handles?.get(handle);
  if (id === undefined) throw invalidHandle(handle);
  if (id === '') return;
  const m = queue.messages?.find((x) => x.messageId === id);
  if (m) removeMessage(queue, m);
}

/**
 * ChangeMessageVisibility. A handle this queue never issued: ReceiptHandleIsInvalid (404). The message was
 * deleted (or moved to the dead-letter queue, or expired): InvalidParameterValue. The message is not in flight (its
 * visibility timeout ran out): success, and nothing changes, as SQS answers. In flight: its visibility timeout
 * restarts from now, within 12 hours of the receive.
 */
export function changeVisibility(state: SimState, queue: SqsQueue, handle: string, timeout: number): void {
  const id = queue.handles?.get(handle);
  if (id === undefined) throw invalidHandle(handle);
  const m = id === '' ? undefined : queue.messages?.find((x) => x.messageId === id);
  if (!m) {
    throw invalidValue(
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );
  }
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43200) {
    throw invalidValue(
      `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`,
    );
  }
  const now = state.clock.now();
  if (m.visibleAt <= now || m.receiveCount === 0) return;
  if (m.lastReceivedAt !== undefined && now + timeout * 1000 - m.lastReceivedAt > 43200_000) {
    throw invalidValue(
      `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
    );
  }
  m.visibleAt = now + timeout * 1000;
  if (timeout === 0) queueChanged(state, queue);
}

// ---------------------------------------------------------------------------------------------------------------
// access

/** The queue policy's verdict for a principal: explicit Deny, Allow, or nothing. */
export function queuePolicyVerdict(
  state: SimState,
  queue: SqsQueue,
  principal: PolicyPrincipal,
  action: string,
  region: string,
) {
  const policy = queue.attributes.Policy;
  return policy ? evaluateResourcePolicy(policy, state, principal, action, queue.arn, region) : 'none';
}

/**
 * Same-account callers pass unless an explicit Deny applies (identity policies are not simulated); others need an
 * Allow.
 */
function authorize(state: SimState, req: SimRequest, queue: SqsQueue, owner: string, action: string): void {
  const verdict = queuePolicyVerdict(state, queue, { kind: 'iam', caller: req.caller }, action, req.region);
  if (verdict === 'deny') throw accessDenied(req.caller, action, queue.arn, true);
  if (owner !== req.caller.accountId && verdict !== 'allow') throw accessDenied(req.caller, action, queue.arn, false);
}

/** The IAM action of an SQS operation (batches are authorised as their single forms). */
export function sqsAction(operation: string): string {
  return `sqs:${operation.replace(/Batch$/, '')}`;
}

function queueOf(state: SimState, req: SimRequest): { queue: SqsQueue; rs: RegionState } {
  const url = req.input.QueueUrl;
  if (typeof url !== 'string' || url === '') throw missing('QueueUrl');
  const where = parseQueueUrl(url, req.region);
  if (!where || where.region !== req.region) throw noQueue();
  const rs = state.accounts.get(where.account)?.regions.get(where.region);
  const queue = rs?.queues.get(where.name);
  if (!queue || !rs) throw noQueue();
  authorize(state, req, queue, where.account, sqsAction(req.operation));
  return { queue, rs };
}

function callerSender(caller: Caller): Sender {
  return { arn: caller.arn, senderId: caller.userId };
}

// ---------------------------------------------------------------------------------------------------------------
// the service

export const sqs: Service = {
  name: 'sqs',
  protocol: 'json',
  jsonVersion: '1.0',
  throttle: {
    code: 'com.amazonaws.sqs#RequestThrottled',
    status: 403,
    message: 'Request is throttled.',
    headers: { 'x-amzn-query-error': 'RequestThrottled;Sender' },
  },
  handle(ctx, req) {
    const { state } = ctx;
    const input = req.input;
    switch (req.operation) {
      case 'CreateQueue':
        return createQueue(state, req);
      case 'GetQueueUrl': {
        const name = input.QueueName;
        if (typeof name !== 'string' || name === '') throw missing('QueueName');
        const owner =
          typeof input.QueueOwnerAWSAccountId === 'string' ? input.QueueOwnerAWSAccountId : req.caller.accountId;
        const queue = state.accounts.get(owner)?.regions.get(req.region)?.queues.get(name);
        if (!queue) throw noQueue();
        authorize(state, req, queue, owner, 'sqs:GetQueueUrl');
        return { QueueUrl: queue.url };
      }
      case 'ListQueues': {
        const rs = regionState(state, req.caller.accountId, req.region);
        const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
        const all = [...rs.queues.values()]
          .filter((q) => q.name.startsWith(prefix))
          .map((q) => q.url)
          .sort();
        const max = input.MaxResults === undefined ? undefined : Number(input.MaxResults);
        if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
          throw invalidValue(
            `Value ${String(input.MaxResults)} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`,
          );
        }
        if (max === undefined) return { QueueUrls: all.slice(0, 1000) };
        const start =
          typeof input.NextToken === 'string'
            ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8')) || 0
            : 0;
        const page = all.slice(start, start + max);
        return {
          QueueUrls: page,
          ...(start + max < all.length ? { NextToken: Buffer.from(String(start + max)).toString('base64') } : {}),
        };
      }
      case 'GetQueueAttributes': {
        const { queue } = queueOf(state, req);
        return {
          Attributes: attributesOf(
            state,
            queue,
            Array.isArray(input.AttributeNames) ? input.AttributeNames.map(String) : [],
          ),
        };
      }
      case 'SetQueueAttributes': {
        const { queue } = queueOf(state, req);
        const attrs = validateAttributes(state, (input.Attributes ?? {}) as Record<string, unknown>);
        for (const [k, v] of Object.entries(attrs)) {
          if ((k === 'Policy' || k === 'RedrivePolicy') && v === '') delete queue.attributes[k];
          else queue.attributes[k] = v;
        }
        queue.attributes.LastModifiedTimestamp = String(Math.floor(state.clock.now() / 1000));
        queueChanged(state, queue);
        return {};
      }
      case 'SendMessage': {
        const { queue } = queueOf(state, req);
        const m = send(state, queue, req, input);
        return {
          MessageId: m.messageId,
          MD5OfMessageBody: m.md5OfBody,
          ...(m.messageAttributes ? { MD5OfMessageAttributes: md5OfAttributes(m.messageAttributes) } : {}),
        };
      }
      case 'SendMessageBatch': {
        const { queue } = queueOf(state, req);
        const entries = batchEntries(input.Entries);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const e of entries) {
          try {
            const m = send(state, queue, req, e);
            Successful.push({
              Id: e.Id,
              MessageId: m.messageId,
              MD5OfMessageBody: m.md5OfBody,
              ...(m.messageAttributes ? { MD5OfMessageAttributes: md5OfAttributes(m.messageAttributes) } : {}),
            });
          } catch (err) {
            if (!(err instanceof SimError)) throw err;
            Failed.push({
              Id: e.Id,
              SenderFault: true,
              Code: err.headers?.['x-amzn-query-error']?.split(';')[0] ?? err.code,
              Message: err.message,
            });
          }
        }
        return { Successful, Failed };
      }
      case 'ReceiveMessage':
        return receive(state, queueOf(state, req).queue, input);
      case 'DeleteMessage': {
        const { queue } = queueOf(state, req);
        if (typeof input.ReceiptHandle !== 'string' || input.ReceiptHandle === '') throw missing('ReceiptHandle');
        deleteByHandle(queue, input.ReceiptHandle);
        return {};
      }
      case 'DeleteMessageBatch': {
        const { queue } = queueOf(state, req);
        return batch(input.Entries, (e) => deleteByHandle(queue, String(e.ReceiptHandle ?? '')));
      }
      case 'ChangeMessageVisibility': {
        const { queue } = queueOf(state, req);
        if (typeof input.ReceiptHandle !== 'string' || input.ReceiptHandle === '') throw missing('ReceiptHandle');
        if (input.VisibilityTimeout === undefined) throw missing('VisibilityTimeout');
        changeVisibility(state, queue, input.ReceiptHandle, Number(input.VisibilityTimeout));
        return {};
      }
      case 'ChangeMessageVisibilityBatch': {
        const { queue } = queueOf(state, req);
        return batch(input.Entries, (e) =>
          changeVisibility(state, queue, String(e.ReceiptHandle ?? ''), Number(e.VisibilityTimeout)),
        );
      }
      case 'PurgeQueue': {
        const { queue } = queueOf(state, req);
        const now = state.clock.now();
        if (queue.purgedAt !== undefined && now - queue.purgedAt < 60_000) {
          throw sqsError(
            'PurgeQueueInProgress',
            'AWS.SimpleQueueService.PurgeQueueInProgress',
            403,
            `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
          );
        }
        queue.purgedAt = now;
        for (const m of queue.messages ?? []) forget(queue, m);
        queue.messages = [];
        return {};
      }
      case 'DeleteQueue': {
        const { queue, rs } = queueOf(state, req);
        rs.queues.delete(queue.name);
        return {};
      }
      default:
        throw sqsError(
          'UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation',
          400,
          `Unsupported operation ${req.operation}`,
        );
    }
  },
};

function createQueue(state: SimState, req: SimRequest): unknown {
  const name = req.input.QueueName;
  if (typeof name !== 'string' || name === '') throw missing('QueueName');
  if (!/^[\w-]{1,80}$/.test(name)) {
    if (name.endsWith('.fifo'))
      throw invalidValue('The simulator models standard queues only (FIFO queues are not simulated).');
    throw invalidValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
  }
  const attrs = validateAttributes(state, (req.input.Attributes ?? {}) as Record<string, unknown>);
  const rs = regionState(state, req.caller.accountId, req.region);
  const existing = rs.queues.get(name);
  if (existing) {
    const differs = Object.entries(attrs).find(([k, v]) => (existing.attributes[k] ?? DEFAULTS[k]) !== v);
    if (differs) {
      throw sqsError(
        'QueueNameExists',
        'QueueAlreadyExists',
        400,
        `A queue already exists with the same name and a different value for attribute ${differs[0]}`,
      );
    }
    return { QueueUrl: existing.url };
  }
  const queue = newQueue(state, req.region, req.caller.accountId, name, attrs);
  rs.queues.set(name, queue);
  return { QueueUrl: queue.url };
}

function attributesOf(state: SimState, queue: SqsQueue, names: string[]): Record<string, string> {
  const now = state.clock.now();
  sweep(queue, now);
  const c = counts(queue, now);
  const all: Record<string, string> = {
    ...DEFAULTS,
    ...queue.attributes,
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(c.visible),
    ApproximateNumberOfMessagesNotVisible: String(c.inFlight),
    ApproximateNumberOfMessagesDelayed: String(c.delayed),
  };
  if (all.RedrivePolicy === '') delete all.RedrivePolicy;
  if (names.includes('All')) return all;
  const out: Record<string, string> = {};
  for (const n of names) {
    if (!Object.hasOwn(SETTABLE, n) && !COMPUTED.includes(n)) throw badAttributeName(n);
    if (all[n] !== undefined) out[n] = all[n]!;
  }
  return out;
}

function send(state: SimState, queue: SqsQueue, req: SimRequest, input: Record<string, unknown>): SqsMessage {
  const body = input.MessageBody;
  if (typeof body !== 'string') throw missing('MessageBody');
  if (body === '') throw invalidValue('The request must contain the parameter MessageBody.');
  // XML 1.0 characters only, as SQS allows
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\uD800-\uDFFF]/.test(body)) {
    throw sqsError(
      'InvalidMessageContents',
      'InvalidMessageContents',
      400,
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  const max = Number(queue.attributes.MaximumMessageSize ?? DEFAULTS.MaximumMessageSize);
  if (Buffer.byteLength(body, 'utf8') > max) {
    throw invalidValue(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
  }
  let delay: number | undefined;
  if (input.DelaySeconds !== undefined) {
    delay = Number(input.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw invalidValue(
        `Value ${String(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
      );
    }
  }
  const attrs = messageAttributes(input.MessageAttributes);
  return enqueue(state, queue, body, callerSender(req.caller), { delaySeconds: delay, messageAttributes: attrs });
}

function messageAttributes(raw: unknown): SqsMessage['messageAttributes'] {
  if (raw === undefined || raw === null) return undefined;
  const out: NonNullable<SqsMessage['messageAttributes']> = {};
  const entries = Object.entries(raw as Record<string, Record<string, unknown>>);
  if (entries.length > 10)
    throw invalidValue('Number of message attributes [' + entries.length + '] exceeds the allowed maximum [10].');
  for (const [name, a] of entries) {
    const type = a?.DataType;
    if (typeof type !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (type.startsWith('Binary')) {
      if (typeof a.BinaryValue !== 'string')
        throw invalidValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      out[name] = { DataType: type, BinaryValue: a.BinaryValue };
    } else {
      if (typeof a.StringValue !== 'string')
        throw invalidValue(
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type.split('.')[0]}'.`,
        );
      out[name] = { DataType: type, StringValue: a.StringValue };
    }
  }
  return out;
}

/** The system attributes of a received message: SQS's names, values as strings. */
export function systemAttributesOf(m: SqsMessage): Record<string, string> {
  return {
    ApproximateReceiveCount: String(m.receiveCount),
    SentTimestamp: String(m.sentAtMs),
    SenderId: m.senderId,
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAtMs),
    ...m.systemAttributes,
  };
}

function receive(state: SimState, queue: SqsQueue, input: Record<string, unknown>): unknown {
  const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
  if (!Number.isInteger(max) || max < 1 || max > 10) {
    throw invalidValue(
      `Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
    );
  }
  let visibility = Number(queue.attributes.VisibilityTimeout ?? DEFAULTS.VisibilityTimeout);
  if (input.VisibilityTimeout !== undefined) {
    visibility = Number(input.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43200) {
      throw invalidValue(
        `Value ${String(input.VisibilityTimeout)} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`,
      );
    }
  }
  if (input.WaitTimeSeconds !== undefined) {
    const wait = Number(input.WaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw invalidValue(
        `Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    }
  }
  const wanted = [
    ...(Array.isArray(input.MessageSystemAttributeNames) ? input.MessageSystemAttributeNames : []),
    ...(Array.isArray(input.AttributeNames) ? input.AttributeNames : []),
  ].map(String);
  const attrNames = Array.isArray(input.MessageAttributeNames) ? input.MessageAttributeNames.map(String) : [];
  const messages = receiveMessages(state, queue, max, visibility);
  return {
    Messages: messages.map((m) => {
      const sys = systemAttributesOf(m);
      const attributes: Record<string, string> = {};
      for (const [k, v] of Object.entries(sys)) if (wanted.includes('All') || wanted.includes(k)) attributes[k] = v;
      const chosen = pickAttributes(m.messageAttributes, attrNames);
      return {
        MessageId: m.messageId,
        ReceiptHandle: m.receiptHandle,
        MD5OfBody: m.md5OfBody,
        Body: m.body,
        ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
        ...(chosen ? { MessageAttributes: chosen, MD5OfMessageAttributes: md5OfAttributes(chosen) } : {}),
      };
    }),
  };
}

function pickAttributes(attrs: SqsMessage['messageAttributes'], names: string[]): SqsMessage['messageAttributes'] {
  if (!attrs || names.length === 0) return undefined;
  const out: NonNullable<SqsMessage['messageAttributes']> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (names.some((n) => n === 'All' || n === '.*' || n === k || (n.endsWith('.*') && k.startsWith(n.slice(0, -1)))))
      out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function batchEntries(raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw sqsError(
      'EmptyBatchRequest',
      'AWS.SimpleQueueService.EmptyBatchRequest',
      400,
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (raw.length > 10) {
    throw sqsError(
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      400,
      `Maximum number of entries per request are 10. You have sent ${raw.length}.`,
    );
  }
  const entries = raw as Record<string, unknown>[];
  const ids = entries.map((e) => String(e.Id ?? ''));
  const bad = ids.find((id) => !/^[\w-]{1,80}$/.test(id));
  if (bad !== undefined) {
    throw sqsError(
      'InvalidBatchEntryId',
      'AWS.SimpleQueueService.InvalidBatchEntryId',
      400,
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    );
  }
  if (new Set(ids).size !== ids.length) {
    throw sqsError(
      'BatchEntryIdsNotDistinct',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      400,
      'Two or more batch entries in the request have the same Id.',
    );
  }
  return entries;
}

function batch(raw: unknown, each: (e: Record<string, unknown>) => void): unknown {
  const Successful: { Id: string }[] = [];
  const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
  for (const e of batchEntries(raw)) {
    try {
      each(e);
      Successful.push({ Id: String(e.Id) });
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      Failed.push({
        Id: String(e.Id),
        SenderFault: true,
        Code: err.headers?.['x-amzn-query-error']?.split(';')[0] ?? err.code,
        Message: err.message,
      });
    }
  }
  return { Successful, Failed };
}

// ---------------------------------------------------------------------------------------------------------------
// deliveries from other services

/**
 * A Lambda destination (OnSuccess/OnFailure): Lambda sends with the function's execution role, so a queue policy's
 * explicit Deny for that role stops it (a cross-account queue needs an Allow). Returns false when refused.
 */
export function sendAsRole(
  state: SimState,
  queueArn: string,
  body: string,
  role: { caller: Caller; sentBy: string },
): boolean {
  const found = findQueueByArn(state, queueArn);
  if (!found) return false;
  const verdict = queuePolicyVerdict(
    state,
    found.queue,
    { kind: 'iam', caller: role.caller },
    'sqs:SendMessage',
    found.rs.region,
  );
  if (verdict === 'deny' || (found.rs.accountId !== role.caller.accountId && verdict !== 'allow')) return false;
  enqueue(state, found.queue, body, { arn: role.sentBy, senderId: role.caller.userId });
  return true;
}

/** How an EventBridge delivery to a queue went. */
export type ServiceSend = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

/**
 * EventBridge delivering to a queue: the queue policy must Allow sqs:SendMessage for events.amazonaws.com with the
 * request's aws:SourceArn (the rule) and aws:SourceAccount; an explicit Deny refuses it. Same account or not.
 */
export function sendAsEventBridge(
  state: SimState,
  queueArn: string,
  body: string,
  ruleArn: string,
  messageAttributes?: SqsMessage['messageAttributes'],
): ServiceSend {
  const found = findQueueByArn(state, queueArn);
  if (!found)
    return { ok: false, errorCode: 'RESOURCE_NOT_FOUND', errorMessage: `The target queue ${queueArn} does not exist.` };
  const ruleAccount = ruleArn.split(':')[4] ?? '';
  const verdict = queuePolicyVerdict(
    state,
    found.queue,
    { kind: 'service', service: 'events.amazonaws.com', sourceArn: ruleArn, sourceAccount: ruleAccount },
    'sqs:SendMessage',
    found.rs.region,
  );
  if (verdict !== 'allow') {
    return {
      ok: false,
      errorCode: 'NO_PERMISSIONS',
      errorMessage:
        `EventBridge is not authorized to perform sqs:SendMessage on ${queueArn}` +
        (verdict === 'deny'
          ? ' (an explicit deny in the queue policy)'
          : ' (no queue policy statement allows events.amazonaws.com for this rule)'),
    };
  }
  enqueue(
    state,
    found.queue,
    body,
    { arn: 'events.amazonaws.com', senderId: EVENTBRIDGE_SENDER_ID },
    { messageAttributes },
  );
  return { ok: true };
}
