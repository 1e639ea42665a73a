// Deploy's first step when approvals are enabled: the approval store's stack, in its own account and region, before
// any target (the functions read it). Its result is reported on its own, beside the targets.
// The store's template is templates/approvals.yaml: the table with TTL and its resource policy, planned and applied
// with the same change-set machinery as the targets.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { GuardrailConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import {
  applyStack,
  planStack,
  type DeployOutcome,
  type DesiredStack,
  type StackContext,
  type StackPlan,
} from '../stack/deploy-stack.js';
import { functionRoleArns, storeNeeded, storePlace, type StorePlace } from './place.js';
import { describeError } from '../aws/describe-error.js';
import type { PollTimer } from '../aws/poll-timer.js';
import type { TargetResult } from '../fleet/results.js';
import type { Session } from '../fleet/session.js';

export interface StoreStepInput {
  session: Session;
  config: GuardrailConfig;
  planOnly: boolean;
  timer: PollTimer;
  runId: string;
  signal: AbortSignal;
}

export async function organizationId(org: OrganizationsClient): Promise<string> {
  try {
    const out = await org.send(new DescribeOrganizationCommand({}));
    if (out.Organization?.Id) return out.Organization.Id;
  } catch (err) {
    throw new ConfigError(
      `approvals need the organisation's id for the store's policy (aws:PrincipalOrgID), and ` +
        `DescribeOrganization failed (${(err as Error).name})`,
      {
        suggestion:
          'Run guardrail from the management account (or a delegated administrator), or set approvals.enabled: false.',
        cause: err,
      },
    );
  }
  throw new ConfigError('DescribeOrganization returned no organisation id');
}

export async function desiredStore(
  config: GuardrailConfig,
  place: StorePlace,
  orgId: string,
  partition = 'aws',
): Promise<DesiredStack> {
  const body = await readFile(new URL('../../templates/approvals.yaml', import.meta.url), 'utf8');
  const version = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return {
    stackName: place.stackName,
    body,
    version,
    parameters: {
      TableName: place.tableName,
      OrganizationId: orgId,
      FunctionRolePatterns: functionRoleArns(config.stackName, partition).join(','),
      GuardrailVersion: version,
    },
  };
}

export interface StoreResult {
  plan: StackPlan;
  outcome: DeployOutcome | null;
}

/** Plans the store's stack and, unless planOnly, applies it. */
export async function deployStore(ctx: StackContext, desired: DesiredStack, planOnly: boolean): Promise<StoreResult> {
  const plan = await planStack(ctx, desired);
  if (planOnly) return { plan, outcome: null };
  return { plan, outcome: await applyStack(ctx, desired, plan) };
}

/**
 * The store's step, planned: its row as planned (`failed` when it could not be planned) and, when it can be applied,
 * how. Planning reads only (DescribeStacks), so deploy can plan the store with the targets, name it in the
 * confirmation, and write nothing before the answer.
 */
export interface StorePlan {
  planned: TargetResult;
  /** what applying does to the store's stack, for the confirmation to name (absent: current, or not plannable) */
  change?: { stackName: string; account: string; region: string; action: 'create' | 'update' };
  /** applies the plan and returns the row with its outcome */
  apply(): Promise<TargetResult>;
}

/** Plans the store's stack (null when it is not needed: storeNeeded); nothing is written. */
export async function planApprovalStore(input: Omit<StoreStepInput, 'planOnly'>): Promise<StorePlan | null> {
  const { session, config } = input;
  if (!storeNeeded(config)) return null;
  const partition = session.identity.arn.split(':')[1] || 'aws';
  const place = storePlace(config, session.identity.account, partition);
  const started = Date.now();
  const row: TargetResult = {
    account: place.account,
    accountName: 'approval store',
    region: place.region,
    stackName: place.stackName,
    action: 'none',
    result: 'failed',
    stackStatus: null,
    error: null,
    durationMs: 0,
    reason: '',
  };
  const failedRow = (err: unknown): TargetResult => ({
    ...row,
    result: 'failed',
    error: describeError(err),
    durationMs: Date.now() - started,
  });
  let ctx: StackContext;
  let desired: DesiredStack;
  let plan: StackPlan;
  try {
    const role = { roleName: config.organization.roleName, externalId: config.organization.externalId };
    await session.broker.check(place.account, role);
    desired = await desiredStore(config, place, await organizationId(session.organizations()), partition);
    // its template travels as the targets' does: through the caller's template bucket in the store's region
    desired.template = session.templates().source(place.region, desired);
    await session.templates().inspect(place.region);
    const cfn = session.clients(place.account, place.region, role).cloudformation;
    ctx = { cfn, timer: input.timer, runId: input.runId, signal: input.signal };
    plan = await planStack(ctx, desired);
  } catch (err) {
    const failed = failedRow(err);
    return { planned: failed, apply: () => Promise.resolve(failed) };
  }
  row.action = plan.action === 'delete-and-recreate' ? 'create' : plan.action === 'wait' ? 'update' : plan.action;
  row.reason = plan.reason;
  row.stackStatus = plan.stackStatus;
  const planned: TargetResult = { ...row, result: 'planned', durationMs: Date.now() - started };
  const change =
    row.action === 'create' || row.action === 'update'
      ? { stackName: row.stackName, account: row.account, region: row.region, action: row.action }
      : undefined;
  return {
    planned,
    ...(change ? { change } : {}),
    async apply() {
      const applying = Date.now();
      try {
        const outcome = await applyStack(ctx, desired, plan);
        const done = { ...row, durationMs: planned.durationMs + Date.now() - applying };
        if (outcome.kind === 'failed') return { ...done, stackStatus: outcome.stackStatus, error: outcome.reason };
        return {
          ...done,
          result: outcome.kind === 'deployed' ? 'succeeded' : 'unchanged',
          stackStatus: outcome.stackStatus,
        };
      } catch (err) {
        return { ...failedRow(err), durationMs: planned.durationMs + Date.now() - applying };
      }
    },
  };
}

/**
 * The store's stack as a result row (stackName STACK-approvals), planned and, unless planOnly, applied; null when it is
 * not needed (storeNeeded).
 */
export async function deployApprovalStore(input: StoreStepInput): Promise<TargetResult | null> {
  const step = await planApprovalStore(input);
  if (step === null) return null;
  if (input.planOnly || step.planned.result === 'failed') return step.planned;
  return step.apply();
}
