// A target's dead-letter queue: the events its function could not undo (five failed receives on the event queue,
// or what EventBridge could not deliver). `status` counts them (`pendingReverts`), and `guardrail retry` asks the
// function to decide them again. The function reads them from its own queue, which is what proves where they came
// from: the request carries no event, only how many to take.
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describeStack } from './deploy-stack.js';

/** The stack's outputs that name the queue and the function (templates/guardrail.yaml). */
export const DEAD_LETTER_QUEUE_OUTPUT = 'DeadLetterQueueUrl';
export const FUNCTION_OUTPUT = 'FunctionName';

// The SDK modules, loaded on first use (status loads SQS's only once a stack is found; deploy's workers never do)
// and then held: one import per run, not one per target.
let sqsModule: Promise<typeof import('@aws-sdk/client-sqs')> | undefined;
let lambdaModule: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;

/** Messages waiting plus messages being received (in flight): both are events not undone yet. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { GetQueueAttributesCommand } = await (sqsModule ??= import('@aws-sdk/client-sqs'));
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const count = (name: 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible') => {
    const raw = out.Attributes?.[name];
    const n = raw === undefined ? NaN : Number(raw);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(
        `GetQueueAttributes answered no ${name} (${raw === undefined ? 'missing' : JSON.stringify(raw)})`,
      );
    return n;
  };
  return count('ApproximateNumberOfMessages') + count('ApproximateNumberOfMessagesNotVisible');
}

/** A target's stack as retry sees it: not there, or its function, its queue and how many events wait there. */
export type DeadLetters =
  | { kind: 'missing' }
  | { kind: 'found'; stackStatus: string | null; functionName: string; queueUrl: string; depth: number };

/**
 * The stack (one DescribeStacks), then its queue's depth (one GetQueueAttributes). A stack without the outputs
 * (one still being created, or made by a template older than them) throws, saying which output is missing.
 */
export async function findDeadLetters(
  cfn: CloudFormationClient,
  sqs: () => Promise<SQSClient>,
  stackName: string,
): Promise<DeadLetters> {
  const stack = await describeStack(cfn, stackName);
  if (!stack) return { kind: 'missing' };
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const queueUrl = output(DEAD_LETTER_QUEUE_OUTPUT);
  const functionName = output(FUNCTION_OUTPUT);
  const absent = [queueUrl ? null : DEAD_LETTER_QUEUE_OUTPUT, functionName ? null : FUNCTION_OUTPUT].filter(Boolean);
  if (!queueUrl || !functionName) {
    throw new Error(
      `the stack (${stack.StackStatus ?? 'no status'}) has no ${absent.join(' or ')} output: run guardrail deploy for it first`,
    );
  }
  return {
    kind: 'found',
    stackStatus: stack.StackStatus ?? null,
    functionName,
    queueUrl,
    depth: await queueDepth(await sqs(), queueUrl),
  };
}

/** Exactly what `guardrail retry` sends: the function takes up to this many events from its dead-letter queue. */
export const RETRY_PAYLOAD = { guardrail: 'retry', maxMessages: 1000 } as const;

/** The function's answer to a retry: what it took from the queue and what became of each. */
export interface RetryCounts {
  received: number;
  reverted: number;
  ignored: number;
  allowed: number;
  failed: number;
  /** still in the queue after this retry (beyond maxMessages, or put back) */
  /** the queue's depth after the run; -1 when the function could not read it */
  remaining: number;
}

const COUNT_KEYS: readonly (keyof RetryCounts)[] = [
  'received',
  'reverted',
  'ignored',
  'allowed',
  'failed',
  'remaining',
];

export type RetryAnswer = { kind: 'retried'; counts: RetryCounts } | { kind: 'failed'; reason: string };

/** At most `max` characters of text that came from the account, control characters shown as `?`. */
function shown(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * What the function answered, read as a retry report. A function error, or an answer of any other shape, is a
 * failure with the reason; an older function, which takes only SQS batches, says so in its own way.
 */
export function readRetryAnswer(functionError: string | undefined, payload: Uint8Array | undefined): RetryAnswer {
  const text = payload ? Buffer.from(payload).toString('utf8') : '';
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (functionError) {
    const e = (body ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    const what = [e.errorType, e.errorMessage].filter((x): x is string => typeof x === 'string').join(': ');
    return {
      kind: 'failed',
      reason: `the function failed (${shown(functionError, 40)})${what ? `: ${shown(what)}` : ''}`,
    };
  }
  const retry = (body as { retry?: unknown } | undefined)?.retry;
  if (retry && typeof retry === 'object') {
    const r = retry as Record<string, unknown>;
    // every count is 0 or more, but `remaining`, which is -1 when the function could not read the queue's depth
    if (COUNT_KEYS.every((k) => Number.isSafeInteger(r[k]) && (r[k] as number) >= (k === 'remaining' ? -1 : 0))) {
      const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k, r[k] as number])) as unknown as RetryCounts;
      return { kind: 'retried', counts };
    }
  }
  // a function older than retry refuses any input but an SQS batch, with one result (or a batch's results)
  const old = body as { results?: unknown; decisions?: unknown } | undefined;
  if (old && typeof old === 'object' && (Array.isArray(old.results) || Array.isArray(old.decisions))) {
    return {
      kind: 'failed',
      reason:
        'the function answered with decisions, not a retry report: it is older than this guardrail ' +
        '(run guardrail deploy for these accounts, then retry)',
    };
  }
  return {
    kind: 'failed',
    reason: `the function's answer is not a retry report: ${text ? shown(text, 200) : '(empty)'}`,
  };
}

/** Asks the function, synchronously, to decide again what its dead-letter queue holds. */
export async function invokeRetry(lambda: LambdaClient, functionName: string): Promise<RetryAnswer> {
  const { InvokeCommand } = await (lambdaModule ??= import('@aws-sdk/client-lambda'));
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(RETRY_PAYLOAD)),
    }),
  );
  if (out.StatusCode !== undefined && out.StatusCode !== 200) {
    return { kind: 'failed', reason: `Invoke answered status ${out.StatusCode}` };
  }
  return readRetryAnswer(out.FunctionError, out.Payload);
}
