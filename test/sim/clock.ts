// The simulator's clock: real time plus an offset that tests move forward (POST /_sim/clock), so that schedules,
// expiries and timestamps can be exercised in minutes of simulated time without waiting. Stack operations keep
// real time (their pace is --stack-ms), because they are about how guardrail polls, not about what time it is.

/** Called when the clock moves from `fromMs` to `toMs`; returns how many things it fired (for the admin reply). */
export type ClockListener = (fromMs: number, toMs: number) => Promise<number> | number;

export class SimClock {
  private offsetMs = 0;
  private readonly listeners: ClockListener[] = [];

  /** Simulated epoch milliseconds. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  date(): Date {
    return new Date(this.now());
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }

  /** Something that runs on the clock (a schedule, a TTL sweep) registers here. */
  onAdvance(listener: ClockListener): void {
    this.listeners.push(listener);
  }

  /** Moves the clock forward and lets every listener fire what fell due, in registration order. */
  async advance(seconds: number): Promise<{ from: string; to: string; fired: number }> {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new Error('advanceSeconds must be a number of seconds, 0 or more');
    const from = this.now();
    this.offsetMs += Math.round(seconds * 1000);
    const to = this.now();
    let fired = 0;
    for (const listener of this.listeners) fired += await listener(from, to);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), fired };
  }

  snapshot(): { now: string; offsetSeconds: number } {
    return { now: this.date().toISOString(), offsetSeconds: this.offsetSeconds };
  }
}
