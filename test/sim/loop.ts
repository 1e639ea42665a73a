// The closed loop: a CloudTrail record → EventBridge envelope → matching enabled rules → the target function's own
// code, invoked asynchronously in a worker with its environment and its account's credentials.
import type { ServiceContext } from './types.js';
import type {
  EventRule,
  EventTarget,
  Invocation,
  LambdaFunction,
  RecordedEvent,
  RegionState,
  SimState,
  TargetFailure,
} from './state.js';
import { newUuid, regionState } from './state.js';
import { matchesPattern } from './event-pattern.js';
import { FunctionRunner, type InvokeOutcome } from './invoke/runner.js';
import { appendFunctionLogs } from './services/logs.js';
import { sendAsEventBridge, sendAsRole } from './services/sqs.js';
import { roleCaller } from './esm.js';

/** Simulated delays before Lambda's asynchronous retries (AWS waits about 1 and 2 minutes). */
export const RETRY_DELAYS_MS = [50, 100];

interface LoopRuntime {
  runner: FunctionRunner;
  endpoint: string;
  inFlight: number;
  idleWaiters: (() => void)[];
  /** pending retry delays, with their resolvers (resolved early on close) */
  timers: Map<NodeJS.Timeout, () => void>;
  /** invocations running per function ARN, for reserved concurrency */
  running: Map<string, number>;
  closed: boolean;
}

/**
 * Lambda's answer to an invocation beyond the function's reserved concurrency: TooManyRequestsException (429) with
 * Reason ReservedFunctionConcurrentInvocationLimitExceeded. Each one counts in the function's Throttles metric.
 */
export class Throttled extends Error {
  constructor(readonly functionArn: string) {
    super('Rate Exceeded.');
    this.name = 'TooManyRequestsException';
  }
}

/** Takes one of the function's reserved executions, or records a throttle and says no. */
function admit(state: SimState, rt: LoopRuntime, rs: RegionState, fn: LambdaFunction): boolean {
  const running = rt.running.get(fn.functionArn) ?? 0;
  if (fn.reservedConcurrency !== undefined && running >= fn.reservedConcurrency) {
    (rs.throttles ??= []).push({ functionArn: fn.functionArn, at: state.clock.date().toISOString() });
    return false;
  }
  rt.running.set(fn.functionArn, running + 1);
  return true;
}

function release(rt: LoopRuntime, fn: LambdaFunction): void {
  const running = (rt.running.get(fn.functionArn) ?? 1) - 1;
  if (running > 0) rt.running.set(fn.functionArn, running);
  else rt.running.delete(fn.functionArn);
}

const runtimes = new WeakMap<SimState, LoopRuntime>();

function runtime(ctx: ServiceContext): LoopRuntime {
  let rt = runtimes.get(ctx.state);
  if (!rt) {
    const created: LoopRuntime = {
      runner: new FunctionRunner(ctx.state, () => created.endpoint),
      endpoint: ctx.endpoint,
      inFlight: 0,
      idleWaiters: [],
      timers: new Map(),
      running: new Map(),
      closed: false,
    };
    rt = created;
    runtimes.set(ctx.state, rt);
  }
  rt.endpoint = ctx.endpoint;
  return rt;
}

/**
 * Called by a service after a successful mutating call (EC2 Authorize*, ModifySecurityGroupRules).
 * `record` is the CloudTrail record (what EventBridge puts under `detail`). Never throws, never blocks the caller.
 */
/**
 * `busAccount` (default: the event's own account) is the account whose default bus receives the envelope: another
 * account's, as when an EventBridge rule forwards events to a bus in another account (the envelope keeps its account).
 */
export function emitCloudTrailEvent(
  ctx: ServiceContext,
  accountId: string,
  region: string,
  record: Record<string, unknown>,
  busAccount = accountId,
): RecordedEvent | undefined {
  try {
    const eventSource = typeof record.eventSource === 'string' ? record.eventSource : 'ec2.amazonaws.com';
    const time = typeof record.eventTime === 'string' ? record.eventTime : isoSeconds(ctx.state.clock.date());
    const envelope: Record<string, unknown> = {
      version: '0',
      id: newUuid(ctx.state),
      'detail-type': 'AWS API Call via CloudTrail',
      source: `aws.${eventSource.split('.')[0] ?? 'ec2'}`,
      account: accountId,
      time,
      region,
      resources: [],
      detail: record,
    };
    return publishEvent(ctx, busAccount, region, envelope);
  } catch (err) {
    process.stderr.write(`sim: emitCloudTrailEvent failed: ${(err as Error)?.stack ?? String(err)}\n`);
    return undefined;
  }
}

