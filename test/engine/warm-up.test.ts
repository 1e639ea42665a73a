import { describe, expect, it } from 'vitest';
import { WarmUp } from '../../src/engine/warm-up.js';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WarmUp', () => {
  it('keeps within its concurrency, drops what has not started at finish, and waits for what has', async () => {
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
    }, 2);
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

  it('swallows a warmer failure: the run meets it again through its own cache', async () => {
    const w = new WarmUp<string>(async () => { throw new Error('AccessDenied'); }, 4);
    w.add('a');
    await later(1);
    await expect(w.finish()).resolves.toBeUndefined();
  });
});
