// ModifySecurityGroupRules, decided through fake ports: restore, never destroy. What is restored, kept, reported or
// revoked; where the previous definition comes from, in order; and that it never comes from the event.
import { describe, expect, it } from 'vitest';
import type { ApprovalsPort } from '../src/approvals.js';
import { verdict } from '../src/modify.js';
import { processEvent, type Deps } from '../src/process-event.js';
import { parseEvent } from '../src/parse-event.js';
import type { RuleRecord } from '../src/rule-records.js';
import type { Result, RuleDefinition } from '../src/types.js';
import { ACCOUNT, AwsError, FakeEc2, FakeSns, REGION, config, envelope, type FakeRule } from './fakes.js';
import { FakeHistory, FakeRecords } from './modify-fakes.js';

const SG = 'sg-0123456789abcdef0';
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
const db: FakeRule = {
  ruleId: 'sgr-0db',
  isEgress: false,
  protocol: 'tcp',
  from: 5432,
  to: 5432,
  cidr4: '10.0.0.0/16',
  description: 'app',
  tags: { team: 'data' },
};
const other: FakeRule = {
  ruleId: 'sgr-0other',
  isEgress: false,
  protocol: 'tcp',
  from: 443,
  to: 443,
  cidr4: '10.9.0.0/16',
};
const out: FakeRule = { ruleId: 'sgr-0out', isEgress: true, protocol: 'tcp', from: 443, to: 443, cidr4: '10.0.0.0/8' };

/** A fake rule's definition, with only the fields it has. */
const def = (r: FakeRule): RuleDefinition =>
  JSON.parse(
    JSON.stringify({
      ipProtocol: r.protocol,
      fromPort: r.from,
      toPort: r.to,
      cidrIpv4: r.cidr4,
      cidrIpv6: r.cidr6,
      prefixListId: r.prefixList,
      referencedGroupId: r.refGroup,
      referencedUserId: r.refUser,
      description: r.description,
    }),
  ) as RuleDefinition;
const record = (r: FakeRule, o: Partial<RuleRecord> = {}): RuleRecord => ({
  groupId: SG,
  ruleId: r.ruleId,
  isEgress: r.isEgress,
  definition: def(r),
  seenAt: 1,
  how: 'baseline',
  ...o,
});

/** The group after someone's modification: the rules as EC2 holds them now. */
function world(...rules: FakeRule[]): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({ groupId: SG, rules: [other, out, ...rules.map((r) => ({ ...r, tags: { ...r.tags } }))] });
  return ec2;
}

function modifyEvent(
  rules: { id: string; values: Record<string, unknown> }[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const list = rules.map((r, i) => ({ SecurityGroupRuleId: r.id, tag: i + 1, SecurityGroupRule: r.values }));
  return envelope({
    eventName: 'ModifySecurityGroupRules',
    requestParameters: {
      ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: list.length === 1 ? list[0] : list, ...extra },
    },
    responseElements: { ModifySecurityGroupRulesResponse: { requestId: 'r', return: true } },
  });
}

const widen = modifyEvent([
  {
    id: 'sgr-0db',
    values: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0', Description: 'app' },
  },
]);
const widened: FakeRule = { ...db, cidr4: '0.0.0.0/0' };

interface Run extends Result {
  lines: Record<string, unknown>[];
  sns: FakeSns;
}

