// AWS Config's GetResourceConfigHistory for security groups, through the real SDK client, and ModifySecurityGroupRules
// as EC2 does it (same rule id, tags kept, direction unchangeable) with the CloudTrail record it emits.
import { ConfigServiceClient, GetResourceConfigHistoryCommand } from '@aws-sdk/client-config-service';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { regionState } from '../state.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';

let sim: SimServer;
let account: string;
let creds: TestCredentials;
let ec2: EC2Client;
let cfg: ConfigServiceClient;
const region = 'us-east-1';

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 1, regions: [region, 'us-west-2'] });
  account = memberIds(sim)[0]!;
  creds = await assumeInto(sim, account);
  ec2 = new EC2Client(clientConfig(sim, region, creds));
  cfg = new ConfigServiceClient(clientConfig(sim, region, creds));
});

afterAll(async () => {
  ec2?.destroy();
  cfg?.destroy();
  await sim?.close();
});

let n = 0;
async function group(): Promise<{ groupId: string; ruleId: string }> {
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `config-${++n}`, Description: 'db' }));
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'app' }] },
      ],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'team', Value: 'data' }] }],
    }),
  );
  return { groupId: GroupId!, ruleId: out.SecurityGroupRules![0]!.SecurityGroupRuleId! };
}

const history = (groupId: string, laterTime?: Date) =>
  cfg.send(
    new GetResourceConfigHistoryCommand({ resourceType: 'AWS::EC2::SecurityGroup', resourceId: groupId, laterTime }),
  );

describe('ModifySecurityGroupRules', () => {
  it('keeps the rule id, its tags and its direction; CloudTrail records each update with its positional tag', async () => {
    const { groupId, ruleId } = await group();
    await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0' },
          },
        ],
      }),
    );
    const rules = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] })))
      .SecurityGroupRules!;
    expect(rules).toEqual([
      expect.objectContaining({
        SecurityGroupRuleId: ruleId,
        IsEgress: false,
        CidrIpv4: '0.0.0.0/0',
        Tags: [{ Key: 'team', Value: 'data' }],
      }),
    ]);
    const events = regionState(sim.state, account, region).events;
    const detail = events[events.length - 1]!.event.detail as {
      eventName: string;
      requestParameters: unknown;
      responseElements: unknown;
    };
    expect(detail.eventName).toBe('ModifySecurityGroupRules');
    expect(detail.requestParameters).toEqual({
      ModifySecurityGroupRulesRequest: {
        GroupId: groupId,
        SecurityGroupRule: {
          SecurityGroupRuleId: ruleId,
          tag: 1,
          SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0' },
        },
      },
    });
    expect(detail.responseElements).toMatchObject({ ModifySecurityGroupRulesResponse: { return: true } });
  });
});

describe('GetResourceConfigHistory', () => {
  it('without a recorder: NoAvailableConfigurationRecorderException', async () => {
    const { groupId } = await group();
    expect((await errorOf(history(groupId))).name).toBe('NoAvailableConfigurationRecorderException');
  });

  it("with the recorder on: every change of the group, newest first, with the calls' event ids; as of a time", async () => {
    expect((await post('/_sim/config', { account, region, recording: true })).status).toBe(200);
    const { groupId, ruleId } = await group();
    await post('/_sim/clock', { advanceSeconds: 60 });
    const before = new Date(sim.state.clock.now());
    await post('/_sim/clock', { advanceSeconds: 60 });
    await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv4: '0.0.0.0/0' },
          },
        ],
      }),
    );
    const all = (await history(groupId)).configurationItems!;
    expect(all.map((i) => i.configurationItemStatus)).toEqual(['OK', 'OK', 'ResourceDiscovered']);
    const modifyEvent = regionState(sim.state, account, region).events.at(-1)!.event.detail as { eventID: string };
    expect(all[0]!.relatedEvents).toEqual([modifyEvent.eventID]);
    const asOf = (await history(groupId, before)).configurationItems!;
    expect(asOf).toHaveLength(2);
    const configuration = JSON.parse(asOf[0]!.configuration!) as { ipPermissions: unknown[] };
    expect(configuration.ipPermissions).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        ipv4Ranges: [{ cidrIp: '10.0.0.0/16', description: 'app' }],
        ipRanges: ['10.0.0.0/16'],
        ipv6Ranges: [],
        prefixListIds: [],
        userIdGroupPairs: [],
      },
    ]);
    expect(asOf[0]!.configurationItemCaptureTime!.getTime()).toBeLessThan(before.getTime() + 1);
  });

  it('a group it never saw is not discovered; another region has its own recorder', async () => {
    expect((await errorOf(history('sg-0123456789abcdef0'))).name).toBe('ResourceNotDiscoveredException');
    const west = new ConfigServiceClient(clientConfig(sim, 'us-west-2', creds));
    try {
      expect(
        (
          await errorOf(
            west.send(
              new GetResourceConfigHistoryCommand({
                resourceType: 'AWS::EC2::SecurityGroup',
                resourceId: 'sg-0123456789abcdef0',
              }),
            ),
          )
        ).name,
      ).toBe('NoAvailableConfigurationRecorderException');
    } finally {
      west.destroy();
    }
  });

  it('recording off keeps the items and adds none; the admin route checks what it is given', async () => {
    const { groupId, ruleId } = await group();
    await post('/_sim/config', { account, region, recording: false });
    await ec2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: groupId,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: ruleId,
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 1, ToPort: 2, CidrIpv4: '10.0.0.0/8' },
          },
        ],
      }),
    );
    expect((await history(groupId)).configurationItems).toHaveLength(2);
    expect((await post('/_sim/config', { account: '000000000000', recording: true })).status).toBe(404);
    expect((await post('/_sim/config', { account, recording: 'yes' })).status).toBe(400);
  });
});
