// guardrail protect --detach: the plan (where guardrail-protect is attached), a confirmation (--yes without a
// terminal), then detach and delete. Apart from protect.ts, which attaches.
import { applyDetach, planDetach, type DetachPlan } from '../protection/detach.js';
import { POLICY_NAME } from '../protection/scp-render.js';
import { ExitCode, UsageError } from '../errors.js';
import { jsonDocument } from '../output/results.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';
import { confirmOrRequireYes, openCommandSession } from './target-options.js';

function planLines(plan: DetachPlan): string[] {
  if (!plan.policyId) return [`${POLICY_NAME}: not in the organisation, nothing to detach`];
  return [
    `${POLICY_NAME} (${plan.policyId}): detach and delete`,
    ...plan.targets.map((t) => `  detach from ${t.targetId} (${t.type}${t.name ? `, ${t.name}` : ''})`),
    `  delete ${plan.policyId}`,
    '  then member-account administrators can disable or delete guardrail again (status still reports it)',
  ];
}

export async function executeDetach(context: CommandContext<CommandOptions<'protect'>>): Promise<number> {
  const { io, options } = context;
  if (options.attach) {
    throw new UsageError('--attach and --detach cannot be used together', {
      suggestion: 'Pass one of them (with --plan to only see what it would do).',
    });
  }
  const what = `Detaching the ${POLICY_NAME} SCP`;
  if (!options.yes && !options.plan && (!io.isTTY || !process.stdin.isTTY)) {
    await confirmOrRequireYes(io, false, '', what, 'review it first with guardrail protect --detach --plan');
  }
  const { config } = await loadSettings(context, options.config, {});
  const session = await openCommandSession(context, config);
  try {
    const org = session.organizations();
    const plan = await planDetach(org);
    let applied = false;
    if (!options.plan && plan.policyId) {
      io.stderr.write(`${planLines(plan).join('\n')}\n`);
      if (
        !(await confirmOrRequireYes(
          io,
          options.yes,
          `Detach and delete ${POLICY_NAME} as above?`,
          what,
          'review it first with guardrail protect --detach --plan',
        ))
      ) {
        io.stderr.write('Not confirmed: nothing was changed.\n');
        return ExitCode.failed;
      }
      await applyDetach(org, plan, (m) => io.stderr.write(`${m}\n`));
      applied = true;
    }
    if (options.output === 'json') {
      io.stdout.write(
        jsonDocument(
          'protect',
          plan.targets.map((t) => ({ ...t, action: 'detach', result: applied ? 'succeeded' : 'planned' })),
          { targets: plan.targets.length },
          { applied, policyId: plan.policyId, policyAction: plan.policyId ? 'delete' : 'none' },
        ),
      );
    } else {
      io.stdout.write(
        `${[...planLines(plan), '', applied ? 'protect --detach: done' : options.plan ? 'protect --detach --plan (nothing changed)' : 'protect --detach: nothing to change'].join('\n')}\n`,
      );
    }
    return ExitCode.ok;
  } finally {
    session.close();
  }
}
