// Generated cases for every branch: what is reverted, allowed, monitored, ignored or failed, and exactly which
// EC2 calls are made.
import { describe, expect, it } from 'vitest';
import { processEvent, type Deps } from '../src/process-event.js';
import type { Result } from '../src/types.js';
import {
  ACCOUNT,
  AwsError,
  FakeEc2,
  FakeSns,
  REGION,
  USER_ARN,
  config,
  ctPermission,
  envelope,
  type EventOptions,
  type FakeRule,
} from './fakes.js';

const SG = 'sg-0123456789abcdef0';
const keep: FakeRule[] = [1, 2, 3, 4, 5].map((n) => ({
  ruleId: `sgr-0keep${n}`,
  isEgress: n === 5,
  protocol: 'tcp',
  from: 8000 + n,
  to: 8000 + n,
  cidr4: `10.${n}.0.0/16`,
}));

function world(extra: FakeRule[] = [], group: Parameters<FakeEc2['addGroup']>[0] = { groupId: SG }): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({ ...group, rules: [...keep, ...extra] });
  return ec2;
}

async function run(
  event: unknown,
  ec2: FakeEc2,
  env: Record<string, string> = {},
  sns?: FakeSns,
): Promise<Result & { lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const deps: Deps = { config: config({ AWS_REGION: REGION, ...env }), ec2, sns, log: (l) => lines.push(l) };
  const result = await processEvent(event, deps);
  return { ...result, lines };
}

const remaining = (ec2: FakeEc2, groupId = SG): string[] => ec2.groups.get(groupId)?.rules.map((r) => r.ruleId) ?? [];
const KEEP_IDS = keep.map((r) => r.ruleId);

/** An ingress event in the old format (no rule ids). */
function oldIngress(
  perms: Record<string, unknown>[],
  o: EventOptions = {},
  eventName = 'AuthorizeSecurityGroupIngress',
): Record<string, unknown> {
  return envelope({ eventName, requestParameters: { groupId: SG, ipPermissions: { items: perms } }, ...o });
}

/** An event in today's format, with the response's rule set. */
function newEvent(
  rules: Record<string, unknown>[],
  o: EventOptions = {},
  eventName = 'AuthorizeSecurityGroupIngress',
): Record<string, unknown> {
  return envelope({
    eventName,
    requestParameters: {
      groupId: SG,
      ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
    },
    responseElements: {
      requestId: 'r',
      _return: true,
      securityGroupRuleSet: { items: rules.map((r) => ({ groupId: SG, groupOwnerId: ACCOUNT, ...r })) },
    },
    ...o,
  });
}

const ssh: FakeRule = { ruleId: 'sgr-0new', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' };
const sshEvent = (o: EventOptions = {}): Record<string, unknown> =>
  newEvent(
    [
      {
        securityGroupRuleId: 'sgr-0new',
        isEgress: false,
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: '0.0.0.0/0',
      },
    ],
    o,
  );

function modifyEvent(
  rules: { id: string; values: Record<string, unknown> }[],
  single = rules.length === 1,
): Record<string, unknown> {
  const list = rules.map((r) => ({ SecurityGroupRuleId: r.id, SecurityGroupRule: r.values }));
  return envelope({
    eventName: 'ModifySecurityGroupRules',
    requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: single ? list[0] : list } },
    responseElements: { ModifySecurityGroupRulesResponse: { requestId: 'r', return: true } },
  });
}

