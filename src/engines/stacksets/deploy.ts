// deploy with engine stacksets: the accounts a service-managed stack set reaches get instances through StackSets
// (plan, canary, rest); the management account (and accounts no OU target can reach) are deployed directly, as
// the direct engine does, and the plan says so. Stacks left by the direct engine are replaced, new before old.
import { randomUUID } from 'node:crypto';
import { PollTimer } from '../../aws/poll-timer.js';
import { planApprovalStore } from '../../approvals/store-stack.js';
import { deploy as deployDirect, type DeployInput, type DeployReport } from '../direct/deploy.js';
import type { Emit } from '../../fleet/events.js';
import { remove as removeDirect } from '../direct/remove.js';
import { order, resultOutcome, summarise, type TargetResult } from '../../fleet/results.js';
import type { Session } from '../../fleet/session.js';
import type { TargetAccount } from '../../fleet/targets.js';
import { checkDelegatedAdmin, ensureTrustedAccess } from './access.js';
import { applyStackSet, createStackSet } from './apply.js';
import { OperationContinues, type OperationContext } from './operation.js';
import type { OuTargets } from './org-targets.js';
import { splitTargets } from './split-targets.js';
import { listInstances, planStackSet } from './plan.js';
import { applyResults, plannedRows, refreshRows } from './rows.js';
import { renderForStackSet } from './template.js';

export interface StackSetsDeployReport extends DeployReport {
  engine: 'stacksets';
  notes: string[];
  operations: { what: string; status: string; operationId: string }[];
}

export function adminClient(session: Session, config: DeployInput['config']) {
  const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
  return session.clients(session.identity.account, config.trail.homeRegion, role).cloudformation;
}

export async function deployStackSets(input: DeployInput): Promise<StackSetsDeployReport> {
  const { session, config, signal } = input;
  const { admin, rendered, set, ou, viaSet, direct, notes } = await preflight(input);

  // A question covers the direct part and the stack set together, asked once before either writes: the stack set is
  // planned first (read-only), and the direct part asks with both counts.
  const together = !input.yes && !input.planOnly && direct.length > 0 && viaSet.length > 0;
  const early = together ? await planSet(input, { admin, rendered, viaSet, ou, notes }) : undefined;
  const directReport = direct.length > 0 ? await deployDirectPart(input, direct, early) : undefined;
  // without a direct part the store is planned here and applied after the stack set's confirmation, before any instance
  const storePlan = directReport
    ? null
    : await planApprovalStore({
        session,
        config,
        timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }),
        runId: randomUUID(),
        signal,
      });
  const run = startRun(input, rendered, set.excluded, notes, directReport, storePlan);
  if (viaSet.length === 0) {
    // no instance to confirm: the store alone (a question is asked only before changing more than one account)
    if (storePlan && !input.planOnly && run.store?.result === 'planned') run.store = await storePlan.apply();
    return finish(run);
  }
  // the direct part (the management account, the canary of the whole run) stopped: nothing else starts
  const stopped = run.stoppedBy;
  if (stopped === 'canary' || stopped === 'signal' || stopped === 'declined' || stopped === 'store' || signal.aborted) {
    return skipAfterDirect(run, viaSet);
  }

  const planned = early ?? (await planSet(input, { admin, rendered, viaSet, ou, notes }));
  if (!(await readyToRoll(run, planned, together, storePlan))) return finish(run);
  const { plan, rows, changing } = planned;
  await applyPart({
    input,
    plan,
    rows,
    ou,
    rendered,
    changing,
    operations: run.operations,
    notes,
    report: run.report,
    setStopped: (stopped) => {
      run.stoppedBy = stopped;
    },
  });
  if (run.stoppedBy === null) await replaceDirect(input, plan, run.results, run.report);
  return finish(run);
}

/** The admin checks, trusted access (activated with --yes), the rendered template, and which accounts go which way. */
async function preflight(input: DeployInput) {
  const { session, config, emit } = input;
  const admin = adminClient(session, config);
  await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
  const access = await ensureTrustedAccess(admin, config, { activate: input.yes, planOnly: input.planOnly });
  const rendered = await renderForStackSet(config, session.identity.account);
  const { set, ou, viaSet, direct, notes } = await splitTargets(session, config, input.selectedAccounts, emit);
  if (!access.enabled)
    notes.push(
      'StackSets has no trusted access to the organisation yet: deploy --yes activates it (ActivateOrganizationsAccess).',
    );
  if (access.activated) notes.push('Activated trusted access between StackSets and Organizations.');
  return { admin, rendered, set, ou, viaSet, direct, notes };
}

