import { describe, expect, it } from 'vitest';
import { WarmUp } from '../../src/fleet/warm-up.js';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WarmUp', () => {
  it("keeps within a quarter of the run's concurrency, drops what has not started at finish, and waits for what has", async () => {
    let inFlight = 0;
    let peak = 0;
    const started: number[] = [];
    const finished: number[] = [];
    const w = new WarmUp<number>(async (n) => {
      started.push(n);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await later(20);
      inFlight--;
      finished.push(n);
    }, 8);
    for (let i = 0; i < 6; i++) w.add(i);
    await later(1);
    await w.finish();
    expect(peak).toBe(2);
    // 0 and 1 had started: finish waited for both; 2..5 were queued and dropped
    expect(started).toEqual([0, 1]);
    expect(finished.sort()).toEqual([0, 1]);
    w.add(9);
    await later(30);
    expect(started).toEqual([0, 1]);
  });

  it('a warmer of several steps stops at its next step once discovery is done', async () => {
    const steps: number[] = [];
    const w = new WarmUp<string>(async (_a, next) => {
      for (let i = 0; i < 10; i++) {
        if (!(await next())) return;
        steps.push(i);
        await later(10);
      }
    }, 4);
    w.add('a');
    await later(25);
    await w.finish();
    const seen = steps.length;
    expect(seen).toBeGreaterThanOrEqual(1);
    expect(seen).toBeLessThan(10);
    await later(30);
    expect(steps.length).toBe(seen);
  });

  it('swallows a warmer failure: the run meets it again through its own cache', async () => {
    const w = new WarmUp<string>(async () => {
      throw new Error('AccessDenied');
    }, 4);
    w.add('a');
    await later(1);
    await expect(w.finish()).resolves.toBeUndefined();
  });
});