describe('reverting precisely', () => {
  it('revokes by rule id and leaves the five earlier rules', async () => {
    const ec2 = world([ssh]);
    const r = await run(sshEvent(), ec2);
    expect(r.decisions).toEqual([
      {
        groupId: SG,
        ruleIds: ['sgr-0new'],
        direction: 'ingress',
        action: 'reverted',
        reason: 'revoked 1 ingress rule(s) by id',
      },
    ]);
    expect(remaining(ec2)).toEqual(KEEP_IDS);
    expect(r).toMatchObject({
      eventId: 'c0000000-0000-4000-8000-000000000002',
      eventName: 'AuthorizeSecurityGroupIngress',
      account: ACCOUNT,
      region: REGION,
    });
  });

  it("revokes exactly the request's permissions when there are no rule ids, and leaves the five", async () => {
    const ec2 = world([ssh]);
    const r = await run(
      oldIngress([ctPermission({ protocol: 'tcp', from: '22', to: '22', cidrs: ['0.0.0.0/0'] })]),
      ec2,
    );
    expect(r.decisions[0]).toMatchObject({ action: 'reverted', direction: 'ingress', ruleIds: [] });
    expect(ec2.revokes[0]?.permissions).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipRanges: ['0.0.0.0/0'],
        ipv6Ranges: [],
        prefixListIds: [],
        groups: [],
      },
    ]);
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });

  it('handles IPv6, prefix lists and cross-account group references', async () => {
    const added: FakeRule[] = [
      { ruleId: 'sgr-0v6', isEgress: false, protocol: 'tcp', from: 443, to: 443, cidr6: '::/0' },
      { ruleId: 'sgr-0pl', isEgress: false, protocol: 'tcp', from: 443, to: 443, prefixList: 'pl-0abc1234' },
      {
        ruleId: 'sgr-0ref',
        isEgress: false,
        protocol: 'tcp',
        from: 443,
        to: 443,
        refGroup: 'sg-0999999999999999a',
        refUser: '222222222222',
      },
    ];
    const ec2 = world(added);
    const perm = ctPermission({
      protocol: 'tcp',
      from: 443,
      to: 443,
      v6: ['::/0'],
      prefixLists: ['pl-0abc1234'],
      groups: [{ groupId: 'sg-0999999999999999a', userId: '222222222222' }],
    });
    const r = await run(oldIngress([perm]), ec2);
    expect(r.decisions[0]?.action).toBe('reverted');
    expect(ec2.revokes[0]?.permissions?.[0]).toMatchObject({
      ipv6Ranges: ['::/0'],
      prefixListIds: ['pl-0abc1234'],
      groups: [{ groupId: 'sg-0999999999999999a', userId: '222222222222' }],
    });
    expect(remaining(ec2)).toEqual(KEEP_IDS);

    const ec2b = world(added);
    const rb = await run(
      newEvent([
        { securityGroupRuleId: 'sgr-0v6', isEgress: false, cidrIpv6: '::/0' },
        { securityGroupRuleId: 'sgr-0pl', isEgress: false, prefixListId: 'pl-0abc1234' },
        {
          securityGroupRuleId: 'sgr-0ref',
          isEgress: false,
          referencedGroupInfo: { groupId: 'sg-0999999999999999a', userId: '222222222222' },
        },
      ]),
      ec2b,
    );
    expect(rb.decisions[0]).toMatchObject({ action: 'reverted', ruleIds: ['sgr-0v6', 'sgr-0pl', 'sgr-0ref'] });
    expect(remaining(ec2b)).toEqual(KEEP_IDS);
  });

  it('looks up a group named only by name (default VPC) and revokes there', async () => {
    const ec2 = world([ssh], { groupId: SG, name: 'web' });
    ec2.addGroup({
      groupId: 'sg-0other000000000001',
      name: 'web',
      defaultVpc: false,
      rules: [{ ...ssh, ruleId: 'sgr-0twin' }],
    });
    const event = envelope({
      requestParameters: {
        groupName: 'web',
        ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
      },
    });
    const r = await run(event, ec2);
    expect(r.decisions[0]).toMatchObject({ groupId: SG, action: 'reverted' });
    expect(ec2.calls[0]).toEqual({ op: 'describeGroup', input: { groupName: 'web' } });
    expect(remaining(ec2)).toEqual(KEEP_IDS);
    expect(remaining(ec2, 'sg-0other000000000001')).toEqual(['sgr-0twin']);
  });

  it('takes the group id from the response when the request named the group by name', async () => {
    const ec2 = world([ssh]);
    const event = newEvent([{ securityGroupRuleId: 'sgr-0new', isEgress: false }], {
      requestParameters: { groupName: 'web', ipPermissions: {} },
    });
    const r = await run(event, ec2);
    expect(r.decisions[0]).toMatchObject({ groupId: SG, action: 'reverted' });
    expect(ec2.calls.map((c) => c.op)).toEqual(['revoke']);
  });

  it('fails when a group named by name does not exist', async () => {
    const ec2 = world();
    const event = envelope({
      requestParameters: {
        groupName: 'nope',
        ipPermissions: { items: [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })] },
      },
    });
    const r = await run(event, ec2);
    expect(r.decisions[0]).toMatchObject({
      action: 'failed',
      reason: 'no group named "nope" in the default VPC',
      direction: 'ingress',
    });
    expect(ec2.revokes).toEqual([]);
  });

  it('reverts several permissions with several CIDRs each', async () => {
    const added: FakeRule[] = [];
    const perms = [0, 1, 2].map((p) => {
      const cidrs = [0, 1, 2, 3].map((c) => `192.0.${p}.${c * 16}/28`);
      cidrs.forEach((cidr4, c) =>
        added.push({
          ruleId: `sgr-0p${p}c${c}`,
          isEgress: false,
          protocol: 'udp',
          from: 5000 + p,
          to: 5010 + p,
          cidr4,
        }),
      );
      return ctPermission({ protocol: 'udp', from: 5000 + p, to: 5010 + p, cidrs });
    });
    const ec2 = world(added);
    const r = await run(oldIngress(perms), ec2);
    expect(r.decisions[0]).toMatchObject({
      action: 'reverted',
      reason: "revoked the request's 3 ingress permission(s)",
    });
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });

  it('reverts egress, by id and by permission, and protocol -1', async () => {
    const out: FakeRule = { ruleId: 'sgr-0out', isEgress: true, protocol: '-1', cidr4: '0.0.0.0/0' };
    const ec2 = world([out]);
    const r = await run(
      newEvent(
        [{ securityGroupRuleId: 'sgr-0out', isEgress: true, ipProtocol: '-1' }],
        {},
        'AuthorizeSecurityGroupEgress',
      ),
      ec2,
    );
    expect(r.decisions[0]).toMatchObject({ direction: 'egress', action: 'reverted' });
    expect(ec2.revokes[0]).toMatchObject({ direction: 'egress', ruleIds: ['sgr-0out'] });
    expect(remaining(ec2)).toEqual(KEEP_IDS);

    const ec2b = world([out]);
    const rb = await run(
      oldIngress([ctPermission({ protocol: '-1', cidrs: ['0.0.0.0/0'] })], {}, 'AuthorizeSecurityGroupEgress'),
      ec2b,
    );
    expect(rb.decisions[0]).toMatchObject({ direction: 'egress', action: 'reverted' });
    expect(remaining(ec2b)).toEqual(KEEP_IDS);
  });

  it('refuses an event whose rule is egress while the call was ingress', async () => {
    const ec2 = world([ssh]);
    const r = await run(newEvent([{ securityGroupRuleId: 'sgr-0new', isEgress: true }]), ec2);
    expect(r.decisions[0]).toMatchObject({
      action: 'failed',
      reason: 'malformed: rule sgr-0new is egress but the call was ingress',
    });
    expect(ec2.revokes).toEqual([]);
  });
});

