// Shared checks for the fault suite: every target reported exactly once, and the simulator's state after a run
// holds no orphaned stacks or half-made resources.
import { expect } from 'vitest';
import { advance } from '../sim/cfn/engine.js';
import { cfnRegion, type Stack } from '../sim/cfn/model.js';
import type { SimServer } from '../sim/server.js';
import { DEFAULT_RETRY_POLICY } from '../../src/aws/retry.js';
import { maxCallsThrough, minThrottled, seededThrottles } from '../sim/test/stats.js';
import type { CliRun } from './harness.js';

export interface ReportedTarget {
  account: string;
  region: string;
  result: string;
  action: string;
  stackStatus: string | null;
  error: string | null;
  reason?: string;
  durationMs: number;
}

/** The accounts a run against this organisation targets: ACTIVE members and the management account. */
export function activeAccounts(sim: SimServer): string[] {
  return [...sim.state.org.accounts.values()]
    .filter((a) => a.status === 'ACTIVE')
    .map((a) => a.id)
    .sort();
}

export const key = (account: string, region: string) => `${account}/${region}`;

/**
 * The JSON document reports each expected account × region exactly once, nothing else, and its summary adds up.
 * Returns the targets for further checks.
 */
export function expectEveryTarget(run: CliRun, accounts: string[], regions: string[]): ReportedTarget[] {
  expect(
    run.json,
    `stdout is one JSON document\n${run.stdout.slice(0, 500)}\n${run.stderr.slice(-2000)}`,
  ).toBeDefined();
  const targets = run.json!.targets as unknown as ReportedTarget[];
  const expected = accounts.flatMap((a) => regions.map((r) => key(a, r))).sort();
  const reported = targets.map((t) => key(t.account, t.region)).sort();
  expect(reported).toEqual(expected);
  const summary = run.json!.summary;
  expect(summary.targets).toBe(expected.length);
  const kinds = ['succeeded', 'unchanged', 'failed', 'skipped'] as const;
  for (const kind of kinds) expect(summary[kind], kind).toBe(targets.filter((t) => t.result === kind).length);
  for (const t of targets) {
    expect(['succeeded', 'unchanged', 'failed', 'skipped'], key(t.account, t.region)).toContain(t.result);
    if (t.result === 'failed') expect(t.error, `${key(t.account, t.region)} failed without an error`).toBeTruthy();
    else expect(t.error).toBeNull();
  }
  return targets;
}

/** The exit code the contract asks for, given the reported results (no interruption). */
export function expectedExit(targets: ReportedTarget[]): number {
  return targets.some((t) => t.result === 'failed') ? 1 : 0;
}

/** No stack trace reaches the user without --debug. */
export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s{4}at /m);
}

const SUCCESS = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);
const DEAD = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED']);

/** The resource physically exists (or is gone) in the state maps: null when the type is not checked. */
function exists(sim: SimServer, account: string, region: string, type: string, physicalId: string): boolean | null {
  const acct = sim.state.accounts.get(account);
  const rs = acct?.regions.get(region);
  if (!acct || !rs) return false;
  switch (type) {
    case 'AWS::Lambda::Function':
      return rs.functions.has(physicalId);
    case 'AWS::Events::Rule':
      return rs.rules.has(physicalId);
    case 'AWS::Logs::LogGroup':
      return rs.logGroups.has(physicalId);
    case 'AWS::SQS::Queue':
      return [...rs.queues.values()].some((q) => q.url === physicalId);
    case 'AWS::SNS::Topic':
      return rs.topics.has(physicalId);
    case 'AWS::IAM::Role':
      return acct.roles.has(physicalId);
    case 'AWS::S3::Bucket':
      return sim.state.buckets.has(physicalId);
    case 'AWS::CloudTrail::Trail':
      return rs.trails.has(physicalId);
    case 'AWS::Lambda::Permission':
      return [...rs.functions.values()].some((f) => f.permissions.some((p) => p.sid === physicalId));
    default:
      return null;
  }
}

/**
 * Problems in the simulator's state, one line each (empty when clean):
 * - a stack still *_IN_PROGRESS or REVIEW_IN_PROGRESS (guardrail waits for every operation it starts);
 * - a ROLLBACK_COMPLETE-like stack whose target was not reported failed (it is the record of a reported failure,
 *   which the next deploy deletes and recreates, and nothing else);
 * - a CREATE/UPDATE_COMPLETE stack with a resource not complete or missing from the state maps;
 * - a function, rule, log group, queue, trail or role named after the stack that no live stack owns (resources a
 *   stack kept by its DeletionPolicy, DELETE_SKIPPED in its events, are kept on purpose and not counted);
 * - after a deploy, a target reported succeeded/unchanged whose stack is not CREATE/UPDATE_COMPLETE; after a remove,
 *   a target reported succeeded whose stack is still there.
 */
