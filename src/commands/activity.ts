// guardrail activity: what the functions decided in a time window, across every account and region.
import { activity, type ActivityEvent } from '../activity/read.js';
import { buildQuery, type QueryFlags } from '../activity/query.js';
import { activityCsv, activityTable } from '../output/activity-table.js';
import { createReporter } from '../output/reporter.js';
import { jsonDocument } from '../output/results.js';
import type { CommandContext } from './context.js';
import { loadCommandConfig, openCommandSession, type TargetOptions } from './target-options.js';

interface ActivityOptions extends TargetOptions, QueryFlags {
  output: 'table' | 'json' | 'csv';
}

const RESULT = { read: 'succeeded', 'not-deployed': 'skipped', unreadable: 'failed' } as const;

export async function execute(context: CommandContext): Promise<number> {
  const options = context.options as unknown as ActivityOptions;
  const { io, signal } = context;
  const query = buildQuery(options, Date.now());
  const loaded = await loadCommandConfig(context, options);
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'reading logs');
  const onEvent = (e: ActivityEvent) => {
    switch (e.type) {
      case 'discovered': reporter.note(`${e.accounts} account(s) to read${e.excluded ? `, ${e.excluded} left out` : ''}`); break;
      case 'phase': reporter.phase(e.phase, e.targets); break;
      case 'start': reporter.started(e.target); break;
      case 'done': reporter.finished({ ...e.target, result: RESULT[e.target.status], error: e.target.error }); break;
    }
  };
  let report;
  try {
    report = await activity({ session, config: loaded.config, selectedAccounts: loaded.selectedAccounts, query, signal, emit: onEvent });
  } finally {
    reporter.stop();
    session.close();
  }
  if (options.output === 'json') {
    io.stdout.write(jsonDocument('activity', report.targets, report.summary,
      { since: report.since, until: report.until, filterPattern: report.filterPattern, events: report.rows }));
  } else if (options.output === 'csv') {
    io.stdout.write(activityCsv(report));
  } else {
    io.stdout.write(activityTable(report, context.color));
  }
  if (report.interrupted || signal.aborted) return 130;
  // reverts are what guardrail is for: only logs that could not be read fail the run
  return report.summary.unreadable > 0 ? 1 : 0;
}
