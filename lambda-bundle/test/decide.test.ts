// The policy's pure parts: ARN patterns, the function's own role, group scope, and configuration parsing.
import { describe, expect, it } from 'vitest';
import {
  allowedPattern,
  arnMatches,
  groupOutOfScope,
  isSelf,
  principalMatches,
  principalPatternProblem,
} from '../src/decide.js';
import { loadConfig } from '../src/config.js';
import { parseEvent } from '../src/parse-event.js';
import type { Principal } from '../src/types.js';
import { ctPermission, envelope } from './fakes.js';

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
    expect(
      isSelf(config, {
        arn: 'arn:aws:sts::111111111111:assumed-role/guardrail-fn/x',
        roleArn: 'arn:aws:iam::111111111111:role/guardrail-fn',
      }),
    ).toBe(true);
    expect(isSelf(config, { roleArn: 'arn:aws:iam::111111111111:role/service/guardrail-fn' })).toBe(true);
    expect(isSelf(config, { roleArn: 'arn:aws:iam::222222222222:role/guardrail-fn' })).toBe(false);
    expect(isSelf(config, { arn: 'arn:aws:iam::111111111111:user/guardrail-fn' })).toBe(false);
    expect(isSelf(loadConfig({}), { roleArn: 'arn:aws:iam::111111111111:role/guardrail-fn' })).toBe(false);
  });
});

describe('groupOutOfScope', () => {
  const info = { groupId: 'sg-1', vpcId: 'vpc-a', tags: { env: 'prod' } };
  it('checks exempt groups, exempt tag, onlyVpcs and onlyTag in that order', () => {
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_EXEMPT_GROUPS: 'sg-1' }), 'sg-1', undefined)?.reason).toBe(
      'sg-1 is an exempt group',
    );
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_EXEMPT_TAG: 'env=prod' }), 'sg-1', info)?.reason).toBe(
      'group carries the exempt tag env=prod',
    );
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_ONLY_VPCS: 'vpc-a,vpc-b' }), 'sg-1', info)?.reason).toBeUndefined();
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_ONLY_VPCS: 'vpc-b' }), 'sg-1', info)?.reason).toBe(
      "group's VPC vpc-a is outside onlyVpcs",
    );
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=dev' }), 'sg-1', info)?.reason).toBe(
      'group lacks the tag env=dev (onlyTag)',
    );
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=prod' }), 'sg-1', info)?.reason).toBeUndefined();
    expect(groupOutOfScope(loadConfig({ GUARDRAIL_ONLY_TAG: 'env=prod' }), 'sg-1', undefined)?.reason).toBeUndefined();
  });
});

describe('loadConfig', () => {
  it('defaults to enforce, restore (alert when the previous definition is unknown), both directions', () => {
    expect(loadConfig({})).toMatchObject({
      mode: 'enforce',
      onModify: 'restore',
      onModifyUnknown: 'alert',
      directions: ['ingress', 'egress'],
      allowPrincipals: [],
      warnings: [],
    });
    expect(loadConfig({})).not.toHaveProperty('rulesTable', expect.anything());
  });
  it('parses every variable', () => {
    const c = loadConfig({
      GUARDRAIL_MODE: 'MONITOR',
      GUARDRAIL_ON_MODIFY: 'alert',
      GUARDRAIL_DIRECTIONS: 'egress',
      GUARDRAIL_ALLOW_PRINCIPALS: ' a , b ,',
      GUARDRAIL_EXEMPT_TAG: 'k=v=w',
      GUARDRAIL_EXEMPT_GROUPS: 'sg-1,sg-2',
      GUARDRAIL_ONLY_VPCS: 'vpc-1',
      GUARDRAIL_ONLY_TAG: 'env=prod',
      GUARDRAIL_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t',
      GUARDRAIL_SELF_ROLE_ARN: 'arn:aws:iam::1:role/r',
      AWS_REGION: 'eu-west-1',
      GUARDRAIL_ON_MODIFY_UNKNOWN: 'revoke-if-wider-than-before-unknown',
      GUARDRAIL_PREFIX_LIST_PRINCIPALS: 'arn:aws:iam::1:role/Net',
      GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8, fd00::/8',
      GUARDRAIL_PREFIX_LIST_EXEMPT: 'pl-1',
      GUARDRAIL_ON_ASSOCIATE: 'report',
    });
    expect(c).toEqual({
      prefixLists: { principals: ['arn:aws:iam::1:role/Net'], cidrs: ['10.0.0.0/8', 'fd00::/8'], exempt: ['pl-1'] },
      onAssociate: 'report',
      mode: 'monitor',
      onModify: 'alert',
      onModifyUnknown: 'revoke-if-wider-than-before-unknown',
      directions: ['egress'],
      rulesTable: undefined,
      allowPrincipals: ['a', 'b'],
      exemptTag: { key: 'k', value: 'v=w' },
      exemptGroups: ['sg-1', 'sg-2'],
      onlyVpcs: ['vpc-1'],
      onlyTag: { key: 'env', value: 'prod' },
      notifyTopicArn: 'arn:aws:sns:us-east-1:1:t',
      selfRoleArn: 'arn:aws:iam::1:role/r',
      region: 'eu-west-1',
      warnings: [],
      account: undefined,
      approvals: undefined,
      queue: undefined,
      notifyOn: ['reverted', 'restored', 'allowed', 'monitored', 'failed', 'approved', 'expired', 'forged', 'refused'],
      settleSeconds: 30,
      graceMinutes: 60,
    });
  });
  it('falls back safely on bad values, with warnings', () => {
    const c = loadConfig({
      GUARDRAIL_MODE: 'off',
      GUARDRAIL_ON_MODIFY: 'ignore',
      GUARDRAIL_DIRECTIONS: 'sideways',
      GUARDRAIL_EXEMPT_TAG: 'novalue',
      GUARDRAIL_ON_MODIFY_UNKNOWN: 'revoke',
    });
    expect(c).toMatchObject({
      mode: 'enforce',
      onModify: 'restore',
      onModifyUnknown: 'alert',
      rulesTable: undefined,
      directions: ['ingress', 'egress'],
      exemptTag: undefined,
    });
    expect(c.warnings).toHaveLength(5);
  });
});

