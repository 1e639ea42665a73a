// The function can never be turned against its owner (issue L), end to end: the built bin/guardrail deploys, and a
// member-account admin attacks through the SDK, as a real one would. Each test is one attack and shows it failing:
//  - a forged approval tag on a legitimate rule (then two sweeps): the rule stays, the tag goes, activity says forged;
//  - the same on an exempt group, and in monitor mode;
//  - an approved rule whose tag was deleted still expires on time;
//  - a made-up event sent with `lambda invoke`: refused, the rule stays; AccessDenied once the SCP is attached;
//  - a forged message put on the function's queue, or one taken off it: denied by the queue's policy;
//  - with the SCP, the dead-letter queue cannot be purged, and only the deploy role may ask for a retry;
//  - an event from another account forwarded onto this account's bus: not acted on;
//  - a moment's exempt tag (tag, open, untag): the rule is reverted and notified;
//  - role Dev with the session name ci-pipeline, against a role pattern for ci-pipeline: reverted;
//  - a truncated event: failed, and notified.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  type SecurityGroupRule,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, errorOf, memberIds, type TestCredentials } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

const REGION = 'us-east-1';
let e: E2E;
let member: string;
let other: string;
let admin: TestCredentials;
let ec2: EC2Client;
let exemptGroup: string;

const config = (extra = '') =>
  [
    'regions: [us-east-1]',
    'trail: { mode: existing }',
    'deploy: { pollSeconds: 1 }',
    'approvals: { enabled: true, maxDuration: 1d, sweepMinutes: 1 }',
    'notifications: { email: secops@example.com }',
    `policy: { allowPrincipals: ["arn:aws:iam::*:role/ci-pipeline"], exemptGroups: [${exemptGroup}], settleSeconds: 30${extra} }`,
    '',
  ].join('\n');

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${e.sim.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return res.json() as Promise<Record<string, unknown>>;
}
const advance = async (seconds: number) => {
  await post('/_sim/clock', { advanceSeconds: seconds });
  await whenLoopIdle(e.sim.state, 30_000);
};

async function newGroup(name: string, client = ec2): Promise<string> {
  const out = await client.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name }));
  return out.GroupId!;
}
async function rulesOf(groupId: string): Promise<SecurityGroupRule[]> {
  return (
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroupRules ?? []
  );
}
async function open(groupId: string, port: number, cidr = '0.0.0.0/0', client = ec2): Promise<string> {
  const out = await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }],
    }),
  );
  await whenLoopIdle(e.sim.state, 30_000);
  return out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
}
const tagMap = (tags: Tag[] = []): Record<string, string | undefined> =>
  Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value]));
const tagsOf = (r: SecurityGroupRule | undefined) => tagMap(r?.Tags);
async function groupTags(groupId: string): Promise<Record<string, string | undefined>> {
  const g = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0]!;
  return tagMap(g.Tags);
}

/** A rule that was legitimately there before the attack: opened by the allowed pipeline role. */
async function legitimateRule(groupId: string, port: number, cidr: string): Promise<string> {
  const pipeline = new EC2Client(
    clientConfig(e.sim, REGION, await assumeInto(e.sim, member, { roleName: 'ci-pipeline', sessionName: 'deploy-42' })),
  );
  try {
    return await open(groupId, port, cidr, pipeline);
  } finally {
    pipeline.destroy();
  }
}

/** The attacker's forged approval label on a rule, then the clock past two sweeps. */
async function forgeLabelAndSweepTwice(ruleId: string, approvalId: string): Promise<void> {
  await ec2.send(
    new CreateTagsCommand({ Resources: [ruleId], Tags: [{ Key: 'guardrail:approval', Value: approvalId }] }),
  );
  await whenLoopIdle(e.sim.state, 30_000);
  await advance(61);
  await advance(61);
}

