// guardrail remove: delete the stacks of some or all accounts. What the template retains (the trail bucket, the
// decision log group, the dead-letter queue of failed reverts) stays, and is named.
import { engineFor, type RemoveReport } from '../engines/index.js';
import { checkEngine, type LoadedConfig } from '../config/index.js';
import type { Session } from '../fleet/session.js';
import { progressTo } from '../output/progress.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { removeQuestion } from '../output/prompts.js';
import { jsonDocument, resultTable } from '../output/results.js';
import { ExitCode, UsageError } from '../errors.js';
import { removeApprovalStore, type StoreRemoval } from '../approvals/remove-store.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import {
  checkAccountChoice,
  confirmOrRequireYes,
  loadCommandConfig,
  openCommandSession,
  reachabilityExit,
  roleLine,
} from './target-options.js';

export async function execute(context: CommandContext<CommandOptions<'remove'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  if (options.includeApprovals && !options.allAccounts) {
    throw new UsageError('--include-approvals goes with --all-accounts only', {
      suggestion:
        'The approval store serves every account: remove it with guardrail remove --all-accounts --include-approvals.',
    });
  }
  const loaded = await loadCommandConfig(context, options);
  checkEngine(loaded);
  // without a terminal, --yes is required: say so before touching anything
  if (!options.yes && (!io.isTTY || !process.stdin.isTTY))
    await confirmOrRequireYes(io, false, '', 'Removing guardrail', 'check what is there first with guardrail status');
  const session = await openCommandSession(context, loaded.config);
  const { report, store } = await runRemove(context, loaded, session);
  const notes = removeNotes(report, store, options.allAccounts === true);
  const role = roleLine(session, loaded.config.organization.roleName);
  if (role && options.output === 'json') notes.push(role);
  writeRemoveResult(context, report, store, notes);
  if (role) io.stderr.write(`${role}\n`);
  if (report.stoppedBy === 'signal' || signal.aborted) return ExitCode.interrupted;
  if (report.stoppedBy === 'declined') return ExitCode.failed;
  if (report.summary.failed > 0) return reachabilityExit(session, ExitCode.failed);
  return store?.result === 'failed' ? ExitCode.failed : ExitCode.ok;
}

/**
 * The engine's remove with its progress display (stopped before each question and at the end), then, with
 * --include-approvals, the approval store.
 */
async function runRemove(
  context: CommandContext<CommandOptions<'remove'>>,
  loaded: LoadedConfig,
  session: Session,
): Promise<{ report: RemoveReport; store: StoreRemoval | undefined }> {
  const { io, signal, options } = context;
  const reporter = await createReporter(io, context.color, 'removing', {
    errorsBelow: errorsBelow(io, options.output),
  });
  const onEvent = progressTo(reporter, '');
  let store: StoreRemoval | undefined;
  try {
    const report = await engineFor(loaded.config).remove({
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      signal,
      emit: onEvent,
      confirm: async (plan) => {
        reporter.stop();
        return confirmOrRequireYes(
          io,
          options.yes,
          removeQuestion(plan.accounts, plan.regions, plan.stacks),
          'Removing guardrail',
          'check what is there first with guardrail status',
        );
      },
    });
    // the store last, and only when every stack is gone: the functions read it while they run
    if (options.includeApprovals && !report.stoppedBy && report.summary.failed === 0 && !signal.aborted) {
      store = await removeApprovalStore(session, loaded.config, signal, (what) => {
        io.stderr.write(`Next: ${what}\n`);
        return confirmOrRequireYes(
          io,
          options.yes,
          `Also delete ${what}?`,
          'Removing the approval store',
          'check what is there first with guardrail status',
        );
      });
    }
    return { report, store };
  } finally {
    reporter.stop();
    session.close();
  }
}

