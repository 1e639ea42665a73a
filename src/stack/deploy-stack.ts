// Deploying one stack: look it up, plan (an action and a reason), then apply through a change set, wait, and
// report the first failed resource when it fails. Returns data, never prints.
import {
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  paginateDescribeStackEvents,
  type CloudFormationClient,
  type Change,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { createHash } from 'node:crypto';
import type { OperationKind, PollTimer } from '../aws/poll-timer.js';
import { isEmptyChangeSet, isStackMissing } from './cfn-errors.js';
import { isDeploySuccess, isInProgress, isReviewOnly, needsRecreate } from './stack-status.js';
import { SETTINGS_TAG, TEMPLATE_BODY_LIMIT, VERSION_TAG } from './template.js';
import type { TemplateArgs, TemplateSource } from './template-bucket.js';
import { protectionReason, setTerminationProtection } from './termination-protection.js';

export type DeployAction = 'create' | 'update' | 'none' | 'delete-and-recreate' | 'wait';

export interface DesiredStack {
  stackName: string;
  body: string;
  version: string;
  /**
   * how the template travels: a presigned S3 URL (stack/template-bucket.ts), which deploy always gives. Unset (a
   * caller with a small template of its own): TemplateBody, refused past CloudFormation's 51,200 bytes
   */
  template?: TemplateSource;
  /** the settings digest (SETTINGS_TAG); unset: no such tag */
  settingsDigest?: string;
  /** per-account parameter values (CreateTrail) */
  parameters: Record<string, string>;
  /** the stack's termination protection; undefined leaves it as it is */
  terminationProtection?: boolean;
}

export interface StackPlan {
  action: DeployAction;
  reason: string;
  stackStatus: string | null;
  stackId: string | null;
  currentVersion: string | null;
  /** for --plan of an update: the change set's resource changes, one line each */
  changes?: string[];
  /** the stack's EnableTerminationProtection (null when there is no stack) */
  terminationProtection?: boolean | null;
  /** the update only sets termination protection: no change set */
  protectionOnly?: boolean;
}

export interface FailedResource {
  logicalId: string;
  type: string;
  status: string;
  reason: string;
}

export type DeployOutcome =
  | { kind: 'deployed'; stackStatus: string }
  | { kind: 'unchanged'; stackStatus: string }
  | { kind: 'failed'; stackStatus: string | null; reason: string; firstFailure?: FailedResource };

export interface StackContext {
  cfn: CloudFormationClient;
  timer: PollTimer;
  /** unique per run: makes the change set name and client tokens idempotent across SDK retries */
  runId: string;
  signal?: AbortSignal;
}

export async function describeStack(cfn: CloudFormationClient, stackNameOrId: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
    const stack = out.Stacks?.[0];
    return stack && stack.StackStatus !== 'DELETE_COMPLETE' ? stack : undefined;
  } catch (err) {
    if (isStackMissing(err)) return undefined;
    throw err;
  }
}

export function stackVersion(stack: Stack | undefined): string | null {
  return stack?.Tags?.find((t) => t.Key === VERSION_TAG)?.Value ?? null;
}

/** The stack's settings digest tag (null on stacks deployed before it existed). */
export function stackSettingsDigest(stack: Stack | undefined): string | null {
  return stack?.Tags?.find((t) => t.Key === SETTINGS_TAG)?.Value ?? null;
}

/** What would change, and why. Makes one DescribeStacks call. */
export function planFromStack(stack: Stack | undefined, desired: DesiredStack): StackPlan {
  const base = {
    stackStatus: stack?.StackStatus ?? null,
    stackId: stack?.StackId ?? null,
    currentVersion: stackVersion(stack),
    terminationProtection: stack ? stack.EnableTerminationProtection === true : null,
  };
  const status = stack?.StackStatus;
  if (!stack || isReviewOnly(status)) return { ...base, action: 'create', reason: 'stack missing' };
  if (needsRecreate(status))
    return { ...base, action: 'delete-and-recreate', reason: `${status}: delete and recreate` };
  if (isInProgress(status)) return { ...base, action: 'wait', reason: `${status}: wait for the operation in progress` };
  if (base.currentVersion !== desired.version) {
    return {
      ...base,
      action: 'update',
      reason: base.currentVersion
        ? `template version changed ${base.currentVersion} → ${desired.version}`
        : `stack has no ${VERSION_TAG} tag`,
    };
  }
  for (const [key, value] of Object.entries(desired.parameters)) {
    const current = stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
    if (current !== value)
      return { ...base, action: 'update', reason: `parameter ${key} changes ${current ?? '(unset)'} → ${value}` };
  }
  if (!isDeploySuccess(status)) {
    return { ...base, action: 'update', reason: `${status}: the last update did not complete` };
  }
  if (desired.terminationProtection !== undefined && desired.terminationProtection !== base.terminationProtection) {
    return { ...base, action: 'update', reason: protectionReason(desired.terminationProtection), protectionOnly: true };
  }
  return { ...base, action: 'none', reason: 'current' };
}

