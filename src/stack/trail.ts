// Trail mode: `create` always adds guardrail's trail in the home region, `existing` never does, `auto` adds it only
// where the account has no logging multi-region trail of its own (an organisation trail counts).
import {
  DescribeTrailsCommand,
  GetTrailStatusCommand,
  type CloudTrailClient,
  type Trail,
} from '@aws-sdk/client-cloudtrail';

export type TrailMode = 'auto' | 'create' | 'existing';

export interface TrailDecision {
  createTrail: boolean;
  reason: string;
}

export function ownTrailName(stackName: string): string {
  return `${stackName}-trail`;
}

/**
 * The trails guardrail itself makes: the direct stack's, and the stack set instances' (their names use
 * `<stackName>-set`).
 */
export function ownTrailNames(stackName: string): string[] {
  return [ownTrailName(stackName), ownTrailName(`${stackName}-set`)];
}

export async function decideTrail(
  mode: TrailMode,
  cloudtrail: () => Promise<CloudTrailClient>,
  stackName: string,
): Promise<TrailDecision> {
  if (mode === 'create') return { createTrail: true, reason: 'trail.mode is create: guardrail creates its trail' };
  if (mode === 'existing')
    return { createTrail: false, reason: "trail.mode is existing: the account's own trail is used" };
  const client = await cloudtrail();
  const out = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  // guardrail's own trails never count: switching engines replaces one with the other
  const own = ownTrailNames(stackName);
  const candidates = (out.trailList ?? []).filter(
    (t) => t.IsMultiRegionTrail && !own.some((name) => t.Name === name || t.TrailARN?.endsWith(`:trail/${name}`)),
  );
  const t = await firstLogging(client, candidates);
  if (t) {
    const kind = t.IsOrganizationTrail ? 'organisation trail' : 'multi-region trail';
    return { createTrail: false, reason: `auto: ${kind} ${t.Name} is logging, so no new trail` };
  }
  return {
    createTrail: true,
    reason: candidates.length
      ? 'auto: no multi-region trail is logging, so guardrail creates one'
      : 'auto: no multi-region trail, so guardrail creates one',
  };
}

/** The first of `trails` that is logging; a trail whose status cannot be read (another account's) does not count. */
export async function firstLogging(client: CloudTrailClient, trails: Trail[]): Promise<Trail | undefined> {
  for (const t of trails) {
    const status = await client.send(new GetTrailStatusCommand({ Name: t.TrailARN ?? t.Name })).catch(() => undefined);
    if (status?.IsLogging) return t;
  }
  return undefined;
}