/** The directly deployed accounts go first, through the direct engine (its canary is the management account). */
async function deployDirectPart(
  input: DeployInput,
  direct: TargetAccount[],
  early: SetPlan | undefined,
): Promise<DeployReport> {
  const { emit } = input;
  const quiet: Emit = (e) => {
    if (e.type !== 'discovered') emit(e);
  };
  // (its first step is the approval store; without a direct part, the store is deployed here, before any instance)
  return deployDirect({
    ...input,
    selectedAccounts: direct.map((a) => a.id),
    emit: quiet,
    ...(early?.needSetWork ? { alsoPlanned: early.counts } : {}),
  });
}

type SetPlan = Awaited<ReturnType<typeof planSet>>;
type StorePlan = Awaited<ReturnType<typeof planApprovalStore>>;

/** One run's report as it grows: the direct part's rows first, then the stack set's. */
interface DeployRun {
  input: DeployInput;
  rendered: Awaited<ReturnType<typeof renderForStackSet>>;
  excluded: DeployReport['excluded'];
  results: TargetResult[];
  notes: string[];
  operations: StackSetsDeployReport['operations'];
  store: DeployReport['approvalStore'];
  stoppedBy: DeployReport['stoppedBy'];
  /** --plan: the template buckets the apply would create (the direct part's first, already named in its note) */
  templateBuckets: string[];
  /** adds rows to the report, each announced as done */
  report: (list: TargetResult[]) => void;
}

function startRun(
  input: DeployInput,
  rendered: DeployRun['rendered'],
  excluded: DeployRun['excluded'],
  notes: string[],
  directReport: DeployReport | undefined,
  storePlan: StorePlan,
): DeployRun {
  const { emit } = input;
  const store = directReport ? directReport.approvalStore : (storePlan?.planned ?? null);
  const results: TargetResult[] = [...(directReport?.targets ?? [])];
  notes.push(...(directReport?.notes ?? []));
  return {
    input,
    rendered,
    excluded,
    results,
    notes,
    operations: [],
    templateBuckets: [...(directReport?.templateBuckets ?? [])],
    store,
    stoppedBy: directReport?.stoppedBy ?? (store?.result === 'failed' ? 'store' : null),
    report: (list) => {
      for (const r of list) {
        results.push(r);
        emit({ type: 'done', outcome: resultOutcome(r) });
      }
    },
  };
}

function finish(run: DeployRun): StackSetsDeployReport {
  const { rendered, results, excluded } = run;
  return {
    engine: 'stacksets',
    version: rendered.version,
    templateBytes: rendered.bytes,
    targets: order(results),
    excluded,
    summary: summarise(results, excluded.length),
    stoppedBy: run.stoppedBy,
    notes: run.notes,
    operations: run.operations,
    templateBuckets: run.templateBuckets,
    approvalStore: run.store,
  };
}

/** Every stack set row skipped, as the direct part stopped first. */
function skipAfterDirect(run: DeployRun, viaSet: TargetAccount[]): StackSetsDeployReport {
  const { config, signal } = run.input;
  run.report(
    viaSet.flatMap((a) =>
      (config.regions as string[]).map((region): TargetResult => ({
        account: a.id,
        accountName: a.name,
        region,
        stackName: `StackSet-${config.stackName}`,
        action: 'none',
        result: 'skipped',
        stackStatus: null,
        error: null,
        durationMs: 0,
        reason: `not started: the direct part stopped (${run.stoppedBy ?? 'interrupted'})`,
      })),
    ),
  );
  if (signal.aborted) run.stoppedBy = 'signal';
  return finish(run);
}

