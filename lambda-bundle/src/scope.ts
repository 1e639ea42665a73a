// Whether guardrail may act on a group's rules at all: written once, for the event path and the sweep alike. The
// order is the contract: an exempt group, the group's tags and VPC, then monitor mode. A decision that rests on a
// tag (the exempt tag is there, or the onlyTag is missing) is `byTag`: anyone who may tag the group could have put
// it there a moment ago, so the event path holds such an event until its scope-tag events have been decided.
import { groupOutOfScope, needsGroupInfo, outsideVpcsIn } from './decide.js';
import { errorCode, isTransient } from './revert.js';
import type { Config, Decision, Ec2Port, GroupInfo } from './types.js';

export interface ScopeVerdict {
  action: Extract<Decision['action'], 'allowed' | 'monitored' | 'failed'>;
  reason: string;
  byTag?: boolean;
}

/**
 * undefined: the group is in scope and guardrail enforces there. Otherwise what to log instead of acting. `describe`
 * is DescribeSecurityGroups (cached per invocation); transient errors propagate.
 */
export async function groupScope(
  config: Config,
  groupId: string,
  describe: (id: string) => Promise<GroupInfo | undefined>,
  associated?: (id: string) => Promise<string[]>,
): Promise<ScopeVerdict | undefined> {
  let info: GroupInfo | undefined;
  if (needsGroupInfo(config) && !config.exemptGroups.includes(groupId)) {
    try {
      info = await describe(groupId);
      // onlyVpcs: a group whose own VPC is outside is still in scope through any VPC it is associated with now
      if (info && associated && config.onlyVpcs.length > 0 && !outsideVpcsIn(config, info)) {
        info = { ...info, associatedVpcs: await associated(groupId) };
      }
    } catch (err) {
      if (isTransient(err)) throw err;
      return { action: 'failed', reason: `could not describe ${groupId} to check its scope (${errorCode(err)})` };
    }
  }
  const out = groupOutOfScope(config, groupId, info);
  if (out) return { action: 'allowed', ...out };
  if (config.mode === 'monitor') return { action: 'monitored', reason: 'monitor mode' };
  return undefined;
}

/** The keys guardrail guards: its own `guardrail:*` and the configured exempt and onlyTag keys. */
export function isScopeKey(config: Config, key: string): boolean {
  return key.startsWith('guardrail:') || key === config.exemptTag?.key || key === config.onlyTag?.key;
}

/** The VPCs a group is associated with now, besides its own (DescribeSecurityGroupVpcAssociations). */
export const associatedVpcs =
  (ec2: Ec2Port) =>
  async (groupId: string): Promise<string[]> =>
    (await ec2.groupVpcAssociations(groupId))
      .filter((a) => a.state === 'associated' || a.state === 'associating')
      .map((a) => a.vpcId);
