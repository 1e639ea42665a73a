// Every recorded event in the shared fixtures gives the right decision (fake EC2 holding the event's rules).
import { describe, expect, it } from 'vitest';
import { processEvent } from '../src/process-event.js';
import type { Decision } from '../src/types.js';
import { FakeEc2, config, fixtures, type FakeRule } from './fakes.js';

interface Expectation {
  setup: (ec2: FakeEc2) => void;
  decisions: Partial<Decision>[];
  revokes: unknown[];
  remaining?: Record<string, string[]>;
}

const other = (id: string, isEgress = false): FakeRule => ({
  ruleId: id,
  isEgress,
  protocol: 'tcp',
  from: 443,
  to: 443,
  cidr4: '10.0.0.0/8',
});

const EXPECTED: Record<string, Expectation> = {
  'authorize-egress.2020-all-traffic.record.json': {
    setup: (ec2) =>
      ec2.addGroup({
        groupId: 'sg-03eee825d6bb78f54',
        rules: [
          { ruleId: 'sgr-0aaa', isEgress: true, protocol: '-1', cidr4: '0.0.0.0/0' },
          other('sgr-0keep1'),
          other('sgr-0keep2', true),
        ],
      }),
    decisions: [{ groupId: 'sg-03eee825d6bb78f54', direction: 'egress', action: 'reverted', ruleIds: [] }],
    revokes: [
      {
        direction: 'egress',
        groupId: 'sg-03eee825d6bb78f54',
        permissions: [
          {
            ipProtocol: '-1',
            fromPort: undefined,
            toPort: undefined,
            ipRanges: ['0.0.0.0/0'],
            ipv6Ranges: [],
            prefixListIds: [],
            groups: [],
          },
        ],
      },
    ],
    remaining: { 'sg-03eee825d6bb78f54': ['sgr-0keep1', 'sgr-0keep2'] },
  },
  'authorize-ingress.2022-group-ref-by-cloudformation.event.json': {
    setup: (ec2) =>
      ec2.addGroup({
        groupId: 'sg-01f414f5313452cd1',
        rules: [
          {
            ruleId: 'sgr-02e2ca7d55820dc26',
            isEgress: false,
            protocol: 'tcp',
            from: 1521,
            to: 1521,
            refGroup: 'sg-000537769a1c2d858',
            refUser: '770203350335',
          },
          other('sgr-0keep'),
        ],
      }),
    decisions: [
      { groupId: 'sg-01f414f5313452cd1', direction: 'ingress', action: 'reverted', ruleIds: ['sgr-02e2ca7d55820dc26'] },
    ],
    revokes: [{ direction: 'ingress', groupId: 'sg-01f414f5313452cd1', ruleIds: ['sgr-02e2ca7d55820dc26'] }],
    remaining: { 'sg-01f414f5313452cd1': ['sgr-0keep'] },
  },
  'authorize-ingress.2024.record.json': {
    setup: (ec2) =>
      ec2.addGroup({
        groupId: 'sg-0f63fecfa17ef4fee',
        rules: [
          {
            ruleId: 'sgr-027eb7c59241731e0',
            isEgress: false,
            protocol: 'tcp',
            from: 22,
            to: 22,
            cidr4: '203.0.113.0/24',
          },
          other('sgr-0keep'),
        ],
      }),
    decisions: [
      { groupId: 'sg-0f63fecfa17ef4fee', direction: 'ingress', action: 'reverted', ruleIds: ['sgr-027eb7c59241731e0'] },
    ],
    revokes: [{ direction: 'ingress', groupId: 'sg-0f63fecfa17ef4fee', ruleIds: ['sgr-027eb7c59241731e0'] }],
    remaining: { 'sg-0f63fecfa17ef4fee': ['sgr-0keep'] },
  },
  'authorize-ingress.with-error-code.record.json': {
    setup: (ec2) => ec2.addGroup({ groupId: 'sg-04f0b44316f7d2471', rules: [other('sgr-0keep')] }),
    decisions: [
      {
        groupId: 'sg-04f0b44316f7d2471',
        direction: 'ingress',
        action: 'ignored',
        reason: 'the call failed (errorCode UnauthorizedOperation)',
      },
    ],
    revokes: [],
  },
  'revoke-ingress.2019.event.json': {
    setup: (ec2) => ec2.addGroup({ groupId: 'sg-0f4f552819eac34fc', rules: [other('sgr-0keep')] }),
    decisions: [
      { groupId: 'sg-0f4f552819eac34fc', action: 'ignored', reason: 'a revoke call (RevokeSecurityGroupIngress)' },
    ],
    revokes: [],
  },
};

describe('recorded CloudTrail fixtures', () => {
  const all = fixtures();
  it('has an expectation for every fixture', () => {
    expect(all.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const { name, event } of all) {
    it(name, async () => {
      const exp = EXPECTED[name];
      if (!exp) throw new Error(`no expectation for ${name}`);
      const ec2 = new FakeEc2();
      exp.setup(ec2);
      const lines: Record<string, unknown>[] = [];
      const result = await processEvent(event, { config: config(), ec2, log: (l) => lines.push(l) });
      expect(result.decisions).toHaveLength(exp.decisions.length);
      exp.decisions.forEach((d, i) => expect(result.decisions[i]).toMatchObject(d));
      expect(ec2.revokes).toEqual(exp.revokes);
      for (const [groupId, ids] of Object.entries(exp.remaining ?? {})) {
        expect(ec2.groups.get(groupId)?.rules.map((r) => r.ruleId)).toEqual(ids);
      }
      expect(lines).toHaveLength(result.decisions.length);
      expect(Object.keys(lines[0] ?? {})).toEqual(
        expect.arrayContaining([
          'level',
          'eventTime',
          'eventName',
          'eventId',
          'account',
          'region',
          'groupId',
          'direction',
          'ruleIds',
          'rules',
          'principal',
          'sourceIPAddress',
          'userAgent',
          'action',
          'reason',
        ]),
      );
      expect(result.eventId).toMatch(/^[0-9a-f-]{36}$/);
    });
  }
});
