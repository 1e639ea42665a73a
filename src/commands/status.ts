// guardrail status: per account × region, is guardrail deployed, current, enabled and untampered, and has every
// revert it tried succeeded (nothing waiting in the dead-letter queue).
import { engineFor } from '../engines/index.js';
import type { StatusReport } from '../engines/direct/status.js';
import { progressTo } from '../output/progress.js';
import { checkEngine } from '../config/index.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { jsonDocument } from '../output/results.js';
import { statusMatrix } from '../output/status-matrix.js';
import { ExitCode } from '../errors.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadCommandConfig, openCommandSession, reachabilityExit, roleLine, scpConfigFor } from './target-options.js';

/** The summary's protection line: accounts, not targets. */
function protectionLine(report: StatusReport): string {
  const s = report.summary;
  if (report.protectionError) return `protection: unknown (${report.protectionError})`;
  const mgmt = report.targets.some((r) => r.protection === 'not-applicable')
    ? ' · management account not covered by SCPs'
    : '';
  return `protection: ${s.protected} account(s) protected · ${s.protectionOutdated} outdated · ${s.unprotected} unprotected${mgmt}`;
}

/**
 * One line for the targets deployed with other settings (status run from another folder, machine or CI job with
 * another or no accounts.yaml): their version cannot be judged against this configuration.
 */
function configurationHint(report: StatusReport): string | null {
  const rows = report.targets.filter((r) => r.configuration === 'differs' && r.version === 'outdated');
  if (rows.length === 0) return null;
  const deployed = [...new Set(rows.map((r) => r.settingsDigest))].slice(0, 3).join(', ');
  const local = report.settingsDigest;
  return (
    `${rows.length} target(s): your configuration differs from the deployed one (deployed digest ${deployed}, local ${local}):` +
    " run status with the deploy's configuration (--config FILE), or deploy"
  );
}

/** Rows of the terminal when stdout is one (24 when it does not say); undefined lists every account. */
function screenRows(context: CommandContext, all: boolean | undefined): number | undefined {
  if (all || !context.io.isTTY) return undefined;
  const rows = (context.io.stdout as { rows?: number }).rows;
  return rows && rows > 0 ? rows : 24;
}

export async function execute(context: CommandContext<CommandOptions<'status'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  const loaded = await loadCommandConfig(context, options);
  checkEngine(loaded);
  const session = await openCommandSession(context, loaded.config);
  const reporter = await createReporter(io, context.color, 'checking', {
    errorsBelow: errorsBelow(io, options.output),
  });
  const onEvent = progressTo(reporter, 'to check');
  let report;
  try {
    const scpConfig = await scpConfigFor(context, options);
    const input = {
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      ...(scpConfig ? { scpConfig } : {}),
      drift: options.drift !== false,
      signal,
      emit: onEvent,
      ...(options.requireProtection ? { requireProtection: true } : {}),
    };
    report = await engineFor(loaded.config).status(input);
  } finally {
    reporter.stop();
    session.close();
  }
  const notes = report.notes;
  const role = roleLine(session, loaded.config.organization.roleName);
  if (role && options.output === 'json') notes.push(role);
  const differs = configurationHint(report);
  if (options.output === 'json') {
    const targets = report.targets.map(({ codeSha256: _sha, templateVersion: _version, ...row }) => row);
    io.stdout.write(
      jsonDocument('status', targets, report.summary, {
        engine: report.engine,
        ...(notes.length > 0 || differs ? { notes: [...notes, ...(differs ? [differs] : [])] } : {}),
        templateVersion: report.version,
        settingsDigest: report.settingsDigest,
        codeSha256: report.codeSha256,
        codeReference: report.codeReference,
        offload: session.offload.stats(),
        excluded: report.excluded,
        ...(report.protectionError ? { protectionError: report.protectionError } : {}),
      }),
    );
  } else {
    const s = report.summary;
    io.stdout.write(statusMatrix(report.targets, context.color, { screenRows: screenRows(context, options.all) }));
    io.stdout.write(
      `\nstatus: ${s.targets} targets · ${s.healthy} healthy · ${s.unhealthy} unhealthy` +
        ` (${s.drifted} drifted, ${s.outdated} outdated, ${s.missing} missing, ${s.failed} failed, ${s.targetsWithPendingReverts} with pending reverts` +
        `${s.configurationDiffers ? `, ${s.configurationDiffers} with another configuration` : ''})` +
        `${s.removed ? ` · ${s.removed} removed by guardrail remove` : ''}` +
        `${s.pendingReverts ? ` · ${s.pendingReverts} event(s) not undone in dead-letter queues: guardrail retry` : ''}` +
        `${s.targetsWithSharedPrefixLists ? ` · ${s.targetsWithSharedPrefixLists} target(s) use ${s.sharedPrefixLists} prefix list(s) owned by other accounts (above)` : ''}` +
        `${s.excludedAccounts ? ` · ${s.excludedAccounts} account(s) left out` : ''}\n`,
    );
    for (const n of notes) io.stdout.write(`  ${n}\n`);
    const differs = configurationHint(report);
    if (differs) io.stdout.write(`${differs}\n`);
    io.stdout.write(`${protectionLine(report)}\n`);
  }
  if (role) io.stderr.write(`${role}\n`);
  if (report.interrupted || signal.aborted) return ExitCode.interrupted;
  return report.summary.unhealthy > 0 ? reachabilityExit(session, ExitCode.failed) : ExitCode.ok;
}
