// `npm run bench [-- --json [FILE]] [--long] [--scale | --scale-only] [--repeat N] [--accounts N]`: guardrail's
// performance figures, measured in one run on this machine, printed as one table (and, with --json, the same figures as
// one JSON document).
//
// The simulator runs in a child process of its own; guardrail is the built bin/guardrail, spawned as a user runs it.
// Scenarios: deploy 500 accounts × 2 regions (--stack-ms 500, --concurrency 50, default settings otherwise) against
// its bound; the unchanged re-deploy; status with drift; optionally (--long) deploy 100 × 2 with 60-second stacks;
// start-up of `guardrail --help`; the revert handler's time per event; bundle and template sizes.
import { statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/schema.js';
import { ExitCode } from '../src/errors.js';
import { renderForConfig } from '../src/engines/render.js';
import { lineAt, median, quantile, workspace, type CliMeasure } from './cli-process.js';
import { measureHandler, type HandlerFigures } from './handler.js';
import { byOperation, ROOT, startSimProcess, type SimProcess } from './sim-process.js';
import { measureStartup, type StartupFigures } from './startup.js';
import { speedProbe } from './speed.js';
import { renderTable, type Row } from './table.js';
import { SCALE, SCALE_RUNS, firstDeployBound, scaleBound, setLatency, startScale } from './scale.js';
import { engineRows, measureStackSets } from './stacksets.js';

const TEMPLATE_LIMIT = 51_200;
const MB = 1_000_000;
/** operations that change a stack: the unchanged re-deploy must make none */
export const STACK_CHANGING = [
  'cloudformation.CreateStack',
  'cloudformation.UpdateStack',
  'cloudformation.DeleteStack',
  'cloudformation.CreateChangeSet',
  'cloudformation.ExecuteChangeSet',
];

interface Options {
  json: string | null | undefined; // undefined: no JSON; null: to stdout; string: to FILE
  long: boolean;
  /** the 6,400-target scenario (800 accounts × 8 regions, 100 ms latency), repeated `repeat` times */
  scale: boolean;
  /** only the scale scenario */
  scaleOnly: boolean;
  repeat: number;
  accounts: number;
  concurrency: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = {
    json: undefined,
    long: false,
    scale: false,
    scaleOnly: false,
    repeat: 3,
    accounts: 500,
    concurrency: 50,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        opts.json = next;
        i++;
      } else opts.json = null;
    } else if (a.startsWith('--json=')) opts.json = a.slice('--json='.length);
    else if (a === '--long') opts.long = true;
    else if (a === '--scale') opts.scale = true;
    else if (a === '--scale-only') {
      opts.scale = true;
      opts.scaleOnly = true;
    } else if (a === '--accounts' || a === '--concurrency' || a === '--repeat') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer`);
      if (a === '--accounts') opts.accounts = n;
      else if (a === '--repeat') opts.repeat = n;
      else opts.concurrency = n;
    } else
      throw new Error(
        `unknown option ${a} (use --json [FILE], --long, --scale, --scale-only, --repeat N, --accounts N, --concurrency N)`,
      );
  }
  return opts;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

interface RunFigures {
  label: string;
  targets: number;
  /** the scale scenario: wall time of every repetition (the figures are medians), the fan-out bound */
  samples?: { wallMs: number[]; peakRssBytes: number[]; fanOutMs: number; chainMs: number; limit: number | null };
  exitCode: number | null;
  wallMs: number;
  boundMs: number | null;
  ratio: number | null;
  calls: number;
  callsPerTarget: number;
  callsByOperation: Record<string, number>;
  throttled: number;
  peakRssBytes: number;
  rssMethod: string;
  cliCpuSeconds: number | null;
  simCpuSeconds: number;
  /** when the phase lines arrived on stderr (ms since spawn) */
  phases: Record<string, number | undefined>;
  /** per-target durations reported by guardrail */
  targetMs: { median: number; p90: number; max: number } | null;
  summary: Record<string, number>;
  checks: { name: string; ok: boolean; detail: string }[];
}

interface Doc {
  targets: { command?: string; result?: string; healthy?: boolean; durationMs?: number }[];
  summary: Record<string, number>;
}

function parseDoc(m: CliMeasure, label: string): Doc {
  try {
    return JSON.parse(m.stdout) as Doc;
  } catch {
    throw new Error(
      `${label}: guardrail printed no JSON document (exit ${m.code}); stderr ends: ${m.stderr.slice(-1500)}`,
    );
  }
}

async function measureRun(
  sim: SimProcess,
  run: () => Promise<CliMeasure>,
  label: string,
  boundMs: number | null,
  phaseLines: string[],
): Promise<{ fig: RunFigures; doc: Doc }> {
  await sim.resetCalls();
  const simCpu0 = sim.cpuSeconds();
  log(`${label}…`);
  const m = await run();
  const simCpuSeconds = sim.cpuSeconds() - simCpu0;
  const calls = await sim.calls();
  const doc = parseDoc(m, label);
  const durations = doc.targets.map((t) => t.durationMs ?? 0);
  const phases: RunFigures['phases'] = {};
  for (const p of phaseLines) phases[p] = lineAt(m, `${p}:`);
  phases['last result'] = m.lines.filter((l) => /^[✓✗-] /.test(l.text)).at(-1)?.atMs;
  const fig: RunFigures = {
    label,
    targets: doc.targets.length,
    exitCode: m.code,
    wallMs: m.wallMs,
    boundMs,
    ratio: boundMs ? m.wallMs / boundMs : null,
    calls: calls.total,
    callsPerTarget: calls.total / Math.max(1, doc.targets.length),
    callsByOperation: byOperation(calls.calls),
    throttled: calls.throttled,
    peakRssBytes: m.peakRssBytes,
    rssMethod: m.rssMethod,
    cliCpuSeconds: m.cpuSeconds,
    simCpuSeconds,
    phases,
    targetMs: durations.length
      ? { median: median(durations), p90: quantile(durations, 0.9), max: Math.max(...durations) }
      : null,
    summary: doc.summary,
    checks: [],
  };
  log(
    `${label}: ${(m.wallMs / 1000).toFixed(2)} s, exit ${m.code}, ${fig.callsPerTarget.toFixed(2)} calls/target, ` +
      `peak RSS ${(m.peakRssBytes / MB).toFixed(0)} MB, phases ${JSON.stringify(phases)}`,
  );
  return { fig, doc };
}

function check(fig: RunFigures, name: string, ok: boolean, detail: string): void {
  fig.checks.push({ name, ok, detail });
}

/** The concurrency bound: one canary stack time, then ceil(targets / concurrency) stack times, plus start-up. */
export function deployBound(stackMs: number, targets: number, concurrency: number, startupMs: number): number {
  return stackMs + Math.ceil(targets / concurrency) * stackMs + startupMs;
}

async function deployScenarios(opts: Options, startup: StartupFigures): Promise<RunFigures[]> {
  const stackMs = 500;
  const regions = ['us-east-1', 'us-west-2'];
  // --accounts N counts the management account, which guardrail includes by default: N - 1 members
  const sim = await startSimProcess([
    '--accounts',
    String(opts.accounts - 1),
    '--stack-ms',
    String(stackMs),
    '--regions',
    regions.join(','),
  ]);
  const ws = workspace(sim.ready.endpoint);
  const out: RunFigures[] = [];
  try {
    ws.config(`regions: [${regions.join(', ')}]\n`);
    const targets = opts.accounts * regions.length;
    const conc = String(opts.concurrency);
    const bound = deployBound(stackMs, targets, opts.concurrency, startup.medianMs);

    const first = await measureRun(
      sim,
      () => ws.run(['deploy', '--all-accounts', '--yes', '--concurrency', conc, '--output', 'json']),
      `deploy ${opts.accounts}×${regions.length}`,
      bound,
      ['plan', 'canary', 'rollout'],
    );
    const f = first.fig;
    check(
      f,
      'all targets created',
      f.exitCode === ExitCode.ok && f.summary.succeeded === targets && f.targets === targets,
      `exit ${f.exitCode}, ${f.summary.succeeded}/${targets} succeeded`,
    );
    check(f, 'wall ≤ 1.15 × bound', (f.ratio ?? Infinity) <= 1.15, `${f.ratio?.toFixed(3)}`);
    check(f, 'calls per target ≤ 8', f.callsPerTarget <= 8, f.callsPerTarget.toFixed(2));
    check(f, 'peak RSS < 250 MB', f.peakRssBytes < 250 * MB, `${(f.peakRssBytes / MB).toFixed(1)} MB`);
    out.push(f);

    const again = await measureRun(
      sim,
      () => ws.run(['deploy', '--all-accounts', '--yes', '--concurrency', conc, '--output', 'json']),
      'unchanged re-deploy',
      null,
      ['plan'],
    );
    const a = again.fig;
    const changing = STACK_CHANGING.reduce((n, op) => n + (a.callsByOperation[op] ?? 0), 0);
    check(
      a,
      'all targets unchanged',
      a.exitCode === ExitCode.ok && a.summary.unchanged === targets,
      `exit ${a.exitCode}, ${a.summary.unchanged}/${targets} unchanged`,
    );
    check(
      a,
      'zero stack-changing calls',
      changing === 0,
      `${changing} of ${STACK_CHANGING.map((o) => o.split('.')[1]).join('/')}`,
    );
    check(a, 'peak RSS < 250 MB', a.peakRssBytes < 250 * MB, `${(a.peakRssBytes / MB).toFixed(1)} MB`);
    out.push(a);

    const st = await measureRun(
      sim,
      () => ws.run(['status', '--concurrency', conc, '--output', 'json']),
      'status with drift',
      null,
      ['status'],
    );
    const s = st.fig;
    const healthy = st.doc.targets.filter((t) => t.healthy === true).length;
    check(
      s,
      'every target healthy',
      s.exitCode === ExitCode.ok && healthy === targets,
      `exit ${s.exitCode}, ${healthy}/${targets} healthy`,
    );
    const detect = s.callsByOperation['cloudformation.DetectStackDrift'] ?? 0;
    check(s, 'drift checked on every target', detect === targets, `${detect} DetectStackDrift`);
    check(s, 'peak RSS < 250 MB', s.peakRssBytes < 250 * MB, `${(s.peakRssBytes / MB).toFixed(1)} MB`);
    out.push(s);
  } finally {
    ws.close();
    await sim.stop();
  }
  return out;
}

async function longScenario(opts: Options, startup: StartupFigures): Promise<RunFigures> {
  const stackMs = 60_000;
  const accounts = 100;
  const regions = ['us-east-1', 'us-west-2'];
  const sim = await startSimProcess([
    '--accounts',
    String(accounts - 1),
    '--stack-ms',
    String(stackMs),
    '--regions',
    regions.join(','),
  ]);
  const ws = workspace(sim.ready.endpoint);
  try {
    ws.config(`regions: [${regions.join(', ')}]\n`);
    const targets = accounts * regions.length;
    const bound = deployBound(stackMs, targets, opts.concurrency, startup.medianMs);
    const { fig } = await measureRun(
      sim,
      () =>
        ws.run(['deploy', '--all-accounts', '--yes', '--concurrency', String(opts.concurrency), '--output', 'json']),
      `deploy ${accounts}×${regions.length}, 60 s stacks`,
      bound,
      ['plan', 'canary', 'rollout'],
    );
    check(
      fig,
      'all targets created',
      fig.exitCode === ExitCode.ok && fig.summary.succeeded === targets,
      `exit ${fig.exitCode}, ${fig.summary.succeeded}/${targets} succeeded`,
    );
    check(fig, 'wall ≤ 1.15 × bound', (fig.ratio ?? Infinity) <= 1.15, `${fig.ratio?.toFixed(3)}`);
    check(fig, 'calls per target ≤ 8', fig.callsPerTarget <= 8, fig.callsPerTarget.toFixed(2));
    return fig;
  } finally {
    ws.close();
    await sim.stop();
  }
}

/** One repetition of the scale scenario on a fresh simulator: the first deploy, then every run with latency. */
async function scaleOnce(startup: StartupFigures, rep: number): Promise<RunFigures[]> {
  const setup = await startScale();
  const out: RunFigures[] = [];
  const targets = SCALE.accounts * SCALE.regions.length;
  try {
    for (const run of SCALE_RUNS) {
      if (run.callsPerTarget !== null) await setLatency(setup.sim, SCALE.latencyMs);
      const b = scaleBound(run, startup.medianMs);
      const boundMs = b?.boundMs ?? firstDeployBound(startup.medianMs);
      const args = [...run.args, '--concurrency', String(SCALE.concurrency), '--output', 'json'];
      const { fig, doc } = await measureRun(setup.sim, () => setup.ws.run(args), `${run.label} #${rep}`, boundMs, [
        run.args[0] === 'deploy' ? 'plan' : 'status',
      ]);
      fig.label = run.label;
      fig.samples = {
        wallMs: [fig.wallMs],
        peakRssBytes: [fig.peakRssBytes],
        fanOutMs: b?.fanOutMs ?? 0,
        chainMs: b?.chainMs ?? 0,
        limit: run.limit,
      };
      const ok =
        run.args[0] === 'deploy'
          ? fig.exitCode === ExitCode.ok &&
            (run.callsPerTarget === null ? fig.summary.succeeded : fig.summary.unchanged) === targets
          : fig.exitCode === ExitCode.ok && doc.targets.filter((t) => t.healthy === true).length === targets;
      check(
        fig,
        'every target as expected',
        ok && fig.targets === targets,
        `exit ${fig.exitCode}, ${JSON.stringify(fig.summary)}`,
      );
      if (run.limit !== null)
        check(fig, `wall ≤ ${run.limit} × bound`, (fig.ratio ?? Infinity) <= run.limit, `${fig.ratio?.toFixed(2)}`);
      check(fig, 'peak RSS ≤ 250 MB', fig.peakRssBytes <= 250 * MB, `${(fig.peakRssBytes / MB).toFixed(1)} MB`);
      out.push(fig);
    }
  } finally {
    await setup.close();
  }
  return out;
}

