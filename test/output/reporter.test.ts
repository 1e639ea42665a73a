import { describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/output/reporter.js';
import type { CliIO } from '../../src/io.js';

function io(stderrProps: { isTTY?: boolean; columns?: number }, env: Record<string, string> = {}) {
  let err = '';
  // what ora needs of a terminal stream
  const stderr = Object.assign(
    {
      write: (c: string) => {
        err += c;
        return true;
      },
      cursorTo: () => true,
      moveCursor: () => true,
      clearLine: () => true,
      on: () => stderr,
      off: () => stderr,
      removeListener: () => stderr,
    },
    stderrProps,
  );
  const value: CliIO = { stdout: { write: () => true }, stderr, isTTY: true, env };
  return { io: value, text: () => err };
}

const target = { account: '111111111111', accountName: 'prod', region: 'us-east-1' };

describe('reporter', () => {
  it.each([
    ['stderr is not a terminal', { isTTY: false, columns: 80 }, {}],
    ['a zero-width pseudo-terminal (script, some CI runners)', { isTTY: true, columns: 0 }, {}],
    ['CI is set', { isTTY: true, columns: 120 }, { CI: 'true' }],
  ])('prints one plain line per finished target when %s', async (_why, props, env) => {
    const { io: cliIo, text } = io(props, env);
    const r = await createReporter(cliIo, false, 'deploying');
    r.phase('rollout', 2);
    r.started(target);
    r.finished({ ...target, result: 'succeeded', action: 'create', stackStatus: 'CREATE_COMPLETE', durationMs: 1200 });
    r.finished({
      ...target,
      region: 'eu-west-1',
      result: 'failed',
      action: 'update',
      error: 'AccessDenied: nope',
      durationMs: 300,
    });
    r.stop();
    const lines = text().split('\n').filter(Boolean);
    expect(lines).toEqual([
      'rollout: 2 target(s)',
      '✓ prod (111111111111)/us-east-1  succeeded (create)  CREATE_COMPLETE  1.2s',
      '✗ prod (111111111111)/eu-west-1  failed (update)  0.3s',
      '    AccessDenied: nope',
    ]);
    expect(text()).not.toContain(String.fromCharCode(27)); // no escape sequences: no cursor movement
  });

  it('an error an account already showed is not shown again (one line per account, not per region)', async () => {
    const { io: cliIo, text } = io({ isTTY: false });
    const r = await createReporter(cliIo, false, 'checking');
    r.phase('status', 4);
    const denied = 'Could not assume arn:aws:iam::111111111111:role/Nope (AccessDenied)';
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1'])
      r.finished({ ...target, region, result: 'unhealthy', error: denied, durationMs: 0 });
    r.finished({
      ...target,
      account: '222222222222',
      accountName: 'dev',
      result: 'unhealthy',
      error: denied.replace('1111', '2222'),
      durationMs: 0,
    });
    r.stop();
    expect(text().split('\n').filter(Boolean)).toEqual([
      'status: 4 target(s)',
      '✗ prod (111111111111)/us-east-1  unhealthy  0.0s',
      `    ${denied}`,
      '✗ dev (222222222222)/us-east-1  unhealthy  0.0s',
      `    ${denied.replace('1111', '2222')}`,
    ]);
  });

  it("with the results below on the same terminal (errorsBelow), a failure's line leaves its error to them", async () => {
    const { io: cliIo, text } = io({ isTTY: false });
    const r = await createReporter(cliIo, false, 'deploying', { errorsBelow: true });
    r.phase('rollout', 1);
    r.finished({
      ...target,
      result: 'failed',
      action: 'create',
      stackStatus: 'ROLLBACK_COMPLETE',
      error: 'FunctionRole CREATE_FAILED',
      durationMs: 300,
    });
    r.stop();
    expect(text().split('\n').filter(Boolean)).toEqual([
      'rollout: 1 target(s)',
      '✗ prod (111111111111)/us-east-1  failed (create)  ROLLBACK_COMPLETE  0.3s',
    ]);
  });

  it('on a real terminal, shows a spinner line with done/total, failures and in-flight counts', async () => {
    const { io: cliIo, text } = io({ isTTY: true, columns: 100 });
    const r = await createReporter(cliIo, true, 'deploying');
    r.phase('rollout', 3);
    r.started(target);
    r.finished({ ...target, result: 'succeeded', durationMs: 10 });
    // ora draws its frames on a timer: wait for the frame that shows the finished target
    await vi.waitFor(() => expect(text()).toMatch(/deploying \(rollout\): 1\/3 done · 0 failed · 0 in flight/), {
      timeout: 10_000,
      interval: 10,
    });
    r.stop();
  });

  it('on a real terminal without colour (NO_COLOR, --no-color): no spinner, no escape code, plain lines', async () => {
    const { io: cliIo, text } = io({ isTTY: true, columns: 100 });
    const r = await createReporter(cliIo, false, 'deploying');
    r.phase('rollout', 1);
    r.started(target);
    r.finished({ ...target, result: 'succeeded', durationMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    r.stop();
    expect(text()).not.toContain(String.fromCharCode(27));
    expect(text()).toMatch(/✓ prod \(111111111111\)\/us-east-1 +succeeded/);
  });
});
