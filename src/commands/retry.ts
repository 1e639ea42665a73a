// guardrail retry: the events waiting in the dead-letter queues (reverts that failed) decided again by each target's
// function, after a plan and a confirmation. Exits 1 when a target failed or still has events not undone.
import { engineFor } from '../engines/index.js';
import { checkEngine } from '../config/index.js';
import { progressTo } from '../output/progress.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { retryQuestion } from '../output/prompts.js';
import { jsonDocument, resultTable } from '../output/results.js';
import { ExitCode } from '../errors.js';
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

const WHAT = 'Retrying the failed reverts';
const REVIEW = 'see what waits where first with guardrail status';

export async function execute(context: CommandContext<CommandOptions<'retry'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  const loaded = await loadCommandConfig(context, options);
  checkEngine(loaded);
  // without a terminal, --yes is required: say so before touching anything
  if (!options.yes && (!io.isTTY || !process.stdin.isTTY)) await confirmOrRequireYes(io, false, '', WHAT, REVIEW);
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'retrying', {
    errorsBelow: errorsBelow(io, options.output),
  });
  let report;
  try {
    report = await engineFor(loaded.config).retry({
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      signal,
      emit: progressTo(reporter, ''),
      confirm: async (plan) => {
        reporter.stop();
        return confirmOrRequireYes(
          io,
          options.yes,
          retryQuestion(plan.accounts, plan.regions, plan.targets, plan.events),
          WHAT,
          REVIEW,
        );
      },
    });
  } finally {
    reporter.stop();
    session.close();
  }
  const s = report.summary;
  const notes = [...report.notes];
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was retried.');
  const role = roleLine(session, loaded.config.organization.roleName);
  if (role && options.output === 'json') notes.push(role);
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument('retry', report.targets, s, { engine: report.engine, ...(notes.length > 0 ? { notes } : {}) }),
    );
  } else {
    io.stdout.write(
      resultTable(
        'retry',
        report.targets,
        {
          targets: s.targets,
          succeeded: s.succeeded,
          unchanged: s.unchanged,
          failed: s.failed,
          skipped: s.skipped,
          'events retried': s.retried,
          reverted: s.reverted,
          'still failing': s.stillFailing,
          excludedAccounts: s.excludedAccounts,
        },
        context.color,
        { notes },
      ),
    );
  }
  if (role) io.stderr.write(`${role}\n`);
  if (report.stoppedBy === 'signal' || signal.aborted) return ExitCode.interrupted;
  if (report.stoppedBy === 'declined' || s.stillFailing > 0) return ExitCode.failed;
  return s.failed > 0 ? reachabilityExit(session, ExitCode.failed) : ExitCode.ok;
}
