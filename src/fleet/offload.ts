// Read-only work per target, spread over worker threads. Past a few hundred targets a run is CPU-bound on one core:
// each AWS call costs the SDK 1 to 2 ms of CPU (building and signing the request, parsing the response), and a
// status run at 6,400 targets makes 20,000 of them. Worker threads put the machine's other cores to work.
//
//  - Only work that changes nothing is offloaded (status inspections, deploy's DescribeStacks): the writes, the canary,
//    the failure window and the interrupt stay on the main thread, where their order is decided.
//  - A worker gets a job and plain credentials for the target's account (assumed on the main thread, so one
//    AssumeRole per account still holds), makes its own clients, and answers with plain data or an error's text.
//  - Each job goes to the lane (this thread or a worker) with the fewest jobs in flight. A lane whose CPU is full
//    answers more slowly, so its count rises and it is given less.
//  - Small runs never start a worker: workers are started after `startAfter` jobs, each costs ~40 MB and the
//    SDK's load time, and below that this thread keeps up on its own.
//  - A worker that dies hands its jobs back: they run on this thread, and nothing is lost.
//
// GUARDRAIL_WORKERS sets the number of workers (0: none). Unset: one less than the cores, at most 3.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import type { OffloadJobs } from './offload-worker.js';

export interface OffloadPolicy {
  workers: number;
  /** jobs run on this thread before the workers start */
  startAfter: number;
}

const MAX_WORKERS = 16;
/** below this many jobs in a run, one thread keeps up with the calls' latency */
const AUTO_START_AFTER = 100;
/**
 * A worker's young generation (V8's default is 48 MB on 64-bit: two 16 MB semi-spaces and their overflow). At
 * 6,400 targets 24 MB cut the process's peak by about 15 MB for no CPU that a run could measure.
 */
const YOUNG_GENERATION_MB = 24;

/** The policy from GUARDRAIL_WORKERS (a number: that many workers, from the first job), or the machine's cores. */
export function offloadPolicy(env: Record<string, string | undefined>, cores = availableParallelism()): OffloadPolicy {
  const raw = env.GUARDRAIL_WORKERS?.trim();
  if (!raw) return { workers: Math.max(0, Math.min(3, cores - 1)), startAfter: AUTO_START_AFTER };
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_WORKERS) {
    throw new UsageError(`GUARDRAIL_WORKERS=${raw} is not a number of worker threads from 0 to ${MAX_WORKERS}`, {
      suggestion: 'Unset it to use one less than the cores, or set 0 to run on one thread, then rerun.',
    });
  }
  return { workers: n, startAfter: 0 };
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** runs the job here instead, when the worker dies before it answers */
  fallback(): Promise<unknown>;
}

interface Lane {
  worker: Worker;
  dead: boolean;
  /** takes no more jobs, and ends once those it has are answered (`retire`) */
  retired: boolean;
  pending: Map<number, Pending>;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

/** The worker script next to this module, or null when running from source (a .ts file: workers cannot load it). */
function workerScript(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./offload-worker.js', import.meta.url) : null;
}

/** What a run's JSON says of its threads: workers started, jobs run, and how many of them in a worker. */
export interface OffloadStats {
  workers: number;
  jobs: number;
  offloaded: number;
}

export class Offload {
  private readonly lanes: Lane[] = [];
  /** jobs in flight on this thread */
  private local = 0;
  private jobs = 0;
  private offloaded = 0;
  private nextId = 1;
  private closed = false;

  /** `script`: the worker script (tests give their own) */
  constructor(
    private readonly policy: OffloadPolicy,
    private readonly env: Record<string, string | undefined>,
    private readonly script: URL | null = workerScript(),
  ) {}

  stats(): OffloadStats {
    return { workers: this.lanes.length, jobs: this.jobs, offloaded: this.offloaded };
  }

  /**
   * Runs `job` in a worker, or `local()` here: whichever lane has fewer jobs in flight. `job` null: here only (work
   * that needs this thread's state, such as the caller's own credentials).
   */
  async run<K extends keyof OffloadJobs>(
    kind: K,
    job: OffloadJobs[K]['job'] | null,
    local: () => Promise<OffloadJobs[K]['result']>,
  ): Promise<OffloadJobs[K]['result']> {
    if (++this.jobs > this.policy.startAfter) this.start();
    const lane = job === null ? undefined : this.pick();
    if (!lane) {
      this.local++;
      try {
        return await local();
      } finally {
        this.local--;
      }
    }
    return this.send(lane, kind, job!, local) as Promise<OffloadJobs[K]['result']>;
  }

  /**
   * From now on every job runs here; each worker ends once it has answered the jobs it has. A deploy retires its
   * workers when it starts applying: from then on its reads are a small part of the work, and a worker's memory
   * (40 to 50 MB) would only add to the apply's.
   */
  retire(): void {
    this.closed = true;
    for (const l of this.lanes) {
      l.retired = true;
      if (l.pending.size === 0) void l.worker.terminate();
    }
  }

  /** Ends the workers. A job still in a worker then never settles: the run is over (or interrupted), and its
   *  reads are not redone here after the session has closed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.lanes) {
      l.dead = true;
      l.pending.clear();
    }
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  private start(): void {
    if (this.closed || this.script === null || this.lanes.length >= this.policy.workers) return;
    while (this.lanes.length < this.policy.workers) this.lanes.push(this.spawn(this.script));
  }

  private spawn(script: URL): Lane {
    const worker = new Worker(script, {
      env: { ...this.env },
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    // a worker takes jobs at once: those sent while it loads wait in its queue, a few hundred ms at the most
    const lane: Lane = { worker, dead: false, retired: false, pending: new Map() };
    worker.unref();
    worker.on('message', (m: Reply) => {
      const p = lane.pending.get(m.id);
      if (!p) return;
      lane.pending.delete(m.id);
      if (lane.pending.size === 0) {
        worker.unref();
        if (lane.retired) void worker.terminate();
      }
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    const lost = () => {
      if (lane.dead) return;
      lane.dead = true;
      // a job the worker did not answer runs here: a worker's death never costs a target its result
      for (const p of lane.pending.values())
        p.fallback().then(
          (v) => p.resolve(v),
          (e: Error) => p.reject(e),
        );
      lane.pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return lane;
  }

  /** The worker with the fewest jobs in flight, if it has no more than this thread. */
  private pick(): Lane | undefined {
    let best: Lane | undefined;
    for (const l of this.lanes) {
      if (!l.dead && !l.retired && (!best || l.pending.size < best.pending.size)) best = l;
    }
    return best && best.pending.size <= this.local ? best : undefined;
  }

  private send(lane: Lane, kind: string, job: unknown, local: () => Promise<unknown>): Promise<unknown> {
    const id = this.nextId++;
    this.offloaded++;
    return new Promise((resolve, reject) => {
      lane.pending.set(id, { resolve, reject, fallback: local });
      if (lane.pending.size === 1) lane.worker.ref();
      lane.worker.postMessage({ id, kind, job });
    });
  }
}