interface Line {
  action: string;
  reason: string;
  groupId: string | null;
  ruleIds: string[];
  rules?: { ruleId?: string }[];
  principal?: string;
  roleArn?: string;
  eventName?: string;
}
async function activity(...args: string[]): Promise<Line[]> {
  // the simulated clock runs ahead of this process's (the sweeps moved it): read up to a week ahead
  const r = await e.run([
    'activity',
    '--since',
    '7d',
    '--until',
    new Date(Date.now() + 7 * 86_400_000).toISOString(),
    '--account',
    member,
    '--output',
    'json',
    ...args,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as unknown as { events: Line[] }).events.map((l) => ({
    ...l,
    ruleIds: (l.rules ?? []).flatMap((x) => (x.ruleId ? [x.ruleId] : [])),
  }));
}
const notifications = () => regionState(e.sim.state, member, REGION).snsMessages.map((m) => m.message);

beforeAll(async () => {
  e = await startE2E({ accounts: 2, regions: [REGION], stackMs: 20 });
  [member, other] = memberIds(e.sim) as [string, string];
  Object.assign(process.env, e.env);
  // the attacker: an administrator of the member account who is neither guardrail's deploy role nor allowed
  await post('/_sim/roles', { account: member, roleName: 'Admin' });
  await post('/_sim/roles', { account: member, roleName: 'Dev' });
  await post('/_sim/roles', { account: member, roleName: 'ci-pipeline' });
  admin = await assumeInto(e.sim, member, { roleName: 'Admin', sessionName: 'mallory' });
  ec2 = new EC2Client(clientConfig(e.sim, REGION, admin));
  exemptGroup = await newGroup('exempt-by-id');
  e.config(config());
  const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(deploy.code, deploy.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  ec2?.destroy();
  await e?.close();
});

describe('the function cannot be turned against its owner', () => {
  it('a forged approval tag on a legitimate rule: two sweeps later the rule stays, the tag is gone, activity says forged', async () => {
    const group = await newGroup('legit');
    const legit = await legitimateRule(group, 5432, '10.0.0.0/16');
    await forgeLabelAndSweepTwice(legit, 'apr-00000000000000aa');
    const rule = (await rulesOf(group)).find((r) => r.SecurityGroupRuleId === legit);
    expect(rule, 'the legitimate rule must stay').toBeDefined();
    expect(tagsOf(rule)['guardrail:approval']).toBeUndefined();
    const lines = await activity('--action', 'forged');
    expect(lines.some((l) => l.ruleIds.includes(legit))).toBe(true);
    expect(notifications().some((m) => m.includes(legit))).toBe(true);
  });

  it('the same on an exempt group: the rule stays, the forged tag goes', async () => {
    const legit = await legitimateRule(exemptGroup, 8080, '10.1.0.0/16');
    await forgeLabelAndSweepTwice(legit, 'apr-00000000000000bb');
    const rule = (await rulesOf(exemptGroup)).find((r) => r.SecurityGroupRuleId === legit);
    expect(rule).toBeDefined();
    expect(tagsOf(rule)['guardrail:approval']).toBeUndefined();
  });

  it('an approved rule whose tag was deleted still expires on time', async () => {
    const group = await newGroup('approved');
    const approve = await e.run([
      'approve',
      '--account',
      member,
      '--region',
      REGION,
      '--group',
      group,
      '--rule',
      'tcp/443 203.0.113.0/24',
      '--for',
      '10m',
      '--reason',
      'partner test',
      '--output',
      'json',
    ]);
    expect(approve.code, approve.stderr).toBe(0);
    const kept = await open(group, 443, '203.0.113.0/25');
    expect(tagsOf((await rulesOf(group)).find((r) => r.SecurityGroupRuleId === kept))['guardrail:approval']).toMatch(
      /^apr-/,
    );
    // the attacker takes the label off, hoping the sweep loses track of the rule
    await ec2.send(
      new DeleteTagsCommand({ Resources: [kept], Tags: [{ Key: 'guardrail:approval' }, { Key: 'guardrail:expires' }] }),
    );
    await whenLoopIdle(e.sim.state, 30_000);
    await advance(5 * 60);
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).toContain(kept);
    await advance(6 * 60);
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).not.toContain(kept);
    expect((await activity('--action', 'expired')).some((l) => l.ruleIds.includes(kept))).toBe(true);
  });

  it('a made-up event sent with lambda invoke is refused, and the rule it names stays', async () => {
    const group = await newGroup('invoked');
    const legit = await legitimateRule(group, 22, '10.2.0.0/16');
    const lambda = new LambdaClient(clientConfig(e.sim, REGION, admin));
    const record = {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: REGION,
      recipientAccountId: member,
      eventID: 'made-up',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${member}:user/nobody` },
      requestParameters: { groupId: group, ipPermissions: { items: [] } },
      responseElements: {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupId: group,
              securityGroupRuleId: legit,
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: 22,
              toPort: 22,
              cidrIpv4: '10.2.0.0/16',
            },
          ],
        },
      },
    };
    const envelope = {
      version: '0',
      id: 'made-up',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account: member,
      region: REGION,
      detail: record,
    };
    const sqsShaped = {
      Records: [
        {
          messageId: 'm',
          receiptHandle: 'AQEB-made-up',
          body: JSON.stringify(envelope),
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${REGION}:${member}:anything`,
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
        },
      ],
    };
    for (const payload of [envelope, record, sqsShaped]) {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'guardrail-revert', Payload: Buffer.from(JSON.stringify(payload)) }),
      );
      const result = JSON.parse(Buffer.from(out.Payload!).toString()) as {
        decisions?: Line[];
        results?: { decisions: Line[] }[];
      };
      const decisions = result.decisions ?? result.results?.flatMap((r) => r.decisions) ?? [];
      expect(
        decisions.map((d) => d.action),
        JSON.stringify(result),
      ).toEqual(['refused']);
      expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).toContain(legit);
    }
    expect((await activity('--action', 'refused')).length).toBeGreaterThanOrEqual(3);
    lambda.destroy();
  });

  it('a made-up prefix-list event sent with lambda invoke cannot make the function roll a list back: refused, the list untouched', async () => {
    // the list as its owners keep it: version 1 with the office range; the attacker wants it stripped by a "restore"
    const list = (
      await ec2.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: 'offices',
          MaxEntries: 5,
          AddressFamily: 'IPv4',
          Entries: [{ Cidr: '10.8.0.0/16' }],
        }),
      )
    ).PrefixList!.PrefixListId!;
    const lambda = new LambdaClient(clientConfig(e.sim, REGION, admin));
    const record = {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'ModifyManagedPrefixList',
      awsRegion: REGION,
      recipientAccountId: member,
      eventID: 'made-up-pl',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${member}:user/nobody` },
      requestParameters: {
        ModifyManagedPrefixListRequest: {
          PrefixListId: list,
          CurrentVersion: 1,
          AddEntry: { Cidr: '0.0.0.0/0', tag: '1' },
        },
      },
      responseElements: {
        ModifyManagedPrefixListResponse: {
          prefixList: { prefixListId: list, version: 1, ownerId: member, state: 'modify-in-progress' },
        },
      },
    };
    const envelope = {
      version: '0',
      id: 'made-up-pl',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.ec2',
      account: member,
      region: REGION,
      detail: record,
    };
    const sqsShaped = {
      Records: [
        {
          messageId: 'm',
          receiptHandle: 'AQEB-made-up',
          body: JSON.stringify(envelope),
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${REGION}:${member}:anything`,
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) },
        },
      ],
    };
    for (const payload of [envelope, sqsShaped]) {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'guardrail-revert', Payload: Buffer.from(JSON.stringify(payload)) }),
      );
      const result = JSON.parse(Buffer.from(out.Payload!).toString()) as {
        decisions?: Line[];
        results?: { decisions: Line[] }[];
      };
      expect(
        (result.decisions ?? result.results?.flatMap((r) => r.decisions) ?? []).map((d) => d.action),
        JSON.stringify(result),
      ).toEqual(['refused']);
    }
    lambda.destroy();
    const after = (await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [list] }))).PrefixLists![0]!;
    expect(after.Version).toBe(1);
    const entries = (await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: list }))).Entries ?? [];
    expect(entries.map((x) => x.Cidr)).toEqual(['10.8.0.0/16']);
  });

  it("a member admin can neither put a forged event on the function's queue nor take a message off it (queue policy, no SCP)", async () => {
    const cfn = new CloudFormationClient(clientConfig(e.sim, REGION, admin));
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!;
    cfn.destroy();
    const queueUrl = stack.Outputs!.find((o) => o.OutputKey === 'EventQueueUrl')!.OutputValue!;
    const sqs = new SQSClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    const forged = {
      version: '0',
      id: 'forged',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: member,
      region: REGION,
      detail: {},
    };
    for (const call of [
      () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(forged) })),
      () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 })),
      () => sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl })),
    ]) {
      const err = await errorOf(call());
      expect(err.name).toMatch(/AccessDenied/);
    }
    sqs.destroy();
  });

  it("an event from another account, forwarded to this account's bus, is not acted on", async () => {
    const group = await newGroup('forwarded');
    const legit = await legitimateRule(group, 3306, '10.3.0.0/16');
    const before = regionState(e.sim.state, member, REGION).invocations.length;
    const record = {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: REGION,
      recipientAccountId: other,
      eventID: 'forwarded-1',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${other}:user/x` },
      requestParameters: { groupId: group, ipPermissions: {} },
      responseElements: {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupId: group,
              securityGroupRuleId: legit,
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: 3306,
              toPort: 3306,
              cidrIpv4: '10.3.0.0/16',
            },
          ],
        },
      },
    };
    // the other account's event, delivered as EventBridge forwards it: the envelope keeps the other account
    await post('/_sim/cloudtrail', { account: other, region: REGION, record, forwardTo: member });
    await whenLoopIdle(e.sim.state, 30_000);
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).toContain(legit);
    const after = regionState(e.sim.state, member, REGION)
      .invocations.slice(before)
      .flatMap((i) =>
        ((i.result as { results?: { decisions: Line[] }[] } | undefined)?.results ?? []).flatMap((r) => r.decisions),
      );
    expect(after.filter((d) => d.action === 'reverted')).toEqual([]);
  });

  it("a moment's exempt tag (tag, open, untag) does not open the group: the rule is reverted and notified", async () => {
    const group = await newGroup('moment');
    await ec2.send(new CreateTagsCommand({ Resources: [group], Tags: [{ Key: 'guardrail:exempt', Value: 'true' }] }));
    const opened = await open(group, 22);
    await ec2.send(new DeleteTagsCommand({ Resources: [group], Tags: [{ Key: 'guardrail:exempt' }] }));
    await whenLoopIdle(e.sim.state, 30_000);
    await advance(31);
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).not.toContain(opened);
    expect(await groupTags(group)).not.toHaveProperty('guardrail:exempt');
    expect(notifications().some((m) => m.includes(opened))).toBe(true);
  });

  it('an exempt tag left on by a principal that is not allowed is taken off, and the rule opened under it is reverted', async () => {
    const group = await newGroup('left-on');
    await ec2.send(new CreateTagsCommand({ Resources: [group], Tags: [{ Key: 'guardrail:exempt', Value: 'true' }] }));
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await groupTags(group)).not.toHaveProperty('guardrail:exempt');
    const opened = await open(group, 3389);
    await advance(31);
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).not.toContain(opened);
    expect(
      (await activity('--action', 'reverted')).some((l) => l.groupId === group && l.eventName === 'CreateTags'),
    ).toBe(true);
  });

  it('role Dev with the session name ci-pipeline is not the ci-pipeline role: reverted; the role itself is allowed', async () => {
    const group = await newGroup('sessions');
    const dev = new EC2Client(
      clientConfig(e.sim, REGION, await assumeInto(e.sim, member, { roleName: 'Dev', sessionName: 'ci-pipeline' })),
    );
    const byDev = await open(group, 9000, '0.0.0.0/0', dev);
    dev.destroy();
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).not.toContain(byDev);
    const real = new EC2Client(
      clientConfig(
        e.sim,
        REGION,
        await assumeInto(e.sim, member, { roleName: 'ci-pipeline', sessionName: 'anything' }),
      ),
    );
    const byPipeline = await open(group, 9001, '10.9.0.0/16', real);
    real.destroy();
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).toContain(byPipeline);
    const reverted = (await activity('--action', 'reverted')).find((l) => l.ruleIds.includes(byDev));
    expect(reverted).toMatchObject({ roleArn: `arn:aws:iam::${member}:role/Dev` });
    // and an allow pattern for the session name is refused before it can be deployed
    writeFileSync(
      join(e.dir, 'session.yaml'),
      config().replace('"arn:aws:iam::*:role/ci-pipeline"', '"arn:aws:sts::*:assumed-role/*/ci-pipeline"'),
    );
    const validate = await e.run(['validate', '--config', 'session.yaml']);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/session\.yaml:\d+/);
    expect(validate.stderr).toMatch(/role/);
    expect(validate.stderr).not.toMatch(/\n\s+at /);
  });

  it('a truncated event is failed and notified, never ignored', async () => {
    const group = await newGroup('truncated');
    const record = {
      eventVersion: '1.08',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: REGION,
      recipientAccountId: member,
      eventID: 'truncated-1',
      eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${member}:assumed-role/Admin/mallory`,
        sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${member}:role/Admin` } },
      },
      requestParameters: { omitted: true },
      responseElements: { omitted: true },
    };
    const sent = notifications().length;
    await post('/_sim/cloudtrail', { account: member, region: REGION, record });
    await whenLoopIdle(e.sim.state, 30_000);
    const failed = (await activity('--action', 'failed')).filter((l) => l.reason.includes('truncated'));
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(
      notifications()
        .slice(sent)
        .some((m) => m.includes('FAILED')),
    ).toBe(true);
    expect(group).toMatch(/^sg-/);
  });

  it('in monitor mode a forged tag revokes nothing either', async () => {
    e.config(config().replace('settleSeconds: 30', 'settleSeconds: 30, mode: monitor'));
    const deploy = await e.run(['deploy', '--all-accounts', '--yes']);
    expect(deploy.code, deploy.stderr).toBe(0);
    const group = await newGroup('monitored');
    const legit = await open(group, 6379, '10.4.0.0/16');
    await forgeLabelAndSweepTwice(legit, 'apr-00000000000000cc');
    expect((await rulesOf(group)).map((r) => r.SecurityGroupRuleId)).toContain(legit);
  });

  it('with the SCP attached, the invocation, scope tagging and roles the store would trust are denied to a member admin', async () => {
    const protect = await e.run(['protect', '--attach', '--yes']);
    expect(protect.code, protect.stderr).toBe(0);
    const lambda = new LambdaClient(clientConfig(e.sim, REGION, admin));
    const invoked = await errorOf(
      lambda.send(new InvokeCommand({ FunctionName: 'guardrail-revert', Payload: Buffer.from('{}') })),
    );
    lambda.destroy();
    expect(invoked.name).toBe('AccessDeniedException');
    const tagged = await errorOf(
      ec2.send(new CreateTagsCommand({ Resources: [exemptGroup], Tags: [{ Key: 'guardrail:exempt', Value: 'true' }] })),
    );
    expect(tagged.name).toMatch(/UnauthorizedOperation|AccessDenied/);
    // the roles the approval store trusts and the SCP exempts, both engines' (a direct stack's function role, and what
    // a StackSets instance generates): a member admin cannot take either name
    const iam = new IAMClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    for (const RoleName of ['guardrail-FunctionRole-FORGED1234', 'StackSet-guardrail-forged']) {
      expect(
        (await errorOf(iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust })))).name,
        RoleName,
      ).toMatch(/AccessDenied/);
    }
    iam.destroy();
    // the dead-letter queue cannot be drained (issue O); the deploy role may still ask the function to retry from it
    const cfn = new CloudFormationClient(clientConfig(e.sim, REGION, admin));
    const dlq = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }))).Stacks![0]!.Outputs!.find(
      (o) => o.OutputKey === 'DeadLetterQueueUrl',
    )!.OutputValue!;
    cfn.destroy();
    const sqs = new SQSClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    expect((await errorOf(sqs.send(new PurgeQueueCommand({ QueueUrl: dlq })))).name).toMatch(/AccessDenied/);
    sqs.destroy();
    // nor can the mapping that feeds the event queue to the function be disabled or deleted: events would wait unseen
    const fnLambda = new LambdaClient({ ...clientConfig(e.sim, REGION, admin), maxAttempts: 1 });
    const [mapping] =
      (await fnLambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'guardrail-revert' })))
        .EventSourceMappings ?? [];
    expect(mapping?.UUID).toBeDefined();
    for (const call of [
      () => fnLambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping!.UUID!, Enabled: false })),
      () => fnLambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping!.UUID! })),
    ])
      expect((await errorOf(call())).name).toMatch(/AccessDenied/);
    expect((await fnLambda.send(new GetEventSourceMappingCommand({ UUID: mapping!.UUID! }))).State).toBe('Enabled');
    fnLambda.destroy();
    const deployer = new LambdaClient({
      ...clientConfig(e.sim, REGION, await assumeInto(e.sim, member)),
      maxAttempts: 1,
    });
    const out = await deployer.send(
      new InvokeCommand({
        FunctionName: 'guardrail-revert',
        Payload: Buffer.from(JSON.stringify({ guardrail: 'retry', maxMessages: 10 })),
      }),
    );
    deployer.destroy();
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({
      retry: { received: 0, failed: 0, remaining: 0 },
    });
  });
});
