/**
 * End to end: how a deploy stops, through the built bin/guardrail. A failure tolerance of 0 skips what is left after
 * an early failure; a canary that fails stops the run after one target; Ctrl-C reports every target and exits 130;
 * usage errors (no --yes without a terminal, conflicting or unknown accounts) exit 2 and change nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cfnRegion } from '../sim/cfn/model.js';
import { waitFor } from '../sim/test/helpers.js';
import { countCalls, startE2E, type CliRun, type E2E } from './harness.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const CONFIG = `
regions: [${REGIONS.join(', ')}]
deploy:
  pollSeconds: 1
`;
const STACK_CHANGING = [
  'cloudformation.CreateStack',
  'cloudformation.UpdateStack',
  'cloudformation.ExecuteChangeSet',
  'cloudformation.CreateChangeSet',
  'cloudformation.DeleteStack',
];

/** The live guardrail stack's status in the simulator, or undefined. */
function liveStatus(e: E2E, account: string, region: string): string | undefined {
  const rs = e.sim.state.accounts.get(account)?.regions.get(region);
  return rs ? cfnRegion(rs).live.get('guardrail')?.status : undefined;
}
const key = (t: { account?: unknown; region?: unknown }) => `${String(t.account)}/${String(t.region)}`;

let e: E2E;
let mgmt: string;
let members: string[];
beforeEach(async () => {
  e = await startE2E({ accounts: 4, regions: REGIONS, stackMs: 100 });
  mgmt = e.sim.state.org.managementAccountId;
  // ids sort in creation order, and so do the targets
  members = [...e.sim.state.org.accounts.keys()].filter((id) => id !== mgmt).sort();
  e.config(CONFIG);
});
afterEach(async () => {
  await e.close();
});

/** Every skipped target has no stack; every succeeded target has a complete one. */
function expectStateMatches(r: CliRun) {
  for (const t of r.json!.targets) {
    const status = liveStatus(e, String(t.account), String(t.region));
    if (t.result === 'skipped') expect(status, key(t)).toBeUndefined();
    if (t.result === 'succeeded') expect(status, key(t)).toBe('CREATE_COMPLETE');
  }
}