/** The scale scenario `repeat` times; each figure is the median over the repetitions, every wall time kept. */
async function scaleScenario(opts: Options, startup: StartupFigures): Promise<RunFigures[]> {
  const reps: RunFigures[][] = [];
  for (let i = 1; i <= opts.repeat; i++) reps.push(await scaleOnce(startup, i));
  return SCALE_RUNS.map((run, k) => {
    const all = reps.map((r) => r[k]!);
    const byWall = [...all].sort((a, b) => a.wallMs - b.wallMs);
    const mid = byWall[Math.floor((byWall.length - 1) / 2)]!;
    const med = (f: (x: RunFigures) => number) => median(all.map(f));
    const fig: RunFigures = {
      ...mid,
      wallMs: med((x) => x.wallMs),
      peakRssBytes: med((x) => x.peakRssBytes),
      cliCpuSeconds: med((x) => x.cliCpuSeconds ?? 0),
      simCpuSeconds: med((x) => x.simCpuSeconds),
      samples: { ...mid.samples!, wallMs: all.map((x) => x.wallMs), peakRssBytes: all.map((x) => x.peakRssBytes) },
      // a check holds when it held in the median run and the median figures
      checks: [],
    };
    fig.ratio = fig.boundMs ? fig.wallMs / fig.boundMs : null;
    const okAll = all.every((x) => x.checks.find((c) => c.name === 'every target as expected')?.ok);
    check(fig, 'every target as expected', okAll, `${all.filter((x) => x.checks[0]?.ok).length}/${all.length} runs`);
    if (run.limit !== null)
      check(fig, `wall ≤ ${run.limit} × bound`, (fig.ratio ?? Infinity) <= run.limit, `${fig.ratio?.toFixed(2)}`);
    check(fig, 'peak RSS ≤ 250 MB', fig.peakRssBytes <= 250 * MB, `${(fig.peakRssBytes / MB).toFixed(1)} MB`);
    return fig;
  });
}

