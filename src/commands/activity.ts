// guardrail activity: what the functions decided in a time window, across every account and region.
import { activity } from '../activity/read.js';
import { progressTo } from '../output/progress.js';
import { buildQuery } from '../activity/query.js';
import { activityCsv, activityTable } from '../output/activity-table.js';
import { createReporter } from '../output/reporter.js';
import { jsonDocument } from '../output/results.js';
import { ExitCode } from '../errors.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadCommandConfig, openCommandSession, reachabilityExit, roleLine } from './target-options.js';

export async function execute(context: CommandContext<CommandOptions<'activity'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  const query = buildQuery(options, Date.now());
  const loaded = await loadCommandConfig(context, options);
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'reading logs');
  const onEvent = progressTo(reporter, 'to read');
  let report;
  try {
    report = await activity({
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      query,
      signal,
      emit: onEvent,
    });
  } finally {
    reporter.stop();
    session.close();
  }
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument('activity', report.targets, report.summary, {
        since: report.since,
        until: report.until,
        filterPattern: report.filterPattern,
        events: report.rows,
      }),
    );
  } else if (options.output === 'csv') {
    io.stdout.write(activityCsv(report));
  } else {
    // on a terminal, the table fits its width; piped, every column is as wide as its rows need
    const columns = io.isTTY ? (io.stdout as { columns?: number }).columns : undefined;
    io.stdout.write(activityTable(report, context.color, columns && columns > 0 ? { columns } : {}));
  }
  const role = roleLine(session, loaded.config.organization.roleName);
  if (role) io.stderr.write(`${role}\n`);
  if (report.interrupted || signal.aborted) return ExitCode.interrupted;
  // reverts are what guardrail is for: only logs that could not be read fail the run
  return report.summary.unreadable > 0 ? reachabilityExit(session, ExitCode.failed) : ExitCode.ok;
}
