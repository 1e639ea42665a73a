// The status pipeline: the same discovery, targets and pool as deploy, with an inspection per target.
import type { GuardrailConfig } from '../../config/index.js';
import { expectedCodeSha256 } from '../../stack/code-hash.js';
import { inspectStack, type DriftedResource, type DriftState, type Inspection } from '../../stack/inspect-stack.js';
import { isDeploySuccess } from '../../stack/stack-status.js';
import { codeReferences, type CodeReferences } from '../code-reference.js';
import { describeError } from '../../aws/describe-error.js';
import { renderForConfig } from '../render.js';
import { PollTimer } from '../../aws/poll-timer.js';
import { runPool } from '../../fleet/pool.js';
import type { Session } from '../../fleet/session.js';
import { expandTargets, resolveAccounts, targetKey, warmTargets, type Target } from '../../fleet/targets.js';
import { EarlyResults } from '../../fleet/warm-up.js';
import { approvalColumns, loadApprovalIndex, type ApprovalIndex } from '../../approvals/status-columns.js';
import { judgeProtection, protectionVerdicts, type ProtectionCounts, type ProtectionVerdicts } from '../../protection/verdicts.js';
import type { Protection } from '../../protection/survey.js';

export interface StatusRow {
  account: string;
  accountName: string;
  region: string;
  stackName: string;
  deployed: boolean;
  stackStatus: string | null;
  version: 'current' | 'outdated' | 'missing';
  code: 'current' | 'outdated' | 'unknown';
  rule: 'ENABLED' | 'DISABLED' | 'missing' | 'unknown';
  drift: DriftState;
  driftedResources: DriftedResource[];
  notCheckedResources: string[];
  healthy: boolean;
  /** does the current guardrail SCP apply to the account (status-protection.ts) */
  protection?: Protection;
  /** the stack's termination protection (null when not deployed) */
  terminationProtection?: boolean | null;
  /** why it is unhealthy, one phrase per finding */
  problems: string[];
  error: string | null;
  durationMs: number;
  /** approvals.enabled: active approvals for this target (null when approvals are off) */
  approvals?: number | null;
  /** approved rules still present after their approval lapsed, or with a forged approval tag */
  lapsedApprovedRules?: number | null;
  approvalsError?: string;
  /** internal: the deployed function's code hash */
  codeSha256?: string | null;
  /** internal: the stack's template version tag */
  templateVersion?: string | null;
}

export interface StatusSummary {
  targets: number;
  healthy: number;
  unhealthy: number;
  drifted: number;
  outdated: number;
  missing: number;
  failed: number;
  excludedAccounts: number;
}

export type StatusSummaryWithProtection = StatusSummary & ProtectionCounts;

export type StatusEvent =
  | { type: 'discovered'; accounts: number; excluded: number }
  | { type: 'phase'; phase: 'status'; targets: number }
  | { type: 'start'; target: Target }
  | { type: 'done'; row: StatusRow };

export interface StatusInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  drift: boolean;
  /** unprotected accounts are unhealthy (--require-protection, or protection.required) */
  requireProtection?: boolean;
  /** reads another engine already made for the whole run (StackSets status shares them with its direct part) */
  shared?: { protection: Promise<ProtectionVerdicts>; approvalIndex: Promise<ApprovalIndex | null> };
  signal: AbortSignal;
  emit(event: StatusEvent): void;
}

export interface StatusReport {
  engine: GuardrailConfig['deploy']['engine'];
  /** what the engine has to say beyond the rows (a stack set's drift detection) */
  notes: string[];
  version: string;
  codeSha256: string;
  /** where the expected code hash came from */
  codeReference: CodeReferences['reference'];
  targets: StatusRow[];
  excluded: { account: string; name: string; reason: string }[];
  summary: StatusSummaryWithProtection;
  /** why the SCPs could not be surveyed, when they could not */
  protectionError: string | null;
  interrupted: boolean;
}