interface Sizes {
  bundleBytes: number;
  templateBytes: number;
  templateLimit: number;
}

async function sizes(): Promise<Sizes> {
  const bundleBytes = statSync(join(ROOT, 'lambda-bundle', 'dist', 'index.js')).size;
  const rendered = await renderForConfig(defaultConfig());
  return { bundleBytes, templateBytes: rendered.bytes, templateLimit: TEMPLATE_LIMIT };
}

function machine() {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAtStart: loadavg()[0] ?? 0,
  };
}

function rows(figs: RunFigures[], startup: StartupFigures, handler: HandlerFigures, size: Sizes): Row[] {
  const r: Row[] = [];
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (b: number) => `${(b / MB).toFixed(0)} MB`;
  const ok = (fig: RunFigures, name: string) => fig.checks.find((c) => c.name === name)?.ok;
  for (const f of figs) {
    if (f.boundMs !== null) {
      r.push({
        scenario: f.label,
        figure: 'wall time / bound',
        value: `${sec(f.wallMs)} / ${sec(f.boundMs)} = ${f.ratio!.toFixed(2)}×`,
        target: '≤ 1.15×',
        ok: ok(f, 'wall ≤ 1.15 × bound'),
      });
    } else {
      r.push({ scenario: f.label, figure: 'wall time', value: sec(f.wallMs), target: '', ok: undefined });
    }
    const marks = Object.entries(f.phases)
      .filter((e): e is [string, number] => e[1] !== undefined)
      .map(([name, at]) => `${name} ${(at / 1000).toFixed(2)}`);
    if (marks.length)
      r.push({ scenario: '', figure: 'timeline (s since spawn)', value: marks.join(' · '), target: '', ok: undefined });
    const createCheck = ok(f, 'calls per target ≤ 8');
    r.push({
      scenario: '',
      figure: 'API calls per target',
      value: `${f.callsPerTarget.toFixed(2)} (${f.calls} / ${f.targets})`,
      target: createCheck === undefined ? '' : '≤ 8',
      ok: createCheck,
    });
    const rss = ok(f, 'peak RSS < 250 MB');
    r.push({
      scenario: '',
      figure: 'peak RSS (guardrail)',
      value: mb(f.peakRssBytes),
      target: rss === undefined ? '' : '< 250 MB',
      ok: rss,
    });
    r.push({
      scenario: '',
      figure: 'CPU guardrail / simulator',
      value: `${f.cliCpuSeconds === null ? 'n/a' : f.cliCpuSeconds.toFixed(1)} s / ${f.simCpuSeconds.toFixed(1)} s`,
      target: '',
      ok: undefined,
    });
    for (const c of f.checks.filter(
      (c) => !['wall ≤ 1.15 × bound', 'calls per target ≤ 8', 'peak RSS < 250 MB'].includes(c.name),
    )) {
      r.push({ scenario: '', figure: c.name, value: c.detail, target: '', ok: c.ok });
    }
  }
  r.push({
    scenario: 'start-up',
    figure: `guardrail --help, median of ${startup.runs}`,
    value: `${startup.medianMs.toFixed(0)} ms (${startup.method})`,
    target: '',
    ok: undefined,
  });
  r.push({
    scenario: '',
    figure: 'aws --version, same method; ratio',
    value: startup.aws
      ? `${startup.aws.medianMs.toFixed(0)} ms (${startup.aws.version.split(' ')[0]}); guardrail/aws ${startup.aws.ratio.toFixed(2)}`
      : 'n/a (no aws CLI)',
    target: '',
    ok: undefined,
  });
  r.push({
    scenario: 'revert handler',
    figure: `per event, median of ${handler.events}`,
    value: `${handler.medianMs.toFixed(1)} ms (p90 ${handler.p90Ms.toFixed(1)} ms)`,
    target: '',
    ok: undefined,
  });
  r.push({
    scenario: '',
    figure: 'first event / bundle+SDK load',
    value: `${handler.firstMs.toFixed(1)} ms / ${handler.loadMs.toFixed(0)} ms`,
    target: '',
    ok: undefined,
  });
  r.push({
    scenario: 'sizes',
    figure: 'bundle (lambda-bundle/dist/index.js)',
    value: `${size.bundleBytes.toLocaleString('en-US')} B`,
    target: '',
    ok: undefined,
  });
  r.push({
    scenario: '',
    figure: 'rendered template',
    value: `${size.templateBytes.toLocaleString('en-US')} B (${((100 * size.templateBytes) / size.templateLimit).toFixed(0)}% of limit)`,
    target: `< ${size.templateLimit.toLocaleString('en-US')} B`,
    ok: size.templateBytes < size.templateLimit,
  });
  return r;
}

