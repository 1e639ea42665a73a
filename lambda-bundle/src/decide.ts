// The policy, as pure functions of the configuration, the caller and the group. No AWS calls here.
import type { Config, Direction, GroupInfo, Principal } from './types.js';

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`);
}

/** `*` matches any run of characters within the ARN; everything else matches literally. */
export function arnMatches(pattern: string, arn: string): boolean {
  return patternToRegExp(pattern).test(arn);
}

/** The ARNs a caller is known by: its own, and for an assumed-role session the role's. */
export function principalArns(p: Principal): string[] {
  return [p.arn, p.roleArn].filter((a): a is string => a !== undefined);
}

export function allowedPattern(config: Config, p: Principal): string | undefined {
  const arns = principalArns(p);
  return config.allowPrincipals.find((pattern) => arns.some((arn) => arnMatches(pattern, arn)));
}

/** account + role name of a role ARN (ignoring the path, which assumed-role ARNs do not carry). */
function roleKey(arn: string): string | undefined {
  const m = /^arn:[\w-]+:iam::(\d+):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export function isSelf(config: Config, p: Principal): boolean {
  const self = config.selfRoleArn;
  if (!self) return false;
  if (principalArns(p).includes(self)) return true;
  const key = roleKey(self);
  return key !== undefined && p.roleArn !== undefined && roleKey(p.roleArn) === key;
}

/** Reasons that apply to the whole event, before any group is looked at. */
export function eventIgnoreReason(config: Config, p: Principal, region: string | null): string | undefined {
  if (isSelf(config, p)) return 'a call by the function\'s own role';
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

/** Reason the group is outside guardrail's reach, or undefined. `info` is undefined when the group is gone. */
export function groupAllowReason(config: Config, groupId: string, info: GroupInfo | undefined): string | undefined {
  if (config.exemptGroups.includes(groupId)) return `${groupId} is an exempt group`;
  if (!info) return undefined;
  const { exemptTag, onlyTag } = config;
  if (exemptTag && info.tags[exemptTag.key] === exemptTag.value) return `group carries the exempt tag ${exemptTag.key}=${exemptTag.value}`;
  if (config.onlyVpcs.length > 0 && !(info.vpcId && config.onlyVpcs.includes(info.vpcId))) {
    return `group's VPC ${info.vpcId ?? '(none)'} is outside onlyVpcs`;
  }
  if (onlyTag && info.tags[onlyTag.key] !== onlyTag.value) return `group lacks the tag ${onlyTag.key}=${onlyTag.value} (onlyTag)`;
  return undefined;
}