/** Puts an event on the account-region's default bus: records it and delivers it to every matching enabled rule. */
export function publishEvent(
  ctx: ServiceContext,
  accountId: string,
  region: string,
  envelope: Record<string, unknown>,
  eventBusName = 'default',
): RecordedEvent {
  const rs = regionState(ctx.state, accountId, region);
  const recorded: RecordedEvent = { event: envelope, matchedRules: [] };
  rs.events.push(recorded);
  for (const rule of rs.rules.values()) {
    if (!isEnabled(rule) || (rule.eventBusName || 'default') !== eventBusName || !rule.eventPattern) continue;
    if (!matchesPattern(rule.eventPattern, envelope)) continue;
    recorded.matchedRules.push(rule.name);
    for (const target of rule.targets) {
      let payload: unknown = envelope;
      if (target.input !== undefined) {
        try {
          payload = JSON.parse(target.input);
        } catch {
          payload = target.input;
        }
      }
      deliverToTarget(ctx, rs, rule, target.arn, payload, String(envelope.id ?? ''), target);
    }
  }
  return recorded;
}

function isEnabled(rule: EventRule): boolean {
  return rule.state === 'ENABLED' || (rule.state as string) === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
}

export function deliverToTarget(
  ctx: ServiceContext,
  rs: RegionState,
  rule: EventRule,
  arn: string,
  payload: unknown,
  eventId: string,
  target?: EventTarget,
): void {
  const parts = arn.split(':');
  const service = parts[2];
  const body = JSON.stringify(payload);
  if (service === 'lambda') {
    const found = findFunctionByArn(ctx.state, arn);
    if (!found) {
      rs.invocations.push(
        failedInvocation(ctx.state, arn, eventId, 'ResourceNotFoundException', `Function not found: ${arn}`),
      );
      targetFailed(ctx.state, rs, rule, arn, eventId, body, target, 'RESOURCE_NOT_FOUND', `Function not found: ${arn}`);
      return;
    }
    if (!allowsEventBridge(found.fn, rule.arn, rs.accountId)) {
      // EventBridge's call to Lambda is refused, so the function never runs
      const message =
        `User: arn:aws:sts::${rs.accountId}:assumed-role/events.amazonaws.com is not authorized to perform: ` +
        `lambda:InvokeFunction on resource: ${found.fn.functionArn} because no resource-based policy allows the ` +
        'lambda:InvokeFunction action';
      found.rs.invocations.push(
        failedInvocation(ctx.state, found.fn.functionArn, eventId, 'AccessDeniedException', message),
      );
      targetFailed(ctx.state, rs, rule, arn, eventId, body, target, 'NO_PERMISSIONS', message);
      return;
    }
    invokeAsync(ctx, found.rs, found.fn.functionName, payload, eventId);
    return;
  }
  if (service === 'sqs') {
    // the queue policy decides, for events.amazonaws.com with aws:SourceArn = the rule (services/sqs.ts)
    const sent = sendAsEventBridge(ctx.state, arn, body, rule.arn);
    if (!sent.ok) targetFailed(ctx.state, rs, rule, arn, eventId, body, target, sent.errorCode, sent.errorMessage);
    return;
  }
  if (service === 'sns') sendToDestination(ctx.state, arn, body, `events.amazonaws.com`);
}

/**
 * An event EventBridge could not deliver: recorded in the rule's region state, and sent to the target's
 * dead-letter queue (if it has one) with the attributes EventBridge adds (RULE_ARN, TARGET_ARN, ERROR_CODE,
 * ERROR_MESSAGE). Permission and missing-resource errors are not retried, as EventBridge documents.
 */
function targetFailed(
  state: SimState,
  rs: RegionState,
  rule: EventRule,
  targetArn: string,
  eventId: string,
  body: string,
  target: EventTarget | undefined,
  errorCode: string,
  errorMessage: string,
): void {
  const failure: TargetFailure = {
    ruleArn: rule.arn,
    targetArn,
    eventId,
    at: state.clock.date().toISOString(),
    errorCode,
    errorMessage,
  };
  (rs.targetFailures ??= []).push(failure);
  const dlq = target?.deadLetterArn;
  if (!dlq) return;
  const attr = (v: string) => ({ DataType: 'String', StringValue: v });
  const sent = sendAsEventBridge(state, dlq, body, rule.arn, {
    RULE_ARN: attr(rule.arn),
    TARGET_ARN: attr(targetArn),
    ERROR_CODE: attr(errorCode),
    ERROR_MESSAGE: attr(errorMessage),
  });
  failure.deadLetterArn = dlq;
  if (!sent.ok) failure.deadLetterError = `${sent.errorCode}: ${sent.errorMessage}`;
}