function scaleRows(figs: RunFigures[]): Row[] {
  const r: Row[] = [];
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  for (const f of figs) {
    const sm = f.samples!;
    const ok = (name: string) => f.checks.find((c) => c.name === name)?.ok;
    const runs =
      sm.wallMs.length > 1
        ? ` (median of ${sm.wallMs.length}: ${sm.wallMs.map((w) => (w / 1000).toFixed(1)).join(', ')})`
        : '';
    r.push({
      scenario: `${f.label}`,
      figure: 'wall time / bound',
      value: `${sec(f.wallMs)} / ${sec(f.boundMs!)} = ${f.ratio!.toFixed(2)}×${runs}`,
      target: sm.limit === null ? '' : `≤ ${sm.limit}×`,
      ok: sm.limit === null ? undefined : ok(`wall ≤ ${sm.limit} × bound`),
    });
    if (sm.fanOutMs) {
      r.push({
        scenario: '',
        figure: 'bound = start-up + discovery chain + fan-out',
        value:
          `${sec(f.boundMs! - sm.chainMs - sm.fanOutMs)} + ${sec(sm.chainMs)} + ${sec(sm.fanOutMs)}` +
          `; wall / fan-out alone ${(f.wallMs / sm.fanOutMs).toFixed(2)}×`,
        target: '',
        ok: undefined,
      });
    }
    r.push({
      scenario: '',
      figure: 'API calls per target',
      value: `${f.callsPerTarget.toFixed(2)} (${f.calls} / ${f.targets})`,
      target: '',
      ok: undefined,
    });
    r.push({
      scenario: '',
      figure: 'peak RSS (guardrail)',
      value: `${(f.peakRssBytes / MB).toFixed(0)} MB`,
      target: '≤ 250 MB',
      ok: ok('peak RSS ≤ 250 MB'),
    });
    r.push({
      scenario: '',
      figure: 'CPU guardrail / simulator',
      value: `${(f.cliCpuSeconds ?? 0).toFixed(1)} s / ${f.simCpuSeconds.toFixed(1)} s`,
      target: '',
      ok: undefined,
    });
    const expected = f.checks.find((c) => c.name === 'every target as expected');
    r.push({
      scenario: '',
      figure: 'every target as expected',
      value: expected?.detail ?? '',
      target: '',
      ok: expected?.ok,
    });
  }
  return r;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const host = machine();
  log(`${host.cpu}, ${host.cores} cores, Node ${host.node}, load ${host.loadAtStart.toFixed(2)}`);
  const speedAtStart = speedProbe();
  log(`speed probe: ${speedAtStart.toFixed(0)} ms for the reference work (bench/speed.ts)`);
  log('start-up…');
  const startup = await measureStartup(15);
  const figs = opts.scaleOnly ? [] : await deployScenarios(opts, startup);
  const first = figs[0];
  const direct = first
    ? {
        engine: 'direct' as const,
        targets: first.targets,
        exitCode: first.exitCode,
        succeeded: first.summary.succeeded ?? 0,
        wallMs: first.wallMs,
        calls: first.calls,
        peakRssBytes: first.peakRssBytes,
      }
    : null;
  const stacksets = opts.scaleOnly ? null : await measureStackSets(opts.accounts, opts.concurrency, log);
  if (opts.long) figs.push(await longScenario(opts, startup));
  const scale = opts.scale ? await scaleScenario(opts, startup) : [];
  const handler = opts.scaleOnly ? null : (log('revert handler…'), await measureHandler(25));
  const size = await sizes();
  const speed = { startMs: speedAtStart, endMs: speedProbe() };

  const title =
    `guardrail bench · ${host.date.slice(0, 16).replace('T', ' ')} UTC · ${host.cpu}, ${host.cores} cores · Node ${host.node}` +
    ` · load ${host.loadAtStart.toFixed(2)} at start · speed probe ${speed.startMs.toFixed(0)} → ${speed.endMs.toFixed(0)} ms` +
    ' · simulator in its own process';
  const parts: string[] = [];
  const engineTable = direct && stacksets ? engineRows(direct, stacksets) : [];
  if (handler) {
    parts.push(
      renderTable(
        `${title} · ${opts.accounts} accounts × 2 regions, --stack-ms 500, --concurrency ${opts.concurrency}` +
          `${opts.long ? '' : ' · (--long: 100 × 2 with 60 s stacks, skipped)'}`,
        [...rows(figs, startup, handler, size), ...engineTable],
      ),
    );
  }
  if (scale.length) {
    parts.push(
      renderTable(
        `${handler ? 'scale' : title} · ${SCALE.accounts} accounts × ${SCALE.regions.length} regions, --concurrency ${SCALE.concurrency}, ` +
          `${SCALE.latencyMs} ms latency per call (first deploy: none, ${SCALE.stackMs / 1000} s stacks) · medians of ${opts.repeat}`,
        scaleRows(scale),
      ),
    );
  }
  const table = parts.join('\n');
  const failed = [...figs, ...scale].flatMap((f) =>
    f.checks.filter((c) => !c.ok).map((c) => `${f.label}: ${c.name} (${c.detail})`),
  );
  if (size.templateBytes >= size.templateLimit) failed.push('template over the TemplateBody limit');
  for (const r of engineTable) if (r.ok === false) failed.push(`engines: ${r.figure} (${r.value})`);

  const doc = {
    machine: { ...host, speedProbeMs: speed },
    options: opts,
    startup,
    runs: figs,
    scale,
    engines: { direct, stacksets },
    handler,
    sizes: size,
    failed,
  };
  if (opts.json === null) {
    process.stderr.write(table);
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(table);
    if (opts.json !== undefined) writeFileSync(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
  }
  if (failed.length) log(`missed: ${failed.join('; ')}`);
  return failed.length ? ExitCode.failed : ExitCode.ok;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = ExitCode.failed;
  },
);
