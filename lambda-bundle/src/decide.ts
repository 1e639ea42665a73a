// The policy, as pure functions of the configuration, the caller and the group. No AWS calls here.
import type { Config, Direction, GroupInfo, Principal } from './types.js';

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

/** `*` matches any run of characters within the ARN; everything else matches literally. */
export function arnMatches(pattern: string, arn: string): boolean {
  return patternToRegExp(pattern).test(arn);
}

/** A role ARN: partition, account, role name (without the path, which assumed-role ARNs do not carry). */
const ROLE = /^arn:([\w-]+):iam::(\d+):role\/(?:.*\/)?([^/]+)$/;

// A caller chooses its session name (AssumeRole's RoleSessionName) and a federated user's name (GetFederationToken's
// Name), not the role or IAM user that issued the session: patterns are matched only against what it cannot choose.

const wild = (s: string): boolean => /^\**$/.test(s);
/** An sts pattern's resource type (assumed-role, federated-user, …), role or name, and session. */
const stsParts = (pattern: string): RegExpExecArray | null => /:sts::[^:]*:([^/]*)\/?([^/]*)\/?(.*)$/.exec(pattern);

/** Why a pattern never matches (it names only what a caller chooses), or undefined. Reported as a warning. */
export function principalPatternProblem(pattern: string): string | undefined {
  const s = stsParts(pattern);
  if (s && (s[1] === 'federated-user' || (s[1] === 'assumed-role' && wild(s[2]!) && !wild(s[3]!)))) {
    return `${pattern} never matches: callers choose session/federated names`;
  }
  return undefined;
}

/**
 * Whether the caller matches the pattern. iam patterns match an IAM user's or the root's own ARN, or the session
 * issuer's ARN (the role, with its path; a federated user's IAM user). An sts `assumed-role/ROLE/SESSION` pattern
 * matches a role session whose issuer's account and role name match, and its session name only beside them; other
 * sts patterns (federated-user/…) never match.
 */
export function principalMatches(pattern: string, p: Principal): boolean {
  const { type } = p;
  const s = stsParts(pattern);
  if (s) {
    // an AssumedRole's issuer is always its role (sessionIssuer.arn, else the role of the assumed-role ARN). Role
    // and session names hold no `/`, so once the role part matches the issuer's name, the whole pattern matching the
    // session ARN means the session part matches the session name (and the account, the session's account)
    const role = type === 'AssumedRole' ? ROLE.exec(p.roleArn ?? '') : null;
    return (
      !!role &&
      s[1] === 'assumed-role' &&
      !principalPatternProblem(pattern) &&
      arnMatches(s[2]!, role[3]!) &&
      arnMatches(pattern, p.arn ?? '')
    );
  }
  const arn = (
    { IAMUser: p.arn, Root: p.arn, AssumedRole: p.roleArn, FederatedUser: p.roleArn } as Record<
      string,
      string | undefined
    >
  )[type as string];
  return !!arn && arnMatches(pattern, arn);
}

export function allowedPattern(config: Config, p: Principal): string | undefined {
  return config.allowPrincipals.find((pattern) => principalMatches(pattern, p));
}

/** account + role name of a role ARN (ignoring the path). */
const roleKey = (arn: string): string | undefined => ROLE.exec(arn)?.slice(2).join('/');

export function isSelf(config: Config, p: Principal): boolean {
  // the session's issuer is the function's role: the same account and name (the path aside); p.arn is never a role ARN
  const key = roleKey(config.selfRoleArn ?? '');
  return !!key && roleKey(p.roleArn ?? '') === key;
}

/** Reasons that apply to the whole event, before any group is looked at. */
export function eventIgnoreReason(config: Config, p: Principal, region: string | null): string | undefined {
  if (isSelf(config, p)) return "a call by the function's own role";
  if (config.region && region && region !== config.region) {
    return `event from ${region}, but the function runs in ${config.region}`;
  }
  return undefined;
}

export function directionIgnoreReason(config: Config, direction: Direction): string | undefined {
  if (config.directions.includes(direction)) return undefined;
  return `${direction} is not protected (directions: ${config.directions.join(',')})`;
}

/** True when the group checks need DescribeSecurityGroups (tags or VPC). */
export function needsGroupInfo(config: Config): boolean {
  return config.exemptTag !== undefined || config.onlyTag !== undefined || config.onlyVpcs.length > 0;
}

/** Whether the group's own VPC or one it is associated with is in onlyVpcs. */
export function outsideVpcsIn(config: Config, info: GroupInfo): boolean {
  return [info.vpcId, ...(info.associatedVpcs ?? [])].some((v) => v !== undefined && config.onlyVpcs.includes(v));
}

/**
 * Why the group is outside guardrail's reach, and whether that rests only on its tags (the exempt tag there, or the
 * onlyTag missing), which anyone who may tag the group could have just changed. Undefined: in reach.
 */
export function groupOutOfScope(
  config: Config,
  groupId: string,
  info: GroupInfo | undefined,
): { reason: string; byTag: boolean } | undefined {
  if (config.exemptGroups.includes(groupId)) return { reason: `${groupId} is an exempt group`, byTag: false };
  if (!info) return undefined;
  const { exemptTag, onlyTag } = config;
  if (exemptTag && info.tags[exemptTag.key] === exemptTag.value) {
    return { reason: `group carries the exempt tag ${exemptTag.key}=${exemptTag.value}`, byTag: true };
  }
  // a group is in every VPC it is associated with (AssociateSecurityGroupVpc): any of them in onlyVpcs brings it in
  if (config.onlyVpcs.length > 0 && !outsideVpcsIn(config, info)) {
    const others = info.associatedVpcs?.length
      ? ` and its associated VPCs ${info.associatedVpcs.join(',')} are`
      : ' is';
    return { reason: `group's VPC ${info.vpcId ?? '(none)'}${others} outside onlyVpcs`, byTag: false };
  }
  if (onlyTag && info.tags[onlyTag.key] !== onlyTag.value) {
    return { reason: `group lacks the tag ${onlyTag.key}=${onlyTag.value} (onlyTag)`, byTag: true };
  }
  return undefined;
}