/** Lambda's resource policy: a statement for events.amazonaws.com (or *) whose SourceArn, if any, is the rule. */
function allowsEventBridge(fn: LambdaFunction, ruleArn: string, ruleAccount: string): boolean {
  return fn.permissions.some(
    (p) =>
      (p.principal === 'events.amazonaws.com' || p.principal === '*') &&
      (p.action === 'lambda:InvokeFunction' || p.action === 'lambda:*') &&
      (p.sourceArn === undefined || p.sourceArn === '' || arnLike(p.sourceArn, ruleArn)) &&
      (p.sourceAccount === undefined || p.sourceAccount === '' || p.sourceAccount === ruleAccount),
  );
}

function arnLike(pattern: string, arn: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === arn;
  const re = pattern
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

/** arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] → the function and its region state. */
export function findFunctionByArn(state: SimState, arn: string): { fn: LambdaFunction; rs: RegionState } | undefined {
  const m = /^arn:aws[\w-]*:lambda:([\w-]+):(\d{12}):function:([\w-]+)(?::[\w$-]+)?$/.exec(arn);
  if (!m) return undefined;
  const rs = state.accounts.get(m[2]!)?.regions.get(m[1]!);
  const fn = rs?.functions.get(m[3]!);
  return fn && rs ? { fn, rs } : undefined;
}

function failedInvocation(
  state: SimState,
  functionArn: string,
  eventId: string,
  name: string,
  message: string,
): Invocation {
  return {
    functionArn,
    requestId: state.random.ids.uuid(),
    eventId,
    startedAt: state.clock.date().toISOString(),
    durationMs: 0,
    status: 'failed',
    error: { name, message },
    attempt: 1,
    logs: [],
  };
}

/**
 * Asynchronous invocation (InvocationType Event, and every EventBridge target): runs now, retries a failure up to the
 * function's MaximumRetryAttempts (default 2), then sends an invocation record to the OnFailure destination.
 * Every attempt is recorded in the function's region state.
 */
export function invokeAsync(
  ctx: ServiceContext,
  rs: RegionState,
  functionName: string,
  event: unknown,
  eventId: string,
): void {
  const rt = runtime(ctx);
  rt.inFlight++;
  void (async () => {
    try {
      const first = rs.functions.get(functionName);
      const maxRetries = Math.min(2, Math.max(0, first?.invokeConfig?.maximumRetryAttempts ?? 2));
      let last: InvokeOutcome | undefined;
      let attempt = 0;
      for (attempt = 1; attempt <= maxRetries + 1; attempt++) {
        const fn = rs.functions.get(functionName);
        if (!fn || rt.closed) return;
        if (!admit(ctx.state, rt, rs, fn)) {
          // throttled: Lambda keeps the event and tries again (for up to six hours; here as another attempt)
          last = {
            status: 'failed',
            error: { name: 'TooManyRequestsException', message: 'Rate Exceeded.' },
            logs: [],
            durationMs: 0,
            requestId: ctx.state.random.ids.uuid(),
            coldStart: false,
          };
          if (attempt <= maxRetries) await sleep(rt, RETRY_DELAYS_MS[attempt - 1] ?? 100);
          continue;
        }
        try {
          last = await rt.runner.invoke({ fn, accountId: rs.accountId, region: rs.region }, event);
        } finally {
          release(rt, fn);
        }
        rs.invocations.push(toInvocation(ctx.state, fn.functionArn, eventId, attempt, last));
        recordLogs(ctx.state, rs, fn, last);
        if (last.status === 'succeeded') {
          if (fn.invokeConfig?.onSuccess)
            sendInvocationRecord(ctx.state, fn, fn.invokeConfig.onSuccess, event, last, attempt, 'Success');
          return;
        }
        if (attempt <= maxRetries) await sleep(rt, RETRY_DELAYS_MS[attempt - 1] ?? 100);
      }
      const fn = rs.functions.get(functionName);
      if (fn?.invokeConfig?.onFailure && last) {
        sendInvocationRecord(ctx.state, fn, fn.invokeConfig.onFailure, event, last, attempt - 1, 'RetriesExhausted');
      }
    } catch (err) {
      process.stderr.write(`sim: async invocation failed: ${(err as Error)?.stack ?? String(err)}\n`);
    } finally {
      rt.inFlight--;
      if (rt.inFlight === 0) for (const w of rt.idleWaiters.splice(0)) w();
    }
  })();
}

/**
 * Synchronous invocation (InvocationType RequestResponse, and an SQS mapping's batches): one attempt, no retries.
 * Beyond the function's reserved concurrency it throws Throttled, and the function does not run.
 */
export async function invokeSync(
  ctx: ServiceContext,
  rs: RegionState,
  fn: LambdaFunction,
  event: unknown,
  eventId = '',
): Promise<InvokeOutcome> {
  const rt = runtime(ctx);
  if (!admit(ctx.state, rt, rs, fn)) throw new Throttled(fn.functionArn);
  rt.inFlight++;
  try {
    const outcome = await rt.runner
      .invoke({ fn, accountId: rs.accountId, region: rs.region }, event)
      .finally(() => release(rt, fn));
    rs.invocations.push(toInvocation(ctx.state, fn.functionArn, eventId, 1, outcome));
    recordLogs(ctx.state, rs, fn, outcome);
    return outcome;
  } finally {
    rt.inFlight--;
    if (rt.inFlight === 0) for (const w of rt.idleWaiters.splice(0)) w();
  }
}

function toInvocation(
  state: SimState,
  functionArn: string,
  eventId: string,
  attempt: number,
  o: InvokeOutcome,
): Invocation {
  return {
    functionArn,
    requestId: o.requestId,
    eventId,
    startedAt: new Date(state.clock.now() - o.durationMs).toISOString(),
    durationMs: o.durationMs,
    status: o.status,
    ...(o.status === 'succeeded' ? { result: o.result } : { error: o.error }),
    attempt,
    logs: o.logs,
  };
}

/** The invocation's lines go to the function's CloudWatch log group, in its environment's stream. */
function recordLogs(state: SimState, rs: RegionState, fn: LambdaFunction, o: InvokeOutcome): void {
  if (o.logStream && o.logLines) appendFunctionLogs(state, rs, fn, o.logStream, o.logLines);
}

/** The record Lambda sends to an asynchronous invocation's destination. */
function sendInvocationRecord(
  state: SimState,
  fn: LambdaFunction,
  destination: string,
  event: unknown,
  o: InvokeOutcome,
  attempts: number,
  condition: 'Success' | 'RetriesExhausted',
): void {
  const record = {
    version: '1.0',
    timestamp: state.clock.date().toISOString(),
    requestContext: {
      requestId: o.requestId,
      functionArn: `${fn.functionArn}:$LATEST`,
      condition,
      approximateInvokeCount: attempts,
    },
    requestPayload: event,
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(o.status === 'failed' ? { functionError: 'Unhandled' } : {}),
    },
    responsePayload: o.status === 'failed' ? { errorType: o.error?.name, errorMessage: o.error?.message } : o.result,
  };
  sendToDestination(state, destination, JSON.stringify(record), fn.functionArn, fn);
}

