// The deploy pipeline: targets → plan (every target gets an action and a reason) → canary → sliding-window
// rollout. It reports through `emit`, never prints, and never lets one target's failure hide another's result.
import { randomUUID } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { failureLimit } from '../config/index.js';
import {
  applyStack, planStack, previewUpdate, type DeployAction, type DeployOutcome, type DesiredStack, type FailedResource,
  type StackContext, type StackPlan,
} from '../stack/deploy-stack.js';
import { loadFunctionCode, loadTemplateSource, renderTemplate, type RenderedTemplate, type TemplateSettings } from '../stack/template.js';
import { decideTrail, type TrailDecision } from '../stack/trail.js';
import { PollTimer } from './poll-timer.js';
import { runPool } from './pool.js';
import type { Session } from './session.js';
import { regionsOf, resolveAccounts, type Target, type TargetAccount } from './targets.js';
import { describeError } from './describe-error.js';

export type ContractAction = 'create' | 'update' | 'none' | 'delete';
export type TargetResultKind = 'succeeded' | 'unchanged' | 'failed' | 'skipped' | 'planned';

export interface TargetResult {
  account: string;
  accountName: string;
  region: string;
  stackName: string;
  action: ContractAction;
  result: TargetResultKind;
  stackStatus: string | null;
  error: string | null;
  durationMs: number;
  /** why this action: "stack missing", "template version changed a → b", … */
  reason: string;
  changes?: string[];
  firstFailure?: FailedResource;
  trail?: string;
}

export interface Summary {
  targets: number;
  succeeded: number;
  unchanged: number;
  failed: number;
  skipped: number;
  planned: number;
  excludedAccounts: number;
}

export type DeployEvent =
  | { type: 'discovered'; accounts: number; excluded: number }
  | { type: 'phase'; phase: 'plan' | 'canary' | 'rollout'; targets: number }
  | { type: 'start'; target: Target }
  | { type: 'done'; result: TargetResult };

export interface DeployInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  planOnly: boolean;
  signal: AbortSignal;
  emit(event: DeployEvent): void;
  /** asked before changing more than one account; false cancels the apply */
  confirm(accounts: number, targets: number): Promise<boolean>;
}

export interface DeployReport {
  version: string;
  templateBytes: number;
  targets: TargetResult[];
  excluded: { account: string; name: string; reason: string }[];
  summary: Summary;
  stoppedBy: 'tolerance' | 'signal' | 'canary' | 'declined' | null;
}

export function templateSettings(config: GuardrailConfig): TemplateSettings {
  return {
    mode: config.policy.mode,
    directions: config.policy.directions,
    onModify: config.policy.onModify,
    allowPrincipals: config.policy.allowPrincipals,
    exemptTag: config.policy.exemptTag,
    exemptGroups: config.policy.exemptGroups,
    onlyVpcs: config.policy.onlyVpcs,
    onlyTag: config.policy.onlyTag,
    notificationEmail: config.notifications.email,
    notificationTopicArn: config.notifications.topicArn,
    createTrail: config.trail.mode === 'create',
    homeRegion: config.trail.homeRegion,
    trailRetentionDays: config.trail.retentionDays,
  };
}

export async function renderForConfig(config: GuardrailConfig): Promise<RenderedTemplate> {
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  return renderTemplate(source, code, templateSettings(config));
}

const contractAction = (a: DeployAction): ContractAction =>
  a === 'delete-and-recreate' ? 'create' : a === 'wait' ? 'update' : a;

export function summarise(results: TargetResult[], excludedAccounts: number): Summary {
  const count = (k: TargetResultKind) => results.filter((r) => r.result === k).length;
  return {
    targets: results.length, succeeded: count('succeeded'), unchanged: count('unchanged'), failed: count('failed'),
    skipped: count('skipped'), planned: count('planned'), excludedAccounts,
  };
}

interface Planned {
  target: Target;
  plan?: StackPlan;
  desired?: DesiredStack;
  trail?: TrailDecision;
  /** set when planning failed */
  failure?: TargetResult;
  startedAt: number;
}

/**
 * Expands accounts into account × region targets. With `regions: all`, an account whose regions cannot be listed
 * (its role cannot be assumed, say) fails as one target.
 */
