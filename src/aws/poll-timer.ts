// Adaptive polling. The run learns how long its operations take (per kind: change set, create, update, delete,
// drift) and polls near the expected finish instead of at a fixed interval.
//
// Each finished wait tells us two things: the operation was still running at the last poll that saw it in
// progress (a lower bound), and done at the poll that saw it finished (an upper bound). The first poll of the next
// wait goes to max(median lower bound, 0.85 × smallest recent upper bound): a little before the earliest recent
// finish, so the estimate keeps tightening instead of locking onto a late first observation. After that, polls step
// forward in small, growing steps. `maxDelayMs` (deploy.pollSeconds) caps the wait between two polls; the first wait,
// before any poll, goes straight to the expected finish. With real 60-second stacks that is a wait of about a minute
// and one to three polls; with the simulator's 0.5-second stacks the finish is seen within a few percent.

export type OperationKind = 'changeset' | 'create' | 'update' | 'delete' | 'drift';

export interface PollTimerOptions {
  maxDelayMs: number;
  /** first wait when nothing has been learned yet */
  initialDelayMs?: number;
  minDelayMs?: number;
}

// a short window: the estimate follows the run quickly, and the median ignores a few odd stacks
const SAMPLES = 9;
/** growth of the wait between polls while nothing has been learned */
const UNLEARNED_GROWTH = 1.25;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export class PollTimer {
  private readonly lower = new Map<OperationKind, number[]>();
  private readonly upper = new Map<OperationKind, number[]>();
  private readonly initial: number;
  private readonly min: number;

  constructor(private readonly opts: PollTimerOptions) {
    this.initial = opts.initialDelayMs ?? 250;
    this.min = opts.minDelayMs ?? 20;
  }

  /** Records a finished wait: still running at `lastRunningMs`, seen done at `doneMs` (both since the start). */
  record(kind: OperationKind, lastRunningMs: number, doneMs: number): void {
    for (const [map, value] of [
      [this.lower, lastRunningMs],
      [this.upper, doneMs],
    ] as const) {
      const h = map.get(kind) ?? [];
      h.push(value);
      if (h.length > SAMPLES) h.shift();
      map.set(kind, h);
    }
  }

  /** The typical time until such an operation is seen done, if any has been. */
  expected(kind: OperationKind): number | undefined {
    const u = this.upper.get(kind);
    return u && u.length > 0 ? median(u) : undefined;
  }

  /** Where the first poll of a wait goes. */
  firstPoll(kind: OperationKind): number {
    const u = this.upper.get(kind);
    if (!u || u.length === 0) return this.initial;
    const l = this.lower.get(kind) ?? [0];
    return Math.max(median(l), 0.85 * Math.min(...u), this.min);
  }

  /**
   * How long to wait before the next poll. `polls` is how many polls this wait has made; `elapsedMs` the time
   * since the operation started.
   */
  nextDelay(kind: OperationKind, elapsedMs: number, polls: number): number {
    if (polls === 0) return Math.round(Math.max(this.firstPoll(kind) - elapsedMs, this.min));
    const expected = this.expected(kind);
    // Before anything is learned (the canary, usually), back off gently: each poll is seen at most 25 % late, and
    // this happens once per kind and run, so the few extra polls cost nothing next to the time saved. (At 1.6, a
    // 0.5-second canary was seen done at 0.65 s, and every later target waited for it.)
    const step =
      expected !== undefined
        ? Math.max(expected * 0.05, this.min) * Math.pow(1.5, polls - 1)
        : this.initial * Math.pow(UNLEARNED_GROWTH, polls);
    return Math.round(Math.min(Math.max(step, this.min), this.opts.maxDelayMs));
  }

  /** Waits for an operation: calls `check` at the adaptive times until it reports done, and learns from it. */
  async waitFor<T>(
    kind: OperationKind,
    startedAt: number,
    check: () => Promise<T | undefined>,
    signal?: AbortSignal,
  ): Promise<T> {
    let lastRunning = 0;
    for (let polls = 0; ; polls++) {
      await sleep(this.nextDelay(kind, Date.now() - startedAt, polls), signal);
      const at = Date.now() - startedAt;
      const done = await check();
      if (done !== undefined) {
        this.record(kind, lastRunning, at);
        return done;
      }
      lastRunning = at;
    }
  }
}

/** A sleep that ends early (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
