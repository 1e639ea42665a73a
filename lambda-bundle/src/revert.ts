// Revoking exactly what an event added, through the EC2 port. Idempotent: a rule that is already gone counts as
// reverted, so Lambda's retries are safe. Transient errors are rethrown (Lambda retries the event); permanent ones
// become a `failed` outcome with the AWS error code in the reason.
import { shown } from './shown.js';
import type { Action, Direction, Ec2Port, GroupRule, Permission } from './types.js';

export interface Outcome {
  action: Extract<Action, 'reverted' | 'failed'>;
  reason: string;
  /** nothing was revoked: every rule was already gone (a retry logs that as `ignored`) */
  gone?: boolean;
}

const TRANSIENT = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
]);
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const GONE = new Set(['InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound', 'InvalidGroup.NotFound']);

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The AWS error code, without the `Client.`/`Server.` prefix CloudTrail and some clients add. */
export function errorCode(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsLikeError;
  const name = typeof e.name === 'string' ? e.name : typeof e.code === 'string' ? e.code : 'Error';
  return name.replace(/^(Client|Server)\./, '');
}

export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsLikeError;
  if (TRANSIENT.has(errorCode(err))) return true;
  if (typeof e.code === 'string' && NETWORK.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

export const isGone = (err: unknown): boolean => GONE.has(errorCode(err));

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : shown(err, 300);
  return `${errorCode(err)}: ${message}`.slice(0, 300);
}

/** Rethrow transient errors; turn the rest into a failed outcome. */
function permanent(err: unknown, what: string): Outcome {
  if (isTransient(err)) throw err;
  return { action: 'failed', reason: `${what} failed (${describe(err)})` };
}

/** Rule ids per Revoke call: larger changes go in batches. */
export const REVOKE_BATCH = 1000;

export async function revokeRuleIds(
  ec2: Ec2Port,
  direction: Direction,
  groupId: string,
  ruleIds: string[],
): Promise<Outcome> {
  if (ruleIds.length > REVOKE_BATCH) {
    const reasons: string[] = [];
    let gone = true;
    for (let i = 0; i < ruleIds.length; i += REVOKE_BATCH) {
      const o = await revokeRuleIds(ec2, direction, groupId, ruleIds.slice(i, i + REVOKE_BATCH));
      if (o.action === 'failed') return { action: 'failed', reason: `batch ${i / REVOKE_BATCH + 1}: ${o.reason}` };
      reasons.push(o.reason);
      gone &&= o.gone === true;
    }
    return {
      action: 'reverted',
      reason: `${reasons.length} batches: ${reasons.join('; ')}`,
      ...(gone ? { gone } : {}),
    };
  }
  const what = `revoke ${direction} ${ruleIds.join(',')}`;
  try {
    await ec2.revoke({ direction, groupId, ruleIds });
    return { action: 'reverted', reason: `revoked ${ruleIds.length} ${direction} rule(s) by id` };
  } catch (err) {
    if (!isGone(err)) return permanent(err, what);
    if (ruleIds.length === 1 || errorCode(err) === 'InvalidGroup.NotFound') {
      return { action: 'reverted', reason: `already gone (${errorCode(err)})`, gone: true };
    }
  }
  // One id of several is gone and EC2 rejected the whole call: revoke the others one by one.
  let gone = 0;
  for (const ruleId of ruleIds) {
    try {
      await ec2.revoke({ direction, groupId, ruleIds: [ruleId] });
    } catch (err) {
      if (!isGone(err)) return permanent(err, `revoke ${direction} ${ruleId}`);
      gone++;
    }
  }
  return {
    action: 'reverted',
    reason: `revoked ${ruleIds.length - gone} ${direction} rule(s) by id, ${gone} already gone`,
    ...(gone === ruleIds.length ? { gone: true } : {}),
  };
}

const PROTOCOLS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };
/** tcp, udp, icmp, icmpv6 or -1 for a protocol name or number (contain.ts shares it). */
export const protocol = (p: string): string => PROTOCOLS[p.toLowerCase()] ?? p.toLowerCase();

/** Whether a rule of the group is one that the permission names (same protocol, ports and source). */
export function ruleMatches(rule: GroupRule, direction: Direction, p: Permission): boolean {
  if (rule.isEgress !== (direction === 'egress') || protocol(rule.ipProtocol) !== protocol(p.ipProtocol)) return false;
  if (protocol(p.ipProtocol) !== '-1' && (rule.fromPort !== p.fromPort || rule.toPort !== p.toPort)) return false;
  return (
    (rule.cidrIpv4 !== undefined && p.ipRanges.includes(rule.cidrIpv4)) ||
    (rule.cidrIpv6 !== undefined && p.ipv6Ranges.includes(rule.cidrIpv6)) ||
    (rule.prefixListId !== undefined && p.prefixListIds.includes(rule.prefixListId)) ||
    (rule.referencedGroupId !== undefined &&
      p.groups.some(
        (g) =>
          g.groupId === rule.referencedGroupId &&
          (!g.userId || !rule.referencedUserId || g.userId === rule.referencedUserId),
      ))
  );
}

/**
 * Revokes the request's exact permissions. EC2 answers permissions that match no rule in UnknownIpPermissions: that
 * is a failure, unless none of them is in the group any more (a retry after an earlier attempt removed them, or
 * someone else did), which counts as already reverted.
 */
export async function revokePermissions(
  ec2: Ec2Port,
  direction: Direction,
  groupId: string,
  permissions: Permission[],
): Promise<Outcome> {
  let unknown: number;
  try {
    unknown = (await ec2.revoke({ direction, groupId, permissions })).unknownPermissions;
  } catch (err) {
    if (isGone(err)) return { action: 'reverted', reason: `already gone (${errorCode(err)})`, gone: true };
    return permanent(err, `revoke ${direction} permissions`);
  }
  if (unknown === 0)
    return { action: 'reverted', reason: `revoked the request's ${permissions.length} ${direction} permission(s)` };
  let left: number;
  try {
    left = (await ec2.groupRules(groupId)).filter((r) => permissions.some((p) => ruleMatches(r, direction, p))).length;
  } catch (err) {
    if (isGone(err)) return { action: 'reverted', reason: `already gone (${errorCode(err)})`, gone: true };
    return permanent(err, `check ${direction} rules of ${groupId}`);
  }
  if (left === 0) {
    return {
      action: 'reverted',
      reason: `revoked the request's ${direction} permission(s); ${unknown} of ${permissions.length} were already gone`,
      ...(unknown === permissions.length ? { gone: true } : {}),
    };
  }
  return {
    action: 'failed',
    reason: `EC2 matched no rule for ${unknown} of ${permissions.length} permission(s) (UnknownIpPermissions), and ${left} rule(s) the request added are still there`,
  };
}
