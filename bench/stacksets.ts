// The engines side by side: the same 500 × 2 organisation (a fresh simulator, --stack-ms 500) deployed with
// deploy.engine: stacksets, against the direct engine's figures from the main scenario: wall time, API calls made by
// guardrail (the simulator counts only calls it receives: StackSets' own work inside it is not a call), peak RSS.
// StackSets' timing model in the simulator (test/sim/README.md): an operation waits half a stack time before its first
// instance, and each instance a fifth of a stack time before its stack starts.
import { ExitCode } from '../src/errors.js';
import { workspace } from './cli-process.js';
import { startSimProcess } from './sim-process.js';
import type { Row } from './table.js';

export interface EngineFigures {
  engine: 'direct' | 'stacksets';
  targets: number;
  exitCode: number | null;
  succeeded: number;
  wallMs: number;
  calls: number;
  peakRssBytes: number;
  rerunWallMs?: number;
  rerunCalls?: number;
  rerunWrites?: number;
}

const WRITES = [
  'CreateStackSet',
  'UpdateStackSet',
  'DeleteStackSet',
  'CreateStackInstances',
  'UpdateStackInstances',
  'DeleteStackInstances',
  'CreateStack',
  'UpdateStack',
  'DeleteStack',
  'CreateChangeSet',
  'ExecuteChangeSet',
];

export async function measureStackSets(
  accounts: number,
  concurrency: number,
  log: (s: string) => void,
): Promise<EngineFigures> {
  const regions = ['us-east-1', 'us-west-2'];
  const sim = await startSimProcess([
    '--accounts',
    String(accounts - 1),
    '--stack-ms',
    '500',
    '--regions',
    regions.join(','),
  ]);
  const ws = workspace(sim.ready.endpoint);
  try {
    ws.config(`regions: [${regions.join(', ')}]\ndeploy:\n  engine: stacksets\n`);
    const args = ['deploy', '--all-accounts', '--yes', '--concurrency', String(concurrency), '--output', 'json'];
    log(`deploy ${accounts}×${regions.length} with engine stacksets…`);
    await sim.resetCalls();
    const first = await ws.run(args);
    const doc = JSON.parse(first.stdout) as { targets: unknown[]; summary: Record<string, number> };
    const calls = (await sim.calls()).total;
    await sim.resetCalls();
    const again = await ws.run(args);
    const rerun = await sim.calls();
    const writes = rerun.calls
      .filter((c) => c.service === 'cloudformation' && WRITES.includes(c.operation))
      .reduce((n, c) => n + c.count, 0);
    log(
      `stacksets: ${(first.wallMs / 1000).toFixed(2)} s, ${calls} calls; re-run ${(again.wallMs / 1000).toFixed(2)} s, ${rerun.total} calls, ${writes} writes`,
    );
    return {
      engine: 'stacksets',
      targets: doc.targets.length,
      exitCode: first.code,
      succeeded: doc.summary.succeeded ?? 0,
      wallMs: first.wallMs,
      calls,
      peakRssBytes: first.peakRssBytes,
      rerunWallMs: again.wallMs,
      rerunCalls: rerun.total,
      rerunWrites: writes,
    };
  } finally {
    ws.close();
    await sim.stop();
  }
}

export function engineRows(direct: EngineFigures, sets: EngineFigures): Row[] {
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (b: number) => `${(b / 1_000_000).toFixed(0)} MB`;
  const pair = (a: string, b: string) => `direct ${a} · stacksets ${b}`;
  return [
    {
      scenario: 'engines side by side',
      figure: 'deploy wall time',
      value: pair(sec(direct.wallMs), sec(sets.wallMs)),
      target: '',
      ok: undefined,
    },
    {
      scenario: '',
      figure: 'API calls made by guardrail',
      value: pair(String(direct.calls), String(sets.calls)),
      target: '',
      ok: undefined,
    },
    {
      scenario: '',
      figure: 'peak RSS (guardrail)',
      value: pair(mb(direct.peakRssBytes), mb(sets.peakRssBytes)),
      target: '',
      ok: undefined,
    },
    {
      scenario: '',
      figure: 'stacksets: all targets succeeded',
      value: `exit ${sets.exitCode}, ${sets.succeeded}/${sets.targets}`,
      target: '',
      ok: sets.exitCode === ExitCode.ok && sets.succeeded === sets.targets,
    },
    {
      scenario: '',
      figure: 'stacksets: unchanged re-run',
      value: `${sec(sets.rerunWallMs ?? 0)}, ${sets.rerunCalls} calls, ${sets.rerunWrites} writing`,
      target: '0 writing',
      ok: sets.rerunWrites === 0,
    },
  ];
}
