// Work started on accounts while the organisation is still being listed. ListAccounts returns 20 accounts a page
// and each page needs the previous one's token, so listing 800 accounts is 40 round trips in a row: seconds in which
// the run would otherwise wait. Each account that will be targeted is handed to a warmer as its page arrives (deploy
// plans its targets, status inspects them). The results are kept and taken by the run, so nothing is done twice and
// a failure is still reported on the account's own targets.
//
// The warm-up only uses time the run would spend waiting. It must not slow the discovery chain itself (each page's
// response waits behind every other callback on the event loop), nor take CPU from work that would overlap anyway,
// so:
//  - it keeps at most a quarter of the run's concurrency in flight;
//  - before each step it waits until the event loop has been mostly idle (under 60 % busy over the last 50 ms);
//  - it ends when discovery does: what has not started is dropped (the run does it in its own window), and running
//    warmers stop at their next step, so the warm-up and the run's window are never in flight together.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import pLimit from 'p-limit';

/**
 * Warms one account. A warmer that takes several steps awaits `next()` before each: it resolves true when the step
 * may start, or false once discovery is done (then the warmer stops).
 */
export type Warmer<A> = (account: A, next: () => Promise<boolean>) => Promise<unknown>;

const BUSY = 0.6;
const SAMPLE_MS = 50;

export class WarmUp<A> {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  private sample: { at: number; elu: EventLoopUtilization; busy: boolean } | null = null;

  constructor(
    private readonly warmer: Warmer<A>,
    concurrency: number,
  ) {
    this.limit = pLimit(Math.max(1, Math.floor(concurrency / 4)));
  }

  /** Queues the account's warm-up. Its errors are left to the run, which meets them again through the kept results. */
  add(account: A): void {
    if (this.closed) return;
    void this.limit(async () => {
      if (!(await this.next())) return;
      const p = this.warmer(account, () => this.next()).catch(() => {
        /* the run reports it, on the account's targets */
      });
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
      return p;
    });
  }

  /** Drops what has not started and waits for the running warmers' current steps. */
  async finish(): Promise<void> {
    this.closed = true;
    this.limit.clearQueue();
    await Promise.all([...this.running]);
  }

  /** Resolves true when the event loop has room for a step, false once the warm-up is closed. */
  private async next(): Promise<boolean> {
    while (!this.closed && this.busy()) await new Promise((r) => setTimeout(r, SAMPLE_MS / 2));
    return !this.closed;
  }

  private busy(): boolean {
    const now = performance.now();
    if (this.sample === null) this.sample = { at: now, elu: performance.eventLoopUtilization(), busy: false };
    else if (now - this.sample.at >= SAMPLE_MS) {
      const elu = performance.eventLoopUtilization();
      this.sample = { at: now, elu, busy: performance.eventLoopUtilization(elu, this.sample.elu).utilization > BUSY };
    }
    return this.sample.busy;
  }
}

/** Work on items started early (`start`, by a warmer), kept until the run `take`s it, or done then if it was not. */
export class EarlyResults<T, R> {
  private readonly kept = new Map<string, Promise<R>>();

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly work: (item: T) => Promise<R>,
  ) {}

  start(item: T): Promise<R> {
    const p = this.work(item);
    this.kept.set(this.keyOf(item), p);
    return p;
  }

  take(item: T): Promise<R> {
    const key = this.keyOf(item);
    const p = this.kept.get(key);
    if (!p) return this.work(item);
    this.kept.delete(key);
    return p;
  }
}