export async function expandTargets(
  session: Session, accounts: TargetAccount[], concurrency: number, stackName: string,
): Promise<{ targets: Target[]; failed: TargetResult[] }> {
  const targets: Target[] = [];
  const failed: TargetResult[] = [];
  const needLookup = accounts.filter((a) => a.regions === 'all');
  for (const a of accounts) {
    if (a.regions !== 'all') for (const region of a.regions) targets.push({ account: a.id, accountName: a.name, region, role: a.role });
  }
  await runPool(needLookup, async (a) => {
    try {
      await session.broker.check(a.id, a.role);
      for (const region of await regionsOf(session, a)) targets.push({ account: a.id, accountName: a.name, region, role: a.role });
    } catch (err) {
      failed.push({
        account: a.id, accountName: a.name, region: '(all)', stackName, action: 'none', result: 'failed',
        stackStatus: null, error: describeError(err), durationMs: 0, reason: 'could not list the account\'s regions',
      });
    }
    return null;
  }, { concurrency, failureTolerance: null, isFailure: () => false });
  targets.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  return { targets, failed };
}

export async function deploy(input: DeployInput): Promise<DeployReport> {
  const { session, config, emit, signal } = input;
  const rendered = await renderForConfig(config);
  const set = await resolveAccounts(session, config, input.selectedAccounts);
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });

  const concurrency = config.deploy.concurrency;
  const stackName = config.stackName;
  const { targets, failed: unreachable } = await expandTargets(session, set.accounts, concurrency, stackName);
  for (const r of unreachable) emit({ type: 'done', result: r });

  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const runId = randomUUID();
  const trailDecisions = new Map<string, Promise<TrailDecision>>();
  const homeRegion = config.trail.homeRegion;

  const ctxFor = (t: Target): StackContext => ({
    cfn: session.clients(t.account, t.region, t.role).cloudformation, timer, runId,
  });
  const trailFor = (t: Target): Promise<TrailDecision> => {
    let p = trailDecisions.get(t.account);
    if (!p) {
      p = decideTrail(config.trail.mode, () => session.clients(t.account, homeRegion, t.role).cloudtrail, stackName);
      trailDecisions.set(t.account, p);
    }
    return p;
  };
  const result = (p: Planned, fields: Partial<TargetResult> & Pick<TargetResult, 'result'>): TargetResult => ({
    account: p.target.account, accountName: p.target.accountName, region: p.target.region, stackName,
    action: p.plan ? contractAction(p.plan.action) : 'none',
    stackStatus: p.plan?.stackStatus ?? null, error: null, durationMs: Date.now() - p.startedAt,
    reason: p.plan?.reason ?? '', ...(p.trail && p.target.region === homeRegion ? { trail: p.trail.reason } : {}),
    ...fields,
  });

  // 1. plan every target: one DescribeStacks each (and the trail check once per account, in its home region)
  emit({ type: 'phase', phase: 'plan', targets: targets.length });
  const planRun = await runPool(targets, async (target): Promise<Planned> => {
    const p: Planned = { target, startedAt: Date.now() };
    try {
      await session.broker.check(target.account, target.role);
      const isHome = target.region === homeRegion;
      p.trail = isHome ? await trailFor(target) : undefined;
      p.desired = {
        stackName, body: rendered.body, version: rendered.version,
        parameters: { CreateTrail: isHome && p.trail?.createTrail ? 'true' : 'false' },
      };
      p.plan = await planStack(ctxFor(target), p.desired);
      if (input.planOnly && p.plan.action === 'update') p.plan.changes = await previewUpdate(ctxFor(target), p.desired);
    } catch (err) {
      p.failure = result(p, { result: 'failed', error: describeError(err) });
    }
    return p;
  }, { concurrency, failureTolerance: null, signal, isFailure: () => false });

  const results: TargetResult[] = [...unreachable];
  const pending: Planned[] = [];
  planRun.outcomes.forEach((o, i) => {
    const target = targets[i]!;
    if (o.kind === 'skipped') {
      const r = result({ target, startedAt: Date.now() }, { result: 'skipped', reason: o.reason });
      results.push(r);
      emit({ type: 'done', result: r });
      return;
    }
    const p = o.result;
    if (p.failure) {
      results.push(p.failure);
      emit({ type: 'done', result: p.failure });
    } else if (input.planOnly) {
      const r = result(p, { result: 'planned', ...(p.plan!.changes ? { changes: p.plan!.changes } : {}) });
      results.push(r);
      emit({ type: 'done', result: r });
    } else if (p.plan!.action === 'none') {
      const r = result(p, { result: 'unchanged' });
      results.push(r);
      emit({ type: 'done', result: r });
    } else {
      pending.push(p);
    }
  });

  let stoppedBy: DeployReport['stoppedBy'] = planRun.stoppedBy;
  const finish = (): DeployReport => ({
    version: rendered.version, templateBytes: rendered.bytes, targets: order(results), excluded: set.excluded,
    summary: summarise(results, set.excluded.length), stoppedBy,
  });
  const skipAll = (list: Planned[], reason: string) => {
    for (const p of list) {
      const r = result(p, { result: 'skipped', reason, durationMs: 0 });
      results.push(r);
      emit({ type: 'done', result: r });
    }
  };
  if (input.planOnly || pending.length === 0) return finish();
  if (stoppedBy === 'signal') { skipAll(pending, 'interrupted before it started'); return finish(); }

  const changingAccounts = new Set(pending.map((p) => p.target.account)).size;
  if (changingAccounts > 1 && !(await input.confirm(changingAccounts, pending.length))) {
    stoppedBy = 'declined';
    skipAll(pending, 'not confirmed');
    return finish();
  }

  const tolerance = config.deploy.failureTolerance === null ? null
    : failureLimit(config.deploy.failureTolerance, targets.length + unreachable.length);
  let failures = results.filter((r) => r.result === 'failed').length;

  const applyOne = async (p: Planned): Promise<TargetResult> => {
    emit({ type: 'start', target: p.target });
    p.startedAt = Date.now();
    let outcome: DeployOutcome;
    try {
      outcome = await applyStack(ctxFor(p.target), p.desired!, p.plan!);
    } catch (err) {
      outcome = { kind: 'failed', stackStatus: p.plan!.stackStatus, reason: describeError(err) };
    }
    const r = outcome.kind === 'failed'
      ? result(p, { result: 'failed', stackStatus: outcome.stackStatus, error: outcome.reason,
        ...(outcome.firstFailure ? { firstFailure: outcome.firstFailure } : {}) })
      : result(p, { result: outcome.kind === 'deployed' ? 'succeeded' : 'unchanged', stackStatus: outcome.stackStatus });
    emit({ type: 'done', result: r });
    return r;
  };
  const runPhase = async (list: Planned[], phase: 'canary' | 'rollout', width: number) => {
    emit({ type: 'phase', phase, targets: list.length });
    const run = await runPool(list, applyOne, {
      concurrency: width, failureTolerance: tolerance, signal, initialFailures: failures,
      isFailure: (r) => r.result === 'failed',
    }, (p, outcome) => {
      if (outcome.kind === 'skipped') {
        const r = result(p, { result: 'skipped', reason: outcome.reason, durationMs: 0 });
        results.push(r);
        emit({ type: 'done', result: r });
      } else {
        results.push(outcome.result);
      }
    });
    failures = run.failures;
    return run;
  };

  // 2. canary: the first targets that need a change, the management account's home region first
  const canaryCount = Math.min(config.deploy.canary, pending.length);
  const rank = (p: Planned) => (p.target.account === session.identity.account ? 0 : 1) + (p.target.region === homeRegion ? 0 : 2);
  const ordered = [...pending].sort((a, b) => rank(a) - rank(b));
  const canary = ordered.slice(0, canaryCount);
  const rest = ordered.slice(canaryCount);
  if (canary.length > 0) {
    const before = failures;
    const run = await runPhase(canary, 'canary', canary.length);
    if (run.stoppedBy) stoppedBy = run.stoppedBy;
    if (failures > before) {
      stoppedBy = 'canary';
      skipAll(rest, 'not started: the canary deployment failed');
      return finish();
    }
  }
  // 3. the rest, in a sliding window
  if (rest.length > 0) {
    const run = await runPhase(rest, 'rollout', concurrency);
    if (run.stoppedBy) stoppedBy = run.stoppedBy;
  }
  return finish();
}

function order(results: TargetResult[]): TargetResult[] {
  return [...results].sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
}
