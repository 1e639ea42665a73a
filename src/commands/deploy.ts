// guardrail deploy: options → engine → reporter → exit code. No AWS calls of its own.
import { engineFor, type DeployReport, type Engine } from '../engines/index.js';
import type { PlanCounts } from '../engines/direct/deploy.js';
import { progressTo } from '../output/progress.js';
import { createReporter, errorsBelow } from '../output/reporter.js';
import { deployQuestion } from '../output/prompts.js';
import { jsonDocument, resultTable } from '../output/results.js';
import { rollUpPlan } from '../output/plan-rollup.js';
import { checkEngine, checkTrailHome, type LoadedConfig } from '../config/index.js';
import type { Session } from '../fleet/session.js';
import { checkApprovals } from '../approvals/place.js';
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

export async function execute(context: CommandContext<CommandOptions<'deploy'>>): Promise<number> {
  const options = context.options;
  const { io, signal } = context;
  checkAccountChoice(options.allAccounts, options.account);
  const loaded = await loadCommandConfig(context, options);
  checkTrailHome(loaded);
  checkEngine(loaded);
  checkApprovals(loaded.config);
  const { config } = loaded;
  const engine = engineFor(config);

  const session = await openCommandSession(context, config);
  const report = await runDeploy(context, loaded, session, engine);

  const notes = deployNotes(report);
  const role = roleLine(session, config.organization.roleName);
  if (role && options.output === 'json') notes.push(role);
  const s = report.summary;
  if (!options.plan && s.targets > 0 && s.unchanged === s.targets)
    notes.push('Nothing to change: every stack is current.');
  writeDeployResult(context, report, session, notes);
  if (role) io.stderr.write(`${role}\n`);
  if (report.stoppedBy === 'signal' || signal.aborted) return ExitCode.interrupted;
  if (report.stoppedBy === 'declined') return ExitCode.failed;
  if (report.summary.failed > 0 || report.stoppedBy === 'store') return reachabilityExit(session, ExitCode.failed);
  return ExitCode.ok;
}

/** The engine's deploy (or plan) with its progress display, which stops before the question and at the end. */
async function runDeploy(
  context: CommandContext<CommandOptions<'deploy'>>,
  loaded: LoadedConfig,
  session: Session,
  engine: Engine,
): Promise<DeployReport> {
  const { io, signal, options } = context;
  const reporter = await createReporter(io, context.color, options.plan ? 'planning' : 'deploying', {
    errorsBelow: errorsBelow(io, options.output),
  });
  const onEvent = progressTo(reporter, 'to target');
  try {
    const input = {
      session,
      config: loaded.config,
      selectedAccounts: loaded.selectedAccounts,
      planOnly: options.plan === true,
      signal,
      emit: onEvent,
      yes: options.yes === true,
      confirm: async (plan: PlanCounts) => {
        reporter.stop();
        return confirmOrRequireYes(io, options.yes, deployQuestion(plan), `Changing ${plan.accounts} accounts`);
      },
    };
    return await engine.deploy(input);
  } finally {
    reporter.stop();
    session.close();
  }
}

/** Why the run stopped, what it left out, and what became of the approval store. */
function deployNotes(report: DeployReport): string[] {
  const notes: string[] = [...report.notes];
  if (report.excluded.length > 0)
    notes.push(`${report.excluded.length} account(s) left out (suspended, excluded account or OU).`);
  if (report.stoppedBy === 'tolerance')
    notes.push(`Stopped early: more targets failed than the failure tolerance allows; the rest were skipped.`);
  if (report.stoppedBy === 'canary') notes.push('Stopped after the canary: it failed, so nothing else was started.');
  if (report.stoppedBy === 'signal') notes.push('Interrupted: targets not yet started were skipped.');
  if (report.stoppedBy === 'declined') notes.push('Not confirmed: nothing was changed.');
  const store = report.approvalStore;
  if (store) {
    notes.push(
      `Approval store ${store.stackName} (${store.account}/${store.region}): ${store.result}` +
        `${store.error ? ` (${store.error})` : store.reason ? ` (${store.reason})` : ''}.`,
    );
  }
  if (report.stoppedBy === 'store')
    notes.push('Stopped: the approval store could not be deployed, so no target was started.');
  return notes;
}

function writeDeployResult(
  context: CommandContext<CommandOptions<'deploy'>>,
  report: DeployReport,
  session: Session,
  notes: string[],
): void {
  const { io, options } = context;
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument('deploy', report.targets, report.summary, {
        engine: report.engine,
        templateVersion: report.version,
        stoppedBy: report.stoppedBy,
        excluded: report.excluded,
        offload: session.offload.stats(),
        ...(report.approvalStore ? { approvalStore: report.approvalStore } : {}),
        ...(report.operations.length > 0 ? { operations: report.operations } : {}),
        ...(report.templateBuckets?.length ? { templateBuckets: report.templateBuckets } : {}),
        ...(notes.length > 0 ? { notes } : {}),
      }),
    );
  } else {
    // a plan on the terminal: one line per reason shared by many targets (--verbose lists each)
    const rollup = options.plan && !options.verbose ? rollUpPlan(report.targets) : { lines: [], rows: report.targets };
    if (rollup.lines.length > 0) io.stdout.write(`${rollup.lines.join('\n')}\n\n`);
    io.stdout.write(
      resultTable(options.plan ? 'plan' : 'deploy', rollup.rows, { ...report.summary }, context.color, {
        planned: options.plan === true,
        notes,
      }),
    );
  }
}
