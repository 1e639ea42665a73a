// The one fan-out mechanism: a sliding window (p-limit) over targets. A slot frees, the next target starts at once.
// Once the failure tolerance is exceeded, or the signal aborts, queued targets become `skipped` and running ones
// finish: a running promise is never abandoned.
import pLimit from 'p-limit';

export interface PoolOptions<R> {
  concurrency: number;
  /** null: attempt every target; a count: stop starting new ones once more than this have failed */
  failureTolerance: number | null;
  signal?: AbortSignal;
  /** failures that happened before this pool started (earlier phases), counted against the tolerance */
  initialFailures?: number;
  isFailure(result: R): boolean;
}

export type PoolOutcome<R> = { kind: 'ran'; result: R } | { kind: 'skipped'; reason: string };

export interface PoolRun<R> {
  outcomes: PoolOutcome<R>[];
  failures: number;
  stoppedBy: 'tolerance' | 'signal' | null;
}

export async function runPool<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  opts: PoolOptions<R>,
  onSettled?: (item: T, outcome: PoolOutcome<R>, index: number) => void,
): Promise<PoolRun<R>> {
  const limit = pLimit(Math.max(1, opts.concurrency));
  let failures = opts.initialFailures ?? 0;
  let stoppedBy: PoolRun<R>['stoppedBy'] =
    opts.failureTolerance !== null && failures > opts.failureTolerance ? 'tolerance' : null;
  const stopReason = () =>
    stoppedBy === 'signal'
      ? 'interrupted before it started'
      : `not started: more than ${opts.failureTolerance} target(s) failed (failure tolerance)`;

  const outcomes = await Promise.all(
    items.map((item, index) =>
      limit(async (): Promise<PoolOutcome<R>> => {
        if (!stoppedBy && opts.signal?.aborted) stoppedBy = 'signal';
        let outcome: PoolOutcome<R>;
        if (stoppedBy) {
          outcome = { kind: 'skipped', reason: stopReason() };
        } else {
          const result = await work(item, index);
          if (opts.isFailure(result)) {
            failures++;
            if (opts.failureTolerance !== null && failures > opts.failureTolerance && !stoppedBy)
              stoppedBy = 'tolerance';
          }
          outcome = { kind: 'ran', result };
        }
        onSettled?.(item, outcome, index);
        return outcome;
      }),
    ),
  );
  return { outcomes, failures, stoppedBy };
}
