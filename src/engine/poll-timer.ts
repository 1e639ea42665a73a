// Adaptive polling. The run learns how long its operations take (per kind: change set, create, update, delete) and
// polls near the expected finish instead of at a fixed interval; `maxDelayMs` (deploy.pollSeconds) caps any wait.
// With real 60-second stacks that is one or two polls per operation; with the simulator's 0.5-second stacks it
// keeps latency within a few percent of the stack time.

export type OperationKind = 'changeset' | 'create' | 'update' | 'delete' | 'drift';

export interface PollTimerOptions {
  maxDelayMs: number;
  /** first wait when nothing has been learned yet */
  initialDelayMs?: number;
  minDelayMs?: number;
}

const SAMPLES = 64;

export class PollTimer {
  private readonly history = new Map<OperationKind, number[]>();
  private readonly initial: number;
  private readonly min: number;

  constructor(private readonly opts: PollTimerOptions) {
    this.initial = opts.initialDelayMs ?? 250;
    this.min = opts.minDelayMs ?? 50;
  }

  /** Records how long a finished operation took. */
  record(kind: OperationKind, durationMs: number): void {
    const h = this.history.get(kind) ?? [];
    h.push(durationMs);
    if (h.length > SAMPLES) h.shift();
    this.history.set(kind, h);
  }

  /** The median duration seen for this kind, if any. */
  expected(kind: OperationKind): number | undefined {
    const h = this.history.get(kind);
    if (!h || h.length === 0) return undefined;
    const sorted = [...h].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /**
   * How long to wait before the next poll, given the time since the operation started and how many polls it has
   * had. Before the expected finish: wait until just after it. After it (or with nothing learned): back off
   * geometrically from a small step, capped at maxDelayMs.
   */
  nextDelay(kind: OperationKind, elapsedMs: number, polls: number): number {
    const expected = this.expected(kind);
    let delay: number;
    if (expected !== undefined && elapsedMs < expected) {
      delay = expected * 1.03 - elapsedMs;
    } else {
      const step = expected !== undefined ? Math.max(expected * 0.1, this.min) : this.initial;
      delay = step * Math.pow(1.6, Math.min(polls, 20));
    }
    return Math.round(Math.min(Math.max(delay, this.min), this.opts.maxDelayMs));
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
