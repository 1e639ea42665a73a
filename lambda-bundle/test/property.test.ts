// Property: over random event-shaped JSON, processEvent never throws (the fake EC2 raises only AWS's permanent
// "not found" errors), and never revokes anything the event does not name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processEvent } from '../src/process-event.js';
import { FakeEc2, config, fixtures, type FakeRule } from './fakes.js';

const GROUPS = ['sg-0aaaaaaaaaaaaaaa1', 'sg-0bbbbbbbbbbbbbbb2', 'sg-0ccccccccccccccc3'];
const RULE_IDS = ['sgr-0r1', 'sgr-0r2', 'sgr-0r3', 'sgr-0r4', 'sgr-0r5', 'sgr-0r6'];
const CIDRS = ['0.0.0.0/0', '10.0.0.0/8', '192.0.2.0/24'];
const V6 = ['::/0', '2001:db8::/32'];
const PLS = ['pl-0aaa', 'pl-0bbb'];
const NAMES = ['web', 'db'];

/** Every rule of every pool in every group and direction, so a careless revoke would find something to remove. */
function populated(): FakeEc2 {
  const ec2 = new FakeEc2();
  let n = 0;
  GROUPS.forEach((groupId, gi) => {
    const rules: FakeRule[] = [];
    for (const isEgress of [false, true]) {
      for (const protocol of ['tcp', '-1']) {
        const base = {
          isEgress,
          protocol,
          from: protocol === 'tcp' ? 22 : undefined,
          to: protocol === 'tcp' ? 22 : undefined,
        };
        for (const cidr4 of CIDRS) rules.push({ ...base, ruleId: `sgr-1x${n++}`, cidr4 });
        for (const cidr6 of V6) rules.push({ ...base, ruleId: `sgr-1x${n++}`, cidr6 });
        for (const prefixList of PLS) rules.push({ ...base, ruleId: `sgr-1x${n++}`, prefixList });
        for (const refGroup of GROUPS) rules.push({ ...base, ruleId: `sgr-1x${n++}`, refGroup });
      }
    }
    RULE_IDS.forEach((ruleId, i) => {
      if (i % GROUPS.length === gi)
        rules.push({ ruleId, isEgress: i % 2 === 1, protocol: 'tcp', from: 80, to: 80, cidr4: '198.51.100.0/24' });
    });
    ec2.addGroup({ groupId, name: NAMES[gi] ?? groupId, rules });
  });
  return ec2;
}

/** All strings anywhere in a value (the event's names, as far as any revoke is concerned). */
function strings(v: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 64) return out;
  if (typeof v === 'string') out.add(v);
  else if (typeof v === 'number') out.add(String(v));
  else if (Array.isArray(v)) for (const x of v) strings(x, out, depth + 1);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out, depth + 1);
  return out;
}

