// Scheduled EventBridge rules run on the simulated clock, and a function's Date follows that clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { dueTimes } from '../schedule.js';
import { regionState } from '../state.js';
import { putFunction } from './sim-resources.js';
import { memberIds, startTestSim } from './helpers.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 2, 30); // a Monday

describe('schedule expressions', () => {
  it('rate: every period boundary in (from, to]; singular unit only for 1', () => {
    expect(dueTimes('rate(5 minutes)', T0, T0 + 11 * MIN)).toEqual([
      Date.UTC(2026, 0, 5, 10, 5),
      Date.UTC(2026, 0, 5, 10, 10),
    ]);
    expect(dueTimes('rate(1 hour)', T0, T0 + 60 * MIN)).toEqual([Date.UTC(2026, 0, 5, 11)]);
    expect(dueTimes('rate(1 minutes)', T0, T0 + MIN)).toBeUndefined();
    expect(dueTimes('rate(2 minute)', T0, T0 + MIN)).toBeUndefined();
    expect(dueTimes('rate(0 minutes)', T0, T0 + MIN)).toBeUndefined();
  });

  it('cron: minutes, hours, day of week by name and number, steps, lists; L/W/# are refused', () => {
    expect(dueTimes('cron(0/15 * * * ? *)', T0, T0 + 30 * MIN)).toEqual([
      Date.UTC(2026, 0, 5, 10, 15),
      Date.UTC(2026, 0, 5, 10, 30),
    ]);
    expect(dueTimes('cron(0 12 ? * MON-FRI *)', T0, T0 + 2 * 1440 * MIN)).toEqual([
      Date.UTC(2026, 0, 5, 12),
      Date.UTC(2026, 0, 6, 12),
    ]);
    expect(dueTimes('cron(0 12 ? * 1 *)', T0, T0 + 7 * 1440 * MIN)).toEqual([Date.UTC(2026, 0, 11, 12)]); // 1 = Sunday
    expect(dueTimes('cron(5,10 10 5 JAN ? 2026)', T0, T0 + 60 * MIN)).toEqual([
      Date.UTC(2026, 0, 5, 10, 5),
      Date.UTC(2026, 0, 5, 10, 10),
    ]);
    expect(dueTimes('cron(0 12 L * ? *)', T0, T0 + MIN)).toBeUndefined();
    expect(dueTimes('every 5 minutes', T0, T0 + MIN)).toBeUndefined();
  });
});

describe('scheduled rules on the simulated clock', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startTestSim({ accounts: 1 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('POST /_sim/clock fires the due schedules into the function, whose Date follows the clock', async () => {
    const account = memberIds(sim)[0]!;
    const fn = putFunction(sim, account, 'us-east-1', {
      name: 'clocked',
      allowRule: 'any',
      code: 'exports.handler = async (e) => ({ type: e["detail-type"], source: e.source, now: Date.now(), iso: new Date().toISOString() });',
    });
    const rs = regionState(sim.state, account, 'us-east-1');
    rs.rules.set('tick', {
      name: 'tick',
      arn: `arn:aws:events:us-east-1:${account}:rule/tick`,
      eventBusName: 'default',
      scheduleExpression: 'rate(5 minutes)',
      state: 'ENABLED',
      targets: [{ id: 't', arn: fn.functionArn }],
    });
    rs.rules.set('off', {
      name: 'off',
      arn: `arn:aws:events:us-east-1:${account}:rule/off`,
      eventBusName: 'default',
      scheduleExpression: 'rate(1 minute)',
      state: 'DISABLED',
      targets: [{ id: 't', arn: fn.functionArn }],
    });
    const res = await fetch(`${sim.endpoint}/_sim/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceSeconds: 3600 }),
    });
    const moved = (await res.json()) as { fired: number };
    expect(moved.fired).toBe(1); // twelve fell due; the latest runs (a catch-up is coalesced)
    const runs = rs.invocations.filter((i) => i.functionArn === fn.functionArn);
    expect(runs).toHaveLength(1);
    for (const run of runs) {
      const r = run.result as { type: string; source: string; now: number };
      expect(r.type).toBe('Scheduled Event');
      expect(r.source).toBe('aws.events');
      expect(Math.abs(r.now - sim.state.clock.now())).toBeLessThan(60_000);
      expect(r.now - Date.now()).toBeGreaterThan(3_500_000);
    }
  });
});
