// AWS Config's history of a security group: reading a capture (the configuration's shape, camelCase, as Config
// records AWS::EC2::SecurityGroup), matching a modified rule by values, and the port's handling of Config's answers.
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { capturedRules, configHistory, previousFromCapture, type GroupCapture } from '../src/config-history.js';
import { fromItem, recordsKey, toItem, type RuleRecord } from '../src/rule-records.js';
import type { GroupRule } from '../src/types.js';
import { AwsError } from './fakes.js';

/** A configuration item's `configuration`, in the shape Config records a security group in. */
const CONFIGURATION = JSON.stringify({
  description: 'db',
  groupName: 'db',
  ownerId: '111111111111',
  groupId: 'sg-0db',
  vpcId: 'vpc-0a',
  tags: [],
  ipPermissions: [
    {
      fromPort: 5432,
      ipProtocol: 'tcp',
      toPort: 5432,
      ipv6Ranges: [],
      prefixListIds: [],
      userIdGroupPairs: [],
      ipv4Ranges: [{ cidrIp: '10.0.0.0/16', description: 'app' }, { cidrIp: '10.1.0.0/16' }],
      ipRanges: ['10.0.0.0/16', '10.1.0.0/16'],
    },
    {
      ipProtocol: '-1',
      ipv6Ranges: [{ cidrIpv6: '2001:db8::/64' }],
      prefixListIds: [{ prefixListId: 'pl-0aaa' }],
      userIdGroupPairs: [{ groupId: 'sg-0web', userId: '111111111111' }],
      ipv4Ranges: [],
      ipRanges: [],
    },
  ],
  ipPermissionsEgress: [
    { ipProtocol: '-1', ipv6Ranges: [], prefixListIds: [], userIdGroupPairs: [], ipRanges: ['0.0.0.0/0'] },
  ],
});

describe("a capture's rules", () => {
  it('one rule per source, ingress and egress, with descriptions; the plain ipRanges list when ipv4Ranges is missing', () => {
    expect(capturedRules(CONFIGURATION)).toEqual([
      {
        isEgress: false,
        definition: { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.0.0.0/16', description: 'app' },
      },
      { isEgress: false, definition: { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.1.0.0/16' } },
      {
        isEgress: false,
        definition: { ipProtocol: '-1', fromPort: undefined, toPort: undefined, cidrIpv6: '2001:db8::/64' },
      },
      {
        isEgress: false,
        definition: { ipProtocol: '-1', fromPort: undefined, toPort: undefined, prefixListId: 'pl-0aaa' },
      },
      {
        isEgress: false,
        definition: {
          ipProtocol: '-1',
          fromPort: undefined,
          toPort: undefined,
          referencedGroupId: 'sg-0web',
          referencedUserId: '111111111111',
        },
      },
      {
        isEgress: true,
        definition: { ipProtocol: '-1', fromPort: undefined, toPort: undefined, cidrIpv4: '0.0.0.0/0' },
      },
    ]);
  });

  it('anything it cannot read whole is no capture', () => {
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ ipPermissions: [{ ipv4Ranges: [{ cidrIp: '10.0.0.0/8' }] }] }),
      JSON.stringify({ ipPermissions: [{ ipProtocol: 'tcp', ipv4Ranges: [{ cidrIp: '10.0.0.0/8' }] }] }),
    ]) {
      expect(capturedRules(bad), bad).toBeUndefined();
    }
  });
});

