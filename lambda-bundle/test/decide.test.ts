// The policy's pure parts: ARN patterns, the function's own role, group scope, and configuration parsing.
import { describe, expect, it } from 'vitest';
import { arnMatches, groupAllowReason, isSelf } from '../src/decide.js';
import { loadConfig } from '../src/config.js';

describe('arnMatches', () => {
  it.each([
    ['arn:aws:iam::111111111111:role/Admin', 'arn:aws:iam::111111111111:role/Admin', true],
    ['arn:aws:iam::111111111111:role/Admin', 'arn:aws:iam::111111111111:role/Admin2', false],
    ['arn:aws:iam::*:role/Admin', 'arn:aws:iam::222222222222:role/Admin', true],
    ['arn:aws:iam::111111111111:role/*', 'arn:aws:iam::111111111111:role/team/Deploy', true],
    ['arn:aws:iam::111111111111:user/a.b', 'arn:aws:iam::111111111111:user/aXb', false],
    ['arn:aws:iam::111111111111:user/(x)+', 'arn:aws:iam::111111111111:user/(x)+', true],
    ['*', 'anything', true],
  ])('%s vs %s → %s', (pattern, arn, expected) => {
    expect(arnMatches(pattern, arn)).toBe(expected);
  });
});

describe('isSelf', () => {
  const config = loadConfig({ GUARDRAIL_SELF_ROLE_ARN: 'arn:aws:iam::111111111111:role/service/guardrail-fn' });
  it('matches the role through its sessions, with or without the path', () => {
    expect(isSelf(config, { arn: 'arn:aws:sts::111111111111:assumed-role/guardrail-fn/x', roleArn: 'arn:aws:iam::111111111111:role/guardrail-fn' })).toBe(true);
    expect(isSelf(config, { roleArn: 'arn:aws:iam::111111111111:role/service/guardrail-fn' })).toBe(true);
    expect(isSelf(config, { roleArn: 'arn:aws:iam::222222222222:role/guardrail-fn' })).toBe(false);
    expect(isSelf(config, { arn: 'arn:aws:iam::111111111111:user/guardrail-fn' })).toBe(false);
    expect(isSelf(loadConfig({}), { roleArn: 'arn:aws:iam::111111111111:role/guardrail-fn' })).toBe(false);
  });
});

describe('groupAllowReason', () => {
  const info = { groupId: 'sg-1', vpcId: 'vpc-a', tags: { env: 'prod' } };
  it('checks exempt groups, exempt tag, onlyVpcs and onlyTag in that order', () => {
    expect(groupAllowReason(loadConfig({ GUARDRAIL_EXEMPT_GROUPS: 'sg-1' }), 'sg-1', undefined)).toBe('sg-1 is an exempt group');
    expect(groupAllowReason(loadConfig({ GUARDRAIL_EXEMPT_TAG: 'env=prod' }), 'sg-1', info)).toBe('group carries the exempt tag env=prod');
    expect(groupAllowReason(loadConfig({ GUARDRAIL_ONLY_VPCS: 'vpc-a,vpc-b' }), 'sg-1', info)).toBeUndefined();
    expect(groupAllowReason(loadConfig({ GUARDRAIL_ONLY_VPCS: 'vpc-b' }), 'sg-1', info)).toBe("group's VPC vpc-a is outside onlyVpcs");
    expect(groupAllowReason(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=dev' }), 'sg-1', info)).toBe('group lacks the tag env=dev (onlyTag)');
    expect(groupAllowReason(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=prod' }), 'sg-1', info)).toBeUndefined();
    expect(groupAllowReason(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=prod' }), 'sg-1', undefined)).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('defaults to enforce, revoke, both directions', () => {
    expect(loadConfig({})).toMatchObject({ mode: 'enforce', onModify: 'revoke', directions: ['ingress', 'egress'], allowPrincipals: [], warnings: [] });
  });
  it('parses every variable', () => {
    const c = loadConfig({
      GUARDRAIL_MODE: 'MONITOR', GUARDRAIL_ON_MODIFY: 'alert', GUARDRAIL_DIRECTIONS: 'egress', GUARDRAIL_ALLOW_PRINCIPALS: ' a , b ,',
      GUARDRAIL_EXEMPT_TAG: 'k=v=w', GUARDRAIL_EXEMPT_GROUPS: 'sg-1,sg-2', GUARDRAIL_ONLY_VPCS: 'vpc-1', GUARDRAIL_ONLY_TAG: 'env=prod',
      GUARDRAIL_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t', GUARDRAIL_SELF_ROLE_ARN: 'arn:aws:iam::1:role/r', AWS_REGION: 'eu-west-1',
    });
    expect(c).toEqual({
      mode: 'monitor', onModify: 'alert', directions: ['egress'], allowPrincipals: ['a', 'b'], exemptTag: { key: 'k', value: 'v=w' },
      exemptGroups: ['sg-1', 'sg-2'], onlyVpcs: ['vpc-1'], onlyTag: { key: 'env', value: 'prod' }, notifyTopicArn: 'arn:aws:sns:us-east-1:1:t',
      selfRoleArn: 'arn:aws:iam::1:role/r', region: 'eu-west-1', warnings: [], account: undefined, approvals: undefined, queue: undefined,
      notifyOn: ['reverted', 'allowed', 'monitored', 'failed', 'approved', 'expired', 'forged', 'refused'], settleSeconds: 30, graceMinutes: 60,
    });
  });
  it('falls back safely on bad values, with warnings', () => {
    const c = loadConfig({ GUARDRAIL_MODE: 'off', GUARDRAIL_ON_MODIFY: 'ignore', GUARDRAIL_DIRECTIONS: 'sideways', GUARDRAIL_EXEMPT_TAG: 'novalue' });
    expect(c).toMatchObject({ mode: 'enforce', onModify: 'revoke', directions: ['ingress', 'egress'], exemptTag: undefined });
    expect(c.warnings).toHaveLength(4);
  });
});