describe('idempotence and errors', () => {
  it('counts a rule that is already gone as reverted (by id)', async () => {
    const ec2 = world();
    const r = await run(sshEvent(), ec2);
    expect(r.decisions[0]).toMatchObject({
      action: 'reverted',
      reason: 'already gone (InvalidSecurityGroupRuleId.NotFound)',
    });
  });

  it('revokes the rest one by one when one of several ids is gone', async () => {
    const ec2 = world([ssh, { ...ssh, ruleId: 'sgr-0new2', cidr4: '1.2.3.4/32' }]);
    const r = await run(
      newEvent([
        { securityGroupRuleId: 'sgr-0gone' },
        { securityGroupRuleId: 'sgr-0new' },
        { securityGroupRuleId: 'sgr-0new2' },
      ]),
      ec2,
    );
    expect(r.decisions[0]).toMatchObject({
      action: 'reverted',
      reason: 'revoked 2 ingress rule(s) by id, 1 already gone',
    });
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });

  it('counts InvalidPermission.NotFound as reverted, and a missing group too', async () => {
    const ec2 = world();
    ec2.failNext.revoke = [new AwsError('InvalidPermission.NotFound')];
    const r = await run(oldIngress([ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })]), ec2);
    expect(r.decisions[0]).toMatchObject({ action: 'reverted', reason: 'already gone (InvalidPermission.NotFound)' });
    const r2 = await run(sshEvent(), new FakeEc2());
    expect(r2.decisions[0]).toMatchObject({ action: 'reverted', reason: 'already gone (InvalidGroup.NotFound)' });
  });

  it('fails when EC2 reports UnknownIpPermissions and the rule the request added is still there', async () => {
    const ec2 = world([ssh]);
    // an endpoint that matched nothing (say, it reads the permission differently) while the rule stays
    ec2.revoke = async (req) => {
      ec2.revokes.push(req);
      return { unknownPermissions: 1 };
    };
    const r = await run(oldIngress([ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })]), ec2);
    expect(r.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r.decisions[0]?.reason).toMatch(/UnknownIpPermissions.*1 rule\(s\) the request added are still there/);
    expect(r.lines[0]).toMatchObject({ level: 'error', action: 'failed' });
  });

  it('counts UnknownIpPermissions as reverted when the rules are already gone (a retry is safe)', async () => {
    const ec2 = world();
    const r = await run(oldIngress([ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })]), ec2);
    expect(r.decisions[0]).toMatchObject({ action: 'reverted' });
    expect(r.decisions[0]?.reason).toMatch(/1 of 1 were already gone/);
  });

  it('throws throttling, 5xx and network errors so Lambda retries', async () => {
    for (const err of [
      new AwsError('RequestLimitExceeded', 'Request limit exceeded.', { httpStatusCode: 503 }),
      new AwsError('InternalError', 'x', { httpStatusCode: 500 }),
      new AwsError('SomethingNew', 'x', { httpStatusCode: 502 }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    ]) {
      const ec2 = world([ssh]);
      ec2.failNext.revoke = [err];
      await expect(run(sshEvent(), ec2)).rejects.toBe(err);
    }
    const ec2 = world([ssh]);
    ec2.failNext.describeGroup = [new AwsError('Throttling', 'Rate exceeded')];
    await expect(run(sshEvent(), ec2, { GUARDRAIL_ONLY_VPCS: 'vpc-default' })).rejects.toThrow('Rate exceeded');
  });

  it('turns permanent errors into failed, without throwing', async () => {
    const ec2 = world([ssh]);
    ec2.failNext.revoke = [
      new AwsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', {
        httpStatusCode: 403,
      }),
    ];
    const r = await run(sshEvent(), ec2);
    expect(r.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r.decisions[0]?.reason).toContain('UnauthorizedOperation');
    const ec2b = world([ssh]);
    ec2b.failNext.describeGroup = [new AwsError('UnauthorizedOperation')];
    const rb = await run(sshEvent(), ec2b, { GUARDRAIL_EXEMPT_TAG: 'a=b' });
    expect(rb.decisions[0]).toMatchObject({
      action: 'failed',
      reason: `could not describe ${SG} to check its scope (UnauthorizedOperation)`,
    });
    expect(ec2b.revokes).toEqual([]);
  });
});

