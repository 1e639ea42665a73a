// guardrail baseline: the current rules of every security group in each target recorded in the rule records table,
// after a plan and a confirmation; what a modified rule is restored to when the function has no later record.
// Exits 1 when a target failed.
import { baseline, type BaselineReport } from '../approvals/baseline.js';
import type { LoadedConfig } from '../config/index.js';
import type { Session } from '../fleet/session.js';
import { progressTo } from '../output/progress.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { baselineQuestion } from '../output/prompts.js';
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

const WHAT = 'Recording the baseline of rule definitions';
const REVIEW = "it writes only guardrail's rule records, never a security group";

export async function execute(context: CommandContext<CommandOptions<'baseline'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  const loaded = await loadCommandConfig(context, options);
  // without a terminal, --yes is required: say so before touching anything
  if (!options.yes && (!io.isTTY || !process.stdin.isTTY)) await confirmOrRequireYes(io, false, '', WHAT, REVIEW);
  const session = await openCommandSession(context, loaded.config);
  const report = await recordBaseline(context, loaded, session);
  const role = roleLine(session, loaded.config.organization.roleName);
  const notes = baselineNotes(report, role, options.output === 'json');
  writeBaselineResult(context, report, notes);
  if (role) io.stderr.write(`${role}\n`);
  if (report.stoppedBy === 'signal' || signal.aborted) return ExitCode.interrupted;
  if (report.stoppedBy === 'declined') return ExitCode.failed;
  return report.summary.failed > 0 ? reachabilityExit(session, ExitCode.failed) : ExitCode.ok;
}

/** The plan, the confirmation and the recording; the progress display stops before the question and at the end. */
async function recordBaseline(
  context: CommandContext<CommandOptions<'baseline'>>,
  loaded: LoadedConfig,
  session: Session,
): Promise<BaselineReport> {
  const { io, signal, options } = context;
  const reporter = await createReporter(io, context.color, 'recording', {
    errorsBelow: errorsBelow(io, options.output),
  });
  try {
    return await baseline({
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
          baselineQuestion(
            plan.accounts,
            plan.regions,
            plan.table,
            `account ${plan.storeAccount}, ${plan.storeRegion}`,
          ),
          WHAT,
          REVIEW,
        );
      },
    });
  } finally {
    reporter.stop();
    session.close();
  }
}

function baselineNotes(report: BaselineReport, role: string | undefined, json: boolean): string[] {
  const s = report.summary;
  const notes: string[] = [];
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was recorded.');
  if (s.openToWorld > 0) {
    notes.push(
      `${s.openToWorld} rule(s) open to 0.0.0.0/0 or ::/0 were recorded as they are: a modification of one is ` +
        'restored to that. Review them (guardrail baseline --output json lists the targets).',
    );
  }
  if (role && json) notes.push(role);
  return notes;
}

function writeBaselineResult(
  context: CommandContext<CommandOptions<'baseline'>>,
  report: BaselineReport,
  notes: string[],
): void {
  const { io, options } = context;
  const s = report.summary;
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument('baseline', report.targets, s, { table: report.table, ...(notes.length > 0 ? { notes } : {}) }),
    );
  } else {
    io.stdout.write(
      resultTable(
        'baseline',
        report.targets,
        {
          targets: s.targets,
          succeeded: s.succeeded,
          unchanged: s.unchanged,
          failed: s.failed,
          skipped: s.skipped,
          groups: s.groups,
          rules: s.rules,
          recorded: s.recorded,
          'already recorded later': s.newer,
          'open to the world': s.openToWorld,
          excludedAccounts: s.excludedAccounts,
        },
        context.color,
        { notes },
      ),
    );
  }
}
