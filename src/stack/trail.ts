// Trail mode: `create` always adds guardrail's trail in the home region, `existing` never does, `auto` adds it only
// where the account has no logging multi-region trail of its own (an organisation trail counts).
import { DescribeTrailsCommand, GetTrailStatusCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';

export type TrailMode = 'auto' | 'create' | 'existing';

export interface TrailDecision {
  createTrail: boolean;
  reason: string;
}

export function ownTrailName(stackName: string): string {
  return `${stackName}-trail`;
}

/** The trails guardrail itself makes: the direct stack's, and the stack set instances' (their names use `<stackName>-set`). */
export function ownTrailNames(stackName: string): string[] {
  return [ownTrailName(stackName), ownTrailName(`${stackName}-set`)];
}

export async function decideTrail(mode: TrailMode, cloudtrail: () => CloudTrailClient, stackName: string): Promise<TrailDecision> {
  if (mode === 'create') return { createTrail: true, reason: 'trail.mode is create: guardrail creates its trail' };
  if (mode === 'existing') return { createTrail: false, reason: 'trail.mode is existing: the account\'s own trail is used' };
  const client = cloudtrail();
  const out = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  // guardrail's own trails never count: switching engines replaces one with the other
  const own = ownTrailNames(stackName);
  const candidates = (out.trailList ?? []).filter((t) => t.IsMultiRegionTrail
    && !own.some((name) => t.Name === name || t.TrailARN?.endsWith(`:trail/${name}`)));
  for (const t of candidates) {
    try {
      const status = await client.send(new GetTrailStatusCommand({ Name: t.TrailARN ?? t.Name }));
      if (status.IsLogging) {
        const kind = t.IsOrganizationTrail ? 'organisation trail' : 'multi-region trail';
        return { createTrail: false, reason: `auto: ${kind} ${t.Name} is logging, so no new trail` };
      }
    } catch {
      // a trail we may not read (another account's, without permission) does not count
    }
  }
  return { createTrail: true, reason: candidates.length
    ? 'auto: no multi-region trail is logging, so guardrail creates one'
    : 'auto: no multi-region trail, so guardrail creates one' };
}