export async function planStack(ctx: StackContext, desired: DesiredStack): Promise<StackPlan> {
  return planFromStack(await describeStack(ctx.cfn, desired.stackName), desired);
}

function token(ctx: StackContext, desired: DesiredStack, what: string): string {
  const h = createHash('sha256').update(`${ctx.runId}|${desired.stackName}|${desired.version}|${what}`).digest('hex');
  return `guardrail-${h.slice(0, 32)}`;
}

/** Waits until the stack leaves *_IN_PROGRESS. The run's timer learns the duration for its next waits. */
export async function waitForStack(
  ctx: StackContext,
  stackId: string,
  kind: OperationKind,
  startedAt = Date.now(),
): Promise<Stack> {
  return ctx.timer.waitFor(
    kind,
    startedAt,
    async () => {
      const out = await ctx.cfn.send(new DescribeStacksCommand({ StackName: stackId }));
      const stack = out.Stacks?.[0];
      if (!stack) throw new Error(`stack ${stackId} disappeared while waiting`);
      return isInProgress(stack.StackStatus) ? undefined : stack;
    },
    ctx.signal,
  );
}

/** The earliest failed resource of the operation that started at `since` (from the stack events). */
export async function firstFailedResource(
  cfn: CloudFormationClient,
  stackId: string,
  since: Date,
): Promise<FailedResource | undefined> {
  let first: FailedResource | undefined;
  for await (const page of paginateDescribeStackEvents({ client: cfn }, { StackName: stackId })) {
    let older = false;
    for (const e of page.StackEvents ?? []) {
      if (e.Timestamp && e.Timestamp.getTime() < since.getTime() - 1000) {
        older = true;
        break;
      }
      const failed = e.ResourceStatus?.endsWith('_FAILED');
      const cancelled = /cancelled/i.test(e.ResourceStatusReason ?? '');
      const isStack = e.ResourceType === 'AWS::CloudFormation::Stack';
      if (failed && !cancelled && !isStack) {
        // events are newest first: the last one we see is the earliest failure
        first = {
          logicalId: e.LogicalResourceId ?? '?',
          type: e.ResourceType ?? '?',
          status: e.ResourceStatus ?? '?',
          reason: e.ResourceStatusReason ?? '',
        };
      }
    }
    if (older) break;
  }
  return first;
}

const stackParameters = (d: DesiredStack) =>
  Object.entries(d.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
const stackTags = (d: DesiredStack) => [
  { Key: VERSION_TAG, Value: d.version },
  { Key: 'guardrail:managed-by', Value: 'guardrail' },
  ...(d.settingsDigest ? [{ Key: SETTINGS_TAG, Value: d.settingsDigest }] : []),
];

/** The template argument of a write: the presigned URL (bucket and object made if needed), or a body that fits. */
async function templateFor(desired: DesiredStack): Promise<TemplateArgs> {
  if (desired.template) return desired.template.forApply();
  const bytes = Buffer.byteLength(desired.body, 'utf8');
  if (bytes > TEMPLATE_BODY_LIMIT) {
    throw new Error(
      `the template of ${desired.stackName} is ${bytes} bytes, over TemplateBody's ${TEMPLATE_BODY_LIMIT}, and has no S3 source`,
    );
  }
  return { TemplateBody: desired.body };
}

async function createChangeSet(ctx: StackContext, desired: DesiredStack, template?: TemplateArgs) {
  const out = await ctx.cfn.send(
    new CreateChangeSetCommand({
      StackName: desired.stackName,
      ChangeSetName: `guardrail-${desired.version}-${token(ctx, desired, 'changeset').slice(10, 22)}`,
      ChangeSetType: 'UPDATE',
      ...(template ?? (await templateFor(desired))),
      Parameters: stackParameters(desired),
      Capabilities: ['CAPABILITY_IAM'],
      Tags: stackTags(desired),
      ClientToken: token(ctx, desired, 'changeset'),
      Description: `guardrail ${desired.version}`,
    }),
  );
  const id = out.Id!;
  const cs = await ctx.timer.waitFor(
    'changeset',
    Date.now(),
    async () => {
      const d = await ctx.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: id }));
      return d.Status === 'CREATE_COMPLETE' || d.Status === 'FAILED' || d.Status === 'DELETE_COMPLETE' ? d : undefined;
    },
    ctx.signal,
  );
  return {
    id,
    stackId: out.StackId ?? cs.StackId ?? '',
    status: cs.Status,
    reason: cs.StatusReason,
    changes: cs.Changes ?? [],
  };
}