async function run(
  event: unknown,
  ec2: FakeEc2,
  o: { env?: Record<string, string>; records?: FakeRecords; history?: FakeHistory; approvals?: ApprovalsPort } = {},
): Promise<Run> {
  const lines: Record<string, unknown>[] = [];
  const sns = new FakeSns();
  const cfg = config({
    AWS_REGION: REGION,
    GUARDRAIL_NOTIFY_TOPIC_ARN: TOPIC,
    GUARDRAIL_SELF_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-X`,
    ...o.env,
  });
  const deps: Deps = {
    config: cfg,
    ec2,
    sns,
    log: (l) => lines.push(l),
    records: o.records,
    history: o.history,
    approvals: o.approvals ? { store: o.approvals, account: ACCOUNT, region: REGION } : undefined,
  };
  return { ...(await processEvent(event, deps)), lines, sns };
}

const rule = (ec2: FakeEc2, id: string) => ec2.groups.get(SG)?.rules.find((r) => r.ruleId === id);

describe('a widened rule is restored to its previous definition', () => {
  it('tcp/5432 10.0.0.0/16 → 0.0.0.0/0: back to 10.0.0.0/16, same id, tags and place; before and after logged; recorded', async () => {
    const ec2 = world(widened);
    const records = new FakeRecords().seed(record(db));
    const r = await run(widen, ec2, { records });
    expect(r.decisions).toEqual([
      {
        groupId: SG,
        ruleIds: ['sgr-0db'],
        direction: 'ingress',
        action: 'restored',
        reason:
          "wider than before (tcp/5432 10.0.0.0/16 → tcp/5432 0.0.0.0/0); previous definition from guardrail's record (baseline); restored the previous definition",
        before: def(db),
        after: def(widened),
      },
    ]);
    expect(ec2.modifies).toEqual([{ groupId: SG, rules: [{ ruleId: 'sgr-0db', definition: def(db) }] }]);
    expect(ec2.revokes).toEqual([]);
    const back = ec2.groups.get(SG)!.rules;
    expect(back.map((x) => x.ruleId)).toEqual(['sgr-0other', 'sgr-0out', 'sgr-0db']);
    expect(rule(ec2, 'sgr-0db')).toMatchObject({ cidr4: '10.0.0.0/16', tags: { team: 'data' }, description: 'app' });
    expect(r.lines[0]).toMatchObject({
      action: 'restored',
      level: 'warn',
      ruleIds: ['sgr-0db'],
      before: { protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '10.0.0.0/16', description: 'app' },
      after: { protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '0.0.0.0/0', description: 'app' },
    });
    expect(records.items.get(`${SG}/sgr-0db`)).toMatchObject({
      how: 'restored',
      definition: def(db),
      eventId: 'c0000000-0000-4000-8000-000000000002',
    });
    expect(r.sns.messages[0]?.subject).toMatch(/^guardrail restored ModifySecurityGroupRules/);
  });

  it('is idempotent: the same event again finds the rule back and changes nothing', async () => {
    const ec2 = world(widened);
    const records = new FakeRecords().seed(record(db));
    await run(widen, ec2, { records });
    const again = await run(widen, ec2, { records });
    expect(again.decisions[0]).toMatchObject({
      action: 'restored',
      reason: expect.stringMatching(/^already back at its previous definition/) as unknown,
    });
    expect(ec2.modifies).toHaveLength(1);
  });

  it('a description edit and a narrowing are kept, with the reason, and recorded', async () => {
    const cases: [FakeRule, Record<string, unknown>, string][] = [
      [
        { ...db, description: 'postgres from the VPC' },
        {
          IpProtocol: 'tcp',
          FromPort: 5432,
          ToPort: 5432,
          CidrIpv4: '10.0.0.0/16',
          Description: 'postgres from the VPC',
        },
        'description only',
      ],
      [
        { ...db, cidr4: '10.0.20.0/24' },
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '10.0.20.0/24' },
        'narrower than before (tcp/5432 10.0.0.0/16 → tcp/5432 10.0.20.0/24)',
      ],
      // the same rule asked for by protocol number: nothing changed
      [
        { ...db, protocol: '6' },
        { IpProtocol: '6', FromPort: 5432, ToPort: 5432, CidrIpv4: '10.0.0.0/16', Description: 'app' },
        'no change',
      ],
    ];
    for (const [now, values, reason] of cases) {
      const ec2 = world(now);
      const records = new FakeRecords().seed(record(db));
      const r = await run(modifyEvent([{ id: 'sgr-0db', values }]), ec2, { records });
      expect(r.decisions[0], reason).toMatchObject({
        action: 'allowed',
        reason: `${reason}; previous definition from guardrail's record (baseline)`,
      });
      expect(ec2.modifies).toEqual([]);
      expect(ec2.revokes).toEqual([]);
      expect(records.items.get(`${SG}/sgr-0db`)).toMatchObject({ how: 'allowed', definition: def(now) });
    }
  });

  it('a widening from 0.0.0.0/0 to 10.20.0.0/16 and back: the narrowing is kept, the way back restored', async () => {
    const ec2 = world({ ...db, cidr4: '10.20.0.0/16' });
    const records = new FakeRecords().seed(record({ ...db, cidr4: '0.0.0.0/0' }));
    const narrowed = await run(
      modifyEvent([
        { id: 'sgr-0db', values: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '10.20.0.0/16' } },
      ]),
      ec2,
      { records },
    );
    expect(narrowed.decisions[0]?.action).toBe('allowed');
    rule(ec2, 'sgr-0db')!.cidr4 = '0.0.0.0/0';
    const back = await run(widen, ec2, { records });
    expect(back.decisions[0]).toMatchObject({ action: 'restored', before: { cidrIpv4: '10.20.0.0/16' } });
    expect(rule(ec2, 'sgr-0db')?.cidr4).toBe('10.20.0.0/16');
  });

  it('several rules of one call, in both directions: a decision for each', async () => {
    const ec2 = world(widened, { ...out, ruleId: 'sgr-0out2', from: 0, to: 65535 });
    const records = new FakeRecords().seed(record(db), record({ ...out, ruleId: 'sgr-0out2' }));
    const r = await run(
      modifyEvent([
        { id: 'sgr-0db', values: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0' } },
        { id: 'sgr-0out2', values: { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, CidrIpv4: '10.0.0.0/8' } },
      ]),
      ec2,
      { records },
    );
    expect(r.decisions.map((d) => [d.ruleIds[0], d.direction, d.action])).toEqual([
      ['sgr-0db', 'ingress', 'restored'],
      ['sgr-0out2', 'egress', 'restored'],
    ]);
    expect(rule(ec2, 'sgr-0out2')).toMatchObject({ from: 443, to: 443 });
  });
});

