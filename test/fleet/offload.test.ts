// Offload (src/fleet/offload.ts): the policy from GUARDRAIL_WORKERS, and the contract the runs rely on: a job runs
// in a worker or here, a worker's failure is the job's failure, and a worker that dies loses no job.
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Offload, offloadPolicy } from '../../src/fleet/offload.js';
import { GuardrailError } from '../../src/errors.js';

const SCRIPT = new URL('../fixtures/offload/echo-worker.mjs', import.meta.url);

interface Echo {
  value: number;
  thread: number;
}
// the fixture's jobs are not guardrail's kinds: typed loosely here
type Run = (kind: string, job: object | null, local: () => Promise<Echo>) => Promise<Echo>;
const runOf = (o: Offload) => o.run.bind(o) as unknown as Run;
const here = (value: number) => () => Promise.resolve({ value, thread: threadId });

describe('offloadPolicy', () => {
  it('uses one less than the cores, at most 3, after the first 100 jobs, when GUARDRAIL_WORKERS is unset', () => {
    expect(offloadPolicy({}, 2)).toEqual({ workers: 1, startAfter: 100 });
    expect(offloadPolicy({}, 1)).toEqual({ workers: 0, startAfter: 100 });
    expect(offloadPolicy({}, 16)).toEqual({ workers: 3, startAfter: 100 });
    expect(offloadPolicy({ GUARDRAIL_WORKERS: ' ' }, 4)).toEqual({ workers: 3, startAfter: 100 });
  });

  it('takes GUARDRAIL_WORKERS as the number of workers, from the first job', () => {
    expect(offloadPolicy({ GUARDRAIL_WORKERS: '0' }, 8)).toEqual({ workers: 0, startAfter: 0 });
    expect(offloadPolicy({ GUARDRAIL_WORKERS: '2' }, 1)).toEqual({ workers: 2, startAfter: 0 });
  });

  it.each(['-1', '1.5', 'two', '17'])('refuses GUARDRAIL_WORKERS=%s with a usage error that names it', (v) => {
    let err: unknown;
    try {
      offloadPolicy({ GUARDRAIL_WORKERS: v });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuardrailError);
    expect((err as GuardrailError).exitCode).toBe(2);
    expect((err as Error).message).toContain(`GUARDRAIL_WORKERS=${v}`);
  });
});

describe('Offload', () => {
  let offload: Offload | undefined;
  afterEach(async () => {
    await offload?.close();
  });

  /** Runs jobs until one is answered by a worker (the first goes to a worker, unless its start failed). */
  async function untilOffloaded(run: Run): Promise<Echo> {
    let answer: Echo | undefined;
    await vi.waitFor(
      async () => {
        answer = await run('echo', { value: 1 }, here(1));
        expect(answer.thread).not.toBe(threadId);
      },
      { timeout: 30_000, interval: 20 },
    );
    return answer!;
  }

  it('runs jobs here until `startAfter` jobs have run, then in a worker', async () => {
    offload = new Offload({ workers: 1, startAfter: 3 }, {}, SCRIPT);
    const run = runOf(offload);
    for (let i = 0; i < 3; i++) expect((await run('echo', { value: i }, here(i))).thread).toBe(threadId);
    expect(offload.stats()).toEqual({ workers: 0, jobs: 3, offloaded: 0 });
    await untilOffloaded(run);
    expect(offload.stats().workers).toBe(1);
    expect(offload.stats().offloaded).toBeGreaterThan(0);
  });

  it('never starts a worker with `workers: 0`, nor for a job that must run here (null)', async () => {
    offload = new Offload({ workers: 0, startAfter: 0 }, {}, SCRIPT);
    for (let i = 0; i < 20; i++) expect((await runOf(offload)('echo', { value: i }, here(i))).thread).toBe(threadId);
    expect(offload.stats()).toEqual({ workers: 0, jobs: 20, offloaded: 0 });
    const two = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    await untilOffloaded(runOf(two));
    expect(await runOf(two)('echo', null, here(7))).toEqual({ value: 7, thread: threadId });
    await two.close();
  });

  it("spreads concurrent jobs over this thread and the worker, and each caller gets its own job's answer", async () => {
    offload = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    const run = runOf(offload);
    await untilOffloaded(run);
    const slowHere = (value: number) => () =>
      new Promise<Echo>((r) => setTimeout(() => r({ value, thread: threadId }), 30));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => run('echo', { value: i, delayMs: 30 }, slowHere(i))),
    );
    expect(answers.map((a) => a.value)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const inWorker = answers.filter((a) => a.thread !== threadId).length;
    expect(inWorker).toBeGreaterThan(0);
    expect(inWorker).toBeLessThan(40);
  });

  it("rejects with the worker's error text when its job fails", async () => {
    offload = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    const run = runOf(offload);
    await untilOffloaded(run);
    await expect(run('echo', { fail: 'AccessDenied: no' }, here(0))).rejects.toThrow('failed: AccessDenied: no');
  });

  it('once retired, answers the jobs a worker has, and runs every new one here', async () => {
    offload = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    const run = runOf(offload);
    await untilOffloaded(run);
    const inFlight = run('echo', { value: 5, delayMs: 50 }, here(5));
    offload.retire();
    expect((await inFlight).thread).not.toBe(threadId);
    for (let i = 0; i < 5; i++) expect((await run('echo', { value: i }, here(i))).thread).toBe(threadId);
  });

  it("does not redo a worker's jobs here once closed (the run is over)", async () => {
    offload = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    const run = runOf(offload);
    await untilOffloaded(run);
    let ranHere = false;
    void run('echo', { value: 1, delayMs: 1_000 }, () => {
      ranHere = true;
      return here(1)();
    });
    await offload.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(ranHere).toBe(false);
  });

  it('runs the jobs of a worker that dies here instead, and keeps working without it', async () => {
    offload = new Offload({ workers: 1, startAfter: 0 }, {}, SCRIPT);
    const run = runOf(offload);
    await untilOffloaded(run);
    // the worker takes this job (nothing is in flight here) and dies: the job runs here
    expect(await run('echo', { die: true }, here(42))).toEqual({ value: 42, thread: threadId });
    for (let i = 0; i < 5; i++) expect((await run('echo', { value: i }, here(i))).thread).toBe(threadId);
  });
});
