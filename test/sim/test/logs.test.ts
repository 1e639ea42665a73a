// CloudWatch Logs through the real SDK: the functions' lines land in their log group on the simulator's clock;
// DescribeLogGroups; FilterLogEvents with filter patterns, a time window, interleaving, pagination and throttling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { emitCloudTrailEvent, whenLoopIdle } from '../loop.js';
import { appendFunctionLogs } from '../services/logs.js';
import { compileFilterPattern } from '../logs-filter.js';
import type { ServiceContext } from '../types.js';
import { clientConfig, errorOf, startTestSim } from './helpers.js';
import { authorizeRecord, GUARDRAIL_PATTERN, putFunction, putRule } from './sim-resources.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let client: CloudWatchLogsClient;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 1 });
  mgmt = sim.state.org.managementAccountId;
  client = new CloudWatchLogsClient({ ...clientConfig(sim, REGION), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

function group(name: string): void {
  regionState(sim.state, mgmt, REGION).logGroups.set(name, {
    name,
    arn: `arn:aws:logs:${REGION}:${mgmt}:log-group:${name}:*`,
    retentionInDays: 30,
    creationTime: sim.state.clock.now(),
    streams: new Map(),
  });
}

describe('filter patterns', () => {
  const ev = JSON.stringify({
    action: 'reverted',
    account: '111122223333',
    n: 5,
    ok: true,
    none: null,
    rules: [{ source: '0.0.0.0/0' }],
    ip: '10.1.2.3',
  });
  it.each([
    ['', true],
    ['{ $.action = "reverted" }', true],
    ['{ $.action = "allowed" }', false],
    ['{ $.action != "allowed" }', true],
    ['{ $.action = "allowed" || $.action = "reverted" }', true],
    ['{ $.action = "reverted" && $.n > 6 }', false],
    ['{ ($.action = "allowed" || $.n >= 5) && $.ok IS TRUE }', true],
    ['{ $.rules[0].source = "0.0.0.0/0" }', true],
    ['{ $.ip = 10.1.* }', true],
    ['{ $.ip = "10.2*" }', false],
    ['{ $.action = "rev*" }', true],
    ['{ $.none IS NULL }', true],
    ['{ $.missing NOT EXISTS }', true],
    ['{ $.action NOT EXISTS }', false],
    ['{ $.n = 5 }', true],
    ['{ $.n < 5 }', false],
    ['{ $.account = 111122223333 }', false],
    ['{ $.account = "111122223333" }', true],
    ['reverted', true],
    ['"reverted!"', false],
    ['reverted 111122223333', true],
    ['?nothing ?reverted', true],
    ['reverted -account', false],
  ])('%s → %s', (pattern, expected) => {
    expect(compileFilterPattern(pattern)(ev)).toBe(expected);
  });
  it('a JSON pattern never matches a line that is not a JSON object (Lambda text format)', () => {
    expect(compileFilterPattern('{ $.action = "reverted" }')(`2026-01-01T00:00:00.000Z\tid\tINFO\t${ev}`)).toBe(false);
  });
  it.each(['{ $.a = ', '{ a = 1 }', '{ $.a ~ 1 }', '[ip, user]', '%ab+%', '{ $.a > "x" }'])('refuses %s', (pattern) => {
    expect(() => compileFilterPattern(pattern)).toThrow();
  });
});

describe('CloudWatch Logs', () => {
  it("the function's lines land in its log group and environment stream, on the simulator's clock", async () => {
    group('/aws/lambda/logger');
    const code = `exports.handler = async (event) => {
      console.log('plain console line');
      process.stdout.write(JSON.stringify({ action: 'reverted', id: event.id }) + '\\n');
      return {};
    };`;
    const rule = putRule(sim, mgmt, REGION, 'log-rule', GUARDRAIL_PATTERN, [
      `arn:aws:lambda:${REGION}:${mgmt}:function:logger`,
    ]);
    putFunction(sim, mgmt, REGION, { name: 'logger', code, allowRule: rule.arn });
    await sim.state.clock.advance(3 * 86_400);
    const before = sim.state.clock.now();
    const ctx: ServiceContext = { state: sim.state, endpoint: sim.endpoint, now: () => Date.now() };
    emitCloudTrailEvent(ctx, mgmt, REGION, authorizeRecord(mgmt, REGION, 'sg-log'));
    await whenLoopIdle(sim.state);

    const all = await client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/logger' }));
    const messages = (all.events ?? []).map((e) => e.message ?? '');
    expect(messages[0]).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/);
    expect(messages[1]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tINFO\tplain console line$/);
    expect(JSON.parse(messages[2]!)).toMatchObject({ action: 'reverted' });
    expect(messages.at(-1)).toMatch(/^REPORT RequestId: .*\tDuration: [\d.]+ ms/);
    const day = new Date(before).toISOString().slice(0, 10).replace(/-/g, '/');
    expect(all.events?.[0]?.logStreamName).toMatch(new RegExp(`^${day}/\\[\\$LATEST\\][0-9a-f]{32}$`));
    for (const e of all.events ?? []) expect(e.timestamp).toBeGreaterThanOrEqual(before - 5);

    const only = await client.send(
      new FilterLogEventsCommand({ logGroupName: '/aws/lambda/logger', filterPattern: '{ $.action = "reverted" }' }),
    );
    expect(only.events?.map((e) => (JSON.parse(e.message!) as { action: string }).action)).toEqual(['reverted']);
  });

  it('interleaves streams in time order, honours the window, and pages with nextToken', async () => {
    group('/aws/lambda/paged');
    const rs = regionState(sim.state, mgmt, REGION);
    const fn = putFunction(sim, mgmt, REGION, { name: 'paged', code: 'exports.handler = async () => ({})' });
    const t0 = 1_800_000_000_000;
    const line = (i: number) => ({
      timestamp: t0 + i * 1000,
      message: JSON.stringify({ i, action: i % 3 === 0 ? 'reverted' : 'allowed' }),
    });
    appendFunctionLogs(sim.state, rs, fn, 'a', [0, 2, 4, 6, 8].map(line));
    appendFunctionLogs(sim.state, rs, fn, 'b', [1, 3, 5, 7, 9].map(line));
    const seen: number[] = [];
    let pages = 0;
    for await (const page of paginateFilterLogEvents(
      { client, pageSize: 3 },
      { logGroupName: '/aws/lambda/paged', startTime: t0 + 1000, endTime: t0 + 8000 },
    )) {
      pages++;
      for (const e of page.events ?? []) seen.push((JSON.parse(e.message!) as { i: number }).i);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pages).toBe(3);
    const picked = await client.send(
      new FilterLogEventsCommand({
        logGroupName: '/aws/lambda/paged',
        filterPattern: '{ $.action = "reverted" || $.i = 1 }',
      }),
    );
    expect(picked.events?.map((e) => (JSON.parse(e.message!) as { i: number }).i)).toEqual([0, 1, 3, 6, 9]);
    const bad = await errorOf(
      client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/paged', nextToken: 'garbage' })),
    );
    expect(bad.name).toBe('InvalidParameterException');
  });

  it('DescribeLogGroups, a missing group, a bad pattern and throttling answer as CloudWatch does', async () => {
    const groups = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(
      expect.arrayContaining(['/aws/lambda/logger', '/aws/lambda/paged']),
    );
    expect(groups.logGroups?.[0]).toMatchObject({ retentionInDays: 30, logGroupClass: 'STANDARD' });
    const missing = await errorOf(client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/none' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    const bad = await errorOf(
      client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/paged', filterPattern: '{ $.a = }' })),
    );
    expect(bad.name).toBe('InvalidParameterException');
    sim.state.faults.throttleRate = 1;
    try {
      const throttled = await errorOf(client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/paged' })));
      expect(throttled.name).toBe('ThrottlingException');
    } finally {
      sim.state.faults.throttleRate = 0;
    }
  });
});
