// Switching engines without a gap in protection: direct → stacksets replaces each member's direct stack new before
// old, and stacksets → direct puts the direct stacks back before the stack set's instances (and the stack set) go.
// A sampler watches the simulator throughout: every member account × region keeps an enabled guardrail rule.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { liveStacks, startE2E, type E2E } from './harness.js';
import { stackSetsOf } from '../sim/stacksets/model.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E({ accounts: 5, stackMs: 60, stackSetStartMs: 20, stackSetInstanceMs: 10 });
  e.config('deploy:\n  pollSeconds: 1\n');
});
afterAll(async () => {
  await e.close();
});

/** Samples every 5 ms; returns the account/region pairs that were ever without an enabled guardrail rule. */
function watchProtection(): () => string[] {
  const gaps = new Set<string>();
  const members = [...e.sim.state.org.accounts.keys()].filter((id) => id !== e.sim.state.org.managementAccountId);
  const timer = setInterval(() => {
    for (const id of members) {
      for (const region of ['us-east-1', 'us-west-2']) {
        const rules = e.sim.state.accounts.get(id)?.regions.get(region)?.rules;
        const on = [...(rules?.values() ?? [])].some((r) => r.name.endsWith('-sg-changes') && r.state === 'ENABLED');
        if (!on) gaps.add(`${id}/${region}`);
      }
    }
  }, 5);
  return () => {
    clearInterval(timer);
    return [...gaps];
  };
}

it('switches direct → stacksets → direct with no moment where an account has no guardrail', async () => {
  const first = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(first.code, first.stderr).toBe(0);
  expect(liveStacks(e).size).toBe(12);
  const stop = watchProtection();

  const toSets = await e.run(['deploy', '--all-accounts', '--yes', '--engine', 'stacksets', '--output', 'json']);
  expect(toSets.code, toSets.stderr).toBe(0);
  const notes = (toSets.json as unknown as { notes: string[] }).notes.join('\n');
  expect(notes).toMatch(/replaced, new before old/);
  const rows = toSets.json!.targets as { stackName: string; action: string; reason: string; result: string }[];
  expect(rows.filter((r) => r.action === 'delete' && r.stackName === 'guardrail')).toHaveLength(10);
  expect(rows.every((r) => r.result === 'succeeded' || r.result === 'unchanged')).toBe(true);
  const mgmt = e.sim.state.org.managementAccountId;
  expect([...liveStacks(e).keys()].every((k) => k.startsWith(`${mgmt}/`))).toBe(true);

  const back = await e.run(['deploy', '--all-accounts', '--yes', '--engine', 'direct', '--output', 'json']);
  expect(back.code, back.stderr).toBe(0);
  expect((back.json as unknown as { notes: string[] }).notes.join('\n')).toMatch(
    /Deleted the empty stack set guardrail/,
  );
  expect(liveStacks(e).size).toBe(12);
  expect(stackSetsOf(e.sim.state).stackSets.size).toBe(0);
  expect(stop()).toEqual([]);
});