describe('deploy: failure tolerance and canary', () => {
  // the targets' stack calls are counted: no store's stack beside them (onModify restore, the default, would deploy
  // one first, in the management account, which failStack breaks too)
  beforeEach(() => {
    e.config(`${CONFIG}policy: { onModify: revoke }\n`);
  });
  it('--failure-tolerance 0: after an early failure the rest are skipped, not failed, and the summary says so', async () => {
    await e.faults({ failStack: [`${members[0]!}:us-east-1`] });
    // one at a time: the canary (management/us-east-1), then the first member's us-east-1, which fails
    const r = await e.run([
      'deploy',
      '--all-accounts',
      '--yes',
      '--concurrency',
      '1',
      '--failure-tolerance',
      '0',
      '--output',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const doc = r.json!;
    expect(doc.targets).toHaveLength(10);
    expect(doc.summary).toMatchObject({ targets: 10, succeeded: 1, failed: 1, skipped: 8, unchanged: 0 });
    expect(doc.stoppedBy).toBe('tolerance');
    const byKey = new Map(doc.targets.map((t) => [key(t), t]));
    expect(byKey.get(`${mgmt}/us-east-1`)).toMatchObject({ result: 'succeeded' });
    expect(byKey.get(`${members[0]!}/us-east-1`)).toMatchObject({ result: 'failed', stackStatus: 'ROLLBACK_COMPLETE' });
    for (const t of doc.targets.filter((x) => x.result === 'skipped')) {
      expect(String(t.reason)).toMatch(/failure tolerance/);
      expect(t.error).toBeNull();
    }
    expectStateMatches(r);
    expect(countCalls(await e.calls(), ['cloudformation.CreateStack'])).toBe(2);

    // the table's note and summary line say so too. Next run: the failed stack is recreated (fault moved to the next
    // member), and is now the canary, as the only target that needs a change; then member 2 fails, the rest are skipped
    await e.faults({ failStack: [`${members[1]!}:us-east-1`] });
    const table = await e.run(['deploy', '--all-accounts', '--yes', '--concurrency', '1', '--failure-tolerance', '0']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/Stopped early: .*failure tolerance.*skipped/);
    expect(table.stdout).toMatch(/deploy: 10 targets · 1 succeeded · 1 unchanged · 1 failed · 7 skipped/);
    expect(table.stdout).toMatch(new RegExp(`\\(${members[1]!}\\)/us-east-1 +failed`));
  });

  it('--failure-tolerance 0 with an unreachable account: nothing is deployed, the rest are skipped', async () => {
    await e.faults({ denyAssume: [members[1]!] });
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--failure-tolerance', '0', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json!.summary).toMatchObject({ targets: 10, succeeded: 0, failed: 2, skipped: 8 });
    for (const t of r.json!.targets) {
      expect(t.result, key(t)).toBe(t.account === members[1] ? 'failed' : 'skipped');
    }
    expect(countCalls(await e.calls(), STACK_CHANGING)).toBe(0);
  });

  it('a template that fails in the canary stops the run after one target', async () => {
    await e.faults({ failStack: [mgmt] });
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = r.json!;
    expect(doc.summary).toMatchObject({ targets: 10, succeeded: 0, failed: 1, skipped: 9 });
    expect(doc.stoppedBy).toBe('canary');
    const failed = doc.targets.filter((t) => t.result === 'failed');
    expect(failed.map(key)).toEqual([`${mgmt}/us-east-1`]);
    for (const t of doc.targets.filter((x) => x.result === 'skipped')) expect(String(t.reason)).toMatch(/canary/);
    expect(countCalls(await e.calls(), ['cloudformation.CreateStack'])).toBe(1);
    expectStateMatches(r);
  });
});

describe('deploy: interrupted', () => {
  it('SIGINT while targets are in flight: every target is reported, the running ones finish, exit 130', async () => {
    // 3 s stacks: the signal goes once the rollout's first three targets have created their stacks, and must land
    // before those finish and the pool starts the next ones; that leaves a loaded machine almost 3 s to deliver it (and
    // 6 s before fewer than 3 are skipped)
    await e.faults({ stackMs: 3000 });
    const canary = `${mgmt}/us-east-1`;
    const rolloutStacks = () =>
      [mgmt, ...members]
        .flatMap((id) => REGIONS.map((region) => ({ id, region })))
        .filter(({ id, region }) => `${id}/${region}` !== canary && liveStatus(e, id, region) !== undefined).length;
    let child: ChildProcess | undefined;
    let stderr = '';
    let sent = false;
    let inFlight: Promise<boolean | string> | undefined;
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--concurrency', '3', '--output', 'json'], {
      onSpawn: (c) => {
        child = c;
        c.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString();
          // the canary is done and the rollout has begun: interrupt once its first three targets are in flight
          if (!sent && /rollout: /.test(stderr)) {
            sent = true;
            inFlight = waitFor(() => (rolloutStacks() >= 3 ? true : undefined), 30_000, {
              what: () => `${rolloutStacks()} rollout stack(s)`,
            }).then(
              () => child?.kill('SIGINT') ?? false,
              (err: Error) => err.message,
            );
          }
        });
      },
    });
    expect(sent, r.stderr).toBe(true);
    expect(await inFlight, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    const doc = r.json!;
    expect(doc, r.stdout).toBeDefined();
    expect(doc.stoppedBy).toBe('signal');
    // none missing: all 10 account × region targets, each once
    expect(new Set(doc.targets.map(key)).size).toBe(10);
    expect(doc.targets).toHaveLength(10);
    for (const t of doc.targets) expect(['succeeded', 'failed', 'skipped']).toContain(t.result);
    const count = (k: string) => doc.targets.filter((t) => t.result === k).length;
    expect(doc.summary).toMatchObject({
      targets: 10,
      succeeded: count('succeeded'),
      skipped: count('skipped'),
      failed: count('failed'),
    });
    // the canary and the three in flight finished (a slow machine may have started one more before the signal);
    // the queued ones never started
    expect(count('succeeded')).toBeGreaterThanOrEqual(4);
    expect(count('skipped')).toBeGreaterThanOrEqual(3);
    expect(count('succeeded') + count('skipped')).toBe(10);
    for (const t of doc.targets.filter((x) => x.result === 'skipped')) expect(String(t.reason)).toMatch(/interrupted/);
    expectStateMatches(r);
    // no stack is left half-made
    for (const t of doc.targets)
      expect(liveStatus(e, String(t.account), String(t.region)) ?? 'none').not.toMatch(/IN_PROGRESS/);
  });
});

describe('deploy: usage errors change nothing', () => {
  it('without --yes and without a terminal, deploying to more than one account exits 2', async () => {
    const r = await e.run(['deploy', '--all-accounts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(r.stdout).not.toMatch(/succeeded/);
    expect(countCalls(await e.calls(), STACK_CHANGING)).toBe(0);
    for (const id of [mgmt, ...members])
      for (const region of REGIONS) expect(liveStatus(e, id, region)).toBeUndefined();
  });

  it('one account needs no confirmation', async () => {
    const r = await e.run(['deploy', '--account', members[2]!, '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 2, succeeded: 2 });
    expect(new Set(r.json!.targets.map((t) => t.account))).toEqual(new Set([members[2]]));
  });

  it('--account with --all-accounts exits 2', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--account', members[0]!, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--account and --all-accounts/);
    expect((await e.calls()).total).toBe(0);
  });

  it('an account outside the organisation exits 2 and names it', async () => {
    const r = await e.run(['deploy', '--account', `${members[0]!},123456789012`, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('123456789012');
    expect(r.stderr).not.toContain(`account ${members[0]!}`);
    expect(countCalls(await e.calls(), STACK_CHANGING)).toBe(0);
  });
});