describe('ModifySecurityGroupRules (no record and no AWS Config in these deps: the previous definition is unknown; modify.test.ts has the rest)', () => {
  const modified: FakeRule = {
    ruleId: 'sgr-0mod',
    isEgress: false,
    protocol: 'tcp',
    from: 22,
    to: 22,
    cidr4: '0.0.0.0/0',
  };
  const event = modifyEvent([
    {
      id: 'sgr-0mod',
      values: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0', Description: 'oops' },
    },
  ]);
  const UNKNOWN = 'previous definition unknown (no rule records; AWS Config not asked)';

  it('by default (restore, onModifyUnknown alert) reports it failed and touches nothing', async () => {
    const ec2 = world([modified]);
    const sns = new FakeSns();
    const r = await run(event, ec2, { GUARDRAIL_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t' }, sns);
    expect(r.decisions).toEqual([
      expect.objectContaining({
        groupId: SG,
        ruleIds: ['sgr-0mod'],
        direction: 'ingress',
        action: 'failed',
        reason: `${UNKNOWN}; left as it is (onModifyUnknown=alert)`,
      }),
    ]);
    expect(ec2.revokes).toEqual([]);
    expect(remaining(ec2)).toContain('sgr-0mod');
    expect(sns.messages[0]?.message).toContain('modified to tcp 22 from 0.0.0.0/0 (sgr-0mod) "oops"');
  });

  it('onModify=revoke revokes the modified rule in its direction', async () => {
    const ec2 = world([modified]);
    const r = await run(event, ec2, { GUARDRAIL_ON_MODIFY: 'revoke' });
    expect(r.decisions).toEqual([
      expect.objectContaining({
        groupId: SG,
        ruleIds: ['sgr-0mod'],
        direction: 'ingress',
        action: 'reverted',
        reason: `${UNKNOWN}; revoked 1 ingress rule(s) by id (onModify=revoke)`,
      }),
    ]);
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });

  it('onModify=alert only reports it, with the new values', async () => {
    const ec2 = world([modified]);
    const sns = new FakeSns();
    const r = await run(
      event,
      ec2,
      { GUARDRAIL_ON_MODIFY: 'alert', GUARDRAIL_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t' },
      sns,
    );
    expect(r.decisions[0]).toMatchObject({
      action: 'monitored',
      reason: `${UNKNOWN}; not acted on (onModify=alert)`,
      direction: 'ingress',
    });
    expect(ec2.revokes).toEqual([]);
    expect(remaining(ec2)).toContain('sgr-0mod');
    expect(sns.messages).toHaveLength(1);
    expect(sns.messages[0]?.message).toContain('0.0.0.0/0');
  });

  it('splits several modified rules by direction and skips rules that no longer exist', async () => {
    const ec2 = world([modified, { ...modified, ruleId: 'sgr-0modout', isEgress: true }]);
    const r = await run(
      modifyEvent([
        { id: 'sgr-0mod', values: { IpProtocol: 'tcp', FromPort: '22', ToPort: '22', CidrIpv4: '0.0.0.0/0' } },
        { id: 'sgr-0modout', values: { IpProtocol: '-1', CidrIpv6: '::/0' } },
        { id: 'sgr-0vanished', values: { IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' } },
      ]),
      ec2,
      { GUARDRAIL_ON_MODIFY: 'revoke' },
    );
    expect(r.decisions.map((d) => [d.ruleIds, d.direction, d.action])).toEqual([
      [['sgr-0vanished'], null, 'ignored'],
      [['sgr-0mod'], 'ingress', 'reverted'],
      [['sgr-0modout'], 'egress', 'reverted'],
    ]);
    expect(r.decisions[0]?.reason).toBe('the modified rule no longer exists');
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });
});

describe('policy', () => {
  const assumed = (role: string, session = 'bob'): Record<string, unknown> => ({
    type: 'AssumedRole',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    accountId: ACCOUNT,
    sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, userName: role } },
  });

  it('allows a principal matching a pattern, including a role pattern for its sessions', async () => {
    for (const [pattern, identity] of [
      [USER_ARN, undefined],
      [`arn:aws:iam::${ACCOUNT}:user/*`, undefined],
      [`arn:aws:iam::${ACCOUNT}:role/Deployer`, assumed('Deployer')],
      [`arn:aws:iam::*:role/Deploy*`, { ...assumed('Deployer'), sessionContext: undefined }],
      [`arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/*`, assumed('Deployer')],
    ] as const) {
      const ec2 = world([ssh]);
      const r = await run(sshEvent({ userIdentity: identity }), ec2, {
        GUARDRAIL_ALLOW_PRINCIPALS: `arn:aws:iam::999999999999:user/x, ${pattern}`,
      });
      expect(r.decisions[0], pattern).toMatchObject({
        action: 'allowed',
        reason: `caller matches allowed principal ${pattern}`,
      });
      expect(ec2.revokes).toEqual([]);
    }
    const ec2 = world([ssh]);
    const r = await run(sshEvent({ userIdentity: assumed('Deployer2') }), ec2, {
      GUARDRAIL_ALLOW_PRINCIPALS: `arn:aws:iam::${ACCOUNT}:role/Deployer`,
    });
    expect(r.decisions[0]?.action).toBe('reverted');
  });

  it('allows an exempt group and a group with the exempt tag', async () => {
    const a = await run(sshEvent(), world([ssh]), { GUARDRAIL_EXEMPT_GROUPS: `sg-0aaaaaaaaaaaaaaaa,${SG}` });
    expect(a.decisions[0]).toMatchObject({ action: 'allowed', reason: `${SG} is an exempt group` });
    const ec2 = world([ssh], { groupId: SG, tags: { 'guardrail:exempt': 'true' } });
    const b = await run(sshEvent(), ec2, { GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true' });
    expect(b.decisions[0]).toMatchObject({
      action: 'allowed',
      reason: 'group carries the exempt tag guardrail:exempt=true',
    });
    expect(ec2.revokes).toEqual([]);
    const c = await run(sshEvent(), world([ssh], { groupId: SG, tags: { 'guardrail:exempt': 'false' } }), {
      GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true',
    });
    expect(c.decisions[0]?.action).toBe('reverted');
  });

  it('allows groups outside onlyVpcs or without onlyTag, and reverts inside', async () => {
    const out = await run(sshEvent(), world([ssh], { groupId: SG, vpcId: 'vpc-0b' }), {
      GUARDRAIL_ONLY_VPCS: 'vpc-0a',
    });
    expect(out.decisions[0]).toMatchObject({ action: 'allowed', reason: "group's VPC vpc-0b is outside onlyVpcs" });
    const inside = await run(sshEvent(), world([ssh], { groupId: SG, vpcId: 'vpc-0a' }), {
      GUARDRAIL_ONLY_VPCS: 'vpc-0a',
    });
    expect(inside.decisions[0]?.action).toBe('reverted');
    const untagged = await run(sshEvent(), world([ssh]), { GUARDRAIL_ONLY_TAG: 'env=prod' });
    expect(untagged.decisions[0]).toMatchObject({
      action: 'allowed',
      reason: 'group lacks the tag env=prod (onlyTag)',
    });
    const ec2 = world([ssh], { groupId: SG, tags: { env: 'prod' } });
    const tagged = await run(sshEvent(), ec2, {
      GUARDRAIL_ONLY_TAG: 'env=prod',
      GUARDRAIL_EXEMPT_TAG: 'x=y',
      GUARDRAIL_ONLY_VPCS: 'vpc-default',
    });
    expect(tagged.decisions[0]?.action).toBe('reverted');
    expect(ec2.calls.filter((c) => c.op === 'describeGroup')).toHaveLength(1);
  });

  it('monitor mode reports and changes nothing, and notifies', async () => {
    const ec2 = world([ssh]);
    const sns = new FakeSns();
    const r = await run(
      sshEvent(),
      ec2,
      { GUARDRAIL_MODE: 'monitor', GUARDRAIL_NOTIFY_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t' },
      sns,
    );
    expect(r.decisions[0]).toMatchObject({ action: 'monitored', reason: 'monitor mode' });
    expect(ec2.revokes).toEqual([]);
    expect(sns.messages).toHaveLength(1);
  });

  it("ignores the function's own role, including its sessions", async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/guardrail-revert`;
    for (const identity of [
      assumed('guardrail-revert', 'guardrail'),
      { ...assumed('guardrail-revert'), sessionContext: {} },
    ]) {
      const ec2 = world([ssh]);
      const r = await run(sshEvent({ userIdentity: identity }), ec2, { GUARDRAIL_SELF_ROLE_ARN: role });
      expect(r.decisions[0]).toMatchObject({
        action: 'ignored',
        reason: "a call by the function's own role",
        ruleIds: ['sgr-0new'],
      });
      expect(ec2.calls).toEqual([]);
    }
  });

  it('ignores an unprotected direction', async () => {
    const ec2 = world([ssh]);
    const r = await run(sshEvent(), ec2, { GUARDRAIL_DIRECTIONS: 'egress' });
    expect(r.decisions[0]).toMatchObject({
      action: 'ignored',
      reason: 'ingress is not protected (directions: egress)',
    });
    expect(ec2.revokes).toEqual([]);
  });

  it('ignores revokes, read-only calls, other events, failed calls and other regions', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        oldIngress(
          [ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] })],
          {},
          'RevokeSecurityGroupEgress',
        ),
        'a revoke call (RevokeSecurityGroupEgress)',
      ],
      [
        envelope({ eventName: 'DescribeSecurityGroups', requestParameters: {} }),
        'a read-only call (DescribeSecurityGroups)',
      ],
      [envelope({ eventName: 'CreateSecurityGroup', requestParameters: {} }), 'touches no scope tag'],
      [envelope({ eventName: 'CreateVpc', requestParameters: {} }), 'not a guarded call (CreateVpc)'],
      [
        sshEvent({ extra: { errorCode: 'Client.InvalidPermission.Duplicate' } }),
        'the call failed (errorCode Client.InvalidPermission.Duplicate)',
      ],
      [sshEvent({ extra: { eventSource: 's3.amazonaws.com' } }), 'not an EC2 call (eventSource s3.amazonaws.com)'],
      // untrusted values are shown by kind, not by String(): on this object String() throws, and a list would read
      // as the EC2 source it is not
      [sshEvent({ extra: { errorCode: { toString: 1 } } }), 'the call failed (errorCode an object)'],
      [sshEvent({ extra: { eventSource: ['ec2.amazonaws.com'] } }), 'not an EC2 call (eventSource a list)'],
      [sshEvent({ extra: { awsRegion: 'eu-west-1' } }), ''],
      [{ ...sshEvent(), region: 'eu-west-1' }, 'event from eu-west-1, but the function runs in us-east-1'],
      [
        { ...sshEvent(), 'detail-type': 'EC2 Instance State-change Notification' },
        'not a CloudTrail API call event (detail-type "EC2 Instance State-change Notification")',
      ],
    ];
    for (const [event, reason] of cases) {
      const ec2 = world([ssh]);
      const r = await run(event, ec2);
      if (reason === '') {
        expect(r.decisions[0]?.action).toBe('reverted'); // the envelope's region wins
        continue;
      }
      expect(r.decisions[0], reason).toMatchObject({ action: 'ignored', reason });
      expect(ec2.revokes).toEqual([]);
    }
  });

  it('accepts a bare CloudTrail record as well as the envelope', async () => {
    const ec2 = world([ssh]);
    const r = await run((sshEvent() as { detail: unknown }).detail, ec2);
    expect(r.decisions[0]?.action).toBe('reverted');
  });
});

describe('notification', () => {
  const topic = 'arn:aws:sns:us-east-1:111111111111:guardrail';

  it('says who, what, where and what was done, with a short subject', async () => {
    const sns = new FakeSns();
    await run(sshEvent(), world([ssh]), { GUARDRAIL_NOTIFY_TOPIC_ARN: topic }, sns);
    expect(sns.messages).toHaveLength(1);
    const m = sns.messages[0];
    expect(m?.topicArn).toBe(topic);
    expect(m?.subject.length).toBeLessThanOrEqual(100);
    expect(m?.subject).toMatch(/^guardrail reverted AuthorizeSecurityGroupIngress sg-/);
    expect(m?.message).toContain(`Who:   ${USER_ARN}`);
    expect(m?.message).toContain('ingress tcp 22 from 0.0.0.0/0 (sgr-0new)');
    expect(m?.message).toContain(`account ${ACCOUNT}, region ${REGION}, group ${SG}`);
    expect(m?.message).toContain('reverted (revoked 1 ingress rule(s) by id)');
  });

  it('notifies allowed changes by default, ignored ones never; notify.on narrows it, but never below failed and refused', async () => {
    const sns = new FakeSns();
    await run(
      sshEvent(),
      world([ssh]),
      { GUARDRAIL_NOTIFY_TOPIC_ARN: topic, GUARDRAIL_ALLOW_PRINCIPALS: USER_ARN },
      sns,
    );
    expect(sns.messages.map((m) => m.subject)).toEqual([
      expect.stringMatching(/^guardrail allowed AuthorizeSecurityGroupIngress/),
    ]);
    await run(
      sshEvent(),
      world([ssh]),
      { GUARDRAIL_NOTIFY_TOPIC_ARN: topic, GUARDRAIL_ALLOW_PRINCIPALS: USER_ARN, GUARDRAIL_NOTIFY_ON: 'reverted' },
      sns,
    );
    await run(
      envelope({ eventName: 'RevokeSecurityGroupIngress', requestParameters: {} }),
      world(),
      { GUARDRAIL_NOTIFY_TOPIC_ARN: topic },
      sns,
    );
    await run(sshEvent(), world([ssh]), {}, sns);
    expect(sns.messages).toHaveLength(1);
    await run(envelope({}), world(), { GUARDRAIL_NOTIFY_TOPIC_ARN: topic, GUARDRAIL_NOTIFY_ON: 'reverted' }, sns);
    expect(sns.messages[1]!.subject).toMatch(/^guardrail FAILED/);
  });

  it('logs a failed publish instead of rethrowing after the revert', async () => {
    const sns = new FakeSns();
    sns.failNext = [new AwsError('Throttling', 'Rate exceeded')];
    const r = await run(sshEvent(), world([ssh]), { GUARDRAIL_NOTIFY_TOPIC_ARN: topic }, sns);
    expect(r.decisions[0]?.action).toBe('reverted');
    expect(r.lines.at(-1)).toMatchObject({ level: 'error', message: `notification to ${topic} failed (Throttling)` });
  });
});

describe('events the function cannot read are failed (and notified) with a reason, never thrown', () => {
  const perm = ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] });
  const cases: [string, unknown, string][] = [
    ['null', null, 'malformed: the event is not an object'],
    ['a string', 'hello', 'malformed: the event is not an object'],
    ['no detail', { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2' }, 'malformed: no detail'],
    ['detail is a list', { ...sshEvent(), detail: [] }, 'malformed: no detail'],
    ['unrelated object', { foo: 1 }, 'malformed: neither an EventBridge event nor a CloudTrail record'],
    ['eventName is a number', envelope({ eventName: 7 as unknown as string }), 'malformed: no eventName'],
    ['no requestParameters', envelope({}), 'unreadable: CloudTrail left out or truncated requestParameters'],
    [
      'requestParameters a string',
      envelope({ requestParameters: 'x' }),
      'unreadable: CloudTrail left out or truncated requestParameters',
    ],
    [
      'requestParameters truncated',
      envelope({ requestParameters: { omitted: true } }),
      'unreadable: CloudTrail left out or truncated requestParameters',
    ],
    [
      'no group',
      envelope({ requestParameters: { ipPermissions: { items: [perm] } } }),
      'malformed: no groupId or groupName in requestParameters',
    ],
    [
      'bad group id',
      envelope({ requestParameters: { groupId: 'sg-"; drop', ipPermissions: { items: [perm] } } }),
      'malformed: requestParameters.groupId missing or invalid',
    ],
    [
      'ipPermissions a number',
      envelope({ requestParameters: { groupId: SG, ipPermissions: 5 } }),
      'malformed: requestParameters.ipPermissions is not a list',
    ],
    [
      'no permissions',
      envelope({ requestParameters: { groupId: SG, ipPermissions: {} } }),
      'malformed: no ipPermissions in the request and no securityGroupRuleSet in the response',
    ],
    [
      'port is an object',
      oldIngress([{ ...perm, fromPort: {} }]),
      'malformed: ipPermissions[0].fromPort is not a port number',
    ],
    ['port out of range', oldIngress([{ ...perm, toPort: 70000 }]), 'malformed: ipPermissions[0].toPort out of range'],
    [
      'protocol missing',
      oldIngress([{ ...perm, ipProtocol: undefined }]),
      'malformed: ipPermissions[0].ipProtocol missing or invalid',
    ],
    [
      'cidr is a number',
      oldIngress([{ ...perm, ipRanges: { items: [{ cidrIp: 3 }] } }]),
      'malformed: ipPermissions[0].ipRanges[0].cidrIp missing or invalid',
    ],
    [
      'no source',
      oldIngress([{ ipProtocol: 'tcp', fromPort: 1, toPort: 2, ipRanges: {} }]),
      'malformed: ipPermissions[0] names no source',
    ],
    [
      'rule id bogus',
      newEvent([{ securityGroupRuleId: 'rule-1' }]),
      'malformed: securityGroupRuleSet[0].securityGroupRuleId missing or invalid',
    ],
    [
      'modify without request',
      envelope({ eventName: 'ModifySecurityGroupRules', requestParameters: {} }),
      'malformed: requestParameters.ModifySecurityGroupRulesRequest missing',
    ],
    [
      'modify without rules',
      envelope({
        eventName: 'ModifySecurityGroupRules',
        requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: SG } },
      }),
      'malformed: ModifySecurityGroupRulesRequest names no SecurityGroupRule',
    ],
    [
      '10,000 permissions',
      oldIngress(Array.from({ length: 10_000 }, () => perm)),
      'unreadable: too many permissions (10000 > 5000)',
    ],
    [
      '10,000 CIDRs in one permission',
      oldIngress([
        ctPermission({
          protocol: 'tcp',
          from: 1,
          to: 1,
          cidrs: Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`),
        }),
      ]),
      'unreadable: too many ipRanges (10000 > 5000)',
    ],
    [
      '5,005 rules across permissions',
      oldIngress(
        Array.from({ length: 35 }, () =>
          ctPermission({
            protocol: 'tcp',
            from: 1,
            to: 1,
            cidrs: Array.from({ length: 143 }, (_, i) => `10.0.${i}.0/24`),
          }),
        ),
      ),
      'unreadable: too many permissions (5005 rules > 5000)',
    ],
  ];
  for (const [name, event, reason] of cases) {
    it(name, async () => {
      const ec2 = world();
      const r = await run(event, ec2);
      expect(r.decisions).toHaveLength(1);
      expect(r.decisions[0]).toMatchObject({ action: 'failed', reason });
      expect(ec2.calls).toEqual([]);
    });
  }

  it('a legacy sourceSecurityGroupName grant without a protocol is protocol -1, and is reverted', async () => {
    const ec2 = world();
    const r = await run(
      envelope({
        requestParameters: { groupId: SG, sourceSecurityGroupName: 'web', sourceSecurityGroupOwnerId: '123456789012' },
      }),
      ec2,
    );
    expect(r.decisions[0]?.action).toBe('reverted');
    expect(ec2.revokes[0]!.permissions).toEqual([
      expect.objectContaining({
        ipProtocol: '-1',
        groups: [{ groupId: undefined, groupName: 'web', userId: '123456789012' }],
      }),
    ]);
  });

  it('legacy top-level cidrIp requests are understood', async () => {
    const ec2 = world([ssh]);
    const r = await run(
      envelope({
        requestParameters: { groupId: SG, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' },
      }),
      ec2,
    );
    expect(r.decisions[0]?.action).toBe('reverted');
    expect(remaining(ec2)).toEqual(KEEP_IDS);
  });

  it('a single permission object under items is accepted', async () => {
    const ec2 = world([ssh]);
    const r = await run(envelope({ requestParameters: { groupId: SG, ipPermissions: { items: perm } } }), ec2);
    expect(r.decisions[0]?.action).toBe('reverted');
  });
});
