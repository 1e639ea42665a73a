// The function's approvals: the approved decision (partial approval, tags, what EC2 holds wins over the event),
// onLookupError for a throttled, denied or timed-out store in both modes, and the sweep's expired and forged.
import { describe, expect, it } from 'vitest';
import type { Approval, ApprovalsPort, KeptRule } from '../src/approvals.js';
import type { ApprovedRule } from '../src/contain.js';
import { processEvent, type Deps } from '../src/process-event.js';
import { sweep } from '../src/sweep.js';
import type { Result } from '../src/types.js';
import { ACCOUNT, AwsError, FakeEc2, FakeSns, REGION, config, ctPermission, envelope, type FakeRule } from './fakes.js';

const SG = 'sg-0123456789abcdef0';
const TABLE = `arn:aws:dynamodb:${REGION}:999988887777:table/guardrail-approvals`;
const HOUR = 3600;
const nowS = () => Math.floor(Date.now() / 1000);
// one expiry for every approval() and record() of the file: made a second apart, two would expire a second apart, and
// a test comparing the one in the store with one made for its assertion failed whenever a second ended between them
const IN_AN_HOUR = nowS() + HOUR;
const r443: ApprovedRule = {
  direction: 'ingress',
  protocol: 'tcp',
  fromPort: 443,
  toPort: 443,
  source: '203.0.113.0/24',
};

class FakeStore implements ApprovalsPort {
  queries = 0;
  gets = 0;
  fail?: Error;
  constructor(public items: Approval[] = []) {}
  async forGroup(account: string, region: string, groupId: string): Promise<Approval[]> {
    this.queries++;
    if (this.fail) throw this.fail;
    expect([account, region]).toEqual([ACCOUNT, REGION]);
    return this.items.filter((a) => a.groupId === groupId);
  }
  async get(_account: string, _region: string, groupId: string, id: string): Promise<Approval | undefined> {
    this.gets++;
    if (this.fail) throw this.fail;
    return this.items.find((a) => a.id === id && a.groupId === groupId);
  }
  records = new Map<string, KeptRule>();
  failWrite?: Error;
  async keep(account: string, region: string, rules: KeptRule[]): Promise<void> {
    if (this.failWrite) throw this.failWrite;
    expect([account, region]).toEqual([ACCOUNT, REGION]);
    for (const r of rules) this.records.set(r.ruleId, r);
  }
  async kept(): Promise<KeptRule[]> {
    if (this.fail) throw this.fail;
    return [...this.records.values()];
  }
  async forget(_account: string, _region: string, ruleId: string): Promise<void> {
    this.records.delete(ruleId);
  }
}

const approval = (o: Partial<Approval> = {}): Approval => ({
  id: 'apr-00000000000000a1',
  groupId: SG,
  approver: 'arn:aws:iam::999988887777:user/boss',
  expiresAt: IN_AN_HOUR,
  revoked: false,
  rules: [r443],
  ...o,
});

const kept: FakeRule = {
  ruleId: 'sgr-0kept',
  isEgress: false,
  protocol: 'tcp',
  from: 443,
  to: 443,
  cidr4: '203.0.113.0/25',
};
const ssh: FakeRule = { ruleId: 'sgr-0ssh', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' };

function world(rules: FakeRule[]): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({ groupId: SG, rules: rules.map((r) => ({ ...r })) });
  return ec2;
}

/** The event names both rules with the values the response reported. */
function event(rules: FakeRule[]): Record<string, unknown> {
  return envelope({
    requestParameters: {
      groupId: SG,
      ipPermissions: {
        items: rules.map((r) => ctPermission({ protocol: 'tcp', from: r.from, to: r.to, cidrs: [r.cidr4!] })),
      },
    },
    responseElements: {
      requestId: 'r',
      _return: true,
      securityGroupRuleSet: {
        items: rules.map((r) => ({
          groupId: SG,
          groupOwnerId: ACCOUNT,
          securityGroupRuleId: r.ruleId,
          isEgress: false,
          ipProtocol: 'tcp',
          fromPort: r.from,
          toPort: r.to,
          cidrIpv4: r.cidr4,
        })),
      },
    },
  });
}

