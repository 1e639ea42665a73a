// remove with engine stacksets: the chosen accounts' stack instances are deleted in one stack set operation (their
// trail buckets are retained, and named); with --all-accounts the empty stack set is deleted too. Directly
// deployed accounts (the management account) are removed by the direct engine.
import {
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  DescribeStackResourceCommand,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { describeError } from '../../aws/describe-error.js';
import { PollTimer } from '../../aws/poll-timer.js';
import { remove as removeDirect, type RemoveInput, type RemoveReport, type RemoveResult } from '../direct/remove.js';
import { resultOutcome, summarise } from '../../fleet/results.js';
import type { TargetAccount } from '../../fleet/targets.js';
import type { Session } from '../../fleet/session.js';
import { checkDelegatedAdmin } from './access.js';
import { adminClient } from './deploy.js';
import { splitTargets } from './split-targets.js';
import { OperationContinues, runOperation } from './operation.js';
import { describeStackSet, keyOf, listInstances } from './plan.js';
import { stackNameOf } from './settings.js';

export interface StackSetsRemoveReport extends RemoveReport {
  engine: 'stacksets';
}

/** The trail bucket of a home-region instance (DeletionPolicy Retain), read through the account's role. */
async function trailBucket(session: Session, a: TargetAccount, inst: StackInstanceSummary): Promise<string | null> {
  try {
    await session.broker.check(a.id, a.role);
    const cfn = session.clients(a.id, inst.Region!, a.role).cloudformation;
    const out = await cfn.send(
      new DescribeStackResourceCommand({ StackName: inst.StackId!, LogicalResourceId: 'TrailBucket' }),
    );
    return out.StackResourceDetail?.PhysicalResourceId ?? null;
  } catch {
    return null;
  }
}

export async function removeStackSets(input: RemoveInput): Promise<StackSetsRemoveReport> {
  const { session, config, emit } = input;
  await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
  const { set, viaSet, direct, notes } = await splitTargets(session, config, input.selectedAccounts, emit);
  const directReport =
    direct.length > 0
      ? await removeDirect({
          ...input,
          selectedAccounts: direct.map((a) => a.id),
          emit: (e) => {
            if (e.type !== 'discovered') emit(e);
          },
        })
      : undefined;
  const run = startRun(emit, notes, set.excluded.length, directReport);
  const admin = adminClient(session, config);
  const callAs = config.stacksets.callAs;
  const name = config.stackName;
  if (!(await describeStackSet(admin, name, callAs))) {
    notes.push(`Stack set ${name} does not exist: nothing to remove there.`);
    return finish(run);
  }
  const instances = await listInstances(admin, name, callAs);
  const byId = new Map(viaSet.map((a) => [a.id, a]));
  const regions = config.regions as string[];
  const chosen = [...instances.values()].filter((i) => byId.has(i.Account ?? '') && regions.includes(i.Region ?? ''));
  const row = rowMaker(instances, name);
  for (const a of viaSet)
    for (const region of regions) {
      if (!instances.has(keyOf(a.id, region)))
        run.report(row(a, region, { result: 'unchanged', action: 'none', reason: 'no stack instance' }));
    }
  if (chosen.length > 0 && !run.stoppedBy) {
    if (!(await input.confirm(removalPlan(chosen, byId)))) {
      run.stoppedBy = 'declined';
      for (const i of chosen)
        run.report(row(byId.get(i.Account!)!, i.Region!, { result: 'skipped', reason: 'not confirmed' }));
      return finish(run);
    }
    await deleteInstances({
      input,
      admin,
      chosen,
      instances,
      byId,
      row,
      report: run.report,
      notes,
      setStopped: (s) => {
        run.stoppedBy = s;
      },
    });
  }
  await deleteEmptyStackSet(input, admin, run);
  return finish(run);
}

/** One run's report as it grows: the direct part's rows first, then the stack set's. */
interface RemoveRun {
  results: RemoveResult[];
  notes: string[];
  excluded: number;
  stoppedBy: RemoveReport['stoppedBy'];
  /** adds a row to the report, announced as done */
  report: (r: RemoveResult) => void;
}

function startRun(
  emit: RemoveInput['emit'],
  notes: string[],
  excluded: number,
  directReport: RemoveReport | undefined,
): RemoveRun {
  const results: RemoveResult[] = [...(directReport?.targets ?? [])];
  const report = (r: RemoveResult) => {
    results.push(r);
    emit({ type: 'done', outcome: resultOutcome(r) });
  };
  return { results, notes, excluded, stoppedBy: directReport?.stoppedBy ?? null, report };
}

function finish(run: RemoveRun): StackSetsRemoveReport {
  const { results } = run;
  results.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
  return {
    engine: 'stacksets',
    notes: run.notes,
    targets: results,
    summary: summarise(results, run.excluded),
    stoppedBy: run.stoppedBy,
    kept: results.flatMap((r) => (r.kept ?? []).map((k) => ({ account: r.account, region: r.region, ...k }))),
    retainedBuckets: results.flatMap((r) =>
      r.retainedBuckets.map((bucket) => ({ account: r.account, region: r.region, bucket })),
    ),
  };
}

type RowMaker = (
  a: TargetAccount,
  region: string,
  fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>,
) => RemoveResult;

/** An instance's row, named after its stack (or the stack set, when there is no instance). */
function rowMaker(instances: Map<string, StackInstanceSummary>, name: string): RowMaker {
  return (a, region, fields) => ({
    account: a.id,
    accountName: a.name,
    region,
    stackName: stackNameOf(instances.get(keyOf(a.id, region))?.StackId) ?? `StackSet-${name}-(none)`,
    action: 'delete',
    stackStatus: instances.get(keyOf(a.id, region))?.Status ?? null,
    error: null,
    durationMs: 0,
    reason: '',
    retainedBuckets: [],
    ...fields,
  });
}

/** What the question shows: the accounts, regions and number of instances to delete. */
function removalPlan(chosen: StackInstanceSummary[], byId: Map<string, TargetAccount>) {
  return {
    accounts: [...new Set(chosen.map((i) => i.Account!))].sort().map((id) => ({ id, name: byId.get(id)?.name ?? id })),
    regions: [...new Set(chosen.map((i) => i.Region!))].sort(),
    stacks: chosen.length,
  };
}

/** With --all-accounts, the stack set itself once it is empty and the run was not stopped. */
async function deleteEmptyStackSet(
  input: RemoveInput,
  admin: ReturnType<typeof adminClient>,
  run: RemoveRun,
): Promise<void> {
  const callAs = input.config.stacksets.callAs;
  const name = input.config.stackName;
  const left = await listInstances(admin, name, callAs);
  if (input.selectedAccounts === null && left.size === 0 && !run.stoppedBy) {
    await admin.send(new DeleteStackSetCommand({ StackSetName: name, CallAs: callAs }));
    run.notes.push(`Deleted the stack set ${name} (auto-deployment ends with it).`);
  } else if (input.selectedAccounts === null && left.size > 0) {
    run.notes.push(
      `Stack set ${name} still holds ${left.size} instance(s) outside this run's accounts or regions, so it was kept.`,
    );
  }
}

interface DeleteInput {
  input: RemoveInput;
  admin: ReturnType<typeof adminClient>;
  chosen: StackInstanceSummary[];
  instances: Map<string, StackInstanceSummary>;
  byId: Map<string, TargetAccount>;
  row: RowMaker;
  report(r: RemoveResult): void;
  notes: string[];
  setStopped(s: RemoveReport['stoppedBy']): void;
}

async function deleteInstances(d: DeleteInput): Promise<void> {
  const { input, admin, chosen } = d;
  const { config, session, signal } = input;
  const home = config.trail.homeRegion;
  const buckets = new Map<string, string>();
  for (const i of chosen.filter((x) => x.Region === home && x.StackId)) {
    const b = await trailBucket(session, d.byId.get(i.Account!)!, i);
    if (b) buckets.set(i.Account!, b);
  }
  const all = chosen.length === d.instances.size;
  const ids = [...new Set(chosen.map((i) => i.Account!))];
  const started = Date.now();
  input.emit({ type: 'phase', phase: 'delete', targets: chosen.length });
  try {
    const out = await runOperation(
      {
        cfn: admin,
        stackSetName: config.stackName,
        callAs: config.stacksets.callAs,
        signal,
        timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }),
      },
      'delete',
      'delete stack instances',
      async () =>
        (
          await admin.send(
            new DeleteStackInstancesCommand({
              StackSetName: config.stackName,
              CallAs: config.stacksets.callAs,
              RetainStacks: false,
              Regions: [...new Set(chosen.map((i) => i.Region!))],
              DeploymentTargets: {
                OrganizationalUnitIds: [...new Set(chosen.map((i) => i.OrganizationalUnitId!))],
                ...(all ? { AccountFilterType: 'NONE' } : { Accounts: ids, AccountFilterType: 'INTERSECTION' }),
              },
            }),
          )
        ).OperationId,
    );
    const byKey = new Map(out.results.map((r) => [keyOf(r.Account ?? '', r.Region ?? ''), r]));
    for (const i of chosen) {
      const r = byKey.get(keyOf(i.Account!, i.Region!));
      const bucket = i.Region === home ? buckets.get(i.Account!) : undefined;
      const ok = r?.Status === 'SUCCEEDED';
      d.report(
        d.row(d.byId.get(i.Account!)!, i.Region!, {
          result: ok ? 'succeeded' : r?.Status === 'CANCELLED' ? 'skipped' : 'failed',
          stackStatus: ok ? 'DELETE_COMPLETE' : (r?.Status ?? null),
          error: ok ? null : (r?.StatusReason ?? `not in the operation's results (${out.status})`),
          durationMs: Date.now() - started,
          reason: ok ? 'instance deleted' : 'instance not deleted',
          retainedBuckets: bucket ? [bucket] : [],
        }),
      );
    }
  } catch (err) {
    if (!(err instanceof OperationContinues)) {
      for (const i of chosen)
        d.report(d.row(d.byId.get(i.Account!)!, i.Region!, { result: 'failed', error: describeError(err) }));
      return;
    }
    d.setStopped('signal');
    d.notes.push(
      `Interrupted: stack set operation ${err.operationId} continues in AWS; follow it with guardrail status --engine stacksets.`,
    );
  }
}