export function describeChanges(changes: Change[]): string[] {
  return changes.map((c) => {
    const r = c.ResourceChange;
    const replace =
      r?.Replacement === 'True' ? ' (replacement)' : r?.Replacement === 'Conditional' ? ' (may replace)' : '';
    return `${r?.Action ?? '?'} ${r?.LogicalResourceId ?? '?'} ${r?.ResourceType ?? ''}${replace}`.trim();
  });
}

/**
 * For --plan: the change set's summary for an update, then the change set is deleted. Changes nothing and creates
 * no resource: the template goes as the URL of its object in the bucket when the bucket exists (template-bucket.ts),
 * or as a body that fits TemplateBody; when neither can be had, there is no preview, and the line says why.
 */
export async function previewUpdate(ctx: StackContext, desired: DesiredStack): Promise<string[]> {
  const template = desired.template ? await desired.template.forPreview() : { TemplateBody: desired.body };
  if (!template) {
    return [
      `resource changes not previewed: the template (${Buffer.byteLength(desired.body, 'utf8')} bytes) is over TemplateBody's ` +
        `${TEMPLATE_BODY_LIMIT}, and the template bucket does not exist yet (--plan creates none; the first deploy does)`,
    ];
  }
  const cs = await createChangeSet(ctx, desired, template);
  try {
    if (cs.status === 'FAILED')
      return isEmptyChangeSet(cs.reason) ? ['no resource changes'] : [`change set failed: ${cs.reason}`];
    return describeChanges(cs.changes);
  } finally {
    await ctx.cfn.send(new DeleteChangeSetCommand({ ChangeSetName: cs.id })).catch(() => undefined);
  }
}

async function deleteAndWait(ctx: StackContext, stackId: string): Promise<Stack> {
  const startedAt = Date.now();
  await ctx.cfn.send(
    new DeleteStackCommand({ StackName: stackId, ClientRequestToken: `guardrail-del-${ctx.runId}`.slice(0, 128) }),
  );
  return waitForStack(ctx, stackId, 'delete', startedAt);
}