describe('where the previous definition comes from, in order', () => {
  it("guardrail's record first: AWS Config is not asked", async () => {
    const history = new FakeHistory();
    await run(widen, world(widened), { records: new FakeRecords().seed(record(db)), history });
    expect(history.calls).toEqual([]);
  });

  it('then AWS Config, as of the event time, matched by values', async () => {
    const history = new FakeHistory({
      capturedAt: Date.parse('2024-12-31T23:00:00Z'),
      rules: [
        { isEgress: false, definition: def(other) },
        { isEgress: true, definition: def(out) },
        { isEgress: false, definition: def(db) },
      ],
    });
    const records = new FakeRecords();
    const ec2 = world(widened);
    const r = await run(widen, ec2, { records, history });
    expect(records.calls).toEqual(['get sgr-0db', 'put sgr-0db']);
    expect(history.calls).toEqual([
      { groupId: SG, at: '2025-01-01T00:00:00.000Z', eventId: 'c0000000-0000-4000-8000-000000000002' },
    ]);
    expect(r.decisions[0]).toMatchObject({
      action: 'restored',
      reason: expect.stringContaining(
        "previous definition from AWS Config's capture of 2024-12-31T23:00:00.000Z",
      ) as unknown,
    });
    expect(rule(ec2, 'sgr-0db')?.cidr4).toBe('10.0.0.0/16');
    // and it is recorded now, so the next modification needs no Config
    expect(records.items.get(`${SG}/sgr-0db`)?.definition).toEqual(def(db));
  });

  it("a record of the other direction is not the rule's; an unreadable table falls through to Config", async () => {
    const history = new FakeHistory();
    const r = await run(widen, world(widened), {
      records: new FakeRecords().seed(record(db, { isEgress: true })),
      history,
    });
    expect(history.calls).toHaveLength(1);
    expect(r.decisions[0]?.action).toBe('failed');
    const records = new FakeRecords();
    records.failGet.push(new AwsError('AccessDeniedException'));
    const unreadable = await run(widen, world(widened), { records, history });
    expect(unreadable.decisions[0]?.reason).toContain("guardrail's records unreadable (AccessDeniedException)");
  });

  it("Config's capture that does not tell which permission the rule was is not a previous definition", async () => {
    // two permissions of the capture are gone now: either could have been the modified rule
    const history = new FakeHistory({
      capturedAt: 0,
      rules: [
        { isEgress: false, definition: def(db) },
        { isEgress: false, definition: { ...def(db), fromPort: 22, toPort: 22 } },
      ],
    });
    const ec2 = world(widened);
    const r = await run(widen, ec2, { history });
    expect(r.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r.decisions[0]?.reason).toContain('does not tell which rule it was');
    expect(ec2.modifies).toEqual([]);
  });

  it('neither: logged failed with the reason, notified, the rule left as it is (onModifyUnknown=alert)', async () => {
    const ec2 = world(widened);
    const r = await run(widen, ec2, {
      records: new FakeRecords(),
      history: new FakeHistory({ none: `AWS Config does not record ${SG}` }),
    });
    expect(r.decisions).toEqual([
      expect.objectContaining({
        action: 'failed',
        after: def(widened),
        reason: `previous definition unknown (no guardrail record; AWS Config does not record ${SG}); left as it is (onModifyUnknown=alert)`,
      }),
    ]);
    expect(r.decisions[0]?.before).toBeUndefined();
    expect(r.lines[0]).toMatchObject({ level: 'error', action: 'failed' });
    expect(r.sns.messages).toHaveLength(1);
    expect(ec2.modifies).toEqual([]);
    expect(ec2.revokes).toEqual([]);
    expect(rule(ec2, 'sgr-0db')?.cidr4).toBe('0.0.0.0/0');
  });

  it('neither, with revoke-if-wider-than-before-unknown: only a rule open to the world is revoked', async () => {
    const env = { GUARDRAIL_ON_MODIFY_UNKNOWN: 'revoke-if-wider-than-before-unknown' };
    const open = world(widened);
    const r = await run(widen, open, { env, history: new FakeHistory() });
    expect(r.decisions[0]).toMatchObject({
      action: 'reverted',
      reason: expect.stringContaining('open to the world: revoked 1 ingress rule(s) by id') as unknown,
    });
    expect(rule(open, 'sgr-0db')).toBeUndefined();
    const narrow = world({ ...db, cidr4: '10.0.0.0/8' });
    const n = await run(
      modifyEvent([
        { id: 'sgr-0db', values: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '10.0.0.0/8' } },
      ]),
      narrow,
      { env, history: new FakeHistory() },
    );
    expect(n.decisions[0]).toMatchObject({
      action: 'failed',
      reason: expect.stringContaining('not open to the world') as unknown,
    });
    expect(rule(narrow, 'sgr-0db')).toBeDefined();
  });
});

