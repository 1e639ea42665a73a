// The status pipeline: the same discovery, targets and pool as deploy, with an inspection per target.
import type { GuardrailConfig } from '../../config/index.js';
import { expectedCodeSha256 } from '../../stack/code-hash.js';
import { inspectStack, type Inspection } from '../../stack/inspect-stack.js';
import type { CodeReferences } from '../code-reference.js';
import { sharedPrefixLists } from '../../stack/shared-prefix-lists.js';
import { describeError } from '../../aws/describe-error.js';
import { renderForConfig } from '../render.js';
import { PollTimer } from '../../aws/poll-timer.js';
import type { Emit } from '../../fleet/events.js';
import { deferred, Fleet } from '../../fleet/run.js';
import type { Session } from '../../fleet/session.js';
import { targetKey, type Target } from '../../fleet/targets.js';
import { EarlyResults } from '../../fleet/warm-up.js';
import { approvalColumns, loadApprovalIndex, type ApprovalIndex } from '../../approvals/status-columns.js';
import { protectionVerdicts, type ProtectionVerdicts } from '../../protection/verdicts.js';
import { deletedAfter } from '../../stack/remove-stack.js';
import { removedMarkers, type RemovedMarkers } from '../removed-marker.js';
import {
  baseRow,
  statusOutcome,
  StatusJudge,
  summariseStatus,
  type StatusRow,
  type StatusSummary,
} from '../status-row.js';

export type { StatusRow, StatusSummary };

export interface StatusInput {
  session: Session;
  config: GuardrailConfig;
  selectedAccounts: string[] | null;
  drift: boolean;
  /** unprotected accounts are unhealthy (--require-protection, or protection.required) */
  requireProtection?: boolean;
  /**
   * the configuration the expected SCP is rendered from, when it differs from the run's: without a --role-name
   * override, as `guardrail protect` renders it (an override for this run does not make the attached policy outdated)
   */
  scpConfig?: GuardrailConfig;
  /** reads another engine already made for the whole run (StackSets status shares them with its direct part) */
  shared?: { protection: Promise<ProtectionVerdicts>; approvalIndex: Promise<ApprovalIndex | null> };
  signal: AbortSignal;
  emit: Emit;
}

export interface StatusReport {
  engine: GuardrailConfig['deploy']['engine'];
  /** what the engine has to say beyond the rows (a stack set's drift detection) */
  notes: string[];
  version: string;
  /** the local configuration's settings digest (the deployed ones are on the rows) */
  settingsDigest: string;
  codeSha256: string;
  /** where the expected code hash came from */
  codeReference: CodeReferences['reference'];
  targets: StatusRow[];
  excluded: { account: string; name: string; reason: string }[];
  summary: StatusSummary;
  /** why the SCPs could not be surveyed, when they could not */
  protectionError: string | null;
  interrupted: boolean;
}

export async function status(input: StatusInput): Promise<StatusReport> {
  const { session, config } = input;
  const rendered = await renderForConfig(config, session.identity.account);
  const stackName = config.stackName;
  const approvalIndexP = input.shared?.approvalIndex ?? loadApprovalIndex(session, config);
  approvalIndexP.catch(() => {
    /* awaited below */
  });
  const timer = new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 });
  // each account's targets are inspected while the organisation is still being listed
  const markers = removedMarkers(session, stackName);
  const early = new EarlyResults<Target, StatusRow>(targetKey, (target) =>
    inspectTarget(input, target, rendered.version, timer, approvalIndexP, markers),
  );
  const survey = deferred<ProtectionVerdicts>();
  const judge = new StatusJudge(
    {
      version: rendered.version,
      localSha: expectedCodeSha256(rendered.body),
      settingsDigest: rendered.settingsDigest,
      driftChecked: input.drift,
      protection: config.protection,
      ...(input.requireProtection ? { requireProtection: true } : {}),
    },
    survey.promise,
  );
  let approvalsOn = config.approvals.enabled;
  const fleet = new Fleet<StatusRow>(input, {
    blank: (place, why) => ({
      ...baseRow(place, stackName, approvalsOn),
      error: 'error' in why ? why.error : why.skipped,
    }),
    outcome: statusOutcome,
    judge: (row, report) => judge.add(row, report),
  });
  // (not with drift detection: a target's detection takes seconds of polling, and discovery would wait for it)
  await fleet.open({ warm: input.drift ? undefined : (t) => early.start(t) });
  survey.resolve(
    input.shared?.protection ??
      protectionVerdicts(
        session,
        input.scpConfig ?? config,
        fleet.set.accounts.map((a) => a.id),
      ),
  );
  approvalsOn = (await approvalIndexP) !== null;

  const run = await fleet.each('status', fleet.targets, async (target) => {
    fleet.started(target);
    const row = await early.take(target);
    session.release(target.account, target.region, target.role);
    return row;
  });
  await fleet.judged();
  const code = await judge.finish();
  const verdicts = await survey.promise;
  const rows = fleet.sorted();
  return {
    engine: 'direct',
    notes: [],
    version: rendered.version,
    settingsDigest: rendered.settingsDigest,
    codeSha256: code.currentSha,
    codeReference: code.reference,
    targets: rows,
    excluded: fleet.set.excluded,
    protectionError: verdicts.error,
    interrupted: run.stoppedBy === 'signal',
    summary: summariseStatus(rows, fleet.set.excluded.length),
  };
}

