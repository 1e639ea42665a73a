// SCPs on the calls a member-account admin could use against guardrail's revert function: EC2 tag calls (aws:TagKeys
// with ForAnyValue/ForAllValues, aws:RequestTag, one authorization per resource, tag-on-create with ec2:CreateAction),
// Lambda Invoke (lambda:InvokeFunction; EventBridge's delivery through the function policy is not subject to SCPs),
// and IAM CreateRole. Also the EC2 tag operations themselves and the CloudTrail records they emit.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { conditionHolds } from '../scp.js';
import { regionState } from '../state.js';
import { whenLoopIdle } from '../loop.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';
import { putFunction, putRule } from './sim-resources.js';

const SCP = 'SERVICE_CONTROL_POLICY';
const REGION = 'us-east-1';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

let sim: SimServer;
let org: OrganizationsClient;
let member: string;
let admin: TestCredentials;

async function withPolicy<T>(content: string, run: () => Promise<T>): Promise<T> {
  const out = await org.send(
    new CreatePolicyCommand({ Name: `p-${Math.abs(hash(content))}`, Type: SCP, Description: '', Content: content }),
  );
  const id = out.Policy!.PolicySummary!.Id!;
  await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: member }));
  try {
    return await run();
  } finally {
    await org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: member }));
  }
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, regions: [REGION] });
  org = new OrganizationsClient({ ...clientConfig(sim), maxAttempts: 1 });
  member = memberIds(sim)[0]!;
  await org.send(new EnablePolicyTypeCommand({ RootId: sim.state.org.rootId, PolicyType: SCP }));
  await fetch(`${sim.endpoint}/_sim/roles`, {
    method: 'POST',
    body: JSON.stringify({ account: member, roleName: 'Admin' }),
  });
  admin = await assumeInto(sim, member, { roleName: 'Admin', sessionName: 'mallory' });
});
afterAll(async () => {
  org.destroy();
  await sim.close();
});

describe('condition set operators and policy variables', () => {
  it('ForAnyValue: some request value matches; false for a missing or empty key', () => {
    const ctx = { 'aws:TagKeys': ['Name', 'guardrail:approved'] };
    expect(conditionHolds({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'guardrail:*' } }, ctx)).toBe(true);
    expect(conditionHolds({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'owner*' } }, ctx)).toBe(false);
    expect(conditionHolds({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'guardrail:*' } }, { 'aws:TagKeys': [] })).toBe(
      false,
    );
    expect(conditionHolds({ 'ForAnyValue:StringLike': { 'aws:TagKeys': 'guardrail:*' } }, {})).toBe(false);
    // negated: some request value matches none of the policy's values
    expect(
      conditionHolds({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['Name', 'guardrail:approved'] } }, ctx),
    ).toBe(false);
    expect(conditionHolds({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['Name'] } }, ctx)).toBe(true);
  });

  it('ForAllValues: every request value matches; true for a missing or empty key (so add Null false)', () => {
    const ctx = { 'aws:TagKeys': ['Name', 'Owner'] };
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'Owner', 'Env'] } }, ctx)).toBe(
      true,
    );
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name'] } }, ctx)).toBe(false);
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name'] } }, {})).toBe(true);
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name'] } }, { 'aws:TagKeys': [] })).toBe(
      true,
    );
    expect(
      conditionHolds(
        { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name'] }, Null: { 'aws:TagKeys': 'false' } },
        {},
      ),
    ).toBe(false);
    expect(conditionHolds({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] })).toBe(true);
    // negated: no request value matches any policy value
    expect(conditionHolds({ 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'guardrail:*' } }, ctx)).toBe(true);
    expect(
      conditionHolds(
        { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'guardrail:*' } },
        { 'aws:TagKeys': ['Name', 'guardrail:x'] },
      ),
    ).toBe(false);
  });

  it('policy variables in condition values, with defaults; an unresolved one matches nothing', () => {
    const ctx = { 'aws:PrincipalAccount': '111122223333', 'dynamodb:LeadingKeys': ['111122223333#a'] };
    expect(
      conditionHolds({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': '${aws:PrincipalAccount}#*' } }, ctx),
    ).toBe(true);
    expect(
      conditionHolds(
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': '${aws:PrincipalAccount}#*' } },
        { ...ctx, 'dynamodb:LeadingKeys': ['444455556666#a'] },
      ),
    ).toBe(false);
    expect(conditionHolds({ StringEquals: { 'aws:PrincipalAccount': '${aws:SourceAccount}' } }, ctx)).toBe(false);
    expect(
      conditionHolds({ StringEquals: { 'aws:PrincipalAccount': "${aws:SourceAccount, '111122223333'}" } }, ctx),
    ).toBe(true);
    // ${*} is a literal star, not a wildcard
    expect(conditionHolds({ StringLike: { 'aws:PrincipalAccount': '1111${*}' } }, ctx)).toBe(false);
    expect(conditionHolds({ StringLike: { k: 'a${*}' } }, { k: 'a*' })).toBe(true);
  });
});