describe('the policy and approvals', () => {
  it('onModify=revoke revokes a widened rule (and one not known), keeps a narrowed one', async () => {
    const env = { GUARDRAIL_ON_MODIFY: 'revoke' };
    const ec2 = world(widened);
    const r = await run(widen, ec2, { env, records: new FakeRecords().seed(record(db)) });
    expect(r.decisions[0]).toMatchObject({
      action: 'reverted',
      reason: expect.stringMatching(
        /^wider than before .*; revoked 1 ingress rule\(s\) by id \(onModify=revoke\)$/,
      ) as unknown,
    });
    const narrowed = world({ ...db, cidr4: '10.0.1.0/24' });
    const k = await run(modifyEvent([{ id: 'sgr-0db', values: { CidrIpv4: '10.0.1.0/24' } }]), narrowed, {
      env,
      records: new FakeRecords().seed(record(db)),
    });
    expect(k.decisions[0]?.action).toBe('allowed');
  });

  it('onModify=alert and monitor mode only report a widening (and record the rule as kept)', async () => {
    for (const [env, why] of [
      [{ GUARDRAIL_ON_MODIFY: 'alert' }, 'onModify=alert'],
      [{ GUARDRAIL_MODE: 'monitor' }, 'monitor mode'],
    ] as const) {
      const ec2 = world(widened);
      const records = new FakeRecords().seed(record(db));
      const r = await run(widen, ec2, { env, records });
      expect(r.decisions[0]).toMatchObject({
        action: 'monitored',
        reason: expect.stringContaining(`; not acted on (${why})`) as unknown,
        before: def(db),
      });
      expect(ec2.modifies).toEqual([]);
      expect(records.items.get(`${SG}/sgr-0db`)).toMatchObject({ how: 'monitored', definition: def(widened) });
    }
  });

  it("an allowed principal's modification stands and is recorded; guardrail's own restore is ignored", async () => {
    const ec2 = world(widened);
    const records = new FakeRecords();
    const r = await run(widen, ec2, { env: { GUARDRAIL_ALLOW_PRINCIPALS: 'arn:aws:iam::*:user/alice' }, records });
    expect(r.decisions[0]).toMatchObject({
      action: 'allowed',
      reason: 'caller matches allowed principal arn:aws:iam::*:user/alice',
    });
    expect(records.items.get(`${SG}/sgr-0db`)).toMatchObject({ how: 'allowed', definition: def(widened) });
    const self = envelope({
      eventName: 'ModifySecurityGroupRules',
      requestParameters: (widen.detail as { requestParameters: unknown }).requestParameters,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/guardrail-FunctionRole-X/s`,
        sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-X` } },
      },
    });
    const mine = await run(self, ec2, { records });
    expect(mine.decisions[0]).toMatchObject({ action: 'ignored', reason: "a call by the function's own role" });
  });

  it('an approval that covers the new definition keeps it, as for additions', async () => {
    const approval = {
      id: 'apr-1',
      groupId: SG,
      approver: 'arn:aws:iam::111111111111:user/boss',
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      revoked: false,
      rules: [{ direction: 'ingress' as const, protocol: 'tcp', fromPort: 5432, toPort: 5432, source: '0.0.0.0/0' }],
    };
    const kept: unknown[] = [];
    const store: ApprovalsPort = {
      forGroup: () => Promise.resolve([approval]),
      get: () => Promise.resolve(approval),
      keep: (_a, _r, rules) => {
        kept.push(...rules);
        return Promise.resolve();
      },
      kept: () => Promise.resolve([]),
      forget: () => Promise.resolve(),
    };
    const ec2 = world(widened);
    const records = new FakeRecords().seed(record(db));
    const r = await run(widen, ec2, {
      records,
      approvals: store,
      env: { GUARDRAIL_APPROVALS_TABLE: 'arn:aws:dynamodb:us-east-1:999999999999:table/guardrail-approvals' },
    });
    expect(r.decisions[0]).toMatchObject({
      action: 'approved',
      approvalId: 'apr-1',
      before: def(db),
      after: def(widened),
    });
    expect(ec2.modifies).toEqual([]);
    expect(kept).toHaveLength(1);
    expect(records.items.get(`${SG}/sgr-0db`)).toMatchObject({ how: 'approved', definition: def(widened) });
  });
});

