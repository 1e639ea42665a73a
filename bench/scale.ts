// The scale scenario (`npm run bench -- --scale`): 800 accounts × 8 regions = 6,400 targets, concurrency 200.
// First deploy without latency (0.1-second stacks), then 100 ms of latency on every call: the unchanged re-deploy,
// `status --no-drift` and status with drift. Each run is measured against its bound, the time an ideal client
// needs given the latency and the concurrency:
//
//   bound = start-up + discovery chain + fan-out
//   discovery chain = (GetCallerIdentity + DescribeOrganization + ⌈accounts / 20⌉ ListAccounts pages) × latency:
//                     sequential calls (ListAccounts returns at most 20 accounts a page), so no concurrency helps;
//   fan-out = ⌈calls the targets need / concurrency⌉ × latency: one AssumeRole per member account; for deploy one
//             DescribeTrails per account (trail.mode auto: does the account log with a trail of its own?); and per
//             target 1 DescribeStacks (re-deploy), 3 (status: DescribeStacks, GetFunction, DescribeRule) or 6 (status
//             with drift: the same plus DetectStackDrift, one DescribeStackDriftDetectionStatus,
//             DescribeStackResourceDrifts).
//
// The issue's own figure (800 AssumeRole + 6,400 DescribeStacks at 200 at a time × 0.1 s = 3.6 s) is the fan-out
// without DescribeTrails; the full bound is printed with the wall time / fan-out ratio next to it.
import { median, workspace, type Workspace } from './cli-process.js';
import { startSimProcess, type SimProcess } from './sim-process.js';
import type { StartupFigures } from './startup.js';

export const SCALE = {
  accounts: 800,
  regions: [
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
    'eu-west-1',
    'eu-west-2',
    'eu-central-1',
    'ap-southeast-2',
  ],
  concurrency: 200,
  latencyMs: 100,
  stackMs: 100,
  /** ListAccounts' largest page */
  pageSize: 20,
};

export interface ScaleRun {
  label: string;
  args: string[];
  /** calls per target the command needs at the least, besides one AssumeRole per member account */
  callsPerTarget: number | null;
  /** calls per account besides AssumeRole */
  callsPerAccount: number;
  /** the wall-time target, as a multiple of the bound */
  limit: number | null;
}

export const SCALE_RUNS: ScaleRun[] = [
  {
    label: 'first deploy (no latency)',
    args: ['deploy', '--all-accounts', '--yes'],
    callsPerTarget: null,
    callsPerAccount: 1,
    limit: null,
  },
  {
    label: 'unchanged re-deploy',
    args: ['deploy', '--all-accounts', '--yes'],
    callsPerTarget: 1,
    callsPerAccount: 1,
    limit: 2,
  },
  // status reads the dead-letter queue's depth too (issue O): one GetQueueAttributes a target, beside GetFunction and
  // DescribeRule, so 4 and 7 calls a target (it runs in parallel with them: a target's chain is no longer)
  { label: 'status --no-drift', args: ['status', '--no-drift'], callsPerTarget: 4, callsPerAccount: 0, limit: 2 },
  // the deep check also reads the prefix lists visible to the target (one DescribeManagedPrefixLists, in parallel;
  // this organisation shares none, so no DescribeSecurityGroups follows)
  { label: 'status with drift', args: ['status'], callsPerTarget: 8, callsPerAccount: 0, limit: 3 },
];

export interface ScaleBound {
  boundMs: number;
  /** the figure: the fan-out alone */
  fanOutMs: number;
  chainMs: number;
}

export function scaleBound(run: ScaleRun, startupMs: number, s = SCALE): ScaleBound | null {
  if (run.callsPerTarget === null) return null;
  const targets = s.accounts * s.regions.length;
  const calls = s.accounts - 1 + s.accounts * run.callsPerAccount + targets * run.callsPerTarget;
  const fanOutMs = Math.ceil(calls / s.concurrency) * s.latencyMs;
  const chainMs = (2 + Math.ceil(s.accounts / s.pageSize)) * s.latencyMs;
  return { boundMs: startupMs + chainMs + fanOutMs, fanOutMs, chainMs };
}

/** The bound of the first deploy (no latency): one canary stack, then ⌈targets / concurrency⌉ stack times. */
export function firstDeployBound(startupMs: number, s = SCALE): number {
  return startupMs + s.stackMs + Math.ceil((s.accounts * s.regions.length) / s.concurrency) * s.stackMs;
}

export interface ScaleSetup {
  sim: SimProcess;
  ws: Workspace;
  close(): Promise<void>;
}

/** A simulator with the scale organisation (the management account and 799 members), and a workspace for it. */
export async function startScale(s = SCALE): Promise<ScaleSetup> {
  const sim = await startSimProcess([
    '--accounts',
    String(s.accounts - 1),
    '--stack-ms',
    String(s.stackMs),
    '--regions',
    s.regions.join(','),
  ]);
  const ws = workspace(sim.ready.endpoint);
  ws.config(`regions: [${s.regions.join(', ')}]\ndeploy:\n  concurrency: ${s.concurrency}\n`);
  return {
    sim,
    ws,
    close: async () => {
      ws.close();
      await sim.stop();
    },
  };
}

export async function setLatency(sim: SimProcess, latencyMs: number): Promise<void> {
  const res = await fetch(`${sim.ready.endpoint}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs }),
  });
  if (!res.ok) throw new Error(`POST /_sim/faults: HTTP ${res.status}`);
}

/** Medians of several runs' figures, by label. */
export function medianOf<T>(values: T[], pick: (v: T) => number | null): number | null {
  const xs = values.map(pick).filter((x): x is number => x !== null);
  return xs.length ? median(xs) : null;
}

export type { StartupFigures };
