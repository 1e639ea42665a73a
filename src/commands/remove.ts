// guardrail remove: delete the stacks of some or all accounts. What the template retains (the trail bucket, the
// decision log group, the dead-letter queue of failed reverts) stays, and is named.
import { engineFor } from '../engines/index.js';
import { checkEngine } from '../config/index.js';
import { progressTo } from '../output/progress.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { removeQuestion } from '../output/prompts.js';
import { jsonDocument, resultTable } from '../output/results.js';
import { ExitCode } from '../errors.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import {
  checkAccountChoice, confirmOrRequireYes, loadCommandConfig, openCommandSession, reachabilityExit, roleLine,
} from './target-options.js';

export async function execute(context: CommandContext<CommandOptions<'remove'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  const loaded = await loadCommandConfig(context, options);
  checkEngine(loaded);
  // without a terminal, --yes is required: say so before touching anything
  if (!options.yes && (!io.isTTY || !process.stdin.isTTY)) await confirmOrRequireYes(io, false, '', 'Removing guardrail', 'check what is there first with guardrail status');
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'removing', { errorsBelow: errorsBelow(io, options.output) });
  const onEvent = progressTo(reporter, '');
  let report;
  try {
    report = await engineFor(loaded.config).remove({
      session, config: loaded.config, selectedAccounts: loaded.selectedAccounts, signal, emit: onEvent,
      confirm: async (plan) => {
        reporter.stop();
        return confirmOrRequireYes(io, options.yes, removeQuestion(plan.accounts, plan.regions, plan.stacks), 'Removing guardrail',
          'check what is there first with guardrail status');
      },
    });
  } finally {
    reporter.stop();
    session.close();
  }
  const notes = report.retainedBuckets.map((b) =>
    `Retained trail bucket (audit logs kept): s3://${b.bucket} in ${b.account}/${b.region}`);
  const keptOthers = report.kept.filter((k) => k.type !== 'AWS::S3::Bucket');
  if (keptOthers.length > 0) notes.push(`Kept by their DeletionPolicy: ${keptSummary(keptOthers)} (names in --output json, "kept").`);
  notes.push(...report.notes);
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was removed.');
  const role = roleLine(session, loaded.config.organization.roleName);
  if (role && options.output === 'json') notes.push(role);
  if (options.output === 'json') {
    io.stdout.write(jsonDocument('remove', report.targets, report.summary, { engine: report.engine, retainedBuckets: report.retainedBuckets,
      kept: report.kept, ...(notes.length > 0 ? { notes } : {}) }));
  } else {
    io.stdout.write(resultTable('remove', report.targets, { ...report.summary }, context.color, { notes }));
  }
  if (role) io.stderr.write(`${role}\n`);
  if (report.stoppedBy === 'signal' || signal.aborted) return ExitCode.interrupted;
  if (report.stoppedBy === 'declined') return ExitCode.failed;
  return report.summary.failed > 0 ? reachabilityExit(session, ExitCode.failed) : ExitCode.ok;
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
