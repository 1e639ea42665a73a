// status with engine stacksets: the same rows and matrix as the direct engine. Instance status and detailed status
// come from ListStackInstances, drift from DetectStackSetDrift plus each drifted instance's resource drifts, and the
// code hash, rule state and dead-letter queue through the account's role (StackSets drift does not see code). Accounts
// in the targeted OUs without an instance are "missing". The directly deployed accounts are checked by the direct
// engine.
import {
  DescribeStackResourceDriftsCommand,
  DetectStackSetDriftCommand,
  type CloudFormationClient,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { expectedCodeSha256 } from '../../stack/code-hash.js';
import { inspectStack, type DriftedResource, type DriftState } from '../../stack/inspect-stack.js';
import { sharedPrefixLists } from '../../stack/shared-prefix-lists.js';
import { describeError } from '../../aws/describe-error.js';
import { PollTimer } from '../../aws/poll-timer.js';
import type { Emit } from '../../fleet/events.js';
import { Fleet } from '../../fleet/run.js';
import { status as statusDirect, type StatusInput, type StatusReport } from '../direct/status.js';
import type { TargetAccount } from '../../fleet/targets.js';
import { protectionVerdicts } from '../../protection/verdicts.js';
import { removedMarkers, type RemovedMarkers } from '../removed-marker.js';
import { baseRow, statusOutcome, StatusJudge, summariseStatus, type StatusRow } from '../status-row.js';
import { approvalColumns, loadApprovalIndex, type ApprovalIndex } from '../../approvals/status-columns.js';
import { checkDelegatedAdmin } from './access.js';
import { adminClient } from './deploy.js';
import { splitTargets } from './split-targets.js';
import { OperationContinues, runOperation } from './operation.js';
import { describeStackSet, keyOf, listInstances } from './plan.js';
import { stackNameOf } from './settings.js';
import { renderForStackSet } from './template.js';

export interface StackSetsStatusReport extends StatusReport {
  engine: 'stacksets';
}

async function resourceDrifts(cfn: CloudFormationClient, stackId: string): Promise<DriftedResource[]> {
  const out: DriftedResource[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(
      new DescribeStackResourceDriftsCommand({
        StackName: stackId,
        NextToken: token,
        StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
      }),
    );
    for (const d of page.StackResourceDrifts ?? []) {
      out.push({
        logicalId: d.LogicalResourceId ?? '?',
        type: d.ResourceType ?? '?',
        status: d.StackResourceDriftStatus ?? '?',
        differences: (d.PropertyDifferences ?? []).map((p) => ({
          path: p.PropertyPath ?? '',
          expected: p.ExpectedValue ?? '',
          actual: p.ActualValue ?? '',
        })),
      });
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
  const { session, config, emit } = input;
  await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
  const rendered = await renderForStackSet(config, session.identity.account);
  const localSha = expectedCodeSha256(rendered.body);
  const { set, viaSet, direct, notes } = await splitTargets(session, config, input.selectedAccounts, emit);
  const quiet: Emit = (e) => {
    if (e.type !== 'discovered') emit(e);
  };
  // one SCP survey and one read of the approval store for the run, shared with the direct part
  const shared: SharedReads = {
    protection: protectionVerdicts(
      session,
      input.scpConfig ?? config,
      set.accounts.map((a) => a.id),
    ),
    approvalIndex: loadApprovalIndex(session, config),
  };
  const directReport =
    direct.length > 0
      ? await statusDirect({ ...input, selectedAccounts: direct.map((a) => a.id), emit: quiet, shared })
      : undefined;

  const admin = adminClient(session, config);
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  const { instances, interrupted } = await readInstances(input, admin, timer, notes);
  const { rows: setRows, stoppedBy } = await inspectInstances(input, {
    viaSet,
    instances,
    rendered,
    localSha,
    shared,
    timer,
  });
  const verdicts = await shared.protection;
  const rows: StatusRow[] = [...(directReport?.targets ?? []), ...setRows];
  rows.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  return {
    engine: 'stacksets',
    notes,
    version: rendered.version,
    settingsDigest: rendered.settingsDigest,
    codeSha256: localSha,
    codeReference: 'local bundle',
    targets: rows,
    excluded: set.excluded,
    interrupted: interrupted || stoppedBy === 'signal' || directReport?.interrupted === true,
    summary: summariseStatus(rows, set.excluded.length),
    protectionError: verdicts.error ?? directReport?.protectionError ?? null,
  };
}

/** The run's shared reads, started once: the SCP survey and the approval store. */
interface SharedReads {
  protection: ReturnType<typeof protectionVerdicts>;
  approvalIndex: ReturnType<typeof loadApprovalIndex>;
}

/**
 * The stack set's instances, re-read after drift detection with --drift; `interrupted` when detection continues in AWS.
 */
async function readInstances(input: StatusInput, admin: CloudFormationClient, timer: PollTimer, notes: string[]) {
  const { config, signal } = input;
  const callAs = config.stacksets.callAs;
  const stackSet = await describeStackSet(admin, config.stackName, callAs);
  let instances = stackSet
    ? await listInstances(admin, config.stackName, callAs)
    : new Map<string, StackInstanceSummary>();
  if (!stackSet) notes.push(`Stack set ${config.stackName} does not exist: every account it would reach is missing.`);
  let interrupted = false;
  if (input.drift && instances.size > 0) {
    try {
      const out = await runOperation(
        { cfn: admin, stackSetName: config.stackName, callAs, timer, signal },
        'drift',
        'detect stack set drift',
        async () =>
          (await admin.send(new DetectStackSetDriftCommand({ StackSetName: config.stackName, CallAs: callAs })))
            .OperationId,
      );
      notes.push(`Stack set drift detection ${out.operationId}: ${out.status}.`);
      instances = await listInstances(admin, config.stackName, callAs);
    } catch (err) {
      if (!(err instanceof OperationContinues)) notes.push(`Stack set drift detection failed: ${describeError(err)}`);
      else interrupted = true;
    }
  }
  return { instances, interrupted };
}

interface InspectAll {
  viaSet: TargetAccount[];
  instances: Map<string, StackInstanceSummary>;
  rendered: Awaited<ReturnType<typeof renderForStackSet>>;
  localSha: string;
  shared: SharedReads;
  timer: PollTimer;
}

/** Every account and region the stack set reaches, inspected through the fleet and judged against this bundle. */
async function inspectInstances(
  input: StatusInput,
  { viaSet, instances, rendered, localSha, shared, timer }: InspectAll,
) {
  const { session, config } = input;
  const targets = viaSet.flatMap((a) => (config.regions as string[]).map((region) => ({ a, region })));
  const approvalIndex = await shared.approvalIndex;
  const judge = new StatusJudge(
    {
      version: rendered.version,
      localSha,
      settingsDigest: rendered.settingsDigest,
      driftChecked: input.drift,
      protection: config.protection,
      ...(input.requireProtection ? { requireProtection: true } : {}),
    },
    shared.protection,
  );
  const fleet = new Fleet<StatusRow>(input, {
    blank: (place, why) => ({
      ...baseRow(place, `StackSet-${config.stackName}-(none)`, approvalIndex !== null),
      error: 'error' in why ? why.error : why.skipped,
    }),
    outcome: statusOutcome,
    judge: (row, report) => judge.add(row, report),
  });
  const expected = {
    version: rendered.version,
    timer,
    approvalIndex,
    markers: removedMarkers(session, config.stackName),
  };
  const run = await fleet.each(
    'status',
    targets,
    ({ a, region }) => inspectInstance(input, a, region, instances.get(keyOf(a.id, region)), expected),
    { targetOf: ({ a, region }) => ({ account: a.id, accountName: a.name, region, role: a.role }) },
  );
  await fleet.judged();
  await judge.finish();
  return { rows: fleet.rows, stoppedBy: run.stoppedBy };
}

interface InstanceExpectations {
  markers: RemovedMarkers;
  version: string;
  timer: PollTimer;
  /** approvals.enabled: the store, read once per run (as the direct engine does) */
  approvalIndex: ApprovalIndex | null;
}

/** One instance's row: its stack (through the account's role), the stack set's view of it. Judged by the caller. */
async function inspectInstance(
  input: StatusInput,
  a: TargetAccount,
  region: string,
  inst: StackInstanceSummary | undefined,
  { version, timer, approvalIndex, markers }: InstanceExpectations,
): Promise<StatusRow> {
  const started = Date.now();
  const stackName = stackNameOf(inst?.StackId) ?? `StackSet-${input.config.stackName}-(none)`;
  const row: StatusRow = {
    ...baseRow({ account: a.id, accountName: a.name, region }, stackName, approvalIndex !== null),
    instanceStatus: inst?.Status ?? null,
    detailedStatus: inst?.StackInstanceStatus?.DetailedStatus ?? null,
    instanceProblem: !inst
      ? 'no stack instance'
      : inst.Status !== 'CURRENT'
        ? `instance ${inst.Status}${inst.StatusReason ? `: ${inst.StatusReason}` : ''}`
        : null,
  };
  input.emit({ type: 'start', target: { account: a.id, accountName: a.name, region } });
  if (inst?.StackId) {
    try {
      await input.session.broker.check(a.id, a.role);
      const c = input.session.clients(a.id, region, a.role);
      // drift is the stack set's to detect (driftOf); the deep check's other part, the shared lists, is the stack's
      const [i, shared] = await Promise.all([
        inspectStack(
          {
            cfn: c.cloudformation,
            lambda: () => c.lambda(),
            events: () => c.events(),
            sqs: () => c.sqs(),
            timer,
            drift: false,
            driftDeadlineMs: 0,
          },
          stackName,
        ),
        input.drift ? sharedPrefixLists(c, a.id) : Promise.resolve(undefined),
      ]);
      Object.assign(row, {
        deployed: i.deployed,
        stackStatus: i.stackStatus,
        rule: i.rule,
        codeSha256: i.codeSha256,
        templateVersion: i.stackVersion,
        settingsDigest: i.settingsDigest ?? null,
        version: !i.deployed ? 'missing' : i.stackVersion === version ? 'current' : 'outdated',
        drift: driftOf(inst),
        pendingReverts: i.pendingReverts,
        ...(i.pendingRevertsError ? { pendingRevertsError: i.pendingRevertsError } : {}),
      });
      if (row.drift === 'DRIFTED') row.driftedResources = await resourceDrifts(c.cloudformation, inst.StackId);
      if (i.deployed) {
        Object.assign(
          row,
          await approvalColumns(approvalIndex, c, { account: a.id, region }, input.config.approvals.sweepMinutes),
          shared ?? {},
        );
      }
    } catch (err) {
      row.error = describeError(err);
    }
    input.session.release(a.id, region, a.role);
  } else if (!inst) {
    // no instance: guardrail remove took it out (the marker says so), or it was never made; a member account cannot
    // delete an instance, only its stack (then the instance stays, and says so)
    const at = await markers(a.id, region);
    if (at) row.removed = at;
  }
  row.durationMs = Date.now() - started;
  return row;
}
