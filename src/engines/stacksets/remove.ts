// remove with engine stacksets: the chosen accounts' stack instances are deleted in one stack set operation (their
// trail buckets are retained, and named); with --all-accounts the empty stack set is deleted too. Directly
// deployed accounts (the management account) are removed by the direct engine.
import {
  DeleteStackInstancesCommand, DeleteStackSetCommand, DescribeStackResourceCommand, type StackInstanceSummary,
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
    const out = await cfn.send(new DescribeStackResourceCommand({ StackName: inst.StackId!, LogicalResourceId: 'TrailBucket' }));
    return out.StackResourceDetail?.PhysicalResourceId ?? null;
  } catch {
    return null;
  }
}

export async function removeStackSets(input: RemoveInput): Promise<StackSetsRemoveReport> {
  const { session, config, emit } = input;
  await checkDelegatedAdmin(session.organizations(), config, session.identity.account);
  const { set, viaSet, direct, notes } = await splitTargets(session, config, input.selectedAccounts, emit);
  const directReport = direct.length > 0
    ? await removeDirect({ ...input, selectedAccounts: direct.map((a) => a.id), emit: (e) => { if (e.type !== 'discovered') emit(e); } })
    : undefined;
  const results: RemoveResult[] = [...(directReport?.targets ?? [])];
  const report = (r: RemoveResult) => { results.push(r); emit({ type: 'done', outcome: resultOutcome(r) }); };
  let stoppedBy: RemoveReport['stoppedBy'] = directReport?.stoppedBy ?? null;
  const finish = (): StackSetsRemoveReport => {
    results.sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region));
    return { engine: 'stacksets', notes, targets: results, summary: summarise(results, set.excluded.length), stoppedBy,
      kept: results.flatMap((r) => (r.kept ?? []).map((k) => ({ account: r.account, region: r.region, ...k }))),
      retainedBuckets: results.flatMap((r) => r.retainedBuckets.map((bucket) => ({ account: r.account, region: r.region, bucket }))) };
  };
  const admin = adminClient(session, config);
  const callAs = config.stacksets.callAs;
  const name = config.stackName;
  if (!(await describeStackSet(admin, name, callAs))) { notes.push(`Stack set ${name} does not exist: nothing to remove there.`); return finish(); }
  const instances = await listInstances(admin, name, callAs);
  const byId = new Map(viaSet.map((a) => [a.id, a]));
  const regions = config.regions as string[];
  const chosen = [...instances.values()].filter((i) => byId.has(i.Account ?? '') && regions.includes(i.Region ?? ''));
  const row = (a: TargetAccount, region: string, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>): RemoveResult => ({
    account: a.id, accountName: a.name, region, stackName: stackNameOf(instances.get(keyOf(a.id, region))?.StackId) ?? `StackSet-${name}-(none)`,
    action: 'delete', stackStatus: instances.get(keyOf(a.id, region))?.Status ?? null, error: null, durationMs: 0, reason: '', retainedBuckets: [], ...fields,
  });
  for (const a of viaSet) for (const region of regions) {
    if (!instances.has(keyOf(a.id, region))) report(row(a, region, { result: 'unchanged', action: 'none', reason: 'no stack instance' }));
  }
  if (chosen.length > 0 && !stoppedBy) {
    const plan = {
      accounts: [...new Set(chosen.map((i) => i.Account!))].sort().map((id) => ({ id, name: byId.get(id)?.name ?? id })),
      regions: [...new Set(chosen.map((i) => i.Region!))].sort(), stacks: chosen.length,
    };
    if (!(await input.confirm(plan))) {
      stoppedBy = 'declined';
      for (const i of chosen) report(row(byId.get(i.Account!)!, i.Region!, { result: 'skipped', reason: 'not confirmed' }));
      return finish();
    }
    await deleteInstances({ input, admin, chosen, instances, byId, row, report, notes, setStopped: (s) => { stoppedBy = s; } });
  }
  const left = await listInstances(admin, name, callAs);
  if (input.selectedAccounts === null && left.size === 0 && !stoppedBy) {
    await admin.send(new DeleteStackSetCommand({ StackSetName: name, CallAs: callAs }));
    notes.push(`Deleted the stack set ${name} (auto-deployment ends with it).`);
  } else if (input.selectedAccounts === null && left.size > 0) {
    notes.push(`Stack set ${name} still holds ${left.size} instance(s) outside this run's accounts or regions, so it was kept.`);
  }
  return finish();
}

interface DeleteInput {
  input: RemoveInput;
  admin: ReturnType<typeof adminClient>;
  chosen: StackInstanceSummary[];
  instances: Map<string, StackInstanceSummary>;
  byId: Map<string, TargetAccount>;
  row(a: TargetAccount, region: string, fields: Partial<RemoveResult> & Pick<RemoveResult, 'result'>): RemoveResult;
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
    const out = await runOperation({ cfn: admin, stackSetName: config.stackName, callAs: config.stacksets.callAs, signal,
      timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }) }, 'delete', 'delete stack instances',
    async () => (await admin.send(new DeleteStackInstancesCommand({
      StackSetName: config.stackName, CallAs: config.stacksets.callAs, RetainStacks: false,
      Regions: [...new Set(chosen.map((i) => i.Region!))],
      DeploymentTargets: { OrganizationalUnitIds: [...new Set(chosen.map((i) => i.OrganizationalUnitId!))],
        ...(all ? { AccountFilterType: 'NONE' } : { Accounts: ids, AccountFilterType: 'INTERSECTION' }) },
    }))).OperationId);
    const byKey = new Map(out.results.map((r) => [keyOf(r.Account ?? '', r.Region ?? ''), r]));
    for (const i of chosen) {
      const r = byKey.get(keyOf(i.Account!, i.Region!));
      const bucket = i.Region === home ? buckets.get(i.Account!) : undefined;
      const ok = r?.Status === 'SUCCEEDED';
      d.report(d.row(d.byId.get(i.Account!)!, i.Region!, {
        result: ok ? 'succeeded' : r?.Status === 'CANCELLED' ? 'skipped' : 'failed', stackStatus: ok ? 'DELETE_COMPLETE' : r?.Status ?? null,
        error: ok ? null : r?.StatusReason ?? `not in the operation's results (${out.status})`, durationMs: Date.now() - started,
        reason: ok ? 'instance deleted' : 'instance not deleted', retainedBuckets: bucket ? [bucket] : [],
      }));
    }
  } catch (err) {
    if (!(err instanceof OperationContinues)) {
      for (const i of chosen) d.report(d.row(d.byId.get(i.Account!)!, i.Region!, { result: 'failed', error: describeError(err) }));
      return;
    }
    d.setStopped('signal');
    d.notes.push(`Interrupted: stack set operation ${err.operationId} continues in AWS; follow it with guardrail status --engine stacksets.`);
  }
}
