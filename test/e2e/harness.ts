// End-to-end harness: a simulated organisation in this process, and the built bin/guardrail spawned against it
// exactly as a user runs it (AWS_ENDPOINT_URL, static management credentials, a config file in a temp dir).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { startSim, type SimOptions } from '../sim/sim.js';
import type { SimServer } from '../sim/server.js';
import { cfnRegion, type Stack } from '../sim/cfn/model.js';
import { testSeed } from '../sim/test/seed.js';

export const BIN = fileURLToPath(new URL('../../bin/guardrail', import.meta.url));

// An end-to-end test spawns the CLI once or several times, and node starting it takes a second idle but several on a
// loaded 2-core machine (a two-run test took over 30 s while the machine ran other suites). The timeout is not a
// measure of speed, only how long a hang takes to fail: two minutes for every test and hook in a file that imports
// the harness (a test that needs longer says so).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is */
  json?: Record<string, unknown> & { targets: Record<string, unknown>[]; summary: Record<string, number> };
}

export interface E2E {
  sim: SimServer;
  dir: string;
  env: Record<string, string>;
  /** writes accounts.yaml in the temp dir */
  config(yaml: string): void;
  run(
    args: string[],
    opts?: { onSpawn?: (child: ReturnType<typeof spawn>) => void; env?: Record<string, string> },
  ): Promise<CliRun>;
  calls(): Promise<{
    total: number;
    throttled: number;
    calls: { service: string; operation: string; account: string; region: string; count: number; throttled: number }[];
  }>;
  resetCalls(): Promise<void>;
  faults(f: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** Starts the simulator (seed: GUARDRAIL_SIM_SEED or the fixed default, unless `opts.seed` names one). */
export async function startE2E(opts: SimOptions = {}): Promise<E2E> {
  const sim = await startSim({ stackMs: 100, seed: testSeed(), ...opts, port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-e2e-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDMGMT',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
  };
  const admin = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${sim.endpoint}${path}`, init);
    return res.json() as Promise<never>;
  };
  return {
    sim,
    dir,
    env,
    config(yaml) {
      writeFileSync(join(dir, 'accounts.yaml'), yaml);
    },
    run(args, runOpts = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          cwd: dir,
          env: { ...env, ...runOpts.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          const result: CliRun = { code, signal, stdout, stderr };
          try {
            result.json = JSON.parse(stdout) as CliRun['json'];
          } catch {
            // not JSON output
          }
          resolve(result);
        });
        runOpts.onSpawn?.(child);
      });
    },
    calls: () => admin('/_sim/calls'),
    resetCalls: async () => {
      await admin('/_sim/calls', { method: 'DELETE' });
    },
    faults: async (f) => {
      await admin('/_sim/faults', { method: 'POST', body: JSON.stringify(f) });
    },
    close: () => sim.close(),
  };
}

/** Sums the simulator's call counts for the given operations (service.Operation), optionally per account. */
export function countCalls(calls: Awaited<ReturnType<E2E['calls']>>, ops: string[], account?: string): number {
  return calls.calls
    .filter((c) => ops.includes(`${c.service}.${c.operation}`) && (account === undefined || c.account === account))
    .reduce((n, c) => n + c.count, 0);
}

/** Every live stack of that name in the simulator, by account/region. */
export function liveStacks(e: Pick<E2E, 'sim'>, stackName = 'guardrail'): Map<string, Stack> {
  const out = new Map<string, Stack>();
  for (const [account, acct] of e.sim.state.accounts) {
    for (const [region, rs] of acct.regions) {
      const s = cfnRegion(rs).live.get(stackName);
      if (s) out.set(`${account}/${region}`, s);
    }
  }
  return out;
}

/**
 * The decisions in a function's result: the event source mapping's batch response carries one result per record
 * (`results`), a refused direct invocation returns one result.
 */
export function decisionsOf<D = Record<string, unknown>>(result: unknown): D[] {
  const r = (result ?? {}) as { decisions?: D[]; results?: { decisions?: D[] }[] };
  return [...(r.decisions ?? []), ...(r.results ?? []).flatMap((x) => x.decisions ?? [])];
}

/**
 * The verdict each progress line gave (plain stderr, one line per finished target: `✓ name (id)/region  healthy …`),
 * by `account/region`: what the live progress said, to compare with the final table.
 */
export function progressVerdicts(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/^[✓✗-] .*\((\d{12})\)\/([a-z0-9()-]+) {2}(\S+)/gmu))
    out.set(`${m[1]}/${m[2]}`, m[3]!);
  return out;
}
