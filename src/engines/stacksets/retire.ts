// Switching back (stacksets → direct) without a gap: after the direct engine's stacks stand, the stack set's
// instances in those accounts are deleted; once none is left and every account was deployed, the stack set goes too.
import {
  DeleteStackInstancesCommand,
  DeleteStackSetCommand,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { PollTimer } from '../../aws/poll-timer.js';
import type { DeployInput, DeployReport } from '../direct/deploy.js';
import { summarise, order, type TargetResult } from '../../fleet/results.js';
import { describeError } from '../../aws/describe-error.js';
import { adminClient } from './deploy.js';
import { OperationContinues, runOperation } from './operation.js';
import { describeStackSet, keyOf, listInstances } from './plan.js';
import { instanceStackName } from './rows.js';

export async function retireStackSet(input: DeployInput, report: DeployReport): Promise<DeployReport> {
  const { session, config } = input;
  const name = config.stackName;
  const callAs = config.stacksets.callAs;
  const cfn = adminClient(session, config);
  let instances: Map<string, StackInstanceSummary> | null;
  try {
    instances = await instancesOf(cfn, name, callAs);
  } catch (err) {
    return {
      ...report,
      notes: [
        ...report.notes,
        `Could not check for a stack set ${name} left by the stacksets engine: ${describeError(err)}`,
      ],
    };
  }
  if (!instances) return report;
  const held = heldInstances(report, instances);
  const notes: string[] = [];
  if (input.planOnly || report.stoppedBy) {
    if (held.length > 0)
      notes.push(
        `Switching engines: stack set ${name} holds ${held.length} instance(s) in these accounts; once the direct stacks stand, ` +
          'those instances are deleted (new before old), and the stack set too when none is left.',
      );
    return { ...report, notes: [...report.notes, ...notes] };
  }
  const rows: TargetResult[] = [];
  if (held.length > 0) {
    try {
      rows.push(...(await retireInstances(input, report, cfn, instances, held)));
    } catch (err) {
      if (!(err instanceof OperationContinues)) throw err;
      notes.push(
        `Interrupted: stack set operation ${err.operationId} continues in AWS; follow it with guardrail status --engine stacksets.`,
      );
      return { ...report, stoppedBy: 'signal', notes: [...report.notes, ...notes] };
    }
  }
  await deleteEmptyStackSet(input, cfn, notes);
  const targets = order([...report.targets, ...rows]);
  return {
    ...report,
    targets,
    summary: summarise(targets, report.excluded.length),
    notes: [...report.notes, ...notes],
  };
}

type AdminClient = ReturnType<typeof adminClient>;

/** The stack set's instances; null when there is no stack set. */
async function instancesOf(cfn: AdminClient, name: string, callAs: DeployInput['config']['stacksets']['callAs']) {
  if (!(await describeStackSet(cfn, name, callAs))) return null;
  return listInstances(cfn, name, callAs);
}

/** The instances in accounts whose direct stacks all stand (succeeded or unchanged): only those may go. */
function heldInstances(report: DeployReport, instances: Map<string, StackInstanceSummary>): StackInstanceSummary[] {
  const ok = (id: string) =>
    report.targets.filter((r) => r.account === id).every((r) => r.result === 'succeeded' || r.result === 'unchanged');
  const accounts = [...new Set(report.targets.map((r) => r.account))].filter((id) => ok(id));
  return [...instances.values()].filter((i) => accounts.includes(i.Account ?? ''));
}

/** Deletes the held instances in one operation; a row per instance in its results. */
async function retireInstances(
  input: DeployInput,
  report: DeployReport,
  cfn: AdminClient,
  instances: Map<string, StackInstanceSummary>,
  held: StackInstanceSummary[],
): Promise<TargetResult[]> {
  const { config } = input;
  const name = config.stackName;
  const callAs = config.stacksets.callAs;
  const started = Date.now();
  const ids = [...new Set(held.map((i) => i.Account!))];
  const ous = [...new Set(held.map((i) => i.OrganizationalUnitId ?? ''))].filter(Boolean);
  const regions = [...new Set(held.map((i) => i.Region!))];
  const out = await runOperation(
    {
      cfn,
      stackSetName: name,
      callAs,
      signal: input.signal,
      timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }),
    },
    'delete',
    'retire stack set instances',
    async () =>
      (
        await cfn.send(
          new DeleteStackInstancesCommand({
            StackSetName: name,
            CallAs: callAs,
            Regions: regions,
            RetainStacks: false,
            DeploymentTargets: { OrganizationalUnitIds: ous, Accounts: ids, AccountFilterType: 'INTERSECTION' },
          }),
        )
      ).OperationId,
  );
  return out.results.map((r): TargetResult => {
    const inst = instances.get(keyOf(r.Account ?? '', r.Region ?? ''));
    return {
      account: r.Account ?? '',
      accountName: report.targets.find((t) => t.account === r.Account)?.accountName ?? '',
      region: r.Region ?? '',
      stackName: instanceStackName(name, inst),
      action: 'delete',
      result: r.Status === 'SUCCEEDED' ? 'succeeded' : 'failed',
      stackStatus: r.Status ?? null,
      error: r.Status === 'SUCCEEDED' ? null : (r.StatusReason ?? r.Status ?? 'unknown'),
      durationMs: Date.now() - started,
      reason: 'stack set instance retired: the direct stack replaces it',
    };
  });
}

/** The stack set goes once it is empty and every account was deployed; otherwise it says what it keeps. */
async function deleteEmptyStackSet(input: DeployInput, cfn: AdminClient, notes: string[]): Promise<void> {
  const name = input.config.stackName;
  const callAs = input.config.stacksets.callAs;
  const left = await listInstances(cfn, name, callAs);
  if (left.size === 0 && input.selectedAccounts === null) {
    await cfn.send(new DeleteStackSetCommand({ StackSetName: name, CallAs: callAs }));
    notes.push(
      `Deleted the empty stack set ${name}: every account now has its direct stack (auto-deployment ends with it).`,
    );
  } else if (left.size > 0) {
    notes.push(
      `Stack set ${name} keeps ${left.size} instance(s) (accounts not deployed directly in this run); auto-deployment still applies to its OUs.`,
    );
  }
}
