// One stack set operation: start it (waiting out another operation when managed execution is off), follow it with
// the adaptive poll timer, and read its per-account, per-region results.
import {
  DescribeStackSetOperationCommand,
  paginateListStackSetOperationResults,
  type CloudFormationClient,
  type StackSetOperation,
  type StackSetOperationResultSummary,
} from '@aws-sdk/client-cloudformation';
import type { OperationKind, PollTimer } from '../../aws/poll-timer.js';
import { sleep } from '../../aws/poll-timer.js';

export interface OperationContext {
  cfn: CloudFormationClient;
  stackSetName: string;
  callAs: 'SELF' | 'DELEGATED_ADMIN';
  timer: PollTimer;
  signal: AbortSignal;
  /** told when an operation starts (its id), so an interrupted run can name it */
  onStarted?(operationId: string, what: string): void;
}

export interface OperationOutcome {
  operationId: string;
  status: string;
  statusReason?: string;
  results: StackSetOperationResultSummary[];
}

/** Thrown when the run is interrupted while an operation runs in AWS: it goes on there. */
export class OperationContinues extends Error {
  constructor(
    readonly operationId: string,
    readonly what: string,
  ) {
    super(`stack set operation ${operationId} (${what}) continues in AWS`);
  }
}

const IN_PROGRESS = new Set(['RUNNING', 'QUEUED', 'STOPPING']);

/** Starts an operation; another one in progress (managed execution off) is waited out, up to `attempts` times. */
export async function startWithRetry(
  ctx: OperationContext,
  start: () => Promise<string | undefined>,
  attempts = 60,
): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      const id = await start();
      if (!id) throw new Error('StackSets returned no operation id');
      return id;
    } catch (err) {
      if ((err as Error).name !== 'OperationInProgressException' || i >= attempts) throw err;
      await sleep(Math.min(250 * 2 ** i, 15_000), ctx.signal);
    }
  }
}

export async function runOperation(
  ctx: OperationContext,
  kind: OperationKind,
  what: string,
  start: () => Promise<string | undefined>,
): Promise<OperationOutcome> {
  const startedAt = Date.now();
  const operationId = await startWithRetry(ctx, start);
  ctx.onStarted?.(operationId, what);
  let op: StackSetOperation;
  try {
    op = await ctx.timer.waitFor(
      kind,
      startedAt,
      async () => {
        const out = await ctx.cfn.send(
          new DescribeStackSetOperationCommand({
            StackSetName: ctx.stackSetName,
            OperationId: operationId,
            CallAs: ctx.callAs,
          }),
        );
        const o = out.StackSetOperation;
        return o && !IN_PROGRESS.has(o.Status ?? '') ? o : undefined;
      },
      ctx.signal,
    );
  } catch (err) {
    if (ctx.signal.aborted) throw new OperationContinues(operationId, what);
    throw err;
  }
  const results: StackSetOperationResultSummary[] = [];
  for await (const page of paginateListStackSetOperationResults(
    { client: ctx.cfn },
    { StackSetName: ctx.stackSetName, OperationId: operationId, CallAs: ctx.callAs },
  )) {
    results.push(...(page.Summaries ?? []));
  }
  return {
    operationId,
    status: op.Status ?? 'UNKNOWN',
    ...(op.StatusReason ? { statusReason: op.StatusReason } : {}),
    results,
  };
}