describe('EC2 tag calls under SCPs', () => {
  const GUARD = doc({
    Effect: 'Deny',
    Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
    Resource: ['arn:aws:ec2:*:*:security-group/*', 'arn:aws:ec2:*:*:security-group-rule/*'],
    Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'guardrail:*' } },
  });

  it('denies tagging a group or a rule with a guardrail: key, on each resource, and allows other keys', async () => {
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'tags-1', Description: 'd' }));
      const rule = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
        }),
      );
      const ruleId = rule.SecurityGroupRules![0]!.SecurityGroupRuleId!;
      await withPolicy(GUARD, async () => {
        const onGroup = await errorOf(
          ec2.send(
            new CreateTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'guardrail:approved', Value: 'yes' }] }),
          ),
        );
        expect(onGroup.name).toBe('UnauthorizedOperation');
        expect(onGroup.message).toContain(
          `ec2:CreateTags on resource: arn:aws:ec2:${REGION}:${member}:security-group/${GroupId} with an explicit deny`,
        );
        const onRule = await errorOf(
          ec2.send(
            new CreateTagsCommand({
              Resources: [ruleId],
              Tags: [
                { Key: 'Name', Value: 'x' },
                { Key: 'guardrail:approved', Value: 'yes' },
              ],
            }),
          ),
        );
        expect(onRule.message).toContain(`security-group-rule/${ruleId}`);
        const del = await errorOf(
          ec2.send(new DeleteTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'guardrail:approved' }] })),
        );
        expect(del.message).toContain('ec2:DeleteTags');
        await ec2.send(new CreateTagsCommand({ Resources: [GroupId!, ruleId], Tags: [{ Key: 'Name', Value: 'ok' }] }));
        // DeleteTags with no tags at all carries no aws:TagKeys: ForAnyValue does not hold, the Deny does not apply
        await ec2.send(new DeleteTagsCommand({ Resources: [ruleId] }));
      });
      expect(regionState(sim.state, member, REGION).securityGroups.get(GroupId!)!.tags).toEqual({ Name: 'ok' });
    } finally {
      ec2.destroy();
    }
  });

  it('a Deny on one resource type refuses a call that names it among others', async () => {
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'tags-2', Description: 'd' }));
      const rules = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [GroupId!] }] }),
      );
      const ruleId = rules.SecurityGroupRules![0]!.SecurityGroupRuleId!;
      await withPolicy(
        doc({
          Effect: 'Deny',
          Action: 'ec2:CreateTags',
          Resource: 'arn:aws:ec2:*:*:security-group-rule/*',
          Condition: { StringEquals: { 'aws:RequestTag/approved': 'true' } },
        }),
        async () => {
          const err = await errorOf(
            ec2.send(
              new CreateTagsCommand({ Resources: [GroupId!, ruleId], Tags: [{ Key: 'approved', Value: 'true' }] }),
            ),
          );
          expect(err.message).toContain(`security-group-rule/${ruleId}`);
          // another value of the tag: aws:RequestTag/approved does not match
          await ec2.send(
            new CreateTagsCommand({ Resources: [GroupId!, ruleId], Tags: [{ Key: 'approved', Value: 'false' }] }),
          );
        },
      );
      const tagged = await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }));
      expect(tagged.SecurityGroupRules![0]!.Tags).toEqual([{ Key: 'approved', Value: 'false' }]);
    } finally {
      ec2.destroy();
    }
  });

  it('CreateSecurityGroup with TagSpecifications is also ec2:CreateTags, with ec2:CreateAction', async () => {
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      await withPolicy(
        doc({
          Effect: 'Deny',
          Action: 'ec2:CreateTags',
          Resource: '*',
          Condition: {
            StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
            'ForAnyValue:StringLike': { 'aws:TagKeys': 'guardrail:*' },
          },
        }),
        async () => {
          const err = await errorOf(
            ec2.send(
              new CreateSecurityGroupCommand({
                GroupName: 'tagged-on-create',
                Description: 'd',
                TagSpecifications: [
                  { ResourceType: 'security-group', Tags: [{ Key: 'guardrail:approved', Value: 'yes' }] },
                ],
              }),
            ),
          );
          expect(err.name).toBe('UnauthorizedOperation');
          expect(err.message).toContain(`ec2:CreateTags on resource: arn:aws:ec2:${REGION}:${member}:security-group/*`);
          // nothing was created
          const groups = await ec2.send(
            new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['tagged-on-create'] }] }),
          );
          expect(groups.SecurityGroups).toEqual([]);
          // other tags, or none, are fine
          await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: 'tagged-ok',
              Description: 'd',
              TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'n' }] }],
            }),
          );
          await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'untagged', Description: 'd' }));
        },
      );
      // and aws:TagKeys applies to ec2:CreateSecurityGroup itself
      await withPolicy(
        doc({
          Effect: 'Deny',
          Action: 'ec2:CreateSecurityGroup',
          Resource: 'arn:aws:ec2:*:*:security-group/*',
          Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'guardrail:approved' } },
        }),
        async () => {
          const err = await errorOf(
            ec2.send(
              new CreateSecurityGroupCommand({
                GroupName: 'tagged-2',
                Description: 'd',
                TagSpecifications: [
                  { ResourceType: 'security-group', Tags: [{ Key: 'guardrail:approved', Value: 'y' }] },
                ],
              }),
            ),
          );
          expect(err.message).toContain('ec2:CreateSecurityGroup');
        },
      );
    } finally {
      ec2.destroy();
    }
  });
});