describe('matching a modified rule by values', () => {
  const capture: GroupCapture = { capturedAt: 0, rules: capturedRules(CONFIGURATION)! };
  const now = (rules: Partial<GroupRule>[]): GroupRule[] =>
    rules.map((r, i) => ({ ruleId: `sgr-${i}`, isEgress: false, ipProtocol: 'tcp', ...r }));
  const unchanged = now([
    { ruleId: 'sgr-b', fromPort: 5432, toPort: 5432, cidrIpv4: '10.1.0.0/16' },
    { ruleId: 'sgr-c', ipProtocol: '-1', cidrIpv6: '2001:db8::/64' },
    { ruleId: 'sgr-d', ipProtocol: '-1', prefixListId: 'pl-0aaa' },
    { ruleId: 'sgr-e', ipProtocol: '-1', referencedGroupId: 'sg-0web', referencedUserId: '111111111111' },
    { ruleId: 'sgr-f', isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' },
  ]);
  const widened = {
    ruleId: 'sgr-a',
    isEgress: false,
    current: { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '0.0.0.0/0' },
  };

  it('the one permission no rule accounts for now was the modified rule', () => {
    const found = previousFromCapture(
      capture,
      [widened],
      [...unchanged, { ...widened.current, ruleId: 'sgr-a', isEgress: false }],
    );
    expect(found.get('sgr-a')).toEqual({
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
      cidrIpv4: '10.0.0.0/16',
      description: 'app',
    });
  });

  it('a rule that kept its access (a description edit) matches its own permission, even among others', () => {
    const edited = {
      ruleId: 'sgr-b',
      isEgress: false,
      current: { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.1.0.0/16', description: 'new' },
    };
    const found = previousFromCapture(
      capture,
      [edited, widened],
      unchanged.filter((r) => r.ruleId !== 'sgr-b'),
    );
    expect(found.get('sgr-b')).toEqual({ ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.1.0.0/16' });
    expect(found.get('sgr-a')?.cidrIpv4).toBe('10.0.0.0/16');
  });

  it('two candidates, or none, prove nothing', () => {
    // sgr-b was revoked after the capture: two permissions are unaccounted for
    expect(
      previousFromCapture(
        capture,
        [widened],
        unchanged.filter((r) => r.ruleId !== 'sgr-b'),
      ).size,
    ).toBe(0);
    // the modified rule was added after the capture: nothing is left to match
    expect(previousFromCapture({ capturedAt: 0, rules: capture.rules.slice(1) }, [widened], unchanged).size).toBe(0);
    // a candidate of the other direction is not one
    expect(previousFromCapture(capture, [{ ...widened, isEgress: true }], [...unchanged]).size).toBe(0);
  });
});

describe('the Config port', () => {
  const AT = new Date('2025-06-01T12:00:00Z');
  type Page = { configurationItems?: Record<string, unknown>[]; nextToken?: string };
  function client(pages: (Page | Error)[]): { client: ConfigServiceClient; inputs: Record<string, unknown>[] } {
    const inputs: Record<string, unknown>[] = [];
    const send = (cmd: { input: Record<string, unknown> }) => {
      inputs.push(cmd.input);
      const next = pages.shift() ?? {};
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    };
    return { client: { send } as unknown as ConfigServiceClient, inputs };
  }
  const item = (capturedAt: string, o: Record<string, unknown> = {}) => ({
    configurationItemCaptureTime: new Date(capturedAt),
    configurationItemStatus: 'OK',
    configuration: CONFIGURATION,
    relatedEvents: [],
    ...o,
  });

  it('asks for the group up to the event time, newest first, and takes the newest capture from before it', async () => {
    const c = client([
      {
        configurationItems: [
          item('2025-06-01T12:00:05Z'),
          item('2025-06-01T11:59:59Z', { relatedEvents: ['evt-1'] }),
          item('2025-06-01T11:00:00Z'),
          item('2025-05-01T00:00:00Z'),
        ],
      },
    ]);
    const got = await configHistory(c.client).groupBefore('sg-0db', AT, 'evt-1');
    expect(got).toMatchObject({ capturedAt: Date.parse('2025-06-01T11:00:00Z') });
    expect(c.inputs).toEqual([
      { resourceType: 'AWS::EC2::SecurityGroup', resourceId: 'sg-0db', laterTime: AT, limit: 10, nextToken: undefined },
    ]);
  });

  it('follows nextToken through pages that hold nothing (each spans at most seven days)', async () => {
    const c = client([
      { configurationItems: [], nextToken: 't1' },
      { configurationItems: [item('2025-04-01T00:00:00Z')] },
    ]);
    expect(await configHistory(c.client).groupBefore('sg-0db', AT)).toMatchObject({
      capturedAt: Date.parse('2025-04-01T00:00:00Z'),
    });
    expect(c.inputs[1]?.nextToken).toBe('t1');
  });

  it('says why there is none: not recorded, no recorder, deleted, unreadable, nothing before', async () => {
    const cases: [(Page | Error)[], string][] = [
      [[new AwsError('ResourceNotDiscoveredException')], 'AWS Config does not record sg-0db'],
      [[new AwsError('NoAvailableConfigurationRecorderException')], 'AWS Config records nothing in this region'],
      [[new AwsError('AccessDeniedException')], 'AWS Config unreadable (AccessDeniedException)'],
      [
        [{ configurationItems: [item('2025-06-01T10:00:00Z', { configurationItemStatus: 'ResourceDeleted' })] }],
        "AWS Config's last capture of sg-0db is ResourceDeleted",
      ],
      [
        [{ configurationItems: [item('2025-06-01T10:00:00Z', { configuration: '{' })] }],
        "AWS Config's capture of sg-0db cannot be read",
      ],
      [[{ configurationItems: [] }], 'AWS Config has no earlier capture of sg-0db'],
    ];
    for (const [pages, none] of cases)
      expect(await configHistory(client(pages).client).groupBefore('sg-0db', AT)).toEqual({ none });
  });

  it('rethrows throttling: the event comes back through the queue', async () => {
    const throttled = new AwsError('ThrottlingException', 'Rate exceeded');
    await expect(configHistory(client([throttled]).client).groupBefore('sg-0db', AT)).rejects.toBe(throttled);
  });
});

describe('a record as the table holds it', () => {
  const r: RuleRecord = {
    groupId: 'sg-0db',
    ruleId: 'sgr-0a',
    isEgress: false,
    seenAt: 1_700_000_000_000,
    how: 'restored',
    eventId: 'evt-1',
    definition: { ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.0.0.0/16', description: 'app' },
  };
  const key = recordsKey('111111111111', 'eu-west-1', 'sg-0db');
  const item = (x: RuleRecord) => toItem(x, '111111111111', 'eu-west-1');

  it('round-trips, in the partition of its account, region and group', () => {
    expect(item(r).pk).toEqual({ S: '111111111111/eu-west-1/sg-0db' });
    expect(fromItem(item(r), key, 'sg-0db', 'sgr-0a')).toEqual(r);
    const group: RuleRecord = {
      ...r,
      definition: { ipProtocol: '-1', referencedGroupId: 'sg-0web', referencedUserId: '111111111111' },
    };
    expect(fromItem(item(group), key, 'sg-0db', 'sgr-0a')).toEqual(group);
  });

  it('an item of another key, or one that is not one readable rule, is no record', () => {
    expect(fromItem(item(r), recordsKey('222222222222', 'eu-west-1', 'sg-0db'), 'sg-0db', 'sgr-0a')).toBeUndefined();
    expect(fromItem(item(r), key, 'sg-0db', 'sgr-0b')).toBeUndefined();
    const changes: Record<string, AttributeValue>[] = [
      { protocol: { S: 'gopher' } },
      { cidr6: { S: '::/0' } },
      { how: { S: 'forged' } },
      { egress: { S: 'no' } },
      { from: { N: 'x' } },
    ];
    for (const change of changes) {
      expect(fromItem({ ...item(r), ...change }, key, 'sg-0db', 'sgr-0a'), JSON.stringify(change)).toBeUndefined();
    }
  });
});
