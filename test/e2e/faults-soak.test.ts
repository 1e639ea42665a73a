// The soak: three deploy → status → remove cycles over 100 accounts at 20% throttling. It ends with no stacks,
// nothing half-made, and every trail bucket that guardrail created still there (retained, with its logs).
import { afterAll, expect, it } from 'vitest';
import { startE2E, type CliRun, type E2E } from './harness.js';
import {
  activeAccounts,
  expectEveryTarget,
  expectNoStackTrace,
  expectSeededThrottling,
  orphanProblems,
  stackCounts,
} from './faults-helpers.js';

const REGIONS = ['us-east-1'];
const CYCLES = 3;

let e2e: E2E | undefined;
afterAll(async () => {
  await e2e?.close();
});

function statusTargets(run: CliRun): { account: string; region: string; healthy: boolean; deployed: boolean }[] {
  expect(run.json, run.stderr.slice(-1500)).toBeDefined();
  return run.json!.targets as unknown as { account: string; region: string; healthy: boolean; deployed: boolean }[];
}

it(`${CYCLES} deploy → status → remove cycles over 100 accounts at 20% throttling`, async () => {
  // at 0.2 a call fails only when throttled 15 times in a row (0.2^15 ≈ 3.3e-11): safe up to 30,517 calls, which
  // expectSeededThrottling checks at the end (test/sim/test/stats.ts)
  const rate = 0.2;
  e2e = await startE2E({ accounts: 99, regions: REGIONS, stackMs: 50, throttleRate: rate });
  const t = e2e;
  t.config(`regions: [${REGIONS.join(', ')}]\ndeploy:\n  concurrency: 50\n  pollSeconds: 1\n`);
  const accounts = activeAccounts(t.sim);
  expect(accounts).toHaveLength(100);
  const retained = new Set<string>();
  const timings: string[] = [];

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    let started = Date.now();
    const deployed = await t.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    const deployTargets = expectEveryTarget(deployed, accounts, REGIONS);
    expect(
      deployTargets.filter((x) => x.result !== 'succeeded'),
      `cycle ${cycle}: ${deployed.stderr.slice(-1500)}`,
    ).toEqual([]);
    expect(deployed.code).toBe(0);
    expect(stackCounts(t.sim)).toEqual({ CREATE_COMPLETE: 100 });
    expect(orphanProblems(t.sim, deployTargets)).toEqual([]);
    timings.push(`deploy ${Date.now() - started} ms`);

    started = Date.now();
    const status = await t.run(['status', '--output', 'json']);
    const statusRows = statusTargets(status);
    expect(statusRows).toHaveLength(100);
    expect(
      statusRows.filter((x) => !x.healthy || !x.deployed),
      `cycle ${cycle}: ${status.stderr.slice(-1500)}`,
    ).toEqual([]);
    expect(status.code).toBe(0);
    timings.push(`status ${Date.now() - started} ms`);

    started = Date.now();
    const removed = await t.run(['remove', '--all-accounts', '--yes', '--output', 'json']);
    const removeTargets = expectEveryTarget(removed, accounts, REGIONS);
    expect(
      removeTargets.filter((x) => x.result !== 'succeeded'),
      `cycle ${cycle}: ${removed.stderr.slice(-1500)}`,
    ).toEqual([]);
    expect(removed.code).toBe(0);
    const buckets = (removed.json as unknown as { retainedBuckets: { account: string; bucket: string }[] })
      .retainedBuckets;
    // one trail, and so one retained bucket, per account and cycle (in the home region)
    expect(buckets).toHaveLength(100);
    expect(new Set(buckets.map((b) => b.account)).size).toBe(100);
    for (const b of buckets) retained.add(b.bucket);
    expect(stackCounts(t.sim)).toEqual({});
    expect(orphanProblems(t.sim, removeTargets, { command: 'remove' })).toEqual([]);
    timings.push(`remove ${Date.now() - started} ms`);
    for (const run of [deployed, status, removed]) expectNoStackTrace(run.stderr);
  }

  // every bucket ever created is still there, and each was named by a remove; besides them only deploy's template
  // bucket, one in the management account for the one region (docs/engines.md, how the template travels)
  expect(retained.size).toBe(100 * CYCLES);
  for (const name of retained) expect(t.sim.state.buckets.has(name), name).toBe(true);
  const others = [...t.sim.state.buckets.keys()].filter((name) => !retained.has(name));
  expect(others).toEqual([`guardrail-templates-${t.sim.state.org.managementAccountId}-${REGIONS[0]}`]);
  const calls = await t.calls();
  expectSeededThrottling(t.sim, calls, rate);
  console.log(`soak: ${timings.join(', ')}; ${calls.total} calls, ${calls.throttled} throttled`);
  // The timeout: the work takes about 2 minutes idle and took almost 6 on a machine running three other suites; add the
  // random backoff on the critical path (see the fault suite's throttling test): 9 runs, each with 50 slots working
  // through chains of at most ~50 calls at 20%; a Chernoff bound on the sum over the runs of each run's slowest chain
  // puts more than 240 s of backoff below 1e-8.
}, 900_000);