describe('attacks: the previous definition never comes from the event', () => {
  it('a "before" carried in the request, the record or the envelope is never read', async () => {
    const forged = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0' };
    const event = modifyEvent([{ id: 'sgr-0db', values: forged }], {
      PreviousSecurityGroupRule: forged,
      Before: forged,
    });
    const detail = event.detail as Record<string, unknown>;
    Object.assign(detail, { previousValue: forged, before: { SecurityGroupRule: forged } });
    (detail.responseElements as Record<string, unknown>).ModifySecurityGroupRulesResponse = {
      requestId: 'r',
      return: true,
      SecurityGroupRule: { before: forged },
    };
    Object.assign(event, { before: forged });
    const ec2 = world(widened);
    const r = await run(event, ec2, { history: new FakeHistory() });
    expect(r.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r.decisions[0]?.reason).toMatch(/^previous definition unknown/);
    // with the real record, the forged claims change nothing either
    const withRecord = await run(event, world(widened), { records: new FakeRecords().seed(record(db)) });
    expect(withRecord.decisions[0]).toMatchObject({ action: 'restored', before: def(db) });
  });

  it('a request claiming a narrow value while EC2 holds a wide one is judged on EC2', async () => {
    const ec2 = world(widened);
    const lying = modifyEvent([
      { id: 'sgr-0db', values: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '10.0.5.0/24' } },
    ]);
    const r = await run(lying, ec2, { records: new FakeRecords().seed(record(db)) });
    expect(r.decisions[0]).toMatchObject({ action: 'restored', after: def(widened) });
    expect(rule(ec2, 'sgr-0db')?.cidr4).toBe('10.0.0.0/16');
  });

  it("a narrowing quickly followed by a widening: the narrowing's event already finds the rule wide and restores it", async () => {
    const ec2 = world(widened);
    const records = new FakeRecords().seed(record(db));
    const first = await run(modifyEvent([{ id: 'sgr-0db', values: { CidrIpv4: '10.0.1.0/24' } }]), ec2, { records });
    expect(first.decisions[0]?.action).toBe('restored');
    const second = await run(widen, ec2, { records });
    expect(second.decisions[0]).toMatchObject({
      action: 'restored',
      reason: expect.stringMatching(/^already back/) as unknown,
    });
    expect(rule(ec2, 'sgr-0db')?.cidr4).toBe('10.0.0.0/16');
  });

  it('the record of a rule is only ever a readable definition of the same rule; the verdict is pure', () => {
    const previous = { definition: def(db), from: 'x' };
    expect(verdict(undefined, def(widened), def(widened), 'nothing')).toEqual({
      kind: 'unknown',
      reason: 'previous definition unknown (nothing)',
    });
    expect(verdict(previous, def(widened), def(widened), '').kind).toBe('wider');
    expect(verdict(previous, def(db), def(widened), '').kind).toBe('undone');
    expect(verdict(previous, def(db), def(db), '').kind).toBe('kept');
  });
});

