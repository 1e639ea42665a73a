// The in-process engine tier: both engines behind the one Engine interface, driven in this process against the
// simulator (no CLI spawned), through the same fleet run the commands use. What every engine must do the same:
// deploy every target, then an unchanged re-run, status healthy with each row reported once and as the table says,
// activity reading what the functions wrote, and remove. No sleeps: every wait is on the engine's own promise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity } from '../../src/activity/read.js';
import { buildQuery } from '../../src/activity/query.js';
import { defaultConfig, type GuardrailConfig } from '../../src/config/schema.js';
import { ENGINE_NAMES, engineFor } from '../../src/engines/index.js';
import type { RunEvent, TargetOutcome } from '../../src/fleet/events.js';
import { openFleetSession } from '../../src/fleet/run.js';
import type { Session } from '../../src/fleet/session.js';
import type { SimServer } from '../sim/server.js';
import { startTestSim } from '../sim/test/helpers.js';

let sim: SimServer;
let session: Session;
const ACCOUNTS = 4;

beforeAll(async () => {
  sim = await startTestSim({ accounts: ACCOUNTS, stackMs: 20, stackSetStartMs: 10, stackSetInstanceMs: 5 });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sim.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDMGMT',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    GUARDRAIL_WORKERS: '0',
  });
});
afterAll(async () => {
  session?.close();
  await sim?.close();
});

function configFor(engine: GuardrailConfig['deploy']['engine']): GuardrailConfig {
  const config = defaultConfig();
  config.deploy.engine = engine;
  config.deploy.pollSeconds = 1;
  config.regions = ['us-east-1', 'us-west-2'];
  return config;
}

/** The run events of one call, and the `done` outcomes by account/region (each target must be reported once). */
function recorder() {
  const events: RunEvent[] = [];
  const done = new Map<string, TargetOutcome[]>();
  return {
    events,
    done,
    emit: (e: RunEvent) => {
      events.push(e);
      if (e.type === 'done')
        done.set(`${e.outcome.account}/${e.outcome.region}`, [
          ...(done.get(`${e.outcome.account}/${e.outcome.region}`) ?? []),
          e.outcome,
        ]);
    },
  };
}

const targets = (ACCOUNTS + 1) * 2;
const yes = async () => true;

describe.each(ENGINE_NAMES)('engine %s, in process', (name) => {
  const config = configFor(name);
  const engine = engineFor(config);
  const base = () => ({ config, selectedAccounts: null, signal: new AbortController().signal });

  it('is the engine the configuration names', () => {
    expect(engine.name).toBe(name);
  });

  it('deploys every target, reporting each once; an unchanged re-run changes nothing', async () => {
    session ??= await openFleetSession(config, process.env);
    const r = recorder();
    const first = await engine.deploy({ ...base(), session, planOnly: false, yes: true, confirm: yes, emit: r.emit });
    expect(first.engine).toBe(name);
    expect(first.summary, JSON.stringify(first.targets.filter((t) => t.result !== 'succeeded'))).toMatchObject({
      targets,
      succeeded: targets,
      failed: 0,
    });
    for (const t of first.targets)
      expect(r.done.get(`${t.account}/${t.region}`)?.map((o) => o.code)).toContain(t.result);
    const again = await engine.deploy({
      ...base(),
      session,
      planOnly: false,
      yes: true,
      confirm: yes,
      emit: recorder().emit,
    });
    expect(again.summary).toMatchObject({ targets, unchanged: targets });
  });

  it('status: every target healthy, each row reported exactly once and as the report says', async () => {
    const r = recorder();
    const report = await engine.status({ ...base(), session, drift: false, emit: r.emit });
    expect(report.engine).toBe(name);
    expect(report.summary).toMatchObject({ targets, healthy: targets, unhealthy: 0 });
    expect(r.done.size).toBe(targets);
    for (const row of report.targets) {
      const outcomes = r.done.get(`${row.account}/${row.region}`)!;
      expect(outcomes, `${row.account}/${row.region}`).toHaveLength(1);
      expect(outcomes[0]!.code).toBe(row.healthy ? 'healthy' : 'unhealthy');
    }
  });

  it("retry with nothing waiting: every target's own stack found and its queue read, no confirmation, each row once", async () => {
    const r = recorder();
    const asked: unknown[] = [];
    const report = await engine.retry({
      ...base(),
      session,
      emit: r.emit,
      confirm: (plan) => {
        asked.push(plan);
        return Promise.resolve(true);
      },
    });
    expect(report.engine).toBe(name);
    expect(asked).toEqual([]);
    expect(report.summary).toMatchObject({ targets, unchanged: targets, failed: 0, pendingReverts: 0 });
    expect(new Set(report.targets.map((t) => t.reason))).toEqual(new Set(['nothing waiting']));
    // the stack set's accounts have instance stacks; the management account (never reached by a stack set) the direct
    // one
    const mgmt = sim.state.org.managementAccountId;
    for (const t of report.targets) {
      expect(t.stackName).toMatch(
        name === 'stacksets' && t.account !== mgmt ? /^StackSet-guardrail-[0-9a-f-]{36}$/ : /^guardrail$/,
      );
      expect(r.done.get(`${t.account}/${t.region}`)).toHaveLength(1);
    }
  });

  it("activity finds every target's decision log, whichever engine made it", async () => {
    const report = await activity({
      ...base(),
      session,
      query: buildQuery({ since: '1h' }, Date.now()),
      emit: recorder().emit,
    });
    expect(report.targets.filter((t) => t.status !== 'read')).toEqual([]);
  });

  it('removes every target', async () => {
    const r = recorder();
    const removed = await engine.remove({ ...base(), session, confirm: yes, emit: r.emit });
    expect(removed.engine).toBe(name);
    expect(removed.summary.failed).toBe(0);
    expect(removed.targets.filter((t) => t.result === 'succeeded')).toHaveLength(targets);
  });
});