describe('EC2 tags and their CloudTrail records', () => {
  it('DeleteTags with a value deletes only a matching tag, without one whatever the value, with none every tag', async () => {
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'del-tags', Description: 'd' }));
      const tags = () => regionState(sim.state, member, REGION).securityGroups.get(GroupId!)!.tags;
      await ec2.send(
        new CreateTagsCommand({
          Resources: [GroupId!],
          Tags: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '2' },
            { Key: 'c', Value: '' },
            { Key: 'd', Value: '4' },
          ],
        }),
      );
      await ec2.send(
        new DeleteTagsCommand({
          Resources: [GroupId!],
          Tags: [{ Key: 'a', Value: 'other' }, { Key: 'b' }, { Key: 'c', Value: '' }],
        }),
      );
      expect(tags()).toEqual({ a: '1', d: '4' });
      await ec2.send(new DeleteTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'a', Value: '1' }] }));
      expect(tags()).toEqual({ d: '4' });
      await ec2.send(new DeleteTagsCommand({ Resources: [GroupId!] }));
      expect(tags()).toEqual({});
      const bad = await errorOf(
        ec2.send(new DeleteTagsCommand({ Resources: ['sgr-0123456789abcdef0'], Tags: [{ Key: 'a' }] })),
      );
      expect(bad.name).toBe('InvalidSecurityGroupRuleId.NotFound');
    } finally {
      ec2.destroy();
    }
  });

  it('CreateSecurityGroup, CreateTags and DeleteTags emit their CloudTrail records to the default bus', async () => {
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    const rs = regionState(sim.state, member, REGION);
    try {
      const before = rs.events.length;
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'recorded',
          Description: 'rec',
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'r' }] }],
        }),
      );
      await ec2.send(new CreateTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'Owner', Value: 'me' }] }));
      await ec2.send(
        new DeleteTagsCommand({ Resources: [GroupId!], Tags: [{ Key: 'Owner' }, { Key: 'Name', Value: 'r' }] }),
      );
      const events = rs.events.slice(before).map((e) => e.event);
      expect(events.map((e) => [e.source, e['detail-type'], e.account])).toEqual(
        Array(3).fill(['aws.ec2', 'AWS API Call via CloudTrail', member]),
      );
      const [create, tag, untag] = events.map((e) => e.detail as Record<string, unknown>);
      expect(create).toMatchObject({
        eventName: 'CreateSecurityGroup',
        eventSource: 'ec2.amazonaws.com',
        recipientAccountId: member,
        userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${member}:assumed-role/Admin/mallory` },
        requestParameters: {
          groupName: 'recorded',
          groupDescription: 'rec',
          tagSpecificationSet: { items: [{ resourceType: 'security-group', tags: [{ key: 'Name', value: 'r' }] }] },
        },
        responseElements: { _return: true, groupId: GroupId },
      });
      expect(tag).toMatchObject({
        eventName: 'CreateTags',
        requestParameters: {
          resourcesSet: { items: [{ resourceId: GroupId }] },
          tagSet: { items: [{ key: 'Owner', value: 'me' }] },
        },
        responseElements: { _return: true },
      });
      expect(untag).toMatchObject({
        eventName: 'DeleteTags',
        requestParameters: {
          resourcesSet: { items: [{ resourceId: GroupId }] },
          tagSet: { items: [{ key: 'Owner' }, { key: 'Name', value: 'r' }] },
        },
      });
      expect((untag!.requestParameters as { tagSet: { items: object[] } }).tagSet.items[0]).toEqual({ key: 'Owner' });
    } finally {
      ec2.destroy();
    }
  });
});

describe('Lambda Invoke under SCPs', () => {
  const CODE = 'exports.handler = async (event) => ({ got: event, account: process.env.AWS_LAMBDA_FUNCTION_NAME });';

  it('a member principal invokes synchronously and asynchronously; an SCP Deny on lambda:InvokeFunction refuses it', async () => {
    const fn = putFunction(sim, member, REGION, { name: 'guardrail-revert', code: CODE });
    const lambda = new LambdaClient({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      const sync = await lambda.send(
        new InvokeCommand({ FunctionName: 'guardrail-revert', Payload: Buffer.from('{"a":1}') }),
      );
      expect(JSON.parse(Buffer.from(sync.Payload!).toString())).toEqual({ got: { a: 1 }, account: 'guardrail-revert' });
      const async = await lambda.send(
        new InvokeCommand({ FunctionName: fn.functionArn, InvocationType: 'Event', Payload: Buffer.from('{"b":2}') }),
      );
      expect(async.StatusCode).toBe(202);
      await whenLoopIdle(sim.state);
      const runs = regionState(sim.state, member, REGION).invocations.filter((i) => i.functionArn === fn.functionArn);
      expect(runs.map((r) => [r.status, r.result])).toEqual([
        ['succeeded', { got: { a: 1 }, account: 'guardrail-revert' }],
        ['succeeded', { got: { b: 2 }, account: 'guardrail-revert' }],
      ]);
      await withPolicy(
        doc({ Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:guardrail-*' }),
        async () => {
          for (const type of ['RequestResponse', 'Event'] as const) {
            const err = await errorOf(
              lambda.send(
                new InvokeCommand({
                  FunctionName: 'guardrail-revert',
                  InvocationType: type,
                  Payload: Buffer.from('{}'),
                }),
              ),
            );
            expect(err.name).toBe('AccessDeniedException');
            expect(err.message).toBe(
              `User: arn:aws:sts::${member}:assumed-role/Admin/mallory is not authorized to perform: lambda:InvokeFunction ` +
                `on resource: ${fn.functionArn} with an explicit deny in a service control policy`,
            );
          }
          // EventBridge invokes through the function's resource policy as a service principal: SCPs do not apply
          putRule(sim, member, REGION, 'to-revert', { source: ['aws.ec2'], detail: { eventName: ['CreateTags'] } }, [
            fn.functionArn,
          ]);
          fn.permissions.push({
            sid: 'events',
            principal: 'events.amazonaws.com',
            action: 'lambda:InvokeFunction',
            sourceArn: `arn:aws:events:${REGION}:${member}:rule/to-revert`,
          });
          const res = await fetch(`${sim.endpoint}/_sim/cloudtrail`, {
            method: 'POST',
            body: JSON.stringify({
              account: member,
              region: REGION,
              record: { eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags', eventTime: '2026-01-01T00:00:00Z' },
            }),
          });
          expect(((await res.json()) as { matchedRules: string[] }).matchedRules).toEqual(['to-revert']);
          await whenLoopIdle(sim.state);
          const last = regionState(sim.state, member, REGION).invocations.at(-1)!;
          expect(last).toMatchObject({ functionArn: fn.functionArn, status: 'succeeded' });
        },
      );
    } finally {
      regionState(sim.state, member, REGION).rules.delete('to-revert');
      lambda.destroy();
    }
  });
});

describe('IAM roles', () => {
  it('CreateRole, GetRole and DeleteRole in the caller account; the role can be assumed; SCPs apply to iam:CreateRole', async () => {
    const iam = new IAMClient({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${sim.state.org.managementAccountId}:root` },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    try {
      const created = await iam.send(
        new CreateRoleCommand({ RoleName: 'helper', Path: '/team/', AssumeRolePolicyDocument: trust }),
      );
      expect(created.Role).toMatchObject({
        RoleName: 'helper',
        Path: '/team/',
        Arn: `arn:aws:iam::${member}:role/team/helper`,
        MaxSessionDuration: 3600,
      });
      expect(created.Role?.CreateDate).toBeInstanceOf(Date);
      expect(decodeURIComponent(created.Role!.AssumeRolePolicyDocument!)).toBe(trust);
      expect(
        (await errorOf(iam.send(new CreateRoleCommand({ RoleName: 'helper', AssumeRolePolicyDocument: trust })))).name,
      ).toBe('EntityAlreadyExistsException');
      expect((await iam.send(new GetRoleCommand({ RoleName: 'helper' }))).Role?.Arn).toBe(
        `arn:aws:iam::${member}:role/team/helper`,
      );
      const session = await assumeInto(sim, member, { roleName: 'team/helper' });
      expect(session.accessKeyId).toMatch(/^ASIA/);
      await iam.send(new DeleteRoleCommand({ RoleName: 'helper' }));
      expect((await errorOf(iam.send(new GetRoleCommand({ RoleName: 'helper' })))).name).toBe('NoSuchEntityException');
      expect(
        (await errorOf(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: '{' })))).name,
      ).toBe('MalformedPolicyDocumentException');

      await withPolicy(
        doc({ Effect: 'Deny', Action: 'iam:CreateRole', Resource: 'arn:aws:iam::*:role/guardrail*' }),
        async () => {
          const err = await errorOf(
            iam.send(new CreateRoleCommand({ RoleName: 'guardrail-shadow', AssumeRolePolicyDocument: trust })),
          );
          expect(err.name).toBe('AccessDenied');
          expect(err.$metadata?.httpStatusCode).toBe(403);
          expect(err.message).toContain(
            `iam:CreateRole on resource: arn:aws:iam::${member}:role/guardrail-shadow with an explicit deny`,
          );
          // a path does not get around it: the ARN is role/PATH+NAME, and * crosses the slashes
          const pathed = await errorOf(
            iam.send(new CreateRoleCommand({ RoleName: 'x', Path: '/guardrail/', AssumeRolePolicyDocument: trust })),
          );
          expect(pathed.message).toContain(`role/guardrail/x`);
          await iam.send(new CreateRoleCommand({ RoleName: 'other', AssumeRolePolicyDocument: trust }));
        },
      );
    } finally {
      iam.destroy();
    }
  });
});
