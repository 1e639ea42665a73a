// The stacksets engine's fault rows: bad input exits 2 naming the problem (a delegated admin that is not
// registered, an OU that does not exist, an accounts list), failed accounts are reported with StatusReason, a
// throttled StackSets API is retried, and Ctrl-C names the operation that continues in AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from './harness.js';
import { stackSetsOf } from '../sim/stacksets/model.js';

let e: E2E;
const base = 'deploy:\n  engine: stacksets\n  pollSeconds: 1\n';
beforeAll(async () => {
  e = await startE2E({ accounts: 4, stackMs: 80, stackSetStartMs: 20, stackSetInstanceMs: 10 });
});
afterAll(async () => {
  await e.close();
});

describe('stacksets engine: bad input and faults', () => {
  it('exit 2: an accounts list, a delegated admin that is not registered, an OU that does not exist', async () => {
    e.config(`${base}accounts:\n  - { id: '111111111111', name: a }\n`);
    const list = await e.run(['deploy', '--all-accounts', '--plan']);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/cannot use the explicit accounts list/);
    const validate = await e.run(['validate']);
    expect(validate.code).toBe(2);

    e.config(`${base}stacksets:\n  callAs: DELEGATED_ADMIN\n`);
    const admin = await e.run(['deploy', '--all-accounts', '--plan']);
    expect(admin.code).toBe(2);
    expect(admin.stderr).toMatch(/not a registered delegated administrator/);
    expect(admin.stderr).toMatch(/register-delegated-administrator/);

    const root = e.sim.state.org.rootId.slice(2);
    e.config(`${base}organization:\n  includeOUs: [ou-${root}-zzzzzzzz]\n`);
    const ou = await e.run(['deploy', '--all-accounts', '--plan']);
    expect(ou.code).toBe(2);
    expect(ou.stderr).toMatch(new RegExp(`ou-${root}-zzzzzzzz`));
  });

  it('reports exactly the failed accounts with their StatusReason, retrying throttled calls', async () => {
    e.config(base);
    const members = [...e.sim.state.org.accounts.keys()].filter((id) => id !== e.sim.state.org.managementAccountId);
    await e.faults({ failStack: [members[2]!], throttleRate: 0.15 });
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    await e.faults({ failStack: [], throttleRate: 0 });
    expect(r.code, r.stderr).toBe(1);
    const failed = r.json!.targets.filter((t) => t.result === 'failed');
    expect(failed.map((t) => t.account)).toEqual([members[2], members[2]]);
    expect(String(failed[0]!.error)).toMatch(/ResourceLogicalId:RevertFunction/);
    expect((await e.calls()).throttled).toBeGreaterThan(0);
  });

  it('Ctrl-C during an operation says it continues in AWS, names it, and says how to follow it', async () => {
    await e.faults({ stackMs: 1500 });
    e.config(`${base}policy:\n  onModify: alert\n`);
    const r = await e.run(['deploy', '--all-accounts', '--yes'], {
      onSpawn: (child) => {
        // interrupt once a stack set operation runs in the (simulated) cloud
        const timer = setInterval(() => {
          const running = [...stackSetsOf(e.sim.state).stackSets.values()].some((s) =>
            [...s.operations.values()].some((o) => o.status === 'RUNNING'),
          );
          if (running) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 20);
        child.on('close', () => clearInterval(timer));
      },
    });
    await e.faults({ stackMs: 80 });
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/stack set operation [0-9a-f-]{36} \(.*\) continues in AWS/);
    expect(r.stdout).toMatch(/guardrail status --engine stacksets/);
  });
});
