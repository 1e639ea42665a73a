// The simulator in a child process of its own, so guardrail's CPU and the simulator's never share an event loop:
// `node --import tsx test/sim/main.ts …`, its JSON ready line parsed, its CPU read from /proc/PID/stat.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface SimReady {
  endpoint: string;
  managementAccountId: string;
  accounts: { id: string; name: string; status: string }[];
  regions: string[];
}

export interface CallRow {
  service: string;
  operation: string;
  account: string;
  region: string;
  count: number;
  throttled: number;
}

export interface SimProcess {
  ready: SimReady;
  pid: number;
  /** user + system CPU seconds the simulator has used so far */
  cpuSeconds(): number;
  /** resident set size now, in bytes */
  rssBytes(): number;
  calls(): Promise<{ total: number; throttled: number; calls: CallRow[] }>;
  resetCalls(): Promise<void>;
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds, from /proc/PID/stat (fields 14 and 15). */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) is in parentheses and may hold spaces: split after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / TICKS_PER_SECOND;
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or undefined when the process is gone. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const tsx = import.meta.resolve('tsx');
  const child: ChildProcess = spawn(process.execPath, ['--import', tsx, 'test/sim/main.ts', '--port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = await new Promise<SimReady>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      try {
        resolve(JSON.parse(out.slice(0, nl)) as SimReady);
      } catch (err) {
        reject(new Error(`simulator ready line is not JSON: ${out.slice(0, 200)} (${(err as Error).message})`));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`simulator exited (${code}) before it was ready: ${stderr.slice(-2000)}`)),
    );
    child.once('error', reject);
  });
  const pid = child.pid!;
  const get = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${ready.endpoint}${path}`, init);
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  };
  return {
    ready,
    pid,
    cpuSeconds: () => procCpuSeconds(pid),
    rssBytes: () => procStatusBytes(pid, 'VmRSS') ?? 0,
    calls: () => get('/_sim/calls'),
    resetCalls: async () => {
      await get('/_sim/calls', { method: 'DELETE' });
    },
    get: (path) => get(path),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Calls per `service.Operation`, largest first. */
export function byOperation(calls: CallRow[]): Record<string, number> {
  const m = new Map<string, number>();
  for (const c of calls) m.set(`${c.service}.${c.operation}`, (m.get(`${c.service}.${c.operation}`) ?? 0) + c.count);
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
}
