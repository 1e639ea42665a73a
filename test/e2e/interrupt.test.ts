/**
 * End to end on a pseudo-terminal: Ctrl-C typed on the keyboard (the interrupt character through the terminal, not
 * a signal sent to the process) behaves as it does with output piped: during a deploy the running targets finish,
 * the rest are skipped, the summary and an "Interrupted" line print, exit 130; at the question nothing is written.
 * A second Ctrl-C ends guardrail at once. The terminal has a width, so the live spinner runs, as on a person's
 * terminal.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cfnRegion } from '../sim/cfn/model.js';
import { waitFor } from '../sim/test/helpers.js';
import { countCalls, startE2E, type E2E } from './harness.js';
import { openTerminal } from './terminal.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const WRITES = [
  'cloudformation.CreateStack',
  'cloudformation.UpdateStack',
  'cloudformation.ExecuteChangeSet',
  'cloudformation.CreateChangeSet',
  'cloudformation.DeleteStack',
  's3.CreateBucket',
  's3.PutObject',
];
const CTRL_C = '\x03';

let e: E2E;
const stacks = () =>
  [...e.sim.state.accounts.values()]
    .flatMap((a) => [...a.regions.values()].map((rs) => cfnRegion(rs).live.get('guardrail')))
    .filter((s) => s !== undefined);

// a fresh organisation of 4 members (10 targets) for every test, with 3 s stacks: time to type while they are made
beforeEach(async () => {
  e = await startE2E({ accounts: 4, regions: REGIONS, stackMs: 3000 });
  // no rule records store (onModify revoke): one 3 s stack less before the targets
  e.config(
    `regions: [${REGIONS.join(', ')}]\ndeploy:\n  pollSeconds: 1\n  concurrency: 2\npolicy:\n  onModify: revoke\n`,
  );
});
afterEach(async () => {
  await e?.close();
});

/** Ctrl-C once the rollout has stacks in flight; returns the finished run. */
async function interruptRollout(args: string[], answer?: string) {
  const t = openTerminal(e, args, { columns: 120, timeoutMs: 90_000 });
  if (answer !== undefined) {
    await t.waitFor(/\[y\/N\] /);
    t.type(`${answer}\r`);
  }
  // the canary (the management account's first region) is done and two rollout stacks are being created
  await waitFor(() => (stacks().length >= 3 ? true : undefined), 60_000, { what: () => `${stacks().length} stacks` });
  t.type(CTRL_C);
  return t.done;
}

describe('Ctrl-C on a terminal', () => {
  it('during deploy --yes: the running targets finish, the summary and "Interrupted" print, exit 130', async () => {
    const r = await interruptRollout(['deploy', '--all-accounts', '--yes']);
    expect(r.code, r.output).toBe(130);
    expect(r.output).toMatch(/deploy: 10 targets · \d+ succeeded .*· \d+ skipped/);
    expect(r.output).toMatch(/^Interrupted: targets not yet started were skipped\./m);
    expect(r.output).not.toMatch(/error:|--debug|AbortError/);
    // nothing is left half-made: every stack guardrail started is complete
    for (const s of stacks()) expect(s.status).toBe('CREATE_COMPLETE');
    expect(stacks().length).toBeLessThan(10);
  });

  it('after "y" at the question: the same summary and "Interrupted", exit 130', async () => {
    const r = await interruptRollout(['deploy', '--all-accounts'], 'y');
    expect(r.question).toMatch(/deploy to 5 accounts\? \[y\/N\]$/);
    expect(r.code, r.output).toBe(130);
    expect(r.output).toMatch(/deploy: 10 targets · \d+ succeeded .*· \d+ skipped/);
    expect(r.output).toMatch(/^Interrupted: targets not yet started were skipped\./m);
    for (const s of stacks()) expect(s.status).toBe('CREATE_COMPLETE');
  });

  it('a second Ctrl-C ends guardrail at once, without waiting for the running targets', async () => {
    const t = openTerminal(e, ['deploy', '--all-accounts', '--yes'], { columns: 120, timeoutMs: 90_000 });
    await waitFor(() => (stacks().length >= 3 ? true : undefined), 60_000, { what: () => `${stacks().length} stacks` });
    t.type(CTRL_C);
    await new Promise((r) => setTimeout(r, 300));
    t.type(CTRL_C);
    const r = await t.done;
    expect(r.code, r.output).toBe(130);
    // no summary: the running stacks (3 s each) were not waited for
    expect(r.output).not.toMatch(/deploy: 10 targets/);
    expect(r.output).not.toMatch(/^Interrupted:/m);
  });

  it('at the question: "nothing was changed", exit 130, and no write reached AWS', async () => {
    // the defaults: the rule records store would be created too, and is not
    e.config(`regions: [${REGIONS.join(', ')}]\ndeploy:\n  pollSeconds: 1\n`);
    const t = openTerminal(e, ['deploy', '--all-accounts'], { columns: 120 });
    await t.waitFor(/\[y\/N\] /);
    t.type(CTRL_C);
    const r = await t.done;
    expect(r.code, r.output).toBe(130);
    expect(r.question).toMatch(
      /— create the template buckets guardrail-templates-\d{12}-\{us-east-1,us-west-2\}, create the approval store guardrail-approvals \(\d{12}\/us-east-1\) and deploy to 5 accounts\? \[y\/N\]$/,
    );
    expect(r.output).toMatch(/^Interrupted: nothing was changed\.?$/m);
    expect(r.output).not.toMatch(/error:|--debug|AbortError/);
    expect(countCalls(await e.calls(), WRITES)).toBe(0);
    expect(stacks()).toHaveLength(0);
    expect([...e.sim.state.buckets.keys()].filter((n) => n.startsWith('guardrail-templates-'))).toEqual([]);
  });
});
