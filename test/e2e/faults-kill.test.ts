// The simulator killed in the middle of a deploy: guardrail reports every target, says what went wrong (the
// connection), exits 1, and reports nothing as succeeded that had not succeeded before the kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../sim/test/helpers.js';
import { testSeed } from '../sim/test/seed.js';
import { BIN, type CliRun } from './harness.js';
import { expectEveryTarget, expectNoStackTrace, key } from './faults-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REGIONS = ['us-east-1', 'us-west-2'];

interface Ready {
  endpoint: string;
  managementAccountId: string;
  accounts: { id: string; status: string }[];
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'guardrail-kill-'));
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startSimProcess(args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  return new Promise((resolve, reject) => {
    // one process (node --import tsx), not the tsx CLI's parent and child: SIGKILL must reach the server itself
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/sim/main.ts'), '--port', '0', '--seed', String(testSeed()), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        try {
          resolve({ child, ready: JSON.parse(line) as Ready });
        } catch (e) {
          reject(new Error(`sim printed ${line}: ${(e as Error).message}`));
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`sim exited ${code} before it was ready: ${err}`)));
  });
}

it('the simulator killed mid-deploy: connection errors named, exit 1, nothing claimed that did not happen', async () => {
  // stacks take 4 s, so the whole rollout is still in flight when the simulator dies, at once after every target's
  // stack has been created: a loaded machine would have to delay the kill by almost 4 s for a rollout stack to finish
  const { child: sim, ready } = await startSimProcess([
    '--accounts',
    '3',
    '--regions',
    REGIONS.join(','),
    '--stack-ms',
    '4000',
  ]);
  writeFileSync(
    join(dir, 'accounts.yaml'),
    `regions: [${REGIONS.join(', ')}]\ndeploy:\n  concurrency: 8\n  pollSeconds: 1\n`,
  );
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    AWS_ENDPOINT_URL: ready.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDMGMT',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    NO_COLOR: '1',
  };
  type Snapshot = {
    accounts: Record<
      string,
      { regions: Record<string, { cfn?: { stacks: { stackName: string; status: string }[] } }> }
    >;
  };
  let snapshot: Snapshot | undefined;
  let killedAt = 0;
  let notKilled = '';
  const active = ready.accounts.filter((a) => a.status === 'ACTIVE').map((a) => a.id);
  const everyStackCreated = (s: Snapshot) =>
    active.every((id) =>
      REGIONS.every((r) => s.accounts[id]?.regions[r]?.cfn?.stacks.some((x) => x.stackName === 'guardrail')),
    );
  const started = Date.now();
  const run = await new Promise<CliRun>((resolve, reject) => {
    const cli = spawn(process.execPath, [BIN, 'deploy', '--all-accounts', '--yes', '--output', 'json'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(cli);
    let stdout = '';
    let stderr = '';
    let killing = false;
    cli.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // once the canary succeeded and every other target has created its stack, kill the simulator at once; the
      // state that showed it is the snapshot
      if (!killing && /✓ .*succeeded/.test(stderr)) {
        killing = true;
        void waitFor(
          async () => {
            const s = (await (await fetch(`${ready.endpoint}/_sim/state`)).json()) as Snapshot;
            return everyStackCreated(s) ? s : undefined;
          },
          30_000,
          { everyMs: 20 },
        ).then(
          (s) => {
            snapshot = s;
            sim.kill('SIGKILL');
            killedAt = Date.now();
          },
          (err: Error) => {
            notKilled = err.message;
          },
        );
      }
    });
    cli.on('error', reject);
    cli.on('close', (code, signal) => {
      const result: CliRun = { code, signal, stdout, stderr };
      try {
        result.json = JSON.parse(stdout) as CliRun['json'];
      } catch {
        /* not JSON */
      }
      resolve(result);
    });
  });
  expect(killedAt, `${notKilled}\n${run.stderr}`).toBeGreaterThan(0);
  const accounts = ready.accounts
    .filter((a) => a.status === 'ACTIVE')
    .map((a) => a.id)
    .sort();
  const targets = expectEveryTarget(run, accounts, REGIONS);
  expect(run.code).toBe(1);

  // every target either succeeded before the kill (its stack was there, created, in the snapshot) or failed
  const stackIn = (account: string, region: string) =>
    snapshot?.accounts[account]?.regions[region]?.cfn?.stacks.find((s) => s.stackName === 'guardrail');
  const succeeded = targets.filter((t) => t.result === 'succeeded');
  const failed = targets.filter((t) => t.result === 'failed');
  expect(succeeded.length + failed.length).toBe(targets.length);
  expect(succeeded.length).toBeGreaterThanOrEqual(1);
  expect(failed.length).toBeGreaterThanOrEqual(1);
  for (const t of succeeded) {
    expect(['CREATE_COMPLETE', 'CREATE_IN_PROGRESS'], key(t.account, t.region)).toContain(
      stackIn(t.account, t.region)?.status,
    );
  }
  // the in-flight stacks could not have finished: 4 s stacks, killed as soon as the last of them was created
  expect(succeeded.length).toBeLessThanOrEqual(2);
  for (const t of failed) {
    expect(t.error, key(t.account, t.region)).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up|connect/i);
    expect(t.error).toContain(new URL(ready.endpoint).host);
  }
  expectNoStackTrace(run.stderr);
  expectNoStackTrace(run.stdout);
  // how long it took to give up after the kill: the retries on a dead endpoint are bounded (3 quick attempts per call,
  // a second or two unloaded); 40 s is generous for a loaded machine and still well short of the throttling budget
  const afterKill = Date.now() - killedAt;
  expect(afterKill).toBeLessThan(40_000);
  console.log(
    `killed sim: ${succeeded.length} succeeded, ${failed.length} failed; gave up ${afterKill} ms after the kill, ${Date.now() - started} ms in all; first error: ${failed[0]?.error ?? ''}`,
  );
});
