// status with engine stacksets: the same rows and matrix as the direct engine. Instance status and detailed status
// come from ListStackInstances, drift from DetectStackSetDrift plus each drifted instance's resource drifts, and the
// code hash and rule state through the account's role (StackSets drift does not see code). Accounts in the targeted
// OUs without an instance are "missing". The directly deployed accounts are checked by the direct engine.
import {
  DescribeStackResourceDriftsCommand, DetectStackSetDriftCommand, type CloudFormationClient, type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { expectedCodeSha256 } from '../../stack/code-hash.js';
import { inspectStack, type DriftedResource, type DriftState } from '../../stack/inspect-stack.js';
import { describeError } from '../../aws/describe-error.js';
import { PollTimer } from '../../aws/poll-timer.js';
import { runPool } from '../../fleet/pool.js';
import { judge, status as statusDirect, type StatusEvent, type StatusInput, type StatusReport, type StatusRow } from '../direct/status.js';
import type { TargetAccount } from '../../fleet/targets.js';
import { judgeProtection, protectionVerdicts } from '../../protection/verdicts.js';
import { approvalColumns, loadApprovalIndex, type ApprovalIndex } from '../../approvals/status-columns.js';
import { checkDelegatedAdmin } from './access.js';
import { adminClient } from './deploy.js';
import { splitTargets } from './split-targets.js';
import { OperationContinues, runOperation } from './operation.js';
import { describeStackSet, keyOf, listInstances } from './plan.js';
import { stackNameOf } from './settings.js';
import { renderForStackSet } from './template.js';

export interface StackSetsStatusRow extends StatusRow {
  instanceStatus?: string | null;
  detailedStatus?: string | null;
}

export interface StackSetsStatusReport extends StatusReport {
  engine: 'stacksets';
  notes: string[];
}

async function resourceDrifts(cfn: CloudFormationClient, stackId: string): Promise<DriftedResource[]> {
  const out: DriftedResource[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackResourceDriftsCommand({ StackName: stackId, NextToken: token,
      StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'] }));
    for (const d of page.StackResourceDrifts ?? []) {
      out.push({ logicalId: d.LogicalResourceId ?? '?', type: d.ResourceType ?? '?', status: d.StackResourceDriftStatus ?? '?',
        differences: (d.PropertyDifferences ?? []).map((p) => ({ path: p.PropertyPath ?? '', expected: p.ExpectedValue ?? '', actual: p.ActualValue ?? '' })) });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

function driftOf(inst: StackInstanceSummary): DriftState {
  const d = inst.DriftStatus;
  return d === 'DRIFTED' || d === 'IN_SYNC' || d === 'NOT_CHECKED' ? d : d === 'UNKNOWN' ? 'UNKNOWN' : 'NOT_CHECKED';
}

export async function statusStackSets(input: StatusInput): Promise<StackSetsStatusReport> {
  const { session, config, emit, signal } = input;
  await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
  const rendered = await renderForStackSet(config);
  const localSha = expectedCodeSha256(rendered.body);
  const { set, viaSet, direct, notes } = await splitTargets(session, config, input.selectedAccounts, emit);
  const quiet = (e: StatusEvent) => { if (e.type !== 'discovered') emit(e); };
  // one SCP survey and one read of the approval store for the run, shared with the direct part
  const shared = {
    protection: protectionVerdicts(session, config, set.accounts.map((a) => a.id)),
    approvalIndex: loadApprovalIndex(session, config),
  };
  const directReport = direct.length > 0
    ? await statusDirect({ ...input, selectedAccounts: direct.map((a) => a.id), emit: quiet, shared }) : undefined;

  const admin = adminClient(session, config);
  const callAs = config.stacksets.callAs;
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const stackSet = await describeStackSet(admin, config.stackName, callAs);
  let instances = stackSet ? await listInstances(admin, config.stackName, callAs) : new Map<string, StackInstanceSummary>();
  if (!stackSet) notes.push(`Stack set ${config.stackName} does not exist: every account it would reach is missing.`);
  let interrupted = false;
  if (input.drift && instances.size > 0) {
    try {
      const out = await runOperation({ cfn: admin, stackSetName: config.stackName, callAs, timer, signal }, 'drift', 'detect stack set drift',
        async () => (await admin.send(new DetectStackSetDriftCommand({ StackSetName: config.stackName, CallAs: callAs }))).OperationId);
      notes.push(`Stack set drift detection ${out.operationId}: ${out.status}.`);
      instances = await listInstances(admin, config.stackName, callAs);
    } catch (err) {
      if (!(err instanceof OperationContinues)) notes.push(`Stack set drift detection failed: ${describeError(err)}`);
      else interrupted = true;
    }
  }
  const targets = viaSet.flatMap((a) => (config.regions as string[]).map((region) => ({ a, region })));
  const approvalIndex = await shared.approvalIndex;
  emit({ type: 'phase', phase: 'status', targets: targets.length });
  const expected = { version: rendered.version, localSha, timer, approvalIndex };
  const run = await runPool(targets, ({ a, region }) => inspectInstance(input, a, region, instances.get(keyOf(a.id, region)), expected),
    { concurrency: config.deploy.concurrency, failureTolerance: null, signal, isFailure: () => false });
  // the protection column, as the direct engine judges it: the direct accounts' rows already carry theirs
  const setRows: StackSetsStatusRow[] = [];
  run.outcomes.forEach((o) => { if (o.kind === 'ran') setRows.push(o.result); });
  const verdicts = await shared.protection;
  const setProtection = judgeProtection(setRows, verdicts, config.protection, input.requireProtection);
  const directCounts = directReport?.summary;
  const rows: StatusRow[] = [...(directReport?.targets ?? []), ...setRows];
  rows.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  const count = (f: (r: StatusRow) => boolean) => rows.filter(f).length;
  return {
    engine: 'stacksets', notes, version: rendered.version, codeSha256: localSha, codeReference: 'local bundle', targets: rows,
    excluded: set.excluded, interrupted: interrupted || run.stoppedBy === 'signal' || directReport?.interrupted === true,
    summary: {
      targets: rows.length, healthy: count((r) => r.healthy), unhealthy: count((r) => !r.healthy),
      drifted: count((r) => r.drift === 'DRIFTED'), outdated: count((r) => r.version === 'outdated' || r.code === 'outdated'),
      missing: count((r) => r.version === 'missing' && !r.error), failed: count((r) => r.error !== null), excludedAccounts: set.excluded.length,
      protected: setProtection.protected + (directCounts?.protected ?? 0),
      protectionOutdated: setProtection.protectionOutdated + (directCounts?.protectionOutdated ?? 0),
      unprotected: setProtection.unprotected + (directCounts?.unprotected ?? 0),
    },
    protectionError: verdicts.error ?? directReport?.protectionError ?? null,
  };
}

interface InstanceExpectations {
  version: string;
  localSha: string;
  timer: PollTimer;
  /** approvals.enabled: the store, read once per run (as the direct engine does) */
  approvalIndex: ApprovalIndex | null;
}

async function inspectInstance(input: StatusInput, a: TargetAccount, region: string, inst: StackInstanceSummary | undefined,
  { version, localSha, timer, approvalIndex }: InstanceExpectations): Promise<StackSetsStatusRow> {
  const started = Date.now();
  const stackName = stackNameOf(inst?.StackId) ?? `StackSet-${input.config.stackName}-(none)`;
  const row: StackSetsStatusRow = {
    account: a.id, accountName: a.name, region, stackName, deployed: false, stackStatus: null, version: 'missing', code: 'unknown',
    rule: 'unknown', drift: 'NOT_CHECKED', driftedResources: [], notCheckedResources: [], healthy: false, problems: [], error: null,
    durationMs: 0, instanceStatus: inst?.Status ?? null, detailedStatus: inst?.StackInstanceStatus?.DetailedStatus ?? null,
    approvals: approvalIndex ? 0 : null, lapsedApprovedRules: approvalIndex ? 0 : null,
  };
  input.emit({ type: 'start', target: { account: a.id, accountName: a.name, region, role: a.role } });
  if (inst?.StackId) {
    try {
      await input.session.broker.check(a.id, a.role);
      const c = input.session.clients(a.id, region, a.role);
      const i = await inspectStack({ cfn: c.cloudformation, lambda: () => c.lambda(), events: () => c.events(), timer, drift: false, driftDeadlineMs: 0 }, stackName);
      Object.assign(row, { deployed: i.deployed, stackStatus: i.stackStatus, rule: i.rule, codeSha256: i.codeSha256,
        version: !i.deployed ? 'missing' : i.stackVersion === version ? 'current' : 'outdated', drift: driftOf(inst) });
      if (i.deployed && i.codeSha256) row.code = i.codeSha256 === localSha ? 'current' : 'outdated';
      if (row.drift === 'DRIFTED') row.driftedResources = await resourceDrifts(c.cloudformation, inst.StackId);
      if (i.deployed) Object.assign(row, await approvalColumns(approvalIndex, c, { account: a.id, region }, input.config.approvals.sweepMinutes));
    } catch (err) {
      row.error = describeError(err);
    }
    input.session.release(a.id, region, a.role);
  }
  row.durationMs = Date.now() - started;
  judge(row, input.drift);
  if (inst && inst.Status !== 'CURRENT') row.problems.push(`instance ${inst.Status}${inst.StatusReason ? `: ${inst.StatusReason}` : ''}`);
  if (!inst) row.problems.splice(0, row.problems.length, 'no stack instance');
  row.healthy = row.problems.length === 0;
  input.emit({ type: 'done', row });
  return row;
}