/**
 * One target's row, from its stack, function, rule, dead-letter queue, approvals and the prefix lists other accounts
 * share into it (read-only, but drift detection). Never throws.
 */
async function inspectTarget(
  input: StatusInput,
  target: Target,
  version: string,
  timer: PollTimer,
  approvalIndexP: Promise<ApprovalIndex | null>,
  markers: RemovedMarkers,
): Promise<StatusRow> {
  const { session, config } = input;
  const approvalIndex = await approvalIndexP;
  const started = Date.now();
  const row = baseRow(target, config.stackName, approvalIndex !== null);
  try {
    await session.broker.check(target.account, target.role);
    // the deep check's shared prefix lists (shared-prefix-lists.ts) beside the inspection, on this thread: the EC2
    // client is the SDK's largest, and loading it in every worker cost status with drift 120 MB of peak memory
    const c = session.clients(target.account, target.region, target.role);
    const [i, shared] = await Promise.all([
      inspectSomewhere(input, target, timer),
      input.drift ? sharedPrefixLists(c, target.account) : Promise.resolve(undefined),
    ]);
    Object.assign(row, {
      deployed: i.deployed,
      stackStatus: i.stackStatus,
      rule: i.rule,
      drift: i.drift,
      driftedResources: i.driftedResources,
      notCheckedResources: i.notCheckedResources,
      codeSha256: i.codeSha256,
      terminationProtection: i.terminationProtection ?? null,
      templateVersion: i.stackVersion,
      settingsDigest: i.settingsDigest ?? null,
      pendingReverts: i.pendingReverts,
      version: !i.deployed ? 'missing' : i.stackVersion === version ? 'current' : 'outdated',
      ...(i.driftReason ? { driftReason: i.driftReason } : {}),
      ...(i.codeError ? { codeError: i.codeError } : {}),
      ...(i.ruleError ? { ruleError: i.ruleError } : {}),
      ...(i.pendingRevertsError ? { pendingRevertsError: i.pendingRevertsError } : {}),
    });
    if (i.deployed) {
      Object.assign(row, await approvalColumns(approvalIndex, c, target, config.approvals.sweepMinutes), shared ?? {});
    } else {
      const at = await markers(target.account, target.region);
      const late =
        at &&
        (await deletedAfter(
          session.clients(target.account, target.region, target.role).cloudformation,
          config.stackName,
          at,
        ));
      if (late) row.deletedAfterRemoval = late;
      else if (at) row.removed = at;
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
  const job = credentials && {
    ...inspect,
    region: target.region,
    credentials,
    stackName: config.stackName,
    pollMaxDelayMs: config.deploy.pollSeconds * 1000,
  };
  return session.offload.run('inspect', job, () => {
    const c = session.clients(target.account, target.region, target.role);
    return inspectStack(
      {
        ...inspect,
        cfn: c.cloudformation,
        lambda: () => c.lambda(),
        events: () => c.events(),
        sqs: () => c.sqs(),
        timer,
      },
      config.stackName,
    );
  });
}
