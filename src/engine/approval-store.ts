// Deploy's first step when approvals are enabled: the approval store's stack, in its own account and region, before
// any target (the functions read it). Its result is reported on its own, beside the targets.
import type { GuardrailConfig } from '../config/index.js';
import { storePlace } from '../approvals/place.js';
import { deployStore, desiredStore, organizationId } from '../approvals/store-stack.js';
import { describeError } from './describe-error.js';
import type { PollTimer } from '../aws/poll-timer.js';
import type { TargetResult } from './results.js';
import type { Session } from './session.js';

export interface StoreStepInput {
  session: Session;
  config: GuardrailConfig;
  planOnly: boolean;
  timer: PollTimer;
  runId: string;
  signal: AbortSignal;
}

/** The store's stack as a result row (stackName STACK-approvals), or null when approvals are off. */
export async function deployApprovalStore(input: StoreStepInput): Promise<TargetResult | null> {
  const { session, config } = input;
  if (!config.approvals.enabled) return null;
  const partition = session.identity.arn.split(':')[1] || 'aws';
  const place = storePlace(config, session.identity.account, partition);
  const started = Date.now();
  const row: TargetResult = {
    account: place.account, accountName: 'approval store', region: place.region, stackName: place.stackName,
    action: 'none', result: 'failed', stackStatus: null, error: null, durationMs: 0, reason: '',
  };
  try {
    const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
    await session.broker.check(place.account, role);
    const desired = await desiredStore(config, place, await organizationId(session.organizations()), partition);
    const cfn = session.clients(place.account, place.region, role).cloudformation;
    const { plan, outcome } = await deployStore({ cfn, timer: input.timer, runId: input.runId, signal: input.signal }, desired, input.planOnly);
    row.action = plan.action === 'delete-and-recreate' ? 'create' : plan.action === 'wait' ? 'update' : plan.action;
    row.reason = plan.reason;
    row.stackStatus = plan.stackStatus;
    if (!outcome) row.result = 'planned';
    else if (outcome.kind === 'failed') Object.assign(row, { stackStatus: outcome.stackStatus, error: outcome.reason });
    else Object.assign(row, { result: outcome.kind === 'deployed' ? 'succeeded' : 'unchanged', stackStatus: outcome.stackStatus });
  } catch (err) {
    row.error = describeError(err);
  }
  row.durationMs = Date.now() - started;
  return row;
}
