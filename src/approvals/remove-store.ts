// remove --all-accounts --include-approvals: the approval store's stack deleted last, after a plan and its own
// confirmation. Its two tables (the approvals and guardrail's record of rule definitions) are retained by their
// DeletionPolicy, as every record guardrail keeps is, and named: deleting them is yours to decide (README, Uninstall).
import { randomUUID } from 'node:crypto';
import type { GuardrailConfig } from '../config/index.js';
import { describeError } from '../aws/describe-error.js';
import { PollTimer } from '../aws/poll-timer.js';
import type { Session } from '../fleet/session.js';
import { planRemove, removeStack } from '../stack/remove-stack.js';
import { storePlace } from './place.js';

export interface StoreRemoval {
  account: string;
  region: string;
  stackName: string;
  result: 'succeeded' | 'unchanged' | 'failed' | 'skipped';
  /** the tables the delete kept (physical names) */
  kept: string[];
  error: string | null;
}

/** Plans, asks `confirm` with what it will delete, deletes. Never throws: a failure is the result. */
export async function removeApprovalStore(
  session: Session,
  config: GuardrailConfig,
  signal: AbortSignal,
  confirm: (what: string) => Promise<boolean>,
): Promise<StoreRemoval> {
  const partition = session.identity.arn.split(':')[1] || 'aws';
  const place = storePlace(config, session.identity.account, partition);
  const out: StoreRemoval = {
    account: place.account,
    region: place.region,
    stackName: place.stackName,
    result: 'failed',
    kept: [],
    error: null,
  };
  try {
    const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
    await session.broker.check(place.account, role);
    const ctx = {
      cfn: session.clients(place.account, place.region, role).cloudformation,
      timer: new PollTimer({ maxDelayMs: config.deploy.pollSeconds * 1000 }),
      runId: randomUUID(),
      signal,
    };
    const plan = await planRemove(ctx, place.stackName);
    if (!plan.exists) return { ...out, result: 'unchanged' };
    if (
      !(await confirm(
        `the approval store's stack ${place.stackName} in ${place.account}/${place.region}` +
          ` (its tables ${place.tableName} and ${place.tableName}-rules are kept)`,
      ))
    )
      return { ...out, result: 'skipped' };
    const done = await removeStack(ctx, plan.stackId, plan.stackStatus, `guardrail-remove-${ctx.runId}`);
    if (done.kind === 'failed') return { ...out, error: done.reason };
    return { ...out, result: 'succeeded', kept: done.kept.map((k) => k.physicalId) };
  } catch (err) {
    return { ...out, error: describeError(err) };
  }
}