/** A row before inspection: nothing known yet (the approval counts start at 0 when approvals are on). */
function baseRow(t: Pick<Target, 'account' | 'accountName' | 'region'>, stackName: string, approvals: boolean): StatusRow {
  return {
    account: t.account, accountName: t.accountName, region: t.region, stackName, deployed: false, stackStatus: null,
    version: 'missing', code: 'unknown', rule: 'unknown', drift: 'NOT_CHECKED', driftedResources: [],
    notCheckedResources: [], healthy: false, problems: [], error: null, durationMs: 0,
    approvals: approvals ? 0 : null, lapsedApprovedRules: approvals ? 0 : null,
  };
}

export async function status(input: StatusInput): Promise<StatusReport> {
  const { session, config, emit } = input;
  const rendered = await renderForConfig(config, session.identity.account);
  const localSha = expectedCodeSha256(rendered.body);
  const stackName = config.stackName;
  const approvalIndexP = input.shared?.approvalIndex ?? loadApprovalIndex(session, config);
  approvalIndexP.catch(() => { /* awaited below */ });
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const inspect = (target: Target) => inspectTarget(input, target, rendered.version, timer, approvalIndexP);
  // each account's targets are inspected while the organisation is still being listed
  const early = new EarlyResults<Target, StatusRow>(targetKey, inspect);
  // (not with drift detection: a target's detection takes seconds of polling, and discovery would wait for it)
  const set = await resolveAccounts(session, config, input.selectedAccounts, input.drift ? undefined
    : (a, next) => warmTargets(session, a, next, (t) => early.start(t)));
  emit({ type: 'discovered', accounts: set.accounts.length, excluded: set.excluded.length });
  const protectionP = input.shared?.protection ?? protectionVerdicts(session, config, set.accounts.map((a) => a.id));
  const { targets, failed } = await expandTargets(session, set.accounts, config.deploy.concurrency, stackName);
  const approvalIndex = await approvalIndexP;

  const base = (t: Pick<Target, 'account' | 'accountName' | 'region'>) => baseRow(t, stackName, approvalIndex !== null);
  const rows: StatusRow[] = failed.map((f) => ({ ...base(f), error: f.error }));
  for (const r of rows) {
    judge(r, input.drift);
    emit({ type: 'done', row: r });
  }

  emit({ type: 'phase', phase: 'status', targets: targets.length });
  const run = await runPool(targets, async (target): Promise<StatusRow> => {
    emit({ type: 'start', target });
    const row = await early.take(target);
    session.release(target.account, target.region, target.role);
    if (row.deployed && row.codeSha256) row.code = row.codeSha256 === localSha ? 'current' : 'outdated';
    judge(row, input.drift);
    emit({ type: 'done', row });
    return row;
  }, { concurrency: config.deploy.concurrency, failureTolerance: null, signal: input.signal, isFailure: () => false });

  run.outcomes.forEach((o, i) => {
    if (o.kind === 'ran') rows.push(o.result);
    else {
      const r = { ...base(targets[i]!), error: o.reason };
      judge(r, input.drift);
      emit({ type: 'done', row: r });
      rows.push(r);
    }
  });

  const code = codeReferences(rows, rendered.version, localSha);
  for (const r of rows) {
    if (r.deployed && r.codeSha256) r.code = r.codeSha256 === code.expectedFor(r.templateVersion) ? 'current' : 'outdated';
    judge(r, input.drift);
  }
  const verdicts = await protectionP;
  const protection = judgeProtection(rows, verdicts, config.protection, input.requireProtection);
  rows.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  const count = (f: (r: StatusRow) => boolean) => rows.filter(f).length;
  return {
    engine: 'direct', notes: [], version: rendered.version, codeSha256: code.currentSha, codeReference: code.reference, targets: rows, excluded: set.excluded,
    protectionError: verdicts.error, interrupted: run.stoppedBy === 'signal',
    summary: {
      targets: rows.length, healthy: count((r) => r.healthy), unhealthy: count((r) => !r.healthy),
      drifted: count((r) => r.drift === 'DRIFTED'), outdated: count((r) => r.version === 'outdated' || r.code === 'outdated'),
      missing: count((r) => r.version === 'missing' && !r.error), failed: count((r) => r.error !== null),
      excludedAccounts: set.excluded.length, ...protection,
    },
  };
}

