/**
 * End to end: AWS's own faults during a deploy, through the built bin/guardrail. Roles that cannot be assumed and a
 * stack that fails are reported with their reasons while every other target succeeds (exit 1); the
 * ROLLBACK_COMPLETE stack left behind is deleted and recreated by the next run; throttling is retried, not failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cfnRegion } from '../sim/cfn/model.js';
import { countCalls, startE2E, type CliRun, type E2E } from './harness.js';
import { expectSeededThrottling } from './faults-helpers.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const CONFIG = `
regions: [${REGIONS.join(', ')}]
deploy:
  concurrency: 8
  pollSeconds: 1
`;
type Target = NonNullable<CliRun['json']>['targets'][number];

const find = (r: CliRun, account: string, region: string): Target => {
  const t = r.json?.targets.find((x) => x.account === account && x.region === region);
  if (!t) throw new Error(`no target ${account}/${region} in ${r.stdout}`);
  return t;
};

describe('deploy: denied roles and a failing stack', () => {
  let e: E2E;
  let mgmt: string;
  let members: string[];
  let denied: string[];
  let failing: string;
  const failingRegion = 'us-west-2';
  let failedStackId: string;

  beforeAll(async () => {
    e = await startE2E({ accounts: 6, regions: REGIONS, stackMs: 100 });
    mgmt = e.sim.state.org.managementAccountId;
    members = [...e.sim.state.org.accounts.keys()].filter((id) => id !== mgmt);
    denied = [members[0]!, members[3]!];
    failing = members[1]!;
    await e.faults({ denyAssume: denied, failStack: [`${failing}:${failingRegion}`] });
    e.config(CONFIG);
  });
  afterAll(async () => {
    await e.close();
  });

  it('fails exactly those targets, with the role ARN and AccessDenied, and the first failed resource; the rest succeed', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = r.json!;
    expect(doc.targets).toHaveLength(14);
    expect(doc.summary).toMatchObject({ targets: 14, failed: 5, succeeded: 9, skipped: 0, unchanged: 0 });
    for (const account of denied) {
      for (const region of REGIONS) {
        const t = find(r, account, region);
        expect(t.result).toBe('failed');
        expect(String(t.error)).toContain(`arn:aws:iam::${account}:role/OrganizationAccountAccessRole`);
        expect(String(t.error)).toMatch(/AccessDenied/);
      }
    }
    const f = find(r, failing, failingRegion);
    expect(f).toMatchObject({ result: 'failed', action: 'create', stackStatus: 'ROLLBACK_COMPLETE' });
    const first = f.firstFailure as { logicalId: string; type: string; status: string; reason: string };
    expect(first).toMatchObject({ type: 'AWS::Lambda::Function', status: 'CREATE_FAILED' });
    expect(first.logicalId).toMatch(/\w+/);
    expect(first.reason).toMatch(/cannot be assumed by Lambda/);
    expect(String(f.error)).toContain(first.logicalId);
    for (const t of doc.targets) {
      const bad = denied.includes(String(t.account)) || (t.account === failing && t.region === failingRegion);
      if (!bad)
        expect(t, `${String(t.account)}/${String(t.region)}`).toMatchObject({ result: 'succeeded', error: null });
    }
    // the denied accounts got no stack at all
    for (const account of denied) expect(e.sim.state.accounts.get(account)?.regions.size ?? 0).toBe(0);
    const stack = cfnRegion(e.sim.state.accounts.get(failing)!.regions.get(failingRegion)!).live.get('guardrail')!;
    expect(stack.status).toBe('ROLLBACK_COMPLETE');
    failedStackId = stack.stackId;
  });

  it("the table names each failure once: the failed stack's first failed resource in its row, a denied account in one row", async () => {
    const r = await e.run(['deploy', '--all-accounts', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json).toBeUndefined();
    // the ROLLBACK_COMPLETE stack was deleted and created again, and failed again (the fault is still on)
    const line = r.stdout.split('\n').find((l) => l.includes(`(${failing})/${failingRegion} `));
    expect(line, r.stdout).toMatch(
      / failed +\w+ +\w+ \(AWS::Lambda::Function\) CREATE_FAILED: .*cannot be assumed by Lambda/,
    );
    const linesWith = (text: string) => r.stdout.split('\n').filter((l) => l.includes(text));
    expect(linesWith('cannot be assumed by Lambda'), r.stdout).toHaveLength(1);
    expect(r.stdout).not.toMatch(/First failed resource/);
    expect(r.stdout).toMatch(/deploy: 14 targets .*5 failed/);
    for (const account of denied) {
      // both regions of the account in one row, its error once
      expect(linesWith(`arn:aws:iam::${account}:role/OrganizationAccountAccessRole`), r.stdout).toHaveLength(1);
      expect(r.stdout).toMatch(new RegExp(`\\(${account}\\)/${REGIONS.length} regions +failed`));
    }
    failedStackId = cfnRegion(e.sim.state.accounts.get(failing)!.regions.get(failingRegion)!).live.get(
      'guardrail',
    )!.stackId;
  });

  it('once the faults are cleared, deletes and recreates the ROLLBACK_COMPLETE stack and reaches the denied accounts', async () => {
    await e.faults({ denyAssume: [], failStack: [] });
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 14, failed: 0, succeeded: 5, unchanged: 9 });
    const f = find(r, failing, failingRegion);
    expect(f).toMatchObject({ result: 'succeeded', action: 'create', stackStatus: 'CREATE_COMPLETE' });
    expect(String(f.reason)).toMatch(/ROLLBACK_COMPLETE: delete and recreate/);
    for (const account of denied)
      for (const region of REGIONS)
        expect(find(r, account, region)).toMatchObject({ result: 'succeeded', action: 'create' });
    const calls = await e.calls();
    expect(countCalls(calls, ['cloudformation.DeleteStack'])).toBe(1);
    expect(countCalls(calls, ['cloudformation.DeleteStack'], failing)).toBe(1);
    const cfn = cfnRegion(e.sim.state.accounts.get(failing)!.regions.get(failingRegion)!);
    expect(cfn.byId.get(failedStackId)?.status).toBe('DELETE_COMPLETE');
    const live = cfn.live.get('guardrail')!;
    expect(live.stackId).not.toBe(failedStackId);
    expect(live.status).toBe('CREATE_COMPLETE');
  });
});

describe('deploy: throttling', () => {
  let e: E2E;
  // 0.25: at 0.3 a run of more than 69 calls would no longer be safe from a call throttled 15 times in a row
  // (test/sim/test/stats.ts, maxCallsThrough); at 0.25 up to 1,073 calls are
  const rate = 0.25;
  beforeAll(async () => {
    e = await startE2E({ accounts: 4, regions: REGIONS, stackMs: 100, throttleRate: rate });
  });
  afterAll(async () => {
    await e.close();
  });

  it('with a throttle rate of 0.25, every target still succeeds', async () => {
    e.config(CONFIG);
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 10, succeeded: 10, failed: 0, skipped: 0 });
    const calls = await e.calls();
    // the simulator really throttled the seed's share of the calls, and they were retried
    expectSeededThrottling(e.sim, calls, rate);
    expect(countCalls(calls, ['cloudformation.CreateStack'])).toBeGreaterThanOrEqual(10);
    // the timeout leaves room for the random backoff on the critical path: more than 90 s of it happens with
    // probability below 1e-8 (the reasoning is at the fault suite's throttling test, test/e2e/faults.test.ts)
  }, 180_000);
});
