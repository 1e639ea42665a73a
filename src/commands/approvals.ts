// guardrail approvals [--all] [--account ID]: list approvals. guardrail approvals revoke ID --reason TEXT: end one.
import { loadConfig } from '../config/index.js';
import { ACCOUNT_ID } from '../config/schema.js';
import { describeRule } from '../approvals/rule.js';
import { listApprovals, requireApprovals, revokeApproval, type ListedApproval } from '../approvals/manage.js';
import { ExitCode, UsageError } from '../errors.js';
import { packageVersion } from '../version.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { openCommandSession } from './target-options.js';

/** Its flags, and the positional arguments (`[revoke ID]` in the registry). */
interface ApprovalsOptions extends CommandOptions<'approvals'> {
  args: string[];
}

function table(rows: ListedApproval[]): string {
  if (rows.length === 0) return 'no approvals\n';
  const cells = rows.map((a) => [
    a.id,
    a.state,
    `${a.account}/${a.region}`,
    a.groupId,
    a.rules.map(describeRule).join('; '),
    a.expiresAt,
    a.approver,
    a.revokeReason ? `${a.reason} (revoked: ${a.revokeReason})` : a.reason,
  ]);
  const head = ['ID', 'STATE', 'ACCOUNT/REGION', 'GROUP', 'RULES', 'EXPIRES', 'APPROVER', 'REASON'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...cells.map(line)].join('\n')}\n`;
}

export async function execute(context: CommandContext<ApprovalsOptions>): Promise<number> {
  const o = context.options;
  const { io } = context;
  const [action, id, ...extra] = o.args;
  if (action !== undefined && action !== 'revoke') {
    throw new UsageError(`unknown action "${action}"`, {
      suggestion: 'Use guardrail approvals [--all] [--account ID], or guardrail approvals revoke ID --reason TEXT.',
    });
  }
  if (action === 'revoke' && (!id || extra.length > 0 || !o.reason?.trim())) {
    throw new UsageError('revoke takes one approval id and a reason', {
      problems: [
        ...(!id ? [{ path: 'ID', message: 'missing the approval id (apr-…)' }] : []),
        ...(!o.reason?.trim() ? [{ path: '--reason', message: 'say why the approval ends early' }] : []),
      ],
      suggestion: 'guardrail approvals revoke apr-0123456789abcdef --reason "partner test finished"',
    });
  }
  if (o.account !== undefined && !ACCOUNT_ID.test(o.account)) {
    throw new UsageError('Invalid value for --account', {
      problems: [{ path: '--account', message: `expected a 12-digit account id, got "${o.account}"` }],
    });
  }
  const { config } = await loadConfig(o.config, {}, io.cwd === undefined ? {} : { cwd: io.cwd });
  requireApprovals(config);
  const session = await openCommandSession(context, config);
  try {
    if (action === 'revoke') {
      const { approval, revoked } = await revokeApproval({ session, config, id: id!, reason: o.reason!.trim() });
      if (o.output === 'json') {
        io.stdout.write(
          `${JSON.stringify({ command: 'approvals revoke', version: packageVersion(), approval: approval.id, revoked }, null, 2)}\n`,
        );
      } else {
        io.stdout.write(
          revoked
            ? `revoked ${approval.id}: its rules on ${approval.groupId} are removed by the next sweep (within ${config.approvals.sweepMinutes} minutes)\n`
            : `${approval.id} was already revoked (at ${approval.revokedAt ?? 'an earlier time'})\n`,
        );
      }
      return ExitCode.ok;
    }
    const { approvals } = await listApprovals({
      session,
      config,
      all: o.all === true,
      ...(o.account ? { account: o.account } : {}),
    });
    if (o.output === 'json')
      io.stdout.write(`${JSON.stringify({ command: 'approvals', version: packageVersion(), approvals }, null, 2)}\n`);
    else io.stdout.write(table(approvals));
    return ExitCode.ok;
  } finally {
    session.close();
  }
}
