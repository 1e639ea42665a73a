// Start-up: `guardrail --help`, median of several runs. hyperfine measures it when installed; the bench also
// times its own spawns, so it works without hyperfine. `aws --version` is timed the same way where it exists.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, NO_TOOLS, median } from './cli-process.js';

export interface StartupFigures {
  /** the figure the bench uses: hyperfine's median when available, otherwise the spawn median */
  medianMs: number;
  method: 'hyperfine' | 'spawn';
  runs: number;
  spawnMedianMs: number;
  hyperfineMedianMs: number | null;
  /** `aws --version`, when an aws CLI is on PATH */
  aws: { version: string; path: string; medianMs: number; ratio: number } | null;
}

function which(cmd: string): string | undefined {
  if (NO_TOOLS && cmd === 'hyperfine') return undefined;
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Wall time of one spawn, until it exits. */
function timeSpawn(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: 'ignore', env });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

async function spawnMedian(cmd: string, args: string[], runs: number, env: NodeJS.ProcessEnv): Promise<number> {
  await timeSpawn(cmd, args, env); // warm the file cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeSpawn(cmd, args, env));
  return median(times);
}

function hyperfineMedian(command: string, runs: number): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-hyperfine-'));
  try {
    const out = join(dir, 'h.json');
    execFileSync(
      'hyperfine',
      ['--warmup', '2', '--runs', String(runs), '--export-json', out, '--style', 'none', command],
      { stdio: 'ignore' },
    );
    const data = JSON.parse(readFileSync(out, 'utf8')) as { results: { median: number }[] };
    const m = data.results[0]?.median;
    return m === undefined ? null : m * 1000;
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureStartup(runs = 15): Promise<StartupFigures> {
  const env = { ...process.env, NO_COLOR: '1' };
  const spawnMedianMs = await spawnMedian(process.execPath, [BIN, '--help'], runs, env);
  const hyperfineMedianMs = which('hyperfine') ? hyperfineMedian(`${process.execPath} ${BIN} --help`, runs) : null;
  const medianMs = hyperfineMedianMs ?? spawnMedianMs;
  let aws: StartupFigures['aws'] = null;
  const awsPath = which('aws');
  if (awsPath) {
    try {
      const version =
        execFileSync(awsPath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
          .trim()
          .split('\n')[0] ?? '';
      const awsMedian =
        (which('hyperfine') ? hyperfineMedian(`${awsPath} --version`, runs) : null) ??
        (await spawnMedian(awsPath, ['--version'], runs, env));
      aws = { version, path: awsPath, medianMs: awsMedian, ratio: medianMs / awsMedian };
    } catch {
      aws = null;
    }
  }
  return {
    medianMs,
    method: hyperfineMedianMs === null ? 'spawn' : 'hyperfine',
    runs,
    spawnMedianMs,
    hyperfineMedianMs,
    aws,
  };
}