// Real CloudTrail userIdentity shapes (as the AWS CloudTrail userIdentity reference documents them), read through
// parseEvent so that the test covers principalOf as well as the matching.
const A = '111111111111';
const identities = {
  /** role Dev, session name chosen by the caller: ci-pipeline */
  devAsCiPipeline: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEDEV:ci-pipeline',
    arn: `arn:aws:sts::${A}:assumed-role/Dev/ci-pipeline`,
    accountId: A,
    accessKeyId: 'ASIAEXAMPLE',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEDEV',
        arn: `arn:aws:iam::${A}:role/Dev`,
        accountId: A,
        userName: 'Dev',
      },
      attributes: { creationDate: '2025-01-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  },
  /** the real pipeline role, with a path */
  ciPipeline: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLECI:build-42',
    arn: `arn:aws:sts::${A}:assumed-role/ci-pipeline/build-42`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLECI',
        arn: `arn:aws:iam::${A}:role/deploy/ci-pipeline`,
        accountId: A,
        userName: 'ci-pipeline',
      },
    },
  },
  alice: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: `arn:aws:iam::${A}:user/alice`,
    accountId: A,
    userName: 'alice',
  },
  /** IAM user mallory calls GetFederationToken --name netadmin */
  malloryAsNetadmin: {
    type: 'FederatedUser',
    principalId: `${A}:netadmin`,
    arn: `arn:aws:sts::${A}:federated-user/netadmin`,
    accountId: A,
    sessionContext: {
      sessionIssuer: {
        type: 'IAMUser',
        principalId: 'AIDAMALLORY',
        arn: `arn:aws:iam::${A}:user/mallory`,
        accountId: A,
        userName: 'mallory',
      },
    },
  },
  service: { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
  root: { type: 'Root', principalId: A, arn: `arn:aws:iam::${A}:root`, accountId: A },
};