/** Puts a message on an SQS queue or an SNS topic named by its ARN, wherever it lives in the simulator. */
function sendToDestination(state: SimState, arn: string, body: string, sender: string, fn?: LambdaFunction): void {
  const [, , service, region, account] = arn.split(':');
  const rs = region && account ? state.accounts.get(account)?.regions.get(region) : undefined;
  if (!rs) return;
  if (service === 'sqs' && fn) {
    // Lambda sends with the function's execution role (services/sqs.ts checks the queue policy)
    sendAsRole(state, arn, body, { sentBy: sender, caller: roleCaller(fn, fn.functionArn.split(':')[4] ?? account!) });
  } else if (service === 'sns') {
    if (!rs.topics.has(arn) && ![...rs.topics.values()].some((t) => t.arn === arn)) return;
    rs.snsMessages.push({
      topicArn: arn,
      messageId: state.random.ids.uuid(),
      message: body,
      publishedBy: sender,
      at: state.clock.date().toISOString(),
    });
  }
}

function sleep(rt: LoopRuntime, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      rt.timers.delete(t);
      resolve();
    }, ms);
    rt.timers.set(t, resolve);
  });
}

/** Something the loop must wait for before it is idle (a scheduled SQS poll, a batch being processed). */
export function holdLoop(ctx: ServiceContext): void {
  runtime(ctx).inFlight++;
}

export function releaseLoop(ctx: ServiceContext): void {
  const rt = runtimes.get(ctx.state);
  if (!rt) return;
  rt.inFlight--;
  if (rt.inFlight === 0) for (const w of rt.idleWaiters.splice(0)) w();
}

/** Resolves when no invocation is running or waiting for a retry (or after timeoutMs). */
export function whenLoopIdle(state: SimState, timeoutMs = 10_000): Promise<boolean> {
  const rt = runtimes.get(state);
  if (!rt || rt.inFlight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    rt.idleWaiters.push(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Live execution environments (warm workers) of a function, or of all functions. */
export function warmEnvironments(state: SimState, functionArn?: string): number {
  return runtimes.get(state)?.runner.environmentCount(functionArn) ?? 0;
}

/** Server close: stop retries, terminate every worker. */
export async function closeLoop(state: SimState): Promise<void> {
  const rt = runtimes.get(state);
  if (!rt) return;
  rt.closed = true;
  for (const [t, resolve] of rt.timers) {
    clearTimeout(t);
    resolve();
  }
  rt.timers.clear();
  await rt.runner.close();
  for (const w of rt.idleWaiters.splice(0)) w();
  runtimes.delete(state);
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