describe('failures', () => {
  it('a restore EC2 refuses is failed (a duplicate of another rule too); a rule gone meanwhile is ignored', async () => {
    const refused = world(widened);
    refused.failNext.modifyRules = [
      new AwsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', {
        httpStatusCode: 403,
      }),
    ];
    const a = await run(widen, refused, { records: new FakeRecords().seed(record(db)) });
    expect(a.decisions[0]).toMatchObject({
      action: 'failed',
      reason: expect.stringContaining('restore failed (UnauthorizedOperation') as unknown,
    });
    const gone = world(widened);
    gone.failNext.modifyRules = [new AwsError('InvalidSecurityGroupRuleId.NotFound')];
    expect((await run(widen, gone, { records: new FakeRecords().seed(record(db)) })).decisions[0]).toMatchObject({
      action: 'ignored',
    });
    const dup = world(widened);
    dup.failNext.modifyRules = [new AwsError('InvalidPermission.Duplicate')];
    const d = await run(widen, dup, { records: new FakeRecords().seed(record(db)) });
    expect(d.decisions[0]).toMatchObject({
      action: 'failed',
      reason: expect.stringContaining('restore failed (InvalidPermission.Duplicate') as unknown,
    });
    expect(rule(dup, 'sgr-0db')).toBeDefined();
  });

  it('throttling is rethrown (the queue retries); a record that cannot be written leaves a note', async () => {
    const ec2 = world(widened);
    ec2.failNext.modifyRules = [
      new AwsError('RequestLimitExceeded', 'Request limit exceeded.', { httpStatusCode: 503 }),
    ];
    await expect(run(widen, ec2, { records: new FakeRecords().seed(record(db)) })).rejects.toThrow(
      'Request limit exceeded.',
    );
    const records = new FakeRecords().seed(record(db));
    records.failPut.push(new AwsError('ProvisionedThroughputExceededException'));
    const r = await run(widen, world(widened), { records });
    expect(r.decisions[0]).toMatchObject({
      action: 'restored',
      reason: expect.stringMatching(/; not recorded \(ProvisionedThroughputExceededException\)$/) as unknown,
    });
  });
});

describe('additions are recorded too', () => {
  it("an allowed addition is recorded as its response describes it, seen at the event's time", async () => {
    const ec2 = new FakeEc2();
    ec2.addGroup({
      groupId: SG,
      rules: [{ ruleId: 'sgr-0new', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '10.0.0.0/8' }],
    });
    const records = new FakeRecords();
    const add = envelope({
      requestParameters: { groupId: SG, ipPermissions: { items: [] } },
      responseElements: {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupId: SG,
              securityGroupRuleId: 'sgr-0new',
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              cidrIpv4: '10.0.0.0/8',
            },
          ],
        },
      },
    });
    await run(add, ec2, { env: { GUARDRAIL_ALLOW_PRINCIPALS: 'arn:aws:iam::*:user/alice' }, records });
    expect(records.items.get(`${SG}/sgr-0new`)).toMatchObject({
      how: 'allowed',
      isEgress: false,
      seenAt: Date.parse('2025-01-01T00:00:00Z'),
      definition: { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.0.0.0/8' },
    });
  });
});

describe('the CloudTrail record of a modification', () => {
  it('reads one rule recorded as an object and several as a list, with CloudTrail\'s positional "tag"', () => {
    const one = parseEvent(
      modifyEvent([
        { id: 'sgr-0db', values: { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' } },
      ]),
    );
    const two = parseEvent(
      modifyEvent([
        { id: 'sgr-0db', values: { CidrIpv4: '0.0.0.0/0' } },
        { id: 'sgr-0out', values: { Description: 'x' } },
      ]),
    );
    expect(one.ok && one.change.kind === 'modify' && one.change.rules.map((r) => r.ruleId)).toEqual(['sgr-0db']);
    expect(
      two.ok && two.change.kind === 'modify' && two.change.rules.map((r) => [r.ruleId, r.cidrIpv4, r.description]),
    ).toEqual([
      ['sgr-0db', '0.0.0.0/0', undefined],
      ['sgr-0out', undefined, 'x'],
    ]);
  });
});