function principalFrom(userIdentity: unknown): Principal {
  const parsed = parseEvent(
    envelope({
      requestParameters: {
        groupId: 'sg-0123456789abcdef0',
        ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
      },
      userIdentity,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.principal;
}

describe('principal patterns match what the caller cannot choose', () => {
  it.each<[string, keyof typeof identities, boolean]>([
    // attack 1: a session name is chosen by whoever assumes a role
    [`arn:aws:sts::*:assumed-role/*/ci-pipeline`, 'devAsCiPipeline', false],
    [`arn:aws:sts::*:assumed-role/*/ci-pipeline`, 'ciPipeline', false],
    [`arn:aws:sts::${A}:assumed-role/*pipeline`, 'devAsCiPipeline', false],
    // attack 2: a federated name is chosen by whoever calls GetFederationToken
    [`arn:aws:sts::${A}:federated-user/netadmin`, 'malloryAsNetadmin', false],
    [`arn:aws:sts::*:federated-user/*`, 'malloryAsNetadmin', false],
    // roles: by the issuer's role ARN (with its path), or the sts form by role name (and session, when given)
    [`arn:aws:iam::${A}:role/deploy/ci-pipeline`, 'ciPipeline', true],
    [`arn:aws:iam::${A}:role/ci-pipeline`, 'ciPipeline', false],
    [`arn:aws:iam::${A}:role/*ci-pipeline`, 'ciPipeline', true],
    [`arn:aws:iam::${A}:role/ci-pipeline`, 'devAsCiPipeline', false],
    [`arn:aws:iam::*:role/Dev`, 'devAsCiPipeline', true],
    [`arn:aws:sts::${A}:assumed-role/ci-pipeline/*`, 'ciPipeline', true],
    [`arn:aws:sts::${A}:assumed-role/ci-pipeline/build-42`, 'ciPipeline', true],
    [`arn:aws:sts::${A}:assumed-role/ci-pipeline/build-43`, 'ciPipeline', false],
    [`arn:aws:sts::${A}:assumed-role/ci-*/build-*`, 'ciPipeline', true],
    [`arn:aws:sts::222222222222:assumed-role/ci-pipeline/*`, 'ciPipeline', false],
    [`arn:aws:sts::${A}:assumed-role/ci-pipeline/*`, 'devAsCiPipeline', false],
    [`arn:aws:sts::${A}:assumed-role/*`, 'devAsCiPipeline', true],
    [`arn:aws:sts::${A}:assumed-role/Dev`, 'devAsCiPipeline', false],
    [`arn:aws:sts::${A}:assumed-role/Dev/*`, 'devAsCiPipeline', true],
    [`arn:aws:sts::${A}:assumed-role/De*/ci-*`, 'devAsCiPipeline', true],
    [`arn:aws:sts::${A}:*`, 'devAsCiPipeline', false],
    [`arn:aws:sts::${A}:*`, 'malloryAsNetadmin', false],
    // IAM users: by their ARN; a federated user by the IAM user that issued it
    [`arn:aws:iam::${A}:user/alice`, 'alice', true],
    [`arn:aws:iam::${A}:user/mallory`, 'malloryAsNetadmin', true],
    [`arn:aws:iam::${A}:user/netadmin`, 'malloryAsNetadmin', false],
    [`arn:aws:iam::${A}:user/*`, 'devAsCiPipeline', false],
    [`arn:aws:iam::${A}:root`, 'root', true],
    [`arn:aws:iam::${A}:root`, 'alice', false],
    // a service has no ARN to match
    [`arn:aws:iam::*:role/*`, 'service', false],
    [`arn:aws:sts::*:assumed-role/*/*`, 'service', false],
  ])('%s vs %s → %s', (pattern, who, expected) => {
    const p = principalFrom(identities[who]);
    expect(principalMatches(pattern, p)).toBe(expected);
    expect(allowedPattern(loadConfig({ GUARDRAIL_ALLOW_PRINCIPALS: pattern }), p)).toBe(expected ? pattern : undefined);
  });

  it('principalOf keeps the issuer', () => {
    expect(principalFrom(identities.malloryAsNetadmin)).toEqual({
      arn: `arn:aws:sts::${A}:federated-user/netadmin`,
      roleArn: `arn:aws:iam::${A}:user/mallory`,
      type: 'FederatedUser',
    });
    expect(principalFrom(identities.service)).toEqual({ type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' });
    // no sessionContext (some records leave it out): the role comes from the assumed-role ARN, which the caller cannot
    // choose
    const bare = principalFrom({ type: 'AssumedRole', arn: `arn:aws:sts::${A}:assumed-role/Dev/x`, accountId: A });
    expect(bare).toMatchObject({ roleArn: `arn:aws:iam::${A}:role/Dev` });
    expect(principalMatches(`arn:aws:iam::${A}:role/Dev`, bare)).toBe(true);
  });

  it('warns about patterns that can never match', () => {
    const c = loadConfig({
      GUARDRAIL_ALLOW_PRINCIPALS: `arn:aws:sts::*:assumed-role/*/ci-pipeline,arn:aws:sts::${A}:federated-user/netadmin,arn:aws:iam::*:role/Ok`,
    });
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings[0]).toMatch(
      /assumed-role\/\*\/ci-pipeline never matches: callers choose session\/federated names/,
    );
    expect(c.warnings[1]).toMatch(/federated-user\/netadmin never matches/);
    expect(principalPatternProblem(`arn:aws:sts::${A}:assumed-role/ci-pipeline/*`)).toBeUndefined();
  });
});

describe('the rule records table', () => {
  const RULES = 'arn:aws:dynamodb:eu-west-1:999999999999:table/guardrail-approvals-rules';
  it("comes from its own variable, with approvals on or off, in the table's region", () => {
    expect(loadConfig({ GUARDRAIL_RULES_TABLE: RULES }).rulesTable).toEqual({ tableArn: RULES, region: 'eu-west-1' });
    expect(loadConfig({ GUARDRAIL_RULES_TABLE: RULES }).approvals).toBeUndefined();
  });
  it('is never derived from the approvals table; a value that is no table ARN means no records, with a warning', () => {
    expect(
      loadConfig({ GUARDRAIL_APPROVALS_TABLE: 'arn:aws:dynamodb:us-east-1:999999999999:table/guardrail-approvals' })
        .rulesTable,
    ).toBeUndefined();
    const bad = loadConfig({ GUARDRAIL_RULES_TABLE: 'guardrail-approvals-rules' });
    expect(bad.rulesTable).toBeUndefined();
    expect(bad.warnings.join('\n')).toMatch(/GUARDRAIL_RULES_TABLE .* is no table ARN; no rule records/);
  });
});
