// The approval workflow's engine: record an approval (after checking the account is in the organisation and the
// group exists there), list approvals, revoke one. The store lives in approvals.account/region; the caller reaches
// it with its own credentials or, for another account, through the configured role.
import { randomBytes } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { ConfigError, UsageError } from '../errors.js';
import { storePlace, type StorePlace } from './place.js';
import type { ApprovalRule } from './rule.js';
import { ApprovalStore, stateOf, type Approval, type ApprovalState } from './store.js';
import type { Session } from '../fleet/session.js';
import { resolveAccounts } from '../fleet/targets.js';

export interface ApprovalsInput {
  session: Session;
  config: GuardrailConfig;
}

/** approvals.enabled: false is a configuration error (exit 2) for every approvals command. */
export function requireApprovals(config: GuardrailConfig): void {
  if (config.approvals.enabled) return;
  throw new ConfigError('approvals are disabled in the configuration (approvals.enabled is false)', {
    problems: [
      { path: 'approvals.enabled', message: 'set it to true, then run guardrail deploy to create the approval store' },
    ],
  });
}

/**
 * The service's time: our clock corrected by the skew the SDK measured from the last response's Date header (zero
 * against AWS with a synced clock; the simulated clock against the simulator).
 */
function serviceNow(client: { config: { systemClockOffset?: number } }): number {
  return Date.now() + (client.config.systemClockOffset ?? 0);
}

async function openStore({
  session,
  config,
}: ApprovalsInput): Promise<{ store: ApprovalStore; place: StorePlace; now: () => number }> {
  const place = storePlace(config, session.identity.account, session.identity.arn.split(':')[1] || 'aws');
  const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
  const client = await session.clients(place.account, place.region, role).dynamodb();
  // by name in its own account; by ARN from any other (the caller's own account may differ)
  const table = place.account === session.identity.account ? place.tableName : place.tableArn;
  return { store: new ApprovalStore(client, table), place, now: () => serviceNow(client) };
}

export interface ApproveRequest extends ApprovalsInput {
  account: string;
  region: string;
  groupId: string;
  rules: ApprovalRule[];
  seconds: number;
  reason: string;
}

/** Checks the account is in the organisation and the group exists there; returns the EC2 service's time. */
async function checkGroup(req: ApproveRequest): Promise<number> {
  const set = await resolveAccounts(req.session, req.config, [req.account]);
  const target = set.accounts[0]!;
  const ec2 = await req.session.clients(req.account, req.region, target.role).ec2();
  const { DescribeManagedPrefixListsCommand, DescribeSecurityGroupsCommand } = await import('@aws-sdk/client-ec2');
  if (req.groupId.startsWith('pl-')) {
    // a prefix list: it must be the account's own (the function judges only those; others change in their owner's
    // account)
    const owner = await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [req.groupId] })).then(
      (out) => out.PrefixLists?.[0]?.OwnerId,
      (err: unknown) => {
        if ((err as Error).name === 'InvalidPrefixListID.NotFound') return undefined;
        throw err;
      },
    );
    if (owner !== req.account) {
      throw new UsageError(
        `prefix list ${req.groupId} is ${owner ? `owned by ${owner}, not` : 'not a list of'} account ${req.account} in ${req.region}`,
        {
          problems: [
            {
              path: '--group',
              message: `${req.groupId} is not a customer-managed list of ${req.account}/${req.region}`,
            },
          ],
          suggestion:
            "Approve entries of a list in the account that owns it: guardrail judges only a list's owner's changes.",
        },
      );
    }
    return serviceNow(ec2);
  }
  try {
    await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [req.groupId] }));
    return serviceNow(ec2);
  } catch (err) {
    if ((err as Error).name !== 'InvalidGroup.NotFound' && (err as Error).name !== 'InvalidGroupId.Malformed')
      throw err;
    throw new UsageError(
      `security group ${req.groupId} does not exist in account ${req.account}, region ${req.region}`,
      {
        problems: [{ path: '--group', message: `${req.groupId} not found in ${req.account}/${req.region}` }],
        suggestion: 'Check --account, --region and --group: the approval covers one group of one account and region.',
      },
    );
  }
}

export async function approve(req: ApproveRequest): Promise<Approval> {
  requireApprovals(req.config);
  const now = await checkGroup(req);
  const { store } = await openStore(req);
  const approval: Approval = {
    id: `apr-${randomBytes(8).toString('hex')}`,
    account: req.account,
    region: req.region,
    groupId: req.groupId,
    rules: req.rules,
    reason: req.reason,
    approver: req.session.identity.arn,
    createdAt: new Date(now).toISOString(),
    // whole seconds: the store keeps epoch seconds
    expiresAt: new Date(Math.floor(now / 1000) * 1000 + req.seconds * 1000).toISOString(),
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
  };
  await store.put(approval);
  return approval;
}

export type ListedApproval = Approval & { state: ApprovalState };

export async function listApprovals(
  input: ApprovalsInput & { all: boolean; account?: string },
): Promise<{ place: StorePlace; approvals: ListedApproval[] }> {
  requireApprovals(input.config);
  const { store, place, now } = await openStore(input);
  const all = await store.all();
  const approvals = all
    .map((a) => ({ ...a, state: stateOf(a, now()) }))
    .filter((a) => (input.all || a.state === 'active') && (!input.account || a.account === input.account));
  return { place, approvals };
}

export async function revokeApproval(
  input: ApprovalsInput & { id: string; reason: string },
): Promise<{ approval: Approval; revoked: boolean }> {
  requireApprovals(input.config);
  const { store, now } = await openStore(input);
  const approval = (await store.all()).find((a) => a.id === input.id);
  if (!approval) {
    throw new UsageError(`no approval ${input.id} in the approval store`, {
      problems: [{ path: 'ID', message: `unknown approval id ${input.id}` }],
      suggestion: 'List them with guardrail approvals --all.',
    });
  }
  const revoked = await store.revoke(approval, input.session.identity.arn, input.reason, new Date(now()).toISOString());
  return { approval, revoked };
}
