// Status with approvals: how many approvals are active per target, and approved rules still present although their
// approval lapsed (expired or revoked more than two sweeps ago) or never existed (a forged tag): the sweep is late
// or broken. The store is read once per run; each target costs one DescribeSecurityGroupRules call.
import type { GuardrailConfig } from '../config/index.js';
import { stateOf, type Approval } from './store.js';
import { listApprovals } from './manage.js';
import type { Session } from '../fleet/session.js';
import type { TargetClients } from '../aws/clients.js';
import { describeError } from '../aws/describe-error.js';

export const APPROVAL_TAG = 'guardrail:approval';

export interface ApprovalIndex {
  byId: Map<string, Approval>;
  /** the store could not be read: every target says so */
  error?: string;
}

export async function loadApprovalIndex(session: Session, config: GuardrailConfig): Promise<ApprovalIndex | null> {
  if (!config.approvals.enabled) return null;
  try {
    const { approvals } = await listApprovals({ session, config, all: true });
    return { byId: new Map(approvals.map((a) => [a.id, a])) };
  } catch (err) {
    return { byId: new Map(), error: `approval store unreadable (${(err as Error).name})` };
  }
}

export interface ApprovalFindings {
  approvals: number;
  lapsedApprovedRules: number;
}

export async function approvalFindings(
  clients: TargetClients,
  index: ApprovalIndex,
  account: string,
  region: string,
  sweepMinutes: number,
): Promise<ApprovalFindings> {
  const ec2 = await clients.ec2();
  const { DescribeSecurityGroupRulesCommand } = await import('@aws-sdk/client-ec2');
  const tagged = [];
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'tag-key', Values: [APPROVAL_TAG] }],
        NextToken,
        MaxResults: 1000,
      }),
    );
    tagged.push(...(out.SecurityGroupRules ?? []));
    NextToken = out.NextToken;
  } while (NextToken);
  const now = Date.now() + (ec2.config.systemClockOffset ?? 0);
  const grace = (2 * sweepMinutes + 1) * 60_000;
  const mine = [...index.byId.values()].filter((a) => a.account === account && a.region === region);
  let lapsed = 0;
  for (const rule of tagged) {
    const a = index.byId.get(rule.Tags?.find((t) => t.Key === APPROVAL_TAG)?.Value ?? '');
    if (!a || a.account !== account || a.region !== region || a.groupId !== rule.GroupId) lapsed++;
    else if (stateOf(a, now) !== 'active' && Date.parse(a.revokedAt ?? a.expiresAt) + grace < now) lapsed++;
  }
  return { approvals: mine.filter((a) => stateOf(a, now) === 'active').length, lapsedApprovedRules: lapsed };
}

/**
 * The status row's approval columns for a deployed target: nothing when approvals are off, the error when unreadable.
 */
export async function approvalColumns(
  index: ApprovalIndex | null,
  clients: TargetClients,
  t: { account: string; region: string },
  sweepMinutes: number,
): Promise<Partial<ApprovalFindings> & { approvalsError?: string }> {
  if (!index) return {};
  if (index.error) return { approvalsError: index.error };
  try {
    return await approvalFindings(clients, index, t.account, t.region, sweepMinutes);
  } catch (err) {
    return { approvalsError: describeError(err) };
  }
}
