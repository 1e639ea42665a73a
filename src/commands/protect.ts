// guardrail protect: print the service control policy for this configuration; --plan shows what attaching would
// change; --attach (with --yes without a terminal) enables SCPs if needed, creates or updates guardrail-protect and
// attaches it to the configuration's targets.
import { applyProtect, planIsEmpty, planProtect, renderChecked, type ProtectPlan } from '../protection/attach.js';
import { POLICY_NAME, SCP_CHARACTER_LIMIT } from '../protection/scp-render.js';
import { ExitCode, GuardrailError } from '../errors.js';
import { jsonDocument } from '../output/results.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { loadSettings } from './load-settings.js';
import { confirmOrRequireYes, openCommandSession } from './target-options.js';
import { executeDetach } from './protect-detach.js';

/** The policy operations need the management account (or a delegated administrator for policies). */
function organisationError(err: unknown): never {
  const name = (err as Error).name;
  if (name === 'AccessDeniedException' || name === 'AWSOrganizationsNotInUseException') {
    throw new GuardrailError(
      'ORGANIZATIONS',
      ExitCode.usage,
      `Could not read the organisation's service control policies (${name}: ${(err as Error).message})`,
      {
        suggestion:
          "Run guardrail protect with the management account's credentials (or a delegated administrator for " +
          'Organizations policies), or print the policy with plain `guardrail protect` and attach it yourself.',
        cause: err,
      },
    );
  }
  throw err;
}

function planLines(plan: ProtectPlan, applied = false): string[] {
  const lines = [
    `${POLICY_NAME}${plan.policyId ? ` (${plan.policyId})` : ''}: ${plan.policy.characters} of ${SCP_CHARACTER_LIMIT} characters`,
  ];
  if (plan.enablePolicyType)
    lines.push(`  ${applied ? 'enabled' : 'enable'} service control policies on the root ${plan.rootId}`);
  const done = { create: 'created', update: 'updated', none: 'current' }[plan.policyAction];
  lines.push(`  policy: ${applied ? done : plan.policyAction === 'none' ? 'current' : plan.policyAction}`);
  for (const t of plan.targets) {
    const verb = t.action === 'attach' ? (applied ? 'attached to' : 'attach to') : 'already on';
    lines.push(`  ${verb} ${t.targetId} (${t.type})${applied ? '' : `: ${t.reason}`}`);
  }
  for (const id of plan.elsewhere)
    lines.push(`  also attached to ${id}, which the configuration does not name (left alone)`);
  return lines;
}

export async function execute(context: CommandContext<CommandOptions<'protect'>>): Promise<number> {
  const options = context.options;
  const { io } = context;
  if (options.detach) return executeDetach(context);
  const { config } = await loadSettings(context, options.config, {});
  const policy = renderChecked(config);
  if (!options.plan && !options.attach) {
    if (options.output === 'json') {
      io.stdout.write(
        jsonDocument(
          'protect',
          [],
          { targets: 0 },
          {
            policy: {
              name: policy.name,
              characters: policy.characters,
              limit: SCP_CHARACTER_LIMIT,
              document: JSON.parse(policy.content) as unknown,
            },
          },
        ),
      );
    } else {
      io.stdout.write(`${policy.pretty}\n`);
      io.stderr.write(
        `${POLICY_NAME}: ${policy.characters} of ${SCP_CHARACTER_LIMIT} characters as attached (compact JSON). ` +
          'Review it, or attach it with guardrail protect --attach.\n',
      );
    }
    return ExitCode.ok;
  }
  if (options.attach && !options.yes && (!io.isTTY || !process.stdin.isTTY)) {
    await confirmOrRequireYes(
      io,
      false,
      '',
      'Attaching the guardrail-protect SCP',
      'review it first with guardrail protect --plan',
    );
  }
  const session = await openCommandSession(context, config);
  try {
    const org = session.organizations();
    const plan = await planProtect(org, config).catch(organisationError);
    let applied = false;
    if (options.attach && !planIsEmpty(plan)) {
      io.stderr.write(`${planLines(plan).join('\n')}\n`);
      const ok = await confirmOrRequireYes(
        io,
        options.yes,
        'Attach the guardrail-protect SCP as above?',
        'Attaching the guardrail-protect SCP',
        'review it first with guardrail protect --plan',
      );
      if (!ok) {
        io.stderr.write('Not confirmed: nothing was changed.\n');
        return ExitCode.failed;
      }
      plan.policyId = await applyProtect(org, plan, (e) => io.stderr.write(`${e.message}\n`));
      applied = true;
    }
    write(context, options, plan, applied);
    return ExitCode.ok;
  } finally {
    session.close();
  }
}

function write(context: CommandContext, options: CommandOptions<'protect'>, plan: ProtectPlan, applied: boolean): void {
  const { io } = context;
  const targets = plan.targets.map((t) => ({
    ...t,
    result: options.attach ? (t.action === 'attach' ? 'succeeded' : 'unchanged') : 'planned',
  }));
  if (options.output === 'json') {
    io.stdout.write(
      jsonDocument(
        'protect',
        targets,
        {
          targets: targets.length,
          attach: plan.targets.filter((t) => t.action === 'attach').length,
        },
        {
          applied,
          rootId: plan.rootId,
          enablePolicyType: plan.enablePolicyType,
          policyId: plan.policyId,
          policyAction: plan.policyAction,
          elsewhere: plan.elsewhere,
          policy: {
            name: plan.policy.name,
            characters: plan.policy.characters,
            limit: SCP_CHARACTER_LIMIT,
            document: JSON.parse(plan.policy.content) as unknown,
          },
        },
      ),
    );
    return;
  }
  const head = options.attach
    ? applied
      ? 'protect: done'
      : 'protect: nothing to change'
    : 'protect --plan (nothing changed)';
  io.stdout.write(`${[...planLines(plan, applied), '', head].join('\n')}\n`);
}
