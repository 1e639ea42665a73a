// Runs the built bin/guardrail as a user does (a child process in a temp dir with accounts.yaml and the
// simulator's endpoint), and measures it: wall time, peak RSS, CPU, and when each progress line arrived on stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, procCpuSeconds, procStatusBytes } from './sim-process.js';

export const BIN = join(ROOT, 'bin', 'guardrail');
const GNU_TIME = '/usr/bin/time';
/** BENCH_NO_TOOLS=1: measure without GNU time and hyperfine, as on a machine that has neither */
export const NO_TOOLS = process.env.BENCH_NO_TOOLS === '1';

export interface CliMeasure {
  code: number | null;
  wallMs: number;
  /** peak resident set size of the guardrail process, bytes */
  peakRssBytes: number;
  /** how the peak was measured */
  rssMethod: 'gnu-time' | 'proc-sampling';
  /** user + system CPU seconds (GNU time; or the last /proc sample, up to 50 ms short) */
  cpuSeconds: number | null;
  stdout: string;
  stderr: string;
  /** each stderr line with its arrival time since the spawn */
  lines: { atMs: number; text: string }[];
}

/** Parses `/usr/bin/time -v` output: peak RSS (kbytes) and user/system seconds. */
export function parseGnuTime(text: string): { peakRssBytes: number; cpuSeconds: number } | undefined {
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  const user = /User time \(seconds\): ([\d.]+)/.exec(text);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
  if (!rss || !user || !sys) return undefined;
  return { peakRssBytes: Number(rss[1]) * 1024, cpuSeconds: Number(user[1]) + Number(sys[1]) };
}

export interface Workspace {
  dir: string;
  env: Record<string, string>;
  config(yaml: string): void;
  run(args: string[]): Promise<CliMeasure>;
  close(): void;
}

export function workspace(endpoint: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-bench-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMGMT',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
  };
  return {
    dir,
    env,
    config: (yaml) => writeFileSync(join(dir, 'accounts.yaml'), yaml),
    run: (args) => measureCli(args, dir, env),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function measureCli(args: string[], cwd: string, env: Record<string, string>): Promise<CliMeasure> {
  const useTime = existsSync(GNU_TIME) && !NO_TOOLS;
  const timeFile = join(cwd, `time-${process.hrtime.bigint()}.txt`);
  const argv = useTime
    ? [GNU_TIME, '-v', '-o', timeFile, process.execPath, BIN, ...args]
    : [process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: CliMeasure['lines'] = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      const at = performance.now() - started;
      const text = d.toString();
      stderr += text;
      partial += text;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        lines.push({ atMs: at, text: partial.slice(0, nl) });
        partial = partial.slice(nl + 1);
      }
    });
    // Without GNU time, sample the high-water mark while it runs: VmHWM only grows, so the last sample is the
    // peak up to the last 50 ms of the run.
    let sampled = 0;
    let sampledCpu: number | null = null;
    const sampler = useTime
      ? undefined
      : setInterval(() => {
          sampled = Math.max(sampled, procStatusBytes(child.pid!, 'VmHWM') ?? 0);
          try {
            sampledCpu = procCpuSeconds(child.pid!);
          } catch {
            // exited between samples
          }
        }, 50);
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      if (sampler) clearInterval(sampler);
      let peakRssBytes = sampled;
      let cpuSeconds: number | null = sampledCpu;
      if (useTime) {
        const text = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
        rmSync(timeFile, { force: true });
        const parsed = parseGnuTime(text);
        if (!parsed) return reject(new Error(`could not read ${GNU_TIME} -v output: ${text.slice(0, 300)}`));
        ({ peakRssBytes, cpuSeconds } = parsed);
        // GNU time reports the exit status in its own; a signal death shows as "Command terminated by signal"
        const status = /Exit status: (\d+)/.exec(text);
        code = status ? Number(status[1]) : code;
      }
      resolve({
        code,
        wallMs,
        peakRssBytes,
        rssMethod: useTime ? 'gnu-time' : 'proc-sampling',
        cpuSeconds,
        stdout,
        stderr,
        lines,
      });
    });
  });
}

/** When the first stderr line starting with `prefix` arrived, in ms since the spawn. */
export function lineAt(m: CliMeasure, prefix: string): number | undefined {
  return m.lines.find((l) => l.text.startsWith(prefix))?.atMs;
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-quantile (0..1) by nearest rank. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('quantile of nothing');
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