/** One target's row, from its stack, function, rule and approvals (read-only, but drift detection). Never throws. */
async function inspectTarget(
  input: StatusInput, target: Target, version: string, timer: PollTimer, approvalIndexP: Promise<ApprovalIndex | null>,
): Promise<StatusRow> {
  const { session, config } = input;
  const approvalIndex = await approvalIndexP;
  const started = Date.now();
  const row = baseRow(target, config.stackName, approvalIndex !== null);
  try {
    await session.broker.check(target.account, target.role);
    const i = await inspectSomewhere(input, target, timer);
    Object.assign(row, {
      deployed: i.deployed, stackStatus: i.stackStatus, rule: i.rule, drift: i.drift,
      driftedResources: i.driftedResources, notCheckedResources: i.notCheckedResources, codeSha256: i.codeSha256,
      terminationProtection: i.terminationProtection ?? null, templateVersion: i.stackVersion,
      version: !i.deployed ? 'missing' : i.stackVersion === version ? 'current' : 'outdated',
      ...(i.driftReason ? { driftReason: i.driftReason } : {}),
      ...(i.codeError ? { codeError: i.codeError } : {}),
      ...(i.ruleError ? { ruleError: i.ruleError } : {}),
    });
    if (i.deployed) {
      const c = session.clients(target.account, target.region, target.role);
      Object.assign(row, await approvalColumns(approvalIndex, c, target, config.approvals.sweepMinutes));
    }
  } catch (err) {
    row.error = describeError(err);
  }
  row.durationMs = Date.now() - started;
  return row;
}

/** The target's inspection, in a worker thread when one is free (offload.ts), or on this thread. */
async function inspectSomewhere(input: StatusInput, target: Target, timer: PollTimer): Promise<Inspection> {
  const { session, config } = input;
  const inspect = { drift: input.drift, driftDeadlineMs: Math.max(60_000, config.deploy.pollSeconds * 1000 * 12) };
  const credentials = await session.plainCredentials(target.account, target.role);
  const job = credentials && { ...inspect, region: target.region, credentials, stackName: config.stackName,
    pollMaxDelayMs: config.deploy.pollSeconds * 1000 };
  return session.offload.run('inspect', job, () => {
    const c = session.clients(target.account, target.region, target.role);
    return inspectStack({ ...inspect, cfn: c.cloudformation, lambda: () => c.lambda(), events: () => c.events(), timer }, config.stackName);
  });
}

/** healthy: deployed, current, rule enabled and in sync. Fills `problems` with what is wrong. */
export function judge(r: StatusRow, driftChecked: boolean): void {
  const p: string[] = [];
  if (r.error) p.push(`could not inspect: ${r.error}`);
  else if (!r.deployed) p.push('not deployed');
  else {
    if (!isDeploySuccess(r.stackStatus ?? undefined)) p.push(`stack is ${r.stackStatus}`);
    if (r.version === 'outdated') p.push('template version outdated');
    if (r.code === 'outdated') p.push('function code differs from the bundle');
    if (r.code === 'unknown') p.push('function code could not be read');
    if (r.rule !== 'ENABLED') p.push(`rule ${r.rule}`);
    if (r.drift === 'DRIFTED') {
      for (const d of r.driftedResources) {
        const diffs = d.differences.map((x) => x.path).join(', ');
        p.push(`${d.logicalId} ${d.status}${diffs ? ` (${diffs})` : ''}`);
      }
    }
    if (driftChecked && r.drift === 'UNKNOWN') p.push('drift unknown');
    if (r.lapsedApprovedRules) p.push(`${r.lapsedApprovedRules} approved rule(s) outlived their approval (the sweep is late or broken)`);
    if (r.approvalsError) p.push(`approvals: ${r.approvalsError}`);
  }
  r.problems = p;
  r.healthy = p.length === 0;
}
