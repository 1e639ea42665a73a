/**
 * End to end, issue 5's first acceptance items: 30 accounts × 2 regions through the built bin/guardrail.
 * Create everything, then a second run changes nothing, then a policy change is planned (changing nothing) and
 * applied (updating every stack). AssumeRole is made once per member account, however many regions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../sim/cfn/model.js';
import { VERSION_TAG } from '../../src/stack/template.js';
import { liveStacks, countCalls, startE2E, type E2E } from './harness.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const MEMBERS = 29; // + the management account = 30 accounts
const STACK_CHANGING = [
  'cloudformation.CreateStack',
  'cloudformation.UpdateStack',
  'cloudformation.ExecuteChangeSet',
  'cloudformation.CreateChangeSet',
  'cloudformation.DeleteStack',
];

const config = (mode: 'enforce' | 'monitor') => `
regions: [${REGIONS.join(', ')}]
policy:
  mode: ${mode}
deploy:
  concurrency: 30
  pollSeconds: 1
`;

const versionOf = (s: Stack) => s.tags.find((t) => t.Key === VERSION_TAG)?.Value;

describe('deploy: 30 accounts × 2 regions', () => {
  let e: E2E;
  let accountIds: string[];
  beforeAll(async () => {
    e = await startE2E({ accounts: MEMBERS, regions: REGIONS, stackMs: 100 });
    accountIds = [...e.sim.state.org.accounts.keys()];
  });
  afterAll(async () => {
    await e.close();
  });

  it("creates 60 stacks, assuming each member account's role once", async () => {
    e.config(config('enforce'));
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json!;
    expect(doc.command).toBe('deploy');
    expect(doc.targets).toHaveLength(60);
    expect(doc.summary).toMatchObject({ targets: 60, succeeded: 60, unchanged: 0, failed: 0, skipped: 0 });
    for (const t of doc.targets) {
      expect(t).toMatchObject({
        result: 'succeeded',
        action: 'create',
        stackStatus: 'CREATE_COMPLETE',
        error: null,
        stackName: 'guardrail',
      });
      expect(typeof t.durationMs).toBe('number');
    }
    // every account × region exactly once
    const seen = new Set(doc.targets.map((t) => `${String(t.account)}/${String(t.region)}`));
    expect(seen).toEqual(new Set(accountIds.flatMap((a) => REGIONS.map((reg) => `${a}/${reg}`))));
    const live = liveStacks(e);
    expect(live.size).toBe(60);
    for (const s of live.values()) expect(versionOf(s)).toBe(doc.templateVersion);

    const calls = await e.calls();
    // the management account is served with the caller's own credentials: one AssumeRole per member account
    expect(countCalls(calls, ['sts.AssumeRole'])).toBe(MEMBERS);
    expect(countCalls(calls, ['sts.GetCallerIdentity'])).toBe(1);
    // and the store's stack (policy.onModify restore, the default, keeps rule records there)
    expect(countCalls(calls, ['cloudformation.CreateStack'])).toBe(61);
  });

  it('a second run reports 60 unchanged and makes no stack-changing call', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 60, succeeded: 0, unchanged: 60, failed: 0, skipped: 0 });
    for (const t of r.json!.targets) expect(t).toMatchObject({ result: 'unchanged', action: 'none' });
    const calls = await e.calls();
    expect(countCalls(calls, STACK_CHANGING)).toBe(0);
    expect(countCalls(calls, ['sts.AssumeRole'])).toBe(MEMBERS);
  });

  it('after a policy.mode change, --plan lists exactly the 60 updates with change summaries and changes nothing', async () => {
    const before = new Map(
      [...liveStacks(e)].map(([k, s]) => [k, { version: versionOf(s), status: s.status, updatedAt: s.updatedAt }]),
    );
    e.config(config('monitor'));
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--plan', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 60, planned: 60, succeeded: 0, failed: 0, skipped: 0 });
    expect(r.json!.templateVersion).not.toBe(before.values().next().value?.version);
    for (const t of r.json!.targets) {
      expect(t).toMatchObject({ result: 'planned', action: 'update' });
      // a settings change is named in the configuration's words
      expect(String(t.reason)).toBe('settings: policy.mode enforce → monitor');
      // the function's environment carries the mode: the change set modifies it
      expect(t.changes).toEqual(expect.arrayContaining([expect.stringMatching(/^Modify \S+ AWS::Lambda::Function/)]));
    }
    const calls = await e.calls();
    expect(
      countCalls(calls, [
        'cloudformation.CreateStack',
        'cloudformation.UpdateStack',
        'cloudformation.ExecuteChangeSet',
        'cloudformation.DeleteStack',
      ]),
    ).toBe(0);
    // the preview change sets are deleted again
    expect(countCalls(calls, ['cloudformation.DeleteChangeSet'])).toBe(
      countCalls(calls, ['cloudformation.CreateChangeSet']),
    );
    const after = liveStacks(e);
    expect(after.size).toBe(60);
    for (const [k, s] of after) {
      expect({ version: versionOf(s), status: s.status, updatedAt: s.updatedAt }).toEqual(before.get(k));
      expect(s.changeSets.size).toBe(0);
    }
  });

  it('the next deploy updates every stack to the new version', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 60, succeeded: 60, unchanged: 0, failed: 0 });
    for (const t of r.json!.targets)
      expect(t).toMatchObject({ result: 'succeeded', action: 'update', stackStatus: 'UPDATE_COMPLETE' });
    const calls = await e.calls();
    expect(countCalls(calls, ['cloudformation.ExecuteChangeSet'])).toBe(60);
    expect(countCalls(calls, ['cloudformation.CreateStack'])).toBe(0);
    for (const s of liveStacks(e).values()) {
      expect(versionOf(s)).toBe(r.json!.templateVersion);
      const fn = [...s.resources.values()].find((res) => res.type === 'AWS::Lambda::Function');
      expect(JSON.stringify(fn?.props)).toContain('"GUARDRAIL_MODE":"monitor"');
    }
  });
});