/** Applies a plan. Throws only for errors the caller must see as a whole-target failure (AWS errors, abort). */
export async function applyStack(ctx: StackContext, desired: DesiredStack, plan: StackPlan): Promise<DeployOutcome> {
  let current = plan;
  if (current.action === 'wait') {
    const settled = await waitForStack(ctx, current.stackId!, 'update');
    current = planFromStack(settled, desired);
    if (current.action === 'wait')
      return { kind: 'failed', stackStatus: settled.StackStatus ?? null, reason: 'stack is still busy' };
  }
  if (current.action === 'none') return { kind: 'unchanged', stackStatus: current.stackStatus ?? 'UNKNOWN' };
  if (current.protectionOnly) {
    await setTerminationProtection(ctx.cfn, current.stackId!, desired.terminationProtection!);
    return { kind: 'deployed', stackStatus: current.stackStatus ?? 'UNKNOWN' };
  }
  if (current.action === 'delete-and-recreate') {
    // our own failed stack: termination protection must not keep it from being recreated
    if (current.terminationProtection) await setTerminationProtection(ctx.cfn, current.stackId!, false);
    const deleted = await deleteAndWait(ctx, current.stackId!);
    if (deleted.StackStatus !== 'DELETE_COMPLETE') {
      const since = new Date(Date.now() - 60 * 60_000);
      return {
        kind: 'failed',
        stackStatus: deleted.StackStatus ?? null,
        reason: `could not delete the ${plan.stackStatus} stack`,
        firstFailure: await firstFailedResource(ctx.cfn, current.stackId!, since),
      };
    }
    current = { ...current, action: 'create', stackId: null, stackStatus: null };
  }

  if (current.action === 'create') return createStack(ctx, desired);
  const cs = await createChangeSet(ctx, desired);
  if (cs.status === 'FAILED') {
    await ctx.cfn.send(new DeleteChangeSetCommand({ ChangeSetName: cs.id })).catch(() => undefined);
    if (isEmptyChangeSet(cs.reason)) {
      const outcome: DeployOutcome = { kind: 'unchanged', stackStatus: current.stackStatus ?? 'UNKNOWN' };
      await syncProtection(ctx, desired, current, cs.stackId, outcome);
      return outcome;
    }
    return {
      kind: 'failed',
      stackStatus: current.stackStatus,
      reason: `change set failed: ${cs.reason ?? 'no reason given'}`,
    };
  }

  const startedAt = Date.now();
  const since = new Date(startedAt);
  await ctx.cfn.send(
    new ExecuteChangeSetCommand({ ChangeSetName: cs.id, ClientRequestToken: token(ctx, desired, 'exec') }),
  );
  const outcome = await finishOperation(ctx, cs.stackId, 'update', startedAt, since);
  await syncProtection(ctx, desired, current, cs.stackId, outcome);
  return outcome;
}

/** After an update, termination protection follows the configuration too (deploy turns it on for existing stacks). */
async function syncProtection(
  ctx: StackContext,
  desired: DesiredStack,
  plan: StackPlan,
  stackId: string,
  outcome: DeployOutcome,
) {
  if (outcome.kind === 'failed' || desired.terminationProtection === undefined) return;
  if (plan.terminationProtection !== desired.terminationProtection) {
    await setTerminationProtection(ctx.cfn, stackId, desired.terminationProtection);
  }
}

/**
 * A new stack is created directly (CreateStack with an idempotent ClientRequestToken): a change set for a stack
 * that does not exist yet would list every resource as Add, cost two more calls and a wait, and leave a
 * REVIEW_IN_PROGRESS shell behind if it failed. Updates go through change sets.
 */
async function createStack(ctx: StackContext, desired: DesiredStack): Promise<DeployOutcome> {
  const template = await templateFor(desired);
  const startedAt = Date.now();
  const since = new Date(startedAt);
  const out = await ctx.cfn.send(
    new CreateStackCommand({
      StackName: desired.stackName,
      ...template,
      Parameters: stackParameters(desired),
      Capabilities: ['CAPABILITY_IAM'],
      Tags: stackTags(desired),
      ClientRequestToken: token(ctx, desired, 'create'),
      OnFailure: 'ROLLBACK',
      ...(desired.terminationProtection === undefined
        ? {}
        : { EnableTerminationProtection: desired.terminationProtection }),
    }),
  );
  return finishOperation(ctx, out.StackId!, 'create', startedAt, since);
}

async function finishOperation(
  ctx: StackContext,
  stackId: string,
  kind: OperationKind,
  startedAt: number,
  since: Date,
): Promise<DeployOutcome> {
  const final = await waitForStack(ctx, stackId, kind, startedAt);
  if (isDeploySuccess(final.StackStatus)) return { kind: 'deployed', stackStatus: final.StackStatus! };
  const firstFailure = await firstFailedResource(ctx.cfn, stackId, since);
  return {
    kind: 'failed',
    stackStatus: final.StackStatus ?? null,
    reason: firstFailure
      ? `${firstFailure.logicalId} (${firstFailure.type}) ${firstFailure.status}: ${firstFailure.reason}`
      : `stack ended in ${final.StackStatus}${final.StackStatusReason ? `: ${final.StackStatusReason}` : ''}`,
    ...(firstFailure ? { firstFailure } : {}),
  };
}