/** Between the plan and the first write: --plan, an interrupt, the question, the store. False: the run ends here. */
async function readyToRoll(run: DeployRun, p: SetPlan, together: boolean, storePlan: StorePlan): Promise<boolean> {
  const { input } = run;
  const { rows, changing, needSetWork, counts, buckets } = p;
  if (input.planOnly) {
    // the stack set's region may be one the direct part already named (the management account's home region)
    const more = buckets.filter((b) => !run.templateBuckets.includes(b));
    run.templateBuckets.push(...more);
    if (more.length > 0)
      run.notes.push(
        `deploy would create the template bucket ${more.join(', ')} for the stack set's template (docs/engines.md#how-the-template-travels).`,
      );
    run.report(rows.map((r) => r.row));
    return false;
  }
  if (input.signal.aborted) {
    run.stoppedBy = 'signal';
    run.report(rows.map((r) => ({ ...r.row, result: 'skipped' as const, reason: 'interrupted before it started' })));
    return false;
  }
  // (asked together with the direct part, when there is one: it was confirmed there)
  if (
    !together &&
    needSetWork &&
    changing.length > 1 &&
    !(await input.confirm({
      ...counts,
      ...(storePlan?.change ? { store: storePlan.change } : {}),
      ...(await withStoreBucket(input.session, counts.buckets, storePlan?.change?.region)),
    }))
  ) {
    run.stoppedBy = 'declined';
    if (run.store?.result === 'planned') run.store = { ...run.store, result: 'skipped', reason: 'not confirmed' };
    run.report(
      rows.map((r) => ({
        ...r.row,
        result: r.needs === 'none' ? ('unchanged' as const) : ('skipped' as const),
        reason: 'not confirmed',
      })),
    );
    return false;
  }
  return storePlan ? applyStoreFirst(run, rows, storePlan) : true;
}

/** The approval store, applied before any instance; false (the rows skipped) when it failed. */
async function applyStoreFirst(
  run: DeployRun,
  rows: SetPlan['rows'],
  storePlan: NonNullable<StorePlan>,
): Promise<boolean> {
  run.store = await storePlan.apply();
  if (run.store.result !== 'failed') return true;
  run.stoppedBy = 'store';
  run.report(
    rows.map((r) => ({
      ...r.row,
      result: r.needs === 'none' ? ('unchanged' as const) : ('skipped' as const),
      reason: 'not started: the approval store failed',
    })),
  );
  return false;
}

/** The question's buckets with the store's region's, when the store's stack changes there too. */
async function withStoreBucket(
  session: Session,
  buckets: string[] | undefined,
  storeRegion: string | undefined,
): Promise<{ buckets?: string[] }> {
  const all = [
    ...new Set([...(buckets ?? []), ...(storeRegion ? await session.templates().toCreate([storeRegion]) : [])]),
  ].sort();
  return all.length > 0 ? { buckets: all } : {};
}

interface SetPlanInput {
  admin: ReturnType<typeof adminClient>;
  rendered: Awaited<ReturnType<typeof renderForStackSet>>;
  viaSet: Parameters<typeof planStackSet>[0]['accounts'];
  ou: OuTargets;
  notes: string[];
}

/** The stack set's plan (read-only): its rows, the accounts it changes, and the counts the confirmation shows. */
async function planSet(input: DeployInput, s: SetPlanInput) {
  const { session, config, emit, signal } = input;
  emit({ type: 'phase', phase: 'plan', targets: s.viaSet.length * (config.regions as string[]).length });
  const plan = await planStackSet({
    session,
    config,
    admin: s.admin,
    rendered: s.rendered,
    accounts: s.viaSet,
    ou: s.ou,
    signal,
  });
  s.notes.push(
    `Stack set: ${plan.setAction === 'none' ? 'no change' : plan.setAction} (${plan.setReason}); default CreateTrail=${plan.defaultCreateTrail} (${plan.defaultTrailReason}).`,
  );
  const rows = plannedRows(plan, config.stackName, config.trail.homeRegion);
  const replacing = plan.accounts.filter((p) => p.directStacks.length > 0);
  if (replacing.length > 0) {
    s.notes.push(
      `Switching engines: ${replacing.length} account(s) still have the direct stack ${config.stackName}. Each is replaced, new before old: ` +
        'its stack set instance is created first, and the direct stack is deleted only once the instance succeeded. (Import is not used: ' +
        `the stack set names its resources ${config.stackName}-set-*, so an imported stack would replace every resource anyway.)`,
    );
  }
  const changing = plan.accounts.filter((p) => !p.failure && rows.some((r) => r.plan === p && r.needs !== 'none'));
  const needSetWork = plan.setAction !== 'none' || changing.length > 0;
  // read-only: the template bucket of the stack set's region, named in the question when the apply would create it
  const buckets = needSetWork ? await session.templates().toCreate([config.trail.homeRegion]) : [];
  if (buckets.length === 0 && needSetWork) await session.templates().inspect(config.trail.homeRegion);
  const counts = {
    create: rows.filter((r) => r.needs === 'create').length,
    update: rows.filter((r) => r.needs === 'update').length,
    unchanged: rows.filter((r) => r.needs === 'none' && r.row.result !== 'failed').length,
    cannotPlan: rows.filter((r) => r.row.result === 'failed').length,
    accounts: changing.length,
    ...(buckets.length > 0 ? { buckets } : {}),
  };
  return { plan, rows, changing, needSetWork, counts, buckets };
}

