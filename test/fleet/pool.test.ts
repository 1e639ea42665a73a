import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/fleet/pool.js';
import { PollTimer } from '../../src/aws/poll-timer.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('runPool', () => {
  it('keeps at most `concurrency` in flight and starts the next as soon as a slot frees (no waves)', async () => {
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    // target 0 finishes only once target 5 has: a sliding window runs 1..5 through the other slot meanwhile, while
    // a pool in waves of two would wait for 0 before starting 2 (and 0 would give up on the gate after 2 s)
    let openGate!: () => void;
    const gate = new Promise<void>((r) => {
      openGate = r;
    });
    let gateOpened = false;
    const run = await runPool(
      [0, 1, 2, 3, 4, 5],
      async (i) => {
        started.push(i);
        inFlight++;
        peak = Math.max(peak, inFlight);
        if (i === 0)
          gateOpened = await Promise.race([
            gate.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), 2000)),
          ]);
        else await tick();
        if (i === 5) openGate();
        inFlight--;
        return 'ok';
      },
      { concurrency: 2, failureTolerance: null, isFailure: () => false },
    );
    expect(peak).toBe(2);
    expect(run.outcomes.every((o) => o.kind === 'ran')).toBe(true);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gateOpened).toBe(true);
  });

  it('attempts every target by default, however many fail', async () => {
    const run = await runPool([1, 2, 3, 4], async (n) => (n % 2 ? 'bad' : 'good'), {
      concurrency: 1,
      failureTolerance: null,
      isFailure: (r) => r === 'bad',
    });
    expect(run.outcomes.map((o) => o.kind)).toEqual(['ran', 'ran', 'ran', 'ran']);
    expect(run.failures).toBe(2);
  });

  it('with a tolerance, queued targets become skipped once it is exceeded; running ones finish', async () => {
    const finished: number[] = [];
    const run = await runPool(
      [0, 1, 2, 3, 4, 5],
      async (n) => {
        await tick();
        finished.push(n);
        return n === 0 ? 'bad' : 'good';
      },
      { concurrency: 2, failureTolerance: 0, isFailure: (r) => r === 'bad' },
    );
    expect(run.stoppedBy).toBe('tolerance');
    expect(run.outcomes[0]).toEqual({ kind: 'ran', result: 'bad' });
    expect(run.outcomes[1]).toEqual({ kind: 'ran', result: 'good' }); // was running: finished
    expect(run.outcomes.slice(2).every((o) => o.kind === 'skipped')).toBe(true);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('an aborted signal skips what has not started', async () => {
    const ac = new AbortController();
    const run = await runPool(
      [0, 1, 2, 3],
      async (n) => {
        if (n === 0) ac.abort();
        await tick();
        return 'ok';
      },
      { concurrency: 1, failureTolerance: null, signal: ac.signal, isFailure: () => false },
    );
    expect(run.stoppedBy).toBe('signal');
    expect(run.outcomes.map((o) => o.kind)).toEqual(['ran', 'skipped', 'skipped', 'skipped']);
  });
});

describe('PollTimer', () => {
  it('backs off geometrically before it has learned anything, capped at the maximum', () => {
    const t = new PollTimer({ maxDelayMs: 5000 });
    const delays = [0, 1, 2, 3, 4, 10, 20].map((p) => t.nextDelay('create', 0, p));
    expect(delays[0]).toBe(250);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)).toBe(5000);
  });

  it('aims the first poll a little before the typical finish, then steps in small increments', () => {
    const t = new PollTimer({ maxDelayMs: 5000 });
    t.record('create', 250, 650); // the canary: seen running at 250 ms, done at 650 ms
    expect(t.nextDelay('create', 0, 0)).toBe(553); // max(250, 0.85 × 650)
    t.record('create', 480, 520);
    t.record('create', 490, 510);
    expect(t.expected('create')).toBe(520);
    expect(t.nextDelay('create', 0, 0)).toBe(480); // max(median lower 480, 0.85 × 510 = 434)
    expect(t.nextDelay('create', 480, 1)).toBe(26); // 5% of the expected time
    expect(t.nextDelay('create', 506, 2)).toBe(39);
  });

  it('converges on the real duration of repeated operations (simulated clock)', () => {
    const t = new PollTimer({ maxDelayMs: 5000, minDelayMs: 1 });
    const duration = 500;
    const seenAt: number[] = [];
    const pollsPer: number[] = [];
    for (let i = 0; i < 40; i++) {
      let now = 0;
      let lastRunning = 0;
      for (let polls = 0; ; polls++) {
        now += t.nextDelay('create', now, polls);
        if (now >= duration) {
          t.record('create', lastRunning, now);
          pollsPer.push(polls + 1);
          break;
        }
        lastRunning = now;
      }
      seenAt.push(now);
    }
    expect(seenAt[0]).toBeGreaterThan(duration); // nothing learned yet: geometric backoff overshoots
    for (const late of seenAt.slice(-10)) expect(late).toBeLessThan(duration * 1.1);
    for (const p of pollsPer.slice(-10)) expect(p).toBeLessThanOrEqual(3);
  });

  it('with 60-second stacks, the first wait goes straight to the expected finish; later waits are capped', () => {
    const t = new PollTimer({ maxDelayMs: 5_000 });
    t.record('update', 55_000, 60_000);
    expect(t.nextDelay('update', 0, 0)).toBe(55_000);
    expect(t.nextDelay('update', 55_000, 1)).toBe(3_000);
    expect(t.nextDelay('update', 58_000, 3)).toBe(5_000);
  });
});
