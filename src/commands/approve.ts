// guardrail approve: flags → checked request → engine → the approval's id, coverage, expiry and approver.
import { loadConfig } from '../config/index.js';
import { ACCOUNT_ID, PREFIX_LIST_ID, SECURITY_GROUP_ID } from '../config/schema.js';
import { isRegionName } from '../config/regions.js';
import { formatDuration, parseDuration } from '../approvals/duration.js';
import { describeRule, parseRule, RULE_FORMAT, type ApprovalRule } from '../approvals/rule.js';
import { approve, requireApprovals } from '../approvals/manage.js';
import { ExitCode, UsageError, type ConfigProblem } from '../errors.js';
import { packageVersion } from '../version.js';
import type { CommandContext } from './context.js';
import type { CommandOptions } from './index.js';
import { openCommandSession } from './target-options.js';

/** Every problem with the flags, at once. */
function checkFlags(o: CommandOptions<'approve'>, maxDuration: string): { rules: ApprovalRule[]; seconds: number } {
  const problems: ConfigProblem[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message });
  if (!o.account || !ACCOUNT_ID.test(o.account))
    bad('--account', `expected a 12-digit account id, got ${JSON.stringify(o.account ?? null)}`);
  if (!o.region || !isRegionName(o.region))
    bad('--region', `expected a region name, got ${JSON.stringify(o.region ?? null)}`);
  // a prefix list's id stands where a group's would be: the approval covers entries within its rules' sources (issue N)
  if (!o.group || !(SECURITY_GROUP_ID.test(o.group) || PREFIX_LIST_ID.test(o.group))) {
    bad(
      '--group',
      `expected a security group id (sg-…) or a prefix list id (pl-…), got ${JSON.stringify(o.group ?? null)}`,
    );
  }
  if (o.group && PREFIX_LIST_ID.test(o.group)) {
    for (const text of o.rule ?? []) {
      const r = parseRule(text);
      if (typeof r !== 'string' && !/^[0-9a-f.:]+\/\d+$/i.test(r.source))
        bad('--rule', `"${text}": a prefix list's entries are CIDRs; give a CIDR as the source`);
    }
  }
  const rules: ApprovalRule[] = [];
  if (!o.rule?.length) bad('--rule', `at least one --rule is needed: ${RULE_FORMAT}`);
  for (const text of o.rule ?? []) {
    const r = parseRule(text);
    if (typeof r === 'string') bad('--rule', `"${text}": ${r}`);
    else rules.push(r);
  }
  const max = parseDuration(maxDuration)!;
  const seconds = o.for === undefined ? undefined : parseDuration(o.for);
  if (seconds === undefined)
    bad('--for', `expected a duration such as 90m, 4h or 2d (more than 0), got ${JSON.stringify(o.for ?? null)}`);
  else if (seconds > max) bad('--for', `${o.for} is longer than approvals.maxDuration (${maxDuration})`);
  if (!o.reason?.trim()) bad('--reason', 'say why: the reason is recorded, listed and sent with the notifications');
  if (problems.length > 0) {
    throw new UsageError(`Invalid value for ${[...new Set(problems.map((p) => p.path))].join(', ')}`, { problems });
  }
  return { rules, seconds: seconds! };
}

export async function execute(context: CommandContext<CommandOptions<'approve'>>): Promise<number> {
  const o = context.options;
  const { io } = context;
  const { config } = await loadConfig(o.config, {}, io.cwd === undefined ? {} : { cwd: io.cwd });
  requireApprovals(config);
  const { rules, seconds } = checkFlags(o, config.approvals.maxDuration);
  const session = await openCommandSession(context, config);
  let approval;
  try {
    approval = await approve({
      session,
      config,
      account: o.account!,
      region: o.region!,
      groupId: o.group!,
      rules,
      seconds,
      reason: o.reason!.trim(),
    });
  } finally {
    session.close();
  }
  if (o.output === 'json') {
    io.stdout.write(`${JSON.stringify({ command: 'approve', version: packageVersion(), approval }, null, 2)}\n`);
    return ExitCode.ok;
  }
  io.stdout.write(
    [
      `approved ${approval.id}`,
      `  group:    ${approval.groupId} in ${approval.account}/${approval.region}`,
      ...approval.rules.map((r, i) => `  ${i === 0 ? 'covers:' : '       '}   ${describeRule(r)}`),
      `  expires:  ${approval.expiresAt} (${formatDuration(seconds)})`,
      `  approver: ${approval.approver}`,
      `  reason:   ${approval.reason}`,
      '',
    ].join('\n'),
  );
  return ExitCode.ok;
}
