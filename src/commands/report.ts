// guardrail report: status and activity on one self-contained HTML page, for auditors.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildQuery } from '../activity/query.js';
import { gatherReport } from '../report/gather.js';
import { progressTo } from '../output/progress.js';
import { ExitCode, UsageError } from '../errors.js';
import { createReporter } from '../output/reporter.js';
import { reportHtml } from '../output/report-html.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadCommandConfig, openCommandSession } from './target-options.js';

export async function execute(context: CommandContext<CommandOptions<'report'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  if (!options.out) {
    throw new UsageError('say where to write the report: --out FILE, or --out - for stdout', {
      suggestion: 'For example: guardrail report --out report.html',
    });
  }
  const query = buildQuery({ since: options.since }, Date.now(), '30d');
  const loaded = await loadCommandConfig(context, options);
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'reporting');
  const onEvent = progressTo(reporter, '');
  let data;
  try {
    data = await gatherReport({
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      drift: options.drift !== false,
      query,
      signal,
      emit: onEvent,
    });
  } finally {
    reporter.stop();
    session.close();
  }
  const page = reportHtml(data);
  if (options.out === '-') {
    io.stdout.write(page);
  } else {
    const path = resolve(io.cwd ?? process.cwd(), options.out);
    await writeFile(path, page, 'utf8');
    io.stdout.write(
      `report: ${path} (${Math.ceil(Buffer.byteLength(page) / 1024)} KB; ${data.status.summary.unhealthy} unhealthy target(s), ` +
        `${data.activity.summary.events} decision(s) since ${data.activity.since})\n`,
    );
  }
  if (data.status.interrupted || data.activity.interrupted || signal.aborted) return ExitCode.interrupted;
  return data.status.summary.unhealthy > 0 || data.activity.summary.unreadable > 0 ? ExitCode.failed : ExitCode.ok;
}