const junk = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constant({}), fc.constant(null), fc.constant(undefined));
const or = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 30, arbitrary: arb }, { weight: 1, arbitrary: junk });
const pick = <T>(xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const list = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  or(
    fc.oneof(
      fc.array(arb, { maxLength: 4 }).map((a) => (a.length ? { items: a } : {})),
      fc.array(arb, { maxLength: 3 }),
      arb.map((x) => ({ items: x })),
    ),
  );

const port = or(
  fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom('22', '443', ' 80', 'x'), fc.constant(22)),
);
const permission = fc.record(
  {
    ipProtocol: or(fc.constantFrom('tcp', '-1', 'udp', '6', 6, 'TCP', 'all')),
    fromPort: port,
    toPort: port,
    ipRanges: list(fc.record({ cidrIp: or(pick(CIDRS)), description: or(fc.string()) }, { requiredKeys: [] })),
    ipv6Ranges: list(fc.record({ cidrIpv6: or(pick(V6)) }, { requiredKeys: [] })),
    prefixListIds: list(fc.record({ prefixListId: or(pick(PLS)) }, { requiredKeys: [] })),
    groups: list(
      fc.record(
        {
          groupId: or(pick(GROUPS)),
          userId: or(fc.constantFrom('111111111111', '222222222222')),
          groupName: or(pick(NAMES)),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ['ipProtocol'] },
);

const responseRule = fc.record(
  {
    securityGroupRuleId: or(pick(RULE_IDS)),
    groupId: or(pick(GROUPS)),
    isEgress: or(fc.boolean()),
    ipProtocol: or(fc.constantFrom('tcp', '-1')),
    cidrIpv4: or(pick(CIDRS)),
  },
  { requiredKeys: ['securityGroupRuleId'] },
);

const modifyRule = fc.record(
  {
    SecurityGroupRuleId: or(pick(RULE_IDS)),
    SecurityGroupRule: or(
      fc.record(
        { IpProtocol: or(fc.constantFrom('tcp', '-1')), FromPort: port, ToPort: port, CidrIpv4: or(pick(CIDRS)) },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

const requestParameters = fc.oneof(
  fc.record(
    {
      groupId: or(pick(GROUPS)),
      groupName: or(pick(NAMES)),
      ipPermissions: list(permission),
      cidrIp: or(pick(CIDRS)),
      ipProtocol: or(fc.constantFrom('tcp', '-1')),
      fromPort: port,
      toPort: port,
    },
    { requiredKeys: ['ipPermissions'] },
  ),
  fc.record({
    ModifySecurityGroupRulesRequest: or(
      fc.record(
        {
          GroupId: or(pick(GROUPS)),
          SecurityGroupRule: or(fc.oneof(modifyRule, fc.array(modifyRule, { maxLength: 4 }))),
        },
        { requiredKeys: ['GroupId', 'SecurityGroupRule'] },
      ),
    ),
  }),
  junk,
);

const record = fc.record(
  {
    eventName: or(
      fc.constantFrom(
        'AuthorizeSecurityGroupIngress',
        'AuthorizeSecurityGroupEgress',
        'ModifySecurityGroupRules',
        'AuthorizeSecurityGroupIngress',
        'AuthorizeSecurityGroupEgress',
        'ModifySecurityGroupRules',
        'RevokeSecurityGroupIngress',
        'CreateSecurityGroup',
      ),
    ),
    eventSource: or(fc.constant('ec2.amazonaws.com')),
    eventID: or(fc.uuid()),
    awsRegion: or(fc.constant('us-east-1')),
    errorCode: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk }),
    readOnly: or(fc.constantFrom(false, false, false, true)),
    userIdentity: or(
      fc.record(
        {
          arn: or(
            fc.constantFrom('arn:aws:iam::111111111111:user/alice', 'arn:aws:sts::111111111111:assumed-role/Ops/s'),
          ),
          sessionContext: or(
            fc.record(
              {
                sessionIssuer: or(
                  fc.record({ arn: or(fc.constant('arn:aws:iam::111111111111:role/Ops')) }, { requiredKeys: [] }),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    requestParameters,
    responseElements: or(
      fc.record(
        {
          _return: or(fc.constantFrom(true, true, true, false)),
          securityGroupRuleSet: list(responseRule),
          ModifySecurityGroupRulesResponse: or(
            fc.record({ return: or(fc.constantFrom(true, true, true, false)) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ['eventName', 'eventSource', 'requestParameters', 'responseElements'] },
);

const event = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        'detail-type': or(fc.constant('AWS API Call via CloudTrail')),
        source: or(fc.constant('aws.ec2')),
        region: or(fc.constant('us-east-1')),
        detail: or(record),
      },
      { requiredKeys: ['detail-type', 'detail'] },
    ),
  },
  { weight: 4, arbitrary: record },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 4 }) },
);

const env = fc.record(
  {
    GUARDRAIL_MODE: fc.constantFrom('enforce', 'monitor', 'bogus'),
    GUARDRAIL_ON_MODIFY: fc.constantFrom('revoke', 'alert'),
    GUARDRAIL_DIRECTIONS: fc.constantFrom('', 'ingress', 'egress', 'ingress,egress'),
    GUARDRAIL_ALLOW_PRINCIPALS: fc.constantFrom('', 'arn:aws:iam::111111111111:role/Ops'),
    GUARDRAIL_EXEMPT_GROUPS: fc.constantFrom('', GROUPS[0] ?? ''),
    GUARDRAIL_ONLY_VPCS: fc.constantFrom('', 'vpc-default', 'vpc-other'),
  },
  { requiredKeys: [] },
);

async function check(ev: unknown, e: Record<string, string>): Promise<void> {
  const ec2 = populated();
  const before = new Map([...ec2.groups].map(([id, g]) => [id, g.rules.map((r) => ({ ...r }))]));
  const named = strings(ev);
  const result = await processEvent(ev, { config: config(e), ec2, log: () => undefined });
  expect(Array.isArray(result.decisions)).toBe(true);
  expect(result.decisions.length).toBeGreaterThan(0);
  for (const req of ec2.revokes) {
    const groupNamed =
      named.has(req.groupId) || NAMES.some((n) => named.has(n) && ec2.groups.get(req.groupId)?.name === n);
    expect(groupNamed, `revoke in ${req.groupId}`).toBe(true);
    for (const id of req.ruleIds ?? []) expect(named.has(id), id).toBe(true);
    for (const p of req.permissions ?? []) {
      for (const s of [...p.ipRanges, ...p.ipv6Ranges, ...p.prefixListIds]) expect(named.has(s), s).toBe(true);
      for (const g of p.groups) expect(named.has(g.groupId ?? g.groupName ?? ''), JSON.stringify(g)).toBe(true);
    }
  }
  for (const [groupId, rules] of before) {
    const after = new Set(ec2.groups.get(groupId)?.rules.map((r) => r.ruleId));
    for (const r of rules.filter((x) => !after.has(x.ruleId))) {
      const byName =
        named.has(r.ruleId) ||
        [r.cidr4, r.cidr6, r.prefixList, r.refGroup].some((s) => s !== undefined && named.has(s));
      expect(byName, `removed ${r.ruleId}`).toBe(true);
    }
  }
}

describe('random event-shaped JSON', () => {
  it('never throws and never revokes what the event does not name', async () => {
    await fc.assert(fc.asyncProperty(event, env, check), { numRuns: 1000 });
  });

  it('holds for recorded fixtures with any one field replaced by junk', async () => {
    const base = fixtures().map((f) => f.event);
    const mutated = fc.tuple(fc.constantFrom(...base), fc.nat(), junk, env).map(([ev, at, value, e]) => {
      const copy = JSON.parse(JSON.stringify(ev)) as Record<string, unknown>;
      const paths: [Record<string, unknown>, string][] = [];
      const walk = (o: unknown): void => {
        if (o && typeof o === 'object')
          for (const [k, v] of Object.entries(o)) {
            paths.push([o as Record<string, unknown>, k]);
            walk(v);
          }
      };
      walk(copy);
      const target = paths[at % paths.length];
      if (target) target[0][target[1]] = value;
      return [copy, e] as const;
    });
    await fc.assert(
      fc.asyncProperty(mutated, ([ev, e]) => check(ev, e)),
      { numRuns: 400 },
    );
  });

  it('produces revokes at all (the generators reach the revert path)', async () => {
    let revoked = 0;
    await fc.assert(
      fc.asyncProperty(event, async (ev) => {
        const ec2 = populated();
        await processEvent(ev, { config: config({}), ec2, log: () => undefined });
        revoked += ec2.revokes.length;
      }),
      { numRuns: 600, seed: 42 },
    );
    expect(revoked).toBeGreaterThan(40);
  });
});
