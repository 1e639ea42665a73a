// The side doors (issue N): prefix lists, VPC associations, attachments. What is decided rests on EC2's state read
// back (the fake holds the list's versions, the associations, the interfaces); the event only points. The attack
// cases show what a late, repeated or lying event cannot make the function do.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Approval, ApprovalsPort } from '../src/approvals.js';
import { handleBatch } from '../src/batch.js';
import { processEvent, type Deps } from '../src/process-event.js';
import type { Result, SqsPort } from '../src/types.js';
import { ACCOUNT, AwsError, FakeEc2, FakeSns, REGION, config, envelope, type EventOptions } from './fakes.js';

const PL = 'pl-0123456789abcdef0';
const SELF = `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-X`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:t`;
const OPEN = 'sg-0aaaaaaaaaaaaaaa1';
const CLOSED = 'sg-0bbbbbbbbbbbbbbb2';
const HOME = 'vpc-0home00000000000';
const PROTECTED = 'vpc-0prot00000000000';
const ENI = 'eni-0123456789abcdef0';

async function run(
  event: unknown,
  ec2: FakeEc2,
  env: Record<string, string> = {},
  extra: Partial<Deps> = {},
): Promise<Result & { lines: Record<string, unknown>[]; sns: FakeSns }> {
  const lines: Record<string, unknown>[] = [];
  const sns = new FakeSns();
  const deps: Deps = {
    config: config({ AWS_REGION: REGION, GUARDRAIL_SELF_ROLE_ARN: SELF, GUARDRAIL_NOTIFY_TOPIC_ARN: TOPIC, ...env }),
    ec2,
    sns,
    log: (l) => lines.push(l),
    ...extra,
  };
  const result = await processEvent(event, deps);
  return { ...result, lines, sns };
}

const mutations = (ec2: FakeEc2) =>
  ec2.calls.filter((c) =>
    ['restorePrefixList', 'disassociateGroupVpc', 'revoke', 'modifyRules', 'tagRules', 'untag'].includes(c.op),
  );

/** ModifyManagedPrefixList as CloudTrail records it: the request's own names, wrapped. */
const modifyList = (currentVersion: number | undefined, add: string[], o: EventOptions = {}) =>
  envelope({
    eventName: 'ModifyManagedPrefixList',
    requestParameters: {
      ModifyManagedPrefixListRequest: {
        PrefixListId: PL,
        ...(currentVersion !== undefined ? { CurrentVersion: currentVersion } : {}),
        AddEntry: add.map((Cidr, i) => ({ Cidr, tag: i + 1 })),
      },
    },
    responseElements: {
      ModifyManagedPrefixListResponse: {
        prefixList: { prefixListId: PL, version: currentVersion, state: 'modify-in-progress' },
      },
    },
    ...o,
  });

function listWorld(versions: string[][], owner = ACCOUNT): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addPrefixList(PL, versions, owner);
  return ec2;
}

const V1 = ['10.1.0.0/16', '10.2.0.0/16'];

function store(approvals: Approval[]): ApprovalsPort {
  return {
    forGroup: async (_a, _r, id) => approvals.filter((a) => a.groupId === id),
    get: async () => undefined,
    keep: async () => undefined,
    kept: async () => [],
    forget: async () => undefined,
  };
}

describe('prefix lists: judged on the entries of the version the call made and the one before, as EC2 holds them', () => {
  it('0.0.0.0/0 added: restored to the version before, with CurrentVersion set; the log line has both versions and the entries', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    const r = await run(modifyList(1, ['0.0.0.0/0']), ec2);
    expect(r.decisions).toMatchObject([
      {
        action: 'restored',
        prefixListId: PL,
        versionBefore: 1,
        versionAfter: 2,
        entriesAdded: ['0.0.0.0/0'],
        entriesRemoved: [],
      },
    ]);
    expect(ec2.restores).toEqual([{ prefixListId: PL, previous: 1, current: 2 }]);
    expect(ec2.prefixLists.get(PL)!.versions[2]).toEqual(V1);
    expect(r.lines[0]).toMatchObject({
      level: 'warn',
      eventName: 'ModifyManagedPrefixList',
      action: 'restored',
      prefixListId: PL,
      versionBefore: 1,
      versionAfter: 2,
      entriesAdded: ['0.0.0.0/0'],
    });
    expect(r.sns.messages[0]!.subject).toContain(`restored ModifyManagedPrefixList ${PL}`);
  });

  it('an entry inside policy.prefixLists.cidrs is kept; one outside is not', async () => {
    const ec2 = listWorld([V1, [...V1, '10.9.0.0/16']]);
    const r = await run(modifyList(1, ['10.9.0.0/16']), ec2, { GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8' });
    expect(r.decisions).toMatchObject([{ action: 'allowed', entriesAdded: ['10.9.0.0/16'] }]);
    const ec2b = listWorld([V1, [...V1, '192.168.0.0/16']]);
    expect(
      (await run(modifyList(1, ['192.168.0.0/16']), ec2b, { GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8' })).decisions[0]!
        .action,
    ).toBe('restored');
  });

  it('one entry not allowed takes the whole version back, and the reason names the allowed entries it took out', async () => {
    const ec2 = listWorld([V1, [...V1, '10.9.0.0/16', '0.0.0.0/0']]);
    const r = await run(modifyList(1, ['10.9.0.0/16', '0.0.0.0/0']), ec2, {
      GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8',
    });
    expect(r.decisions[0]).toMatchObject({ action: 'restored', entriesAdded: ['10.9.0.0/16', '0.0.0.0/0'] });
    expect(r.decisions[0]!.reason).toMatch(
      /added 0\.0\.0\.0\/0, which no policy allows.*also takes out 10\.9\.0\.0\/16/,
    );
  });

  it('by default every added entry is judged, private or not (as every added rule is); removals are never undone', async () => {
    expect(
      (await run(modifyList(1, ['10.9.0.0/16']), listWorld([V1, [...V1, '10.9.0.0/16']]))).decisions[0]!.action,
    ).toBe('restored');
    const ec2 = listWorld([V1, ['10.1.0.0/16']]);
    const r = await run(modifyList(1, []), ec2);
    expect(r.decisions).toMatchObject([{ action: 'allowed', entriesRemoved: ['10.2.0.0/16'] }]);
    expect(mutations(ec2)).toEqual([]);
  });

  it('monitor mode: reported (monitored) and notified, nothing restored', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    const r = await run(modifyList(1, ['0.0.0.0/0']), ec2, { GUARDRAIL_MODE: 'monitor' });
    expect(r.decisions).toMatchObject([{ action: 'monitored', entriesAdded: ['0.0.0.0/0'] }]);
    expect(mutations(ec2)).toEqual([]);
    expect(r.sns.messages).toHaveLength(1);
  });

  it('policy.prefixLists.principals and allowPrincipals may change lists; exempt lists are left alone', async () => {
    const v = [V1, [...V1, '0.0.0.0/0']];
    expect(
      (
        await run(modifyList(1, ['0.0.0.0/0']), listWorld(v), {
          GUARDRAIL_PREFIX_LIST_PRINCIPALS: `arn:aws:iam::${ACCOUNT}:user/alice`,
        })
      ).decisions[0]!.action,
    ).toBe('allowed');
    expect(
      (
        await run(modifyList(1, ['0.0.0.0/0']), listWorld(v), {
          GUARDRAIL_ALLOW_PRINCIPALS: `arn:aws:iam::${ACCOUNT}:user/*`,
        })
      ).decisions[0]!.action,
    ).toBe('allowed');
    const ec2 = listWorld(v);
    expect(
      (await run(modifyList(1, ['0.0.0.0/0']), ec2, { GUARDRAIL_PREFIX_LIST_EXEMPT: PL })).decisions[0]!.action,
    ).toBe('allowed');
    expect(ec2.calls).toEqual([]);
  });

  it('an approval for the list covers an entry within its source', async () => {
    const approval: Approval = {
      id: 'ap-1',
      groupId: PL,
      approver: 'bob',
      expiresAt: Date.now() / 1000 + 3600,
      revoked: false,
      rules: [{ direction: 'ingress', protocol: '-1', fromPort: -1, toPort: -1, source: '203.0.113.0/24' }],
    };
    const extra = { approvals: { store: store([approval]), account: ACCOUNT, region: REGION } };
    const ec2 = listWorld([V1, [...V1, '203.0.113.8/29']]);
    expect((await run(modifyList(1, ['203.0.113.8/29']), ec2, {}, extra)).decisions).toMatchObject([
      { action: 'approved', approvalId: 'ap-1' },
    ]);
    expect(mutations(ec2)).toEqual([]);
    const expired = {
      approvals: {
        store: store([{ ...approval, expiresAt: Date.now() / 1000 - 1 }]),
        account: ACCOUNT,
        region: REGION,
      },
    };
    expect(
      (await run(modifyList(1, ['203.0.113.8/29']), listWorld([V1, [...V1, '203.0.113.8/29']]), {}, expired))
        .decisions[0]!.action,
    ).toBe('restored');
  });

  it('RestoreManagedPrefixListVersion by someone else is judged the same way (the version it made against its CurrentVersion)', async () => {
    const ec2 = listWorld([V1, ['10.1.0.0/16'], V1.concat('::/0'), ['10.1.0.0/16', '::/0']]);
    const event = envelope({
      eventName: 'RestoreManagedPrefixListVersion',
      requestParameters: {
        RestoreManagedPrefixListVersionRequest: { PrefixListId: PL, PreviousVersion: 3, CurrentVersion: 3 },
      },
    });
    // version 4 (made from 3) against 3: nothing added; a restore of an old version that re-adds an open entry is
    // undone
    expect((await run(event, ec2)).decisions[0]!.action).toBe('allowed');
    const ec2b = listWorld([V1.concat('::/0'), V1, V1.concat('::/0')]);
    const back = envelope({
      eventName: 'RestoreManagedPrefixListVersion',
      requestParameters: { prefixListId: PL, previousVersion: 1, currentVersion: 2 },
    });
    const r = await run(back, ec2b);
    expect(r.decisions).toMatchObject([
      { action: 'restored', versionBefore: 2, versionAfter: 3, entriesAdded: ['::/0'] },
    ]);
    expect(ec2b.restores).toEqual([{ prefixListId: PL, previous: 2, current: 3 }]);
  });

  it("guardrail's own restore emits an event too: ignored, so it never loops", async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0'], V1]);
    const own = envelope({
      eventName: 'RestoreManagedPrefixListVersion',
      requestParameters: {
        RestoreManagedPrefixListVersionRequest: { PrefixListId: PL, PreviousVersion: 1, CurrentVersion: 2 },
      },
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/guardrail-FunctionRole-X/revert`,
        sessionContext: { sessionIssuer: { arn: SELF } },
      },
    });
    const r = await run(own, ec2);
    expect(r.decisions).toMatchObject([{ action: 'ignored', reason: "a call by the function's own role" }]);
    expect(ec2.calls).toEqual([]);
  });

  it('AWS-managed lists and lists of other accounts are ignored with the owner named', async () => {
    expect(
      (await run(modifyList(1, ['0.0.0.0/0']), listWorld([V1, [...V1, '0.0.0.0/0']], 'AWS'))).decisions[0]!.reason,
    ).toMatch(/owned by AWS/);
    expect(
      (await run(modifyList(1, ['0.0.0.0/0']), listWorld([V1, [...V1, '0.0.0.0/0']], '222222222222'))).decisions[0]!
        .reason,
    ).toMatch(/owned by 222222222222/);
  });

  it('a list still being modified is held in the queue and decided once EC2 has settled the version', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    ec2.prefixLists.get(PL)!.state = 'modify-in-progress';
    const deps: Deps = {
      config: config({ AWS_REGION: REGION, GUARDRAIL_SELF_ROLE_ARN: SELF }),
      ec2,
      log: () => undefined,
    };
    await expect(processEvent(modifyList(1, ['0.0.0.0/0']), deps, { ageSeconds: 1 })).rejects.toMatchObject({
      name: 'Hold',
    });
    expect(mutations(ec2)).toEqual([]);
  });
});

describe('prefix lists: attacks', () => {
  it('a late or repeated event for an old version never restores over later versions: the entry gone → ignored, still there → failed loudly', async () => {
    // version 2 added 0.0.0.0/0; versions 3 and 4 (legitimate) took it out and added 10.3.0.0/16
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0'], V1, [...V1, '10.3.0.0/16']]);
    const r = await run(modifyList(1, ['0.0.0.0/0']), ec2);
    expect(r.decisions).toMatchObject([{ action: 'ignored', versionBefore: 1, versionAfter: 2 }]);
    expect(mutations(ec2)).toEqual([]);
    const still = listWorld([V1, [...V1, '0.0.0.0/0'], [...V1, '0.0.0.0/0', '10.3.0.0/16']]);
    const r2 = await run(modifyList(1, ['0.0.0.0/0']), still);
    expect(r2.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r2.decisions[0]!.reason).toMatch(/moved on to version 3.*remove 0\.0\.0\.0\/0 by hand/);
    expect(mutations(still)).toEqual([]);
  });

  it("what the payload says was added decides nothing: EC2's entries do, both ways", async () => {
    // the request names a harmless entry, but EC2's version 2 holds 0.0.0.0/0: restored
    const lied = listWorld([V1, [...V1, '0.0.0.0/0']]);
    expect(
      (await run(modifyList(1, ['10.3.0.0/16']), lied, { GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8' })).decisions[0]!
        .action,
    ).toBe('restored');
    // the request names 0.0.0.0/0, but EC2's version 2 adds nothing: nothing is restored
    const calm = listWorld([V1, [...V1, '10.3.0.0/16']]);
    const r = await run(modifyList(1, ['0.0.0.0/0']), calm, { GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8' });
    expect(r.decisions[0]).toMatchObject({ action: 'allowed', entriesAdded: ['10.3.0.0/16'] });
    expect(mutations(calm)).toEqual([]);
  });

  it("a rename (no new version) is never held to the next version, someone else's change", async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    const rename = envelope({
      eventName: 'ModifyManagedPrefixList',
      requestParameters: {
        ModifyManagedPrefixListRequest: { PrefixListId: PL, CurrentVersion: 1, PrefixListName: 'partners-2' },
      },
    });
    expect((await run(rename, ec2)).decisions[0]).toMatchObject({
      action: 'ignored',
      reason: expect.stringMatching(/no entry/),
    });
    expect(ec2.calls).toEqual([]);
  });

  it('a version the list never reached, or its first, restores nothing', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    expect((await run(modifyList(7, ['0.0.0.0/0']), ec2)).decisions[0]).toMatchObject({ action: 'ignored' });
    expect((await run(modifyList(0, ['0.0.0.0/0']), ec2)).decisions[0]).toMatchObject({ action: 'failed' });
    expect(mutations(ec2)).toEqual([]);
  });

  it('a concurrent change between the read and the restore makes the restore fail (CurrentVersion), never clobbers it', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    const restore = ec2.restorePrefixList.bind(ec2);
    ec2.restorePrefixList = async (id, previous, current) => {
      ec2.prefixLists.get(id)!.versions.push([...V1, '0.0.0.0/0', '10.4.0.0/16']);
      return restore(id, previous, current);
    };
    const r = await run(modifyList(1, ['0.0.0.0/0']), ec2);
    expect(r.decisions[0]).toMatchObject({ action: 'failed' });
    expect(r.decisions[0]!.reason).toMatch(/PrefixListVersionMismatch/);
    expect(ec2.prefixLists.get(PL)!.versions).toHaveLength(3);
  });

  it('a forged prefix-list event (a direct invoke with a made-up receipt handle) is refused before anything is read', async () => {
    const ec2 = listWorld([V1, [...V1, '0.0.0.0/0']]);
    const sqs: SqsPort = {
      changeVisibility: () => Promise.reject(new AwsError('ReceiptHandleIsInvalid')),
      receive: () => Promise.reject(new Error('unused')),
      delete: () => Promise.reject(new Error('unused')),
      depth: () => Promise.reject(new Error('unused')),
    };
    const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:q`;
    const deps: Deps = {
      config: config({
        AWS_REGION: REGION,
        GUARDRAIL_SELF_ROLE_ARN: SELF,
        GUARDRAIL_EVENT_QUEUE_URL: 'https://q',
        GUARDRAIL_EVENT_QUEUE_ARN: arn,
      }),
      ec2,
      sqs,
      log: () => undefined,
    };
    const r = await handleBatch(
      {
        Records: [
          {
            messageId: 'm',
            receiptHandle: 'AQEBforged',
            body: JSON.stringify(modifyList(1, ['0.0.0.0/0'])),
            eventSource: 'aws:sqs',
            eventSourceARN: arn,
            attributes: {},
          },
        ],
      },
      deps,
    );
    expect('results' in r ? r.results.flatMap((x) => x.decisions).map((d) => d.action) : []).toEqual(['refused']);
    expect(ec2.calls).toEqual([]);
  });
});

function groupsWorld(): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({
    groupId: OPEN,
    vpcId: HOME,
    defaultVpc: false,
    rules: [
      { ruleId: 'sgr-0open22', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' },
      { ruleId: 'sgr-0egress', isEgress: true, protocol: '-1', cidr4: '0.0.0.0/0' },
    ],
  });
  ec2.addGroup({
    groupId: CLOSED,
    vpcId: HOME,
    defaultVpc: false,
    rules: [
      { ruleId: 'sgr-0private', isEgress: false, protocol: 'tcp', from: 443, to: 443, cidr4: '10.0.0.0/8' },
      { ruleId: 'sgr-0egress2', isEgress: true, protocol: '-1', cidr4: '0.0.0.0/0' },
    ],
  });
  ec2.associations.set(OPEN, [{ vpcId: PROTECTED, state: 'associated' }]);
  ec2.associations.set(CLOSED, [{ vpcId: PROTECTED, state: 'associated' }]);
  return ec2;
}

const associate = (groupId: string, vpcId = PROTECTED) =>
  envelope({
    eventName: 'AssociateSecurityGroupVpc',
    requestParameters: { AssociateSecurityGroupVpcRequest: { GroupId: groupId, VpcId: vpcId } },
    responseElements: { AssociateSecurityGroupVpcResponse: { state: 'associating' } },
  });
const ONLY = { GUARDRAIL_ONLY_VPCS: PROTECTED };

describe("AssociateSecurityGroupVpc: the association read back, judged on the group's rules now", () => {
  it('an open group from outside onlyVpcs associated into a protected VPC is disassociated; the line names the VPC', async () => {
    const ec2 = groupsWorld();
    const r = await run(associate(OPEN), ec2, ONLY);
    expect(r.decisions).toMatchObject([
      { action: 'reverted', groupId: OPEN, vpcId: PROTECTED, ruleIds: ['sgr-0open22'] },
    ]);
    expect(ec2.disassociations).toEqual([{ groupId: OPEN, vpcId: PROTECTED }]);
    expect(r.lines[0]).toMatchObject({ eventName: 'AssociateSecurityGroupVpc', vpcId: PROTECTED, action: 'reverted' });
  });

  it('onAssociate report and monitor mode only report it', async () => {
    for (const env of [{ GUARDRAIL_ON_ASSOCIATE: 'report' }, { GUARDRAIL_MODE: 'monitor' }] as Record<
      string,
      string
    >[]) {
      const ec2 = groupsWorld();
      const r = await run(associate(OPEN), ec2, { ...ONLY, ...env });
      expect(r.decisions[0]!.action).toBe('monitored');
      expect(mutations(ec2)).toEqual([]);
      expect(r.sns.messages).toHaveLength(1);
    }
  });

  it('a group with no ingress open to the world (the default egress rule aside), a VPC out of scope, an exempt group: kept', async () => {
    expect((await run(associate(CLOSED), groupsWorld(), ONLY)).decisions[0]!.action).toBe('allowed');
    expect(
      (await run(associate(OPEN), groupsWorld(), { GUARDRAIL_ONLY_VPCS: 'vpc-0other0000000000' })).decisions[0]!.reason,
    ).toMatch(/outside onlyVpcs/);
    expect(
      (await run(associate(OPEN), groupsWorld(), { ...ONLY, GUARDRAIL_EXEMPT_GROUPS: OPEN })).decisions[0]!.action,
    ).toBe('allowed');
  });

  it('attack: an exempt tag put on a moment before the association is not taken at its word: the event is held until the tag settles', async () => {
    const ec2 = groupsWorld();
    ec2.groups.get(OPEN)!.tags = { 'guardrail:exempt': 'true' };
    const deps: Deps = {
      config: config({
        AWS_REGION: REGION,
        GUARDRAIL_SELF_ROLE_ARN: SELF,
        GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true',
        ...ONLY,
      }),
      ec2,
      log: () => undefined,
    };
    await expect(processEvent(associate(OPEN), deps, { ageSeconds: 2 })).rejects.toMatchObject({ name: 'Hold' });
    expect(mutations(ec2)).toEqual([]);
    // once settled, the tag (had guardrail not taken it off) decides
    expect((await processEvent(associate(OPEN), deps, { ageSeconds: 31 })).decisions[0]!.action).toBe('allowed');
    ec2.groups.get(OPEN)!.tags = {};
    expect((await processEvent(associate(OPEN), deps, { ageSeconds: 31 })).decisions[0]!.action).toBe('reverted');
  });

  it('an approved open rule does not count', async () => {
    const approval: Approval = {
      id: 'ap-2',
      groupId: OPEN,
      approver: 'bob',
      expiresAt: Date.now() / 1000 + 60,
      revoked: false,
      rules: [{ direction: 'ingress', protocol: 'tcp', fromPort: 22, toPort: 22, source: '0.0.0.0/0' }],
    };
    const ec2 = groupsWorld();
    const r = await run(associate(OPEN), ec2, ONLY, {
      approvals: { store: store([approval]), account: ACCOUNT, region: REGION },
    });
    expect(r.decisions[0]!.action).toBe('allowed');
    expect(mutations(ec2)).toEqual([]);
  });

  it("attack: an event naming an association EC2 does not hold, or the group's own VPC, disassociates nothing", async () => {
    const ec2 = groupsWorld();
    ec2.associations.set(OPEN, []);
    expect((await run(associate(OPEN), ec2, ONLY)).decisions[0]).toMatchObject({ action: 'ignored' });
    expect(
      (await run(associate(OPEN, HOME), groupsWorld(), { GUARDRAIL_ONLY_VPCS: HOME })).decisions[0]!.reason,
    ).toMatch(/own VPC/);
    const gone = groupsWorld();
    gone.associations.set(OPEN, [{ vpcId: PROTECTED, state: 'disassociated' }]);
    expect((await run(associate(OPEN), gone, ONLY)).decisions[0]).toMatchObject({ action: 'ignored' });
    expect(mutations(ec2)).toEqual([]);
    expect(mutations(gone)).toEqual([]);
  });

  it("a group's scope includes every VPC it is associated with: a later rule on it is reverted under onlyVpcs", async () => {
    const ec2 = groupsWorld();
    ec2.groups
      .get(CLOSED)!
      .rules.push({ ruleId: 'sgr-0new', isEgress: false, protocol: 'tcp', from: 3389, to: 3389, cidr4: '0.0.0.0/0' });
    const added = envelope({
      requestParameters: { groupId: CLOSED, ipPermissions: { items: [] } },
      responseElements: {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupId: CLOSED,
              securityGroupRuleId: 'sgr-0new',
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: 3389,
              toPort: 3389,
              cidrIpv4: '0.0.0.0/0',
            },
          ],
        },
      },
    });
    expect((await run(added, ec2, ONLY)).decisions[0]!.action).toBe('reverted');
    ec2.associations.set(CLOSED, []);
    ec2.groups
      .get(CLOSED)!
      .rules.push({ ruleId: 'sgr-0new', isEgress: false, protocol: 'tcp', from: 3389, to: 3389, cidr4: '0.0.0.0/0' });
    expect((await run(added, ec2, ONLY)).decisions[0]!.reason).toMatch(/outside onlyVpcs/);
  });
});

const attachEni = (groups: string[]) =>
  envelope({
    eventName: 'ModifyNetworkInterfaceAttribute',
    requestParameters: { networkInterfaceId: ENI, groupSet: { items: groups.map((groupId) => ({ groupId })) } },
  });

describe('attachments: reported, never reverted', () => {
  function eniWorld(groups: string[]): FakeEc2 {
    const ec2 = groupsWorld();
    ec2.enis.set(ENI, {
      networkInterfaceId: ENI,
      vpcId: PROTECTED,
      groupIds: groups,
      instanceId: 'i-0123456789abcdef0',
    });
    return ec2;
  }

  it('an open exempt group attached to an interface: monitored with the group and the interface, notified, nothing changed', async () => {
    const ec2 = eniWorld([OPEN, CLOSED]);
    const r = await run(attachEni([OPEN, CLOSED]), ec2, { GUARDRAIL_EXEMPT_GROUPS: OPEN });
    expect(r.decisions).toMatchObject([
      { action: 'monitored', groupId: OPEN, networkInterfaceId: ENI, vpcId: PROTECTED },
    ]);
    expect(r.decisions[0]!.reason).toMatch(/exempt group; 1 ingress rule\(s\) open to the world/);
    expect(mutations(ec2)).toEqual([]);
    expect(r.sns.messages).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ networkInterfaceId: ENI, groupId: OPEN, action: 'monitored' });
  });

  it("ModifyInstanceAttribute with a group set reads the instance's interfaces; for another attribute it is ignored", async () => {
    const ec2 = eniWorld([OPEN]);
    const viaInstance = envelope({
      eventName: 'ModifyInstanceAttribute',
      requestParameters: { instanceId: 'i-0123456789abcdef0', groupSet: { items: [{ groupId: OPEN }] } },
    });
    expect((await run(viaInstance, ec2)).decisions).toMatchObject([
      { action: 'monitored', groupId: OPEN, networkInterfaceId: ENI, instanceId: 'i-0123456789abcdef0' },
    ]);
    const type = envelope({
      eventName: 'ModifyInstanceAttribute',
      requestParameters: { instanceId: 'i-0123456789abcdef0', instanceType: { value: 't3.large' } },
    });
    const r = await run(type, ec2);
    expect(r.decisions).toMatchObject([{ action: 'ignored', reason: 'ModifyInstanceAttribute sets no group set' }]);
  });

  it('closed groups, and interfaces outside onlyVpcs, are not reported', async () => {
    expect((await run(attachEni([CLOSED]), eniWorld([CLOSED]))).decisions[0]!.action).toBe('ignored');
    expect(
      (await run(attachEni([OPEN]), eniWorld([OPEN]), { GUARDRAIL_ONLY_VPCS: 'vpc-0other0000000000' })).decisions[0]!
        .action,
    ).toBe('ignored');
  });

  it("attack: the payload's group set decides nothing, the interface's groups do", async () => {
    // the event claims the open group, but the interface does not hold it
    const r = await run(attachEni([OPEN]), eniWorld([CLOSED]));
    expect(r.decisions[0]!.action).toBe('ignored');
  });
});

// The nsim branch's real-shaped records (test/fixtures/cloudtrail-n): each decided right against EC2 state set up
// to match it (account 111122223333, us-east-1).
describe('the CloudTrail records of test/fixtures/cloudtrail-n', () => {
  const dir = fileURLToPath(new URL('../../test/fixtures/cloudtrail-n/', import.meta.url));
  const read = (name: string): Record<string, unknown> =>
    JSON.parse(readFileSync(`${dir}${name}`, 'utf8')) as Record<string, unknown>;
  const FX = '111122223333';
  const FPL = 'pl-0a1b2c3d4e5f60718';
  const FSG = 'sg-0f1e2d3c4b5a69788';
  const fxRun = (event: unknown, ec2: FakeEc2, env: Record<string, string> = {}) =>
    run(event, ec2, { GUARDRAIL_SELF_ROLE_ARN: `arn:aws:iam::${FX}:role/guardrail-FunctionRole-X`, ...env });
  const fxWorld = (versions: string[][]) => {
    const ec2 = new FakeEc2();
    ec2.prefixLists.set(FPL, { ownerId: FX, state: 'modify-complete', versions });
    ec2.addGroup({
      groupId: FSG,
      vpcId: HOME,
      defaultVpc: false,
      rules: [{ ruleId: 'sgr-0open', isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '0.0.0.0/0' }],
    });
    ec2.associations.set(FSG, [{ vpcId: 'vpc-0123456789abcdef0', state: 'associated' }]);
    ec2.enis.set('eni-0a9b8c7d6e5f40312', {
      networkInterfaceId: 'eni-0a9b8c7d6e5f40312',
      vpcId: PROTECTED,
      groupIds: [FSG],
      instanceId: 'i-0123456789abcdef0',
    });
    return ec2;
  };

  it('ModifyManagedPrefixList adding 0.0.0.0/0 (CurrentVersion 1): restored to version 1', async () => {
    const ec2 = fxWorld([V1, [...V1, '0.0.0.0/0']]);
    const r = await fxRun(read('modify-managed-prefix-list.add.event.json'), ec2);
    expect(r.decisions).toMatchObject([
      { action: 'restored', prefixListId: FPL, versionBefore: 1, versionAfter: 2, entriesAdded: ['0.0.0.0/0'] },
    ]);
    expect(ec2.restores).toEqual([{ prefixListId: FPL, previous: 1, current: 2 }]);
  });

  it('adding two entries within policy.prefixLists.cidrs (CurrentVersion 2): kept; removing one: kept', async () => {
    const v2 = [...V1, '10.3.0.0/16'];
    const ec2 = fxWorld([V1, v2, [...v2, '203.0.113.0/24', '198.51.100.0/24']]);
    const env = { GUARDRAIL_PREFIX_LIST_CIDRS: '203.0.113.0/24,198.51.100.0/24' };
    expect((await fxRun(read('modify-managed-prefix-list.add-two.event.json'), ec2, env)).decisions[0]).toMatchObject({
      action: 'allowed',
      versionAfter: 3,
    });
    ec2.prefixLists.get(FPL)!.versions.push([...v2, '203.0.113.0/24']);
    expect((await fxRun(read('modify-managed-prefix-list.remove.event.json'), ec2)).decisions[0]).toMatchObject({
      action: 'allowed',
      entriesRemoved: ['198.51.100.0/24'],
    });
    expect(ec2.restores).toEqual([]);
  });

  it('RestoreManagedPrefixListVersion (CurrentVersion 4) to a version holding ::/0: restored to version 4', async () => {
    const ec2 = fxWorld([[...V1, '::/0'], V1, V1, V1, [...V1, '::/0']]);
    expect((await fxRun(read('restore-managed-prefix-list-version.event.json'), ec2)).decisions[0]).toMatchObject({
      action: 'restored',
      versionBefore: 4,
      versionAfter: 5,
    });
  });

  it('AssociateSecurityGroupVpc of an open group into a protected VPC: disassociated', async () => {
    const ec2 = fxWorld([V1]);
    const r = await fxRun(read('associate-security-group-vpc.event.json'), ec2, {
      GUARDRAIL_ONLY_VPCS: 'vpc-0123456789abcdef0',
    });
    expect(r.decisions[0]).toMatchObject({ action: 'reverted', groupId: FSG, vpcId: 'vpc-0123456789abcdef0' });
  });

  it('DisassociateSecurityGroupVpc is not a guarded call; the attribute calls with a group set are reported; others ignored', async () => {
    const ec2 = fxWorld([V1]);
    expect((await fxRun(read('disassociate-security-group-vpc.event.json'), ec2)).decisions[0]).toMatchObject({
      action: 'ignored',
      reason: 'not a guarded call (DisassociateSecurityGroupVpc)',
    });
    expect((await fxRun(read('modify-network-interface-attribute.groups.event.json'), ec2)).decisions).toMatchObject([
      { action: 'monitored', groupId: FSG, networkInterfaceId: 'eni-0a9b8c7d6e5f40312' },
    ]);
    expect((await fxRun(read('modify-instance-attribute.groups.event.json'), ec2)).decisions).toMatchObject([
      { action: 'monitored', groupId: FSG, instanceId: 'i-0123456789abcdef0' },
    ]);
    for (const f of [
      'modify-instance-attribute.instance-type.event.json',
      'modify-instance-attribute.attribute-value.event.json',
    ]) {
      expect((await fxRun(read(f), ec2)).decisions[0], f).toMatchObject({
        action: 'ignored',
        reason: 'ModifyInstanceAttribute sets no group set',
      });
    }
    expect(mutations(ec2)).toEqual([]);
  });

  it("without CurrentVersion the response's version (the one the call found) points at the change", async () => {
    const e = read('modify-managed-prefix-list.add.event.json');
    const rp = ((e.detail as Record<string, unknown>).requestParameters as Record<string, Record<string, unknown>>)
      .ModifyManagedPrefixListRequest!;
    delete rp.CurrentVersion;
    const ec2 = fxWorld([V1, [...V1, '0.0.0.0/0'], [...V1, '0.0.0.0/0', '10.5.0.0/16']]);
    // version 2 added it; the list is at 3 now: not restored over version 3, said loudly
    expect((await fxRun(e, ec2)).decisions[0]).toMatchObject({ action: 'failed', versionBefore: 1, versionAfter: 2 });
  });
});
