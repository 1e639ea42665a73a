// Removing one stack. Resources whose DeletionPolicy keeps them (the trail bucket, the decision log group, the
// dead-letter queue of failed reverts) stay, and are named in the result, so the audit record is never lost and the
// user knows where it is.
import {
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  paginateDescribeStackEvents,
  paginateListStacks,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation';
import {
  describeStack,
  firstFailedResource,
  waitForStack,
  type FailedResource,
  type StackContext,
} from './deploy-stack.js';
import { isInProgress } from './stack-status.js';
import { setTerminationProtection } from './termination-protection.js';

/** A resource the delete left in place on purpose (DELETE_SKIPPED: its DeletionPolicy retains it). */
export interface KeptResource {
  logicalId: string;
  type: string;
  physicalId: string;
}

export type RemoveOutcome =
  | { kind: 'removed'; retained: string[]; kept: KeptResource[]; deletedAt: string | null }
  | { kind: 'failed'; stackStatus: string | null; reason: string; firstFailure?: FailedResource; retained: string[] };

/** The stack's S3 buckets: the template retains them on delete. */
async function retainedBuckets(ctx: StackContext, stackId: string): Promise<string[]> {
  const out = await ctx.cfn.send(new DescribeStackResourcesCommand({ StackName: stackId }));
  return (out.StackResources ?? [])
    .filter((r) => r.ResourceType === 'AWS::S3::Bucket' && r.PhysicalResourceId)
    .map((r) => r.PhysicalResourceId!);
}

export async function planRemove(ctx: StackContext, stackName: string) {
  const stack = await describeStack(ctx.cfn, stackName);
  return stack
    ? { exists: true as const, stackId: stack.StackId!, stackStatus: stack.StackStatus ?? null }
    : { exists: false as const };
}

export async function removeStack(
  ctx: StackContext,
  stackId: string,
  stackStatus: string | null,
  token: string,
): Promise<RemoveOutcome> {
  const retained = await retainedBuckets(ctx, stackId);
  const settled = isInProgress(stackStatus ?? undefined)
    ? await waitForStack(ctx, stackId, 'update')
    : await describeStack(ctx.cfn, stackId);
  // lifted right before the delete, for exactly this stack
  if (settled?.EnableTerminationProtection) await setTerminationProtection(ctx.cfn, stackId, false);
  const startedAt = Date.now();
  await ctx.cfn.send(new DeleteStackCommand({ StackName: stackId, ClientRequestToken: token }));
  const final = await waitForStack(ctx, stackId, 'delete', startedAt);
  if (final.StackStatus === 'DELETE_COMPLETE') {
    return {
      kind: 'removed',
      retained,
      kept: await keptResources(ctx, stackId, startedAt),
      deletedAt: final.DeletionTime?.toISOString() ?? null,
    };
  }
  const firstFailure = await firstFailedResource(ctx.cfn, stackId, new Date(startedAt));
  return {
    kind: 'failed',
    stackStatus: final.StackStatus ?? null,
    retained,
    reason: firstFailure
      ? `${firstFailure.logicalId} (${firstFailure.type}) ${firstFailure.status}: ${firstFailure.reason}`
      : `stack ended in ${final.StackStatus}`,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/**
 * What this delete kept, from the stack's events (newest first) back to the delete's own start: the stack's
 * DELETE_IN_PROGRESS event (or, should that be missing, five minutes before we asked, which leaves room for clock
 * skew). Works for stacks of any template version: the events say what each policy did.
 */
async function keptResources(ctx: StackContext, stackId: string, startedAt: number): Promise<KeptResource[]> {
  const kept: KeptResource[] = [];
  for await (const page of paginateDescribeStackEvents({ client: ctx.cfn }, { StackName: stackId })) {
    for (const e of page.StackEvents ?? []) {
      if (e.Timestamp && e.Timestamp.getTime() < startedAt - 300_000) return kept;
      if (e.ResourceType === 'AWS::CloudFormation::Stack' && e.ResourceStatus === 'DELETE_IN_PROGRESS') return kept;
      if (e.ResourceStatus === 'DELETE_SKIPPED' && e.PhysicalResourceId) {
        kept.push({
          logicalId: e.LogicalResourceId ?? '?',
          type: e.ResourceType ?? '?',
          physicalId: e.PhysicalResourceId,
        });
      }
    }
  }
  return kept;
}

/**
 * Slack for comparing a deletion time with guardrail remove's marker. The marker holds CloudFormation's own
 * DeletionTime of the stacks that remove deleted (the latest of them), so both times come from AWS's clock; a second
 * covers their rounding. (A marker without it, from the stacksets engine, holds the caller's clock instead; instance
 * stacks are never judged by it.)
 */
export const REMOVAL_SLACK_MS = 1000;
const MAX_LIST_PAGES = 50;

/**
 * The latest deletion of a stack named `stackName` in this region when it came after `markedAt` (plus the slack):
 * the stack guardrail removed was deployed again and deleted by someone else. null when no such deletion is listed
 * (CloudFormation lists deleted stacks for 90 days).
 */
export async function deletedAfter(
  cfn: CloudFormationClient,
  stackName: string,
  markedAt: string,
): Promise<string | null> {
  const limit = Date.parse(markedAt) + REMOVAL_SLACK_MS;
  let latest: Date | null = null;
  let pages = 0;
  for await (const page of paginateListStacks({ client: cfn }, { StackStatusFilter: ['DELETE_COMPLETE'] })) {
    for (const s of page.StackSummaries ?? []) {
      if (s.StackName === stackName && s.DeletionTime && (!latest || s.DeletionTime > latest)) latest = s.DeletionTime;
    }
    if (++pages >= MAX_LIST_PAGES) break;
  }
  return latest && latest.getTime() > limit ? latest.toISOString() : null;
}