function deps(
  ec2: FakeEc2,
  store: FakeStore,
  onLookupError = 'revert',
  sns?: FakeSns,
): Deps & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    config: config({
      AWS_REGION: REGION,
      GUARDRAIL_APPROVALS_TABLE: TABLE,
      GUARDRAIL_ON_LOOKUP_ERROR: onLookupError,
      ...(sns ? { GUARDRAIL_NOTIFY_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:t` } : {}),
    }),
    ec2,
    sns,
    log: (l) => lines.push(l),
    lines,
    approvals: { store, account: ACCOUNT, region: REGION },
  };
}

const remaining = (ec2: FakeEc2) => ec2.groups.get(SG)!.rules.map((r) => r.ruleId);
const byAction = (r: Result, action: string) => r.decisions.filter((d) => d.action === action);

describe('the approved decision', () => {
  it('keeps the contained rule, tags it, and reverts the rest of the same request', async () => {
    const ec2 = world([kept, ssh]);
    const store = new FakeStore([approval()]);
    const sns = new FakeSns();
    const d = deps(ec2, store, 'revert', sns);
    const r = await processEvent(event([kept, ssh]), d);
    expect(remaining(ec2)).toEqual(['sgr-0kept']);
    const a = approval();
    const expires = new Date(a.expiresAt * 1000).toISOString();
    expect(byAction(r, 'approved')).toEqual([
      expect.objectContaining({ ruleIds: ['sgr-0kept'], approvalId: a.id, approver: a.approver, expiresAt: expires }),
    ]);
    expect(byAction(r, 'reverted')).toEqual([expect.objectContaining({ ruleIds: ['sgr-0ssh'] })]);
    expect(ec2.groups.get(SG)!.rules[0]!.tags).toEqual({ 'guardrail:approval': a.id, 'guardrail:expires': expires });
    expect(store.queries).toBe(1);
    // the decision log's line format (log.ts), with the approval on top
    expect(d.lines.find((l) => l.action === 'approved')).toMatchObject({
      level: 'info',
      eventId: expect.any(String),
      eventName: expect.any(String),
      groupId: SG,
      ruleIds: ['sgr-0kept'],
      rules: [expect.objectContaining({ ruleId: 'sgr-0kept' })],
      approvalId: a.id,
      approver: a.approver,
      expiresAt: expires,
    });
    expect(JSON.parse(JSON.stringify(d.lines.find((l) => l.action === 'reverted')))).not.toHaveProperty('approvalId');
    expect(sns.messages[0]!.message).toContain(a.id);
    expect(sns.messages[0]!.message).toContain(a.approver);
  });

  it('judges the rule EC2 holds, not what the event claims', async () => {
    const ec2 = world([{ ...kept, cidr4: '0.0.0.0/0' }]);
    const r = await processEvent(event([kept]), deps(ec2, new FakeStore([approval()])));
    expect(byAction(r, 'reverted')).toHaveLength(1);
    expect(remaining(ec2)).toEqual([]);
  });

  it("ignores expired, revoked and other groups' approvals", async () => {
    for (const a of [
      approval({ expiresAt: nowS() - 1 }),
      approval({ revoked: true }),
      approval({ groupId: 'sg-0fedcba9876543210' }),
    ]) {
      const ec2 = world([kept]);
      const r = await processEvent(event([kept]), deps(ec2, new FakeStore([a])));
      expect(byAction(r, 'reverted'), JSON.stringify(a)).toHaveLength(1);
    }
  });

  it('monitor mode never asks the store', async () => {
    const store = new FakeStore([approval()]);
    const d = deps(world([kept]), store);
    d.config.mode = 'monitor';
    expect(byAction(await processEvent(event([kept]), d), 'monitored')).toHaveLength(1);
    expect(store.queries).toBe(0);
  });

  it('records each kept rule with its approval: the record, not the label, is what the sweep expires', async () => {
    const a = approval();
    const store = new FakeStore([a]);
    await processEvent(event([kept, ssh]), deps(world([kept, ssh]), store));
    expect([...store.records.values()]).toEqual([
      { ruleId: 'sgr-0kept', groupId: SG, direction: 'ingress', approvalId: a.id, expiresAt: a.expiresAt },
    ]);
  });

  it('a rule whose record cannot be written is reverted: unrecorded, the sweep could never expire it', async () => {
    const ec2 = world([kept]);
    const store = new FakeStore([approval()]);
    store.failWrite = new AwsError('AccessDeniedException');
    const r = await processEvent(event([kept]), deps(ec2, store));
    expect(byAction(r, 'reverted')[0]!.reason).toMatch(/could not record the kept rules \(AccessDeniedException\)/);
    expect(remaining(ec2)).toEqual([]);
  });

  it('a label that cannot be written does not matter: the rule is kept and recorded, the reason says so', async () => {
    const ec2 = world([kept]);
    ec2.failNext.tagRules = [new AwsError('UnauthorizedOperation')];
    const store = new FakeStore([approval()]);
    const r = await processEvent(event([kept]), deps(ec2, store));
    expect(byAction(r, 'approved')[0]!.reason).toMatch(/not labelled \(UnauthorizedOperation\)/);
    expect(remaining(ec2)).toEqual(['sgr-0kept']);
    expect(store.records.has('sgr-0kept')).toBe(true);
  });

  it('an event without rule ids (old format, or a truncated response) finds the rules by their values, so approvals apply', async () => {
    const ec2 = world([kept, ssh]);
    const ev = envelope({
      requestParameters: {
        groupId: SG,
        ipPermissions: {
          items: [
            ctPermission({ protocol: 'tcp', from: 443, to: 443, cidrs: ['203.0.113.0/25'] }),
            ctPermission({ protocol: 'tcp', from: 22, to: 22, cidrs: ['0.0.0.0/0'] }),
          ],
        },
      },
    });
    const r = await processEvent(ev, deps(ec2, new FakeStore([approval()])));
    expect(byAction(r, 'approved')).toEqual([expect.objectContaining({ ruleIds: ['sgr-0kept'] })]);
    expect(byAction(r, 'reverted')).toEqual([expect.objectContaining({ ruleIds: ['sgr-0ssh'] })]);
    expect(remaining(ec2)).toEqual(['sgr-0kept']);
    expect(ec2.calls.filter((c) => c.op === 'groupRules')).toHaveLength(1); // found and judged from one description
  });

  const failures: [string, Error][] = [
    ['throttled', new AwsError('ProvisionedThroughputExceededException')],
    ['denied', new AwsError('AccessDeniedException')],
    ['timed out', Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
  ];
  for (const [what, err] of failures) {
    it(`a ${what} lookup: onLookupError=revert reverts and says why; keep keeps`, async () => {
      const store = new FakeStore([approval()]);
      store.fail = err;
      const ec2 = world([kept, ssh]);
      const r = await processEvent(event([kept, ssh]), deps(ec2, store, 'revert'));
      expect(r.decisions).toEqual([
        expect.objectContaining({
          action: 'reverted',
          reason: expect.stringContaining(`approval store unreadable (${err.name}); reverted (onLookupError=revert)`),
        }),
      ]);
      expect(remaining(ec2)).toEqual([]);

      // keep: kept for the grace, and the event is decided again when the grace ends (the queue holds it)
      const ec2b = world([kept, ssh]);
      const opts: { ageSeconds: number; recheckSeconds?: number } = { ageSeconds: 600 };
      const k = await processEvent(event([kept, ssh]), deps(ec2b, store, 'keep'), opts);
      expect(k.decisions).toEqual([
        expect.objectContaining({
          action: 'allowed',
          reason: `approval store unreadable (${err.name}); kept for 50 min, then decided again (onLookupError=keep)`,
        }),
      ]);
      expect(remaining(ec2b)).toEqual(['sgr-0kept', 'sgr-0ssh']);
      expect(opts.recheckSeconds).toBe(3000);

      // the grace is over and the store is still unreadable: reverted, never kept for good
      const late = await processEvent(event([kept, ssh]), deps(ec2b, store, 'keep'), { ageSeconds: 3600 });
      expect(late.decisions).toEqual([
        expect.objectContaining({
          action: 'reverted',
          reason: expect.stringContaining('still unreadable after the 60-minute grace'),
        }),
      ]);
      expect(remaining(ec2b)).toEqual([]);
    });
  }
});

const scheduled = {
  version: '0',
  id: 'sched-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  region: REGION,
  resources: [],
  detail: {},
};
const tagged = (id: string, r: FakeRule = kept): FakeRule => ({
  ...r,
  tags: { 'guardrail:approval': id, 'guardrail:expires': 'x' },
});

const record = (ruleId: string, approvalId: string, expiresAt = IN_AN_HOUR): KeptRule => ({
  ruleId,
  groupId: SG,
  direction: 'ingress',
  approvalId,
  expiresAt,
});

describe('the sweep', () => {
  it('expires only recorded rules: lapsed, revoked and no-longer-covered approvals are revoked, active ones kept', async () => {
    const ec2 = world([
      tagged('apr-00000000000000a1'),
      { ...kept, ruleId: 'sgr-0expired' }, // its label was deleted: the record still expires it on time
      tagged('apr-00000000000000a3', { ...kept, ruleId: 'sgr-0revoked' }),
      tagged('apr-00000000000000a1', { ...ssh, ruleId: 'sgr-0notcovered' }),
      ssh,
    ]);
    const store = new FakeStore([approval(), approval({ id: 'apr-00000000000000a3', revoked: true })]);
    for (const k of [
      record('sgr-0kept', 'apr-00000000000000a1'),
      record('sgr-0expired', 'apr-00000000000000a2', nowS() - 60),
      record('sgr-0revoked', 'apr-00000000000000a3'),
      record('sgr-0notcovered', 'apr-00000000000000a1'),
    ])
      store.records.set(k.ruleId, k);
    const d = deps(ec2, store);
    const r = await sweep(scheduled, d);
    expect(remaining(ec2).sort()).toEqual(['sgr-0kept', 'sgr-0ssh']);
    expect(d.lines.find((l) => l.ruleIds && (l.ruleIds as string[])[0] === 'sgr-0expired')).toMatchObject({
      level: 'warn',
      action: 'expired',
      approvalId: 'apr-00000000000000a2',
      groupId: SG,
    });
    const summary = Object.fromEntries(r.decisions.map((x) => [x.ruleIds[0], x.action]));
    expect(summary).toEqual({ 'sgr-0expired': 'expired', 'sgr-0revoked': 'expired', 'sgr-0notcovered': 'expired' });
    expect(r.decisions.find((x) => x.ruleIds[0] === 'sgr-0revoked')!.reason).toContain('was revoked');
    expect([...store.records.keys()]).toEqual(['sgr-0kept']);
    expect(store.gets).toBe(3); // the expired record needs no lookup
  });

  it('never revokes for a label without a record: the label is taken off, the rule stays (forged)', async () => {
    const ec2 = world([tagged('apr-00000000000000ff'), tagged('not-an-id', { ...ssh, ruleId: 'sgr-0junk' })]);
    const sns = new FakeSns();
    const r = await sweep(
      scheduled,
      deps(ec2, new FakeStore([approval({ id: 'apr-00000000000000ff' })]), 'revert', sns),
    );
    expect(remaining(ec2).sort()).toEqual(['sgr-0junk', 'sgr-0kept']);
    expect(r.decisions.map((x) => [x.ruleIds[0], x.action])).toEqual([
      ['sgr-0kept', 'forged'],
      ['sgr-0junk', 'forged'],
    ]);
    expect(ec2.groups.get(SG)!.rules.map((x) => x.tags)).toEqual([{}, {}]);
    expect(sns.messages).toHaveLength(1);
  });

  for (const [what, env] of [
    ['monitor mode', { GUARDRAIL_MODE: 'monitor' }],
    ['an exempt group', { GUARDRAIL_EXEMPT_GROUPS: SG }],
    ['an unwatched direction', { GUARDRAIL_DIRECTIONS: 'egress' }],
    ['a group outside onlyVpcs', { GUARDRAIL_ONLY_VPCS: 'vpc-other' }],
  ] as const) {
    it(`applies the event path's scope: in ${what} a forged label revokes nothing, and a lapsed record is not revoked`, async () => {
      const ec2 = world([tagged('apr-00000000000000ff'), { ...ssh, ruleId: 'sgr-0lapsed' }]);
      const store = new FakeStore([]);
      store.records.set('sgr-0lapsed', record('sgr-0lapsed', 'apr-00000000000000a2', nowS() - 60));
      const d = deps(ec2, store);
      Object.assign(d, { config: config({ AWS_REGION: REGION, GUARDRAIL_APPROVALS_TABLE: TABLE, ...env }) });
      const r = await sweep(scheduled, d);
      expect(remaining(ec2).sort()).toEqual(['sgr-0kept', 'sgr-0lapsed']);
      expect(r.decisions.find((x) => x.ruleIds[0] === 'sgr-0lapsed')!.action).not.toBe('expired');
      expect(r.decisions.find((x) => x.ruleIds[0] === 'sgr-0kept')!.action).toBe('forged');
      expect(store.records.size).toBe(0);
    });
  }

  it('leaves every rule when the store cannot be read, and says so', async () => {
    const ec2 = world([tagged('apr-00000000000000a2')]);
    const store = new FakeStore([]);
    store.fail = new AwsError('ThrottlingException');
    const r = await sweep(scheduled, deps(ec2, store));
    expect(r.decisions).toEqual([
      expect.objectContaining({
        action: 'failed',
        reason: expect.stringContaining('approval store unreadable (ThrottlingException)'),
      }),
    ]);
    expect(remaining(ec2)).toEqual(['sgr-0kept']);
  });

  it('does nothing when approvals are off', async () => {
    const ec2 = world([tagged('apr-00000000000000ff')]);
    const r = await sweep(scheduled, { config: config({ AWS_REGION: REGION }), ec2, log: () => undefined });
    expect(r.decisions).toEqual([expect.objectContaining({ action: 'ignored' })]);
    expect(remaining(ec2)).toEqual(['sgr-0kept']);
  });
});