export function orphanProblems(
  sim: SimServer,
  reported: ReportedTarget[] = [],
  opts: { command?: 'deploy' | 'remove'; stackName?: string } = {},
): string[] {
  const stackName = opts.stackName ?? 'guardrail';
  const problems: string[] = [];
  const byTarget = new Map(reported.map((t) => [key(t.account, t.region), t]));
  const now = Date.now();
  const owned = new Set<string>();
  const live: { account: string; region: string; stack: Stack }[] = [];
  for (const acct of sim.state.accounts.values()) {
    for (const rs of acct.regions.values()) {
      for (const stack of cfnRegion(rs).live.values()) {
        advance(stack, now);
        live.push({ account: acct.id, region: rs.region, stack });
        for (const r of stack.resources.values()) {
          if (!r.status.startsWith('DELETE_') && r.status !== 'CREATE_FAILED') owned.add(`${r.type}|${r.physicalId}`);
        }
      }
    }
  }
  for (const { account, region, stack } of live) {
    const where = `${key(account, region)} ${stack.stackName}`;
    const target = byTarget.get(key(account, region));
    if (stack.status.endsWith('_IN_PROGRESS')) problems.push(`${where}: left in ${stack.status}`);
    if (DEAD.has(stack.status) && target?.result !== 'failed') {
      problems.push(`${where}: ${stack.status} but the target was reported ${target?.result ?? 'not at all'}`);
    }
    if (SUCCESS.has(stack.status)) {
      for (const r of stack.resources.values()) {
        if (!/^(CREATE|UPDATE)_COMPLETE$/.test(r.status))
          problems.push(`${where}: resource ${r.logicalId} is ${r.status}`);
        else if (exists(sim, account, region, r.type, r.physicalId) === false) {
          problems.push(`${where}: resource ${r.logicalId} (${r.type}) ${r.physicalId} is missing from the state`);
        }
      }
    }
  }
  for (const t of reported) {
    if (t.result !== 'succeeded' && t.result !== 'unchanged') continue;
    const stack = live.find((s) => s.account === t.account && s.region === t.region && s.stack.stackName === stackName);
    if (opts.command === 'remove') {
      if (stack) problems.push(`${key(t.account, t.region)}: reported removed but the stack is ${stack.stack.status}`);
    } else if (!stack || !SUCCESS.has(stack.stack.status)) {
      problems.push(
        `${key(t.account, t.region)}: reported ${t.result} but the stack is ${stack?.stack.status ?? 'missing'}`,
      );
    }
  }
  const prefix = `${stackName}-`;
  const retained = retainedOnPurpose(sim);
  const orphan = (what: string, type: string, id: string, name: string) => {
    const key = `${type}|${id}`;
    if (name.startsWith(prefix) && !owned.has(key) && !retained.has(key)) problems.push(`${what} ${name} has no stack`);
  };
  for (const acct of sim.state.accounts.values()) {
    for (const role of acct.roles.values()) orphan(`${acct.id}: role`, 'AWS::IAM::Role', role.roleName, role.roleName);
    for (const rs of acct.regions.values()) {
      const where = key(acct.id, rs.region);
      for (const f of rs.functions.values())
        orphan(`${where}: function`, 'AWS::Lambda::Function', f.functionName, f.functionName);
      for (const r of rs.rules.values()) orphan(`${where}: rule`, 'AWS::Events::Rule', r.name, r.name);
      for (const g of rs.logGroups.values()) orphan(`${where}: log group`, 'AWS::Logs::LogGroup', g.name, g.name);
      for (const q of rs.queues.values()) orphan(`${where}: queue`, 'AWS::SQS::Queue', q.url, q.name);
      for (const tr of rs.trails.values()) orphan(`${where}: trail`, 'AWS::CloudTrail::Trail', tr.name, tr.name);
    }
  }
  return problems;
}

/**
 * Resources a stack kept by its DeletionPolicy or UpdateReplacePolicy (DELETE_SKIPPED): kept on purpose, not leaked.
 */
function retainedOnPurpose(sim: SimServer): Set<string> {
  const kept = new Set<string>();
  for (const acct of sim.state.accounts.values()) {
    for (const rs of acct.regions.values()) {
      for (const stack of cfnRegion(rs).byId.values()) {
        for (const e of stack.events) {
          if (e.ResourceStatus === 'DELETE_SKIPPED' && e.PhysicalResourceId)
            kept.add(`${e.ResourceType}|${e.PhysicalResourceId}`);
        }
      }
    }
  }
  return kept;
}

/** Live guardrail stacks, by status. */
export function stackCounts(sim: SimServer, stackName = 'guardrail'): Record<string, number> {
  const counts: Record<string, number> = {};
  const now = Date.now();
  for (const acct of sim.state.accounts.values()) {
    for (const rs of acct.regions.values()) {
      const stack = cfnRegion(rs).live.get(stackName);
      if (!stack) continue;
      advance(stack, now);
      counts[stack.status] = (counts[stack.status] ?? 0) + 1;
    }
  }
  return counts;
}

/** Resolves when `pattern` appears in the child's stderr (progress lines), or after `timeoutMs`. */
export function onStderr(
  child: { stderr: NodeJS.ReadableStream | null },
  pattern: RegExp,
  timeoutMs = 20_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
}

/**
 * A run against a simulator throttling at `rate` from the start: the throttling was real and followed the seed, and
 * the premise of "every target succeeded" held. Call it after a run whose targets all succeeded. The reasoning for
 * each bound is in test/sim/test/stats.ts.
 */
export function expectSeededThrottling(
  sim: SimServer,
  calls: { total: number; throttled: number },
  rate: number,
): void {
  const seed = sim.state.seed;
  // exact under the seed: every call drew once from the faults stream, whatever order the calls came in
  expect(calls.throttled, `throttled calls at seed ${seed}`).toBe(seededThrottles(seed, rate, calls.total));
  // and for any seed, a large enough share (fails less than once in a million runs)
  expect(calls.throttled, `throttled of ${calls.total} calls at ${rate}`).toBeGreaterThanOrEqual(
    minThrottled(calls.total, rate),
  );
  // guardrail gives a throttled call DEFAULT_RETRY_POLICY.throttlingAttempts attempts: a call fails only when all are
  // throttled (rate^15 each). Below this many calls, "every target succeeded" fails less than once in a million runs.
  const logical = calls.total - calls.throttled;
  expect(logical, `calls that got through at ${rate}`).toBeLessThanOrEqual(
    maxCallsThrough(rate, DEFAULT_RETRY_POLICY.throttlingAttempts),
  );
}