interface ApplyPartInput {
  input: DeployInput;
  plan: Awaited<ReturnType<typeof planStackSet>>;
  rows: ReturnType<typeof plannedRows>;
  ou: OuTargets;
  rendered: Awaited<ReturnType<typeof renderForStackSet>>;
  changing: Awaited<ReturnType<typeof planStackSet>>['accounts'];
  operations: StackSetsDeployReport['operations'];
  notes: string[];
  report(rows: TargetResult[]): void;
  setStopped(s: DeployReport['stoppedBy']): void;
}

async function applyPart(a: ApplyPartInput): Promise<void> {
  const { input, plan } = a;
  const { session, config, signal } = input;
  const started = Date.now();
  let current: { id: string; what: string } | undefined;
  const op: OperationContext = {
    cfn: adminClient(session, config),
    stackSetName: config.stackName,
    callAs: config.stacksets.callAs,
    signal,
    timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }),
    onStarted: (id, what) => {
      current = { id, what };
    },
  };
  input.emit({ type: 'phase', phase: 'rollout', targets: a.rows.filter((r) => r.needs !== 'none').length });
  // the stack set's template goes through the caller's template bucket in the stack set's (home) region
  const template = session.templates().source(config.trail.homeRegion, a.rendered);
  try {
    if (!plan.exists)
      await createStackSet({
        op,
        config,
        plan,
        rendered: a.rendered,
        template,
        ou: a.ou,
        changing: a.changing,
        onOperation: () => undefined,
      });
    const out = await applyStackSet(
      {
        op,
        config,
        plan,
        rendered: a.rendered,
        template,
        ou: a.ou,
        changing: a.changing,
        onOperation: (what, status, operationId) => a.operations.push({ what, status, operationId }),
      },
      config.deploy.canary,
    );
    if (out.stoppedBy) a.setStopped(out.stoppedBy);
    const instances = await listInstances(op.cfn, config.stackName, config.stacksets.callAs);
    a.report(
      refreshRows(applyResults(a.rows, out.results, started, out.stoppedBy !== null), instances, config.stackName),
    );
  } catch (err) {
    if (!(err instanceof OperationContinues)) throw err;
    a.setStopped('signal');
    a.notes.push(
      `Interrupted: stack set operation ${err.operationId} (${err.what}) continues in AWS. Follow it with ` +
        `guardrail status --engine stacksets, or aws cloudformation describe-stack-set-operation --stack-set-name ${config.stackName} ` +
        `--operation-id ${err.operationId}.`,
    );
    a.report(
      a.rows.map((r) => ({
        ...r.row,
        result: r.needs === 'none' ? ('unchanged' as const) : ('skipped' as const),
        reason: `interrupted while operation ${current?.id ?? err.operationId} runs in AWS`,
      })),
    );
  }
}

/** New before old: deletes the direct stacks of accounts whose instances all succeeded. */
async function replaceDirect(
  input: DeployInput,
  plan: Awaited<ReturnType<typeof planStackSet>>,
  results: TargetResult[],
  report: (rows: TargetResult[]) => void,
): Promise<void> {
  const ok = (id: string) =>
    results.filter((r) => r.account === id).every((r) => r.result === 'succeeded' || r.result === 'unchanged');
  const ids = plan.accounts.filter((p) => p.directStacks.length > 0 && ok(p.account.id)).map((p) => p.account.id);
  if (ids.length === 0) return;
  const removed = await removeDirect({
    session: input.session,
    config: input.config,
    selectedAccounts: ids,
    signal: input.signal,
    emit: (e) => {
      if (e.type === 'start') input.emit(e);
    },
    confirm: async () => true,
  });
  report(
    removed.targets
      .filter((r) => r.reason !== 'already removed')
      .map(({ retainedBuckets: _b, ...r }) => ({ ...r, reason: 'direct stack replaced by its stack set instance' })),
  );
}
