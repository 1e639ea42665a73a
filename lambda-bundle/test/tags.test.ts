// Guarded scope tags: what the function undoes when a principal that is not allowed tags or untags, and what it
// leaves alone. Undoing only ever narrows what is exempt.
import { describe, expect, it } from 'vitest';
import { processEvent } from '../src/process-event.js';
import { AwsError, FakeEc2, USER_ARN, config, envelope } from './fakes.js';

const SG = 'sg-0123456789abcdef0';
const RULE = 'sgr-0123456789abcdef0';

function world(groupTags: Record<string, string> = {}, ruleTags: Record<string, string> = {}): FakeEc2 {
  const ec2 = new FakeEc2();
  ec2.addGroup({
    groupId: SG,
    tags: groupTags,
    rules: [{ ruleId: RULE, isEgress: false, protocol: 'tcp', from: 22, to: 22, cidr4: '10.0.0.0/8', tags: ruleTags }],
  });
  return ec2;
}

const tagEvent = (name: 'CreateTags' | 'DeleteTags', resource: string, tags: { key: string; value?: string }[]) =>
  envelope({
    eventName: name,
    requestParameters: { resourcesSet: { items: [{ resourceId: resource }] }, tagSet: { items: tags } },
  });

const ENV = { GUARDRAIL_EXEMPT_TAG: 'guardrail:exempt=true', GUARDRAIL_ONLY_TAG: 'protect=yes' };
const run = (ec2: FakeEc2, event: unknown, env: Record<string, string> = {}) =>
  processEvent(event, { config: config({ ...ENV, ...env }), ec2, log: () => undefined });
const groupTags = (ec2: FakeEc2) => ec2.groups.get(SG)!.tags;
const ruleTags = (ec2: FakeEc2) => ec2.groups.get(SG)!.rules[0]!.tags ?? {};

describe('scope tags changed by a principal that is not allowed', () => {
  it('the exempt tag put on a group is taken off (reverted)', async () => {
    const ec2 = world({ protect: 'yes' });
    ec2.groups.get(SG)!.tags['guardrail:exempt'] = 'true';
    const r = await run(ec2, tagEvent('CreateTags', SG, [{ key: 'guardrail:exempt', value: 'true' }]));
    expect(r.decisions).toEqual([
      expect.objectContaining({ groupId: SG, action: 'reverted', reason: expect.stringContaining('taken off') }),
    ]);
    expect(groupTags(ec2)).toEqual({ protect: 'yes' });
  });

  it('the onlyTag taken off or changed is put back with the configured value', async () => {
    for (const event of [
      tagEvent('DeleteTags', SG, [{ key: 'protect' }]),
      tagEvent('CreateTags', SG, [{ key: 'protect', value: 'no' }]),
    ]) {
      const ec2 = world({});
      const r = await run(ec2, event);
      expect(r.decisions).toEqual([
        expect.objectContaining({ action: 'reverted', reason: expect.stringContaining('put back') }),
      ]);
      expect(groupTags(ec2)).toEqual({ protect: 'yes' });
    }
  });

  it('DeleteTags without tags (every tag deleted) puts the onlyTag back', async () => {
    const ec2 = world({});
    const r = await run(
      ec2,
      envelope({
        eventName: 'DeleteTags',
        requestParameters: { resourcesSet: { items: [{ resourceId: SG }] }, tagSet: {} },
      }),
    );
    expect(r.decisions.find((d) => d.action === 'reverted')?.reason).toContain('put back');
    expect(groupTags(ec2)).toEqual({ protect: 'yes' });
  });

  it('an approval label put on a rule is taken off (forged), and the rule itself is left alone', async () => {
    const ec2 = world({}, { 'guardrail:approval': 'apr-00000000000000aa', 'guardrail:expires': 'x', Name: 'db' });
    const r = await run(
      ec2,
      tagEvent('CreateTags', RULE, [{ key: 'guardrail:approval', value: 'apr-00000000000000aa' }]),
    );
    expect(r.decisions).toEqual([expect.objectContaining({ ruleIds: [RULE], action: 'forged' })]);
    expect(ruleTags(ec2)).toEqual({ Name: 'db' });
    expect(ec2.revokes).toEqual([]);
  });

  it("an exempt tag taken off is not put back: that would grant an exemption on the caller's word", async () => {
    const ec2 = world({});
    const r = await run(ec2, tagEvent('DeleteTags', SG, [{ key: 'guardrail:exempt' }]));
    expect(r.decisions).toEqual([
      expect.objectContaining({ action: 'monitored', reason: expect.stringContaining('not put back') }),
    ]);
    expect(groupTags(ec2)).toEqual({});
  });

  it('CreateSecurityGroup with the exempt tag: the tag is taken off the new group', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    const r = await run(
      ec2,
      envelope({
        eventName: 'CreateSecurityGroup',
        requestParameters: {
          groupName: 'x',
          groupDescription: 'x',
          tagSpecificationSet: {
            items: [{ resourceType: 'security-group', tags: [{ key: 'guardrail:exempt', value: 'true' }] }],
          },
        },
        responseElements: { _return: true, groupId: SG },
      }),
    );
    expect(r.decisions).toEqual([expect.objectContaining({ groupId: SG, action: 'reverted' })]);
    expect(groupTags(ec2)).toEqual({});
  });

  it("other keys, other values and other resources are not guardrail's business", async () => {
    const ec2 = world({});
    for (const event of [
      tagEvent('CreateTags', SG, [{ key: 'Name', value: 'web' }]),
      tagEvent('CreateTags', SG, [{ key: 'guardrail:exempt', value: 'false' }]),
      tagEvent('CreateTags', 'i-0123456789abcdef0', [{ key: 'guardrail:exempt', value: 'true' }]),
    ]) {
      const r = await run(ec2, event);
      expect(
        r.decisions.every((d) => d.action === 'ignored'),
        JSON.stringify(r.decisions),
      ).toBe(true);
    }
    expect(ec2.calls.filter((c) => c.op !== 'describeGroup')).toEqual([]);
  });
});

describe('scope tags changed by an allowed principal, in monitor mode, or when the undo fails', () => {
  it('an allowed principal may tag: allowed, nothing undone', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    const r = await run(ec2, tagEvent('CreateTags', SG, [{ key: 'guardrail:exempt', value: 'true' }]), {
      GUARDRAIL_ALLOW_PRINCIPALS: USER_ARN,
    });
    expect(r.decisions).toEqual([expect.objectContaining({ action: 'allowed' })]);
    expect(groupTags(ec2)).toEqual({ 'guardrail:exempt': 'true' });
  });

  it('monitor mode reports and changes nothing', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    const r = await run(ec2, tagEvent('CreateTags', SG, [{ key: 'guardrail:exempt', value: 'true' }]), {
      GUARDRAIL_MODE: 'monitor',
    });
    expect(r.decisions).toEqual([expect.objectContaining({ action: 'monitored' })]);
    expect(groupTags(ec2)).toEqual({ 'guardrail:exempt': 'true' });
  });

  it('an undo that is denied is failed, with the code', async () => {
    const ec2 = world({ 'guardrail:exempt': 'true' });
    ec2.failNext.untag = [new AwsError('UnauthorizedOperation')];
    const r = await run(ec2, tagEvent('CreateTags', SG, [{ key: 'guardrail:exempt', value: 'true' }]));
    expect(r.decisions).toEqual([
      expect.objectContaining({ action: 'failed', reason: expect.stringContaining('UnauthorizedOperation') }),
    ]);
  });
});
