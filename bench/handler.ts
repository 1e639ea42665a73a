// The revert handler's per-event time: a small simulator of its own, and bench/handler-worker.ts in a child process
// (so the function's log lines and SDK stay out of the bench's process, and its CPU out of the simulator's).
import { spawn } from 'node:child_process';
import { median, quantile } from './cli-process.js';
import { ROOT, startSimProcess } from './sim-process.js';

export interface HandlerFigures {
  events: number;
  medianMs: number;
  p90Ms: number;
  firstMs: number;
  /** time to require the bundle and the SDK client it loads */
  loadMs: number;
}

export async function measureHandler(runs = 25): Promise<HandlerFigures> {
  const sim = await startSimProcess(['--accounts', '1', '--regions', 'us-east-1', '--stack-ms', '50']);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', import.meta.resolve('tsx'), 'bench/handler-worker.ts', sim.ready.endpoint, String(runs)],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`handler worker exited ${code}: ${stderr.slice(-1500)}`)),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (!line) throw new Error(`handler worker printed no result: ${out.slice(-500)}`);
    const { loadMs, times } = JSON.parse(line.slice('BENCH_RESULT '.length)) as { loadMs: number; times: number[] };
    return {
      events: times.length,
      medianMs: median(times),
      p90Ms: quantile(times, 0.9),
      firstMs: times[0] ?? NaN,
      loadMs,
    };
  } finally {
    await sim.stop();
  }
}
