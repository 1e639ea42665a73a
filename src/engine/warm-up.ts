// Work started on accounts while the organisation is still being listed. ListAccounts returns 20 accounts a page
// and each page needs the previous one's token, so listing 800 accounts is 40 round trips in a row: seconds in which
// the run would otherwise wait. Each account that will be targeted is handed to a warmer as its page arrives (for
// every command: assume its role; for deploy: also decide its trail). The results are the same cached promises the
// run uses later, so nothing is done twice and a failure is still reported on the account's own targets.
//
// The run's concurrency bounds the warm-up too, and the warm-up ends when discovery does: what has not started is
// dropped (the run does it in its own window), what is running is awaited, so the warm-up and the run's window are
// never in flight together.
import pLimit from 'p-limit';

/** Warms one account; a long warm-up checks `open()` between its steps and stops once it is false. */
export type Warmer<A> = (account: A, open: () => boolean) => Promise<unknown>;

export class WarmUp<A> {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly warmer: Warmer<A>, concurrency: number) {
    this.limit = pLimit(Math.max(1, concurrency));
  }

  /** Queues the account's warm-up. Its errors are left to the run, which meets them again through the same cache. */
  add(account: A): void {
    if (this.closed) return;
    void this.limit(() => {
      const p = this.warmer(account, () => !this.closed).catch(() => { /* the run reports it, on the account's targets */ });
      this.running.add(p);
      void p.finally(() => this.running.delete(p));
      return p;
    });
  }

  /** Drops what has not started and waits for what has. */
  async finish(): Promise<void> {
    this.closed = true;
    this.limit.clearQueue();
    await Promise.all([...this.running]);
  }
}
