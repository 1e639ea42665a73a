// Removing one stack. Resources with DeletionPolicy Retain (the trail bucket) stay, and are named in the result, so
// the audit logs are never lost and the user knows where they are.
import { DeleteStackCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { describeStack, firstFailedResource, waitForStack, type FailedResource, type StackContext } from './deploy-stack.js';
import { isInProgress } from './stack-status.js';
import { setTerminationProtection } from './termination-protection.js';

export type RemoveOutcome =
  | { kind: 'removed'; retained: string[] }
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
  return stack ? { exists: true as const, stackId: stack.StackId!, stackStatus: stack.StackStatus ?? null } : { exists: false as const };
}

export async function removeStack(ctx: StackContext, stackId: string, stackStatus: string | null, token: string): Promise<RemoveOutcome> {
  const retained = await retainedBuckets(ctx, stackId);
  const settled = isInProgress(stackStatus ?? undefined) ? await waitForStack(ctx, stackId, 'update') : await describeStack(ctx.cfn, stackId);
  // lifted right before the delete, for exactly this stack
  if (settled?.EnableTerminationProtection) await setTerminationProtection(ctx.cfn, stackId, false);
  const startedAt = Date.now();
  await ctx.cfn.send(new DeleteStackCommand({ StackName: stackId, ClientRequestToken: token }));
  const final = await waitForStack(ctx, stackId, 'delete', startedAt);
  if (final.StackStatus === 'DELETE_COMPLETE') return { kind: 'removed', retained };
  const firstFailure = await firstFailedResource(ctx.cfn, stackId, new Date(startedAt));
  return {
    kind: 'failed', stackStatus: final.StackStatus ?? null, retained,
    reason: firstFailure ? `${firstFailure.logicalId} (${firstFailure.type}) ${firstFailure.status}: ${firstFailure.reason}`
      : `stack ended in ${final.StackStatus}`,
    ...(firstFailure ? { firstFailure } : {}),
  };
}