/** What was kept and why, and what to do next. */
function removeNotes(report: RemoveReport, store: StoreRemoval | undefined, allAccounts: boolean): string[] {
  const notes = bucketNotes(report.retainedBuckets);
  if (store) notes.push(storeNote(store));
  const keptOthers = report.kept.filter((k) => k.type !== 'AWS::S3::Bucket');
  if (keptOthers.length > 0)
    notes.push(`Kept by their DeletionPolicy: ${keptSummary(keptOthers)} (names in --output json, "kept").`);
  notes.push(...report.notes);
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was removed.');
  else notes.push(...afterRemoveNotes(report.targets, allAccounts));
  return notes;
}

function writeRemoveResult(
  context: CommandContext<CommandOptions<'remove'>>,
  report: RemoveReport,
  store: StoreRemoval | undefined,
  notes: string[],
): void {
  const { io, options } = context;
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument('remove', report.targets, report.summary, {
        engine: report.engine,
        retainedBuckets: report.retainedBuckets,
        kept: report.kept,
        ...(store ? { approvalStore: store } : {}),
        ...(notes.length > 0 ? { notes } : {}),
      }),
    );
  } else {
    io.stdout.write(resultTable('remove', report.targets, { ...report.summary }, context.color, { notes }));
  }
}

function storeNote(s: StoreRemoval): string {
  const where = `${s.stackName} (${s.account}/${s.region})`;
  switch (s.result) {
    case 'succeeded':
      return `Approval store ${where}: deleted; its tables are kept: ${s.kept.join(', ') || '(none named)'} (README, Uninstall).`;
    case 'unchanged':
      return `Approval store ${where}: not there.`;
    case 'skipped':
      return `Approval store ${where}: not confirmed, kept.`;
    default:
      return `Approval store ${where}: could not be deleted (${s.error ?? 'no reason given'}).`;
  }
}

/** Up to this many retained buckets are named one a line; beyond it, one line (every bucket in --output json). */
const BUCKETS_LISTED = 5;

function bucketNotes(buckets: { account: string; region: string; bucket: string }[]): string[] {
  if (buckets.length <= BUCKETS_LISTED) {
    return buckets.map((b) => `Retained trail bucket (audit logs kept): s3://${b.bucket} in ${b.account}/${b.region}`);
  }
  const accounts = new Set(buckets.map((b) => b.account)).size;
  return [
    `Retained ${buckets.length} trail buckets (audit logs kept) in ${accounts} account(s), e.g. s3://${buckets[0]!.bucket}:` +
      ' every one in --output json ("retainedBuckets")',
  ];
}

/**
 * What to do next: the accounts removed by name are to be left out of later deploys (or the next deploy puts
 * guardrail back); after --all-accounts, what guardrail still has in the organisation.
 */
function afterRemoveNotes(rows: { account: string; result: string }[], all: boolean): string[] {
  const removed = [...new Set(rows.filter((r) => r.result === 'succeeded').map((r) => r.account))].sort();
  if (removed.length === 0) return [];
  if (all) {
    return [
      'Still there: the approval store (its stack, unless --include-approvals removed it, and its retained tables),' +
        ' the guardrail-protect SCP where guardrail protect --attach put it (guardrail protect --detach), the kept log groups, queues and' +
        ' trail buckets above; the Uninstall section of the README lists the commands.',
    ];
  }
  const list = removed.map((a) => `"${a}"`).join(', ');
  return [
    `To keep ${removed.length === 1 ? 'this account' : 'these accounts'} out of later runs (deploy would put guardrail back),` +
      ` add to accounts.yaml:  organization: { excludeAccounts: [${list}] }`,
  ];
}

const KEPT_NAMES: Record<string, string> = {
  'AWS::Logs::LogGroup': 'decision log group',
  'AWS::SQS::Queue': 'dead-letter queue (failed reverts)',
};

/** "12 decision log groups, 12 dead-letter queues (failed reverts)" */
function keptSummary(kept: { type: string }[]): string {
  const counts = new Map<string, number>();
  for (const k of kept) counts.set(k.type, (counts.get(k.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} × ${KEPT_NAMES[type] ?? type}`).join(', ');
}
