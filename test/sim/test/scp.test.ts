// The simulator's Organizations policy operations (with their limits and errors), SCP evaluation for member-account
// callers (explicit and implicit deny, wildcards, the condition operators, exemptions), CloudFormation acting with
// the caller's credentials under those SCPs, and stack termination protection.
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import { conditionHolds } from '../scp.js';
import { GUARDRAIL_TEMPLATE, waitForStack } from './cloudformation.fixtures.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';

const SCP = 'SERVICE_CONTROL_POLICY';
const REGION = 'us-east-1';
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

let sim: SimServer;
let org: OrganizationsClient;
let members: string[];
let rootId: string;

async function role(account: string, roleName: string, sessionName = 'test'): Promise<TestCredentials> {
  await fetch(`${sim.endpoint}/_sim/roles`, { method: 'POST', body: JSON.stringify({ account, roleName }) });
  return assumeInto(sim, account, { roleName, sessionName });
}

async function createPolicy(name: string, content: string): Promise<string> {
  const out = await org.send(new CreatePolicyCommand({ Name: name, Type: SCP, Description: '', Content: content }));
  return out.Policy!.PolicySummary!.Id!;
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 3, regions: [REGION], stackMs: 20 });
  org = new OrganizationsClient({ ...clientConfig(sim), maxAttempts: 1 });
  members = memberIds(sim);
  rootId = sim.state.org.rootId;
});
afterAll(async () => {
  org.destroy();
  await sim.close();
});

describe('Organizations policies', () => {
  it('attaching needs the policy type enabled; enabling it puts FullAWSAccess everywhere and shows on the root', async () => {
    const id = await createPolicy('early', doc({ Effect: 'Deny', Action: 's3:x', Resource: '*' }));
    const early = await errorOf(org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: rootId })));
    expect(early.name).toBe('PolicyTypeNotEnabledException');
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP }));
    const again = await errorOf(org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP })));
    expect(again.name).toBe('PolicyTypeAlreadyEnabledException');
    const roots = await org.send(new ListRootsCommand({}));
    expect(roots.Roots?.[0]?.PolicyTypes).toEqual([{ Type: SCP, Status: 'ENABLED' }]);
    const onAccount = await org.send(new ListPoliciesForTargetCommand({ TargetId: members[0]!, Filter: SCP }));
    expect(onAccount.Policies?.map((p) => p.Id)).toEqual(['p-FullAWSAccess']);
  });

  it('refuses content over 5,120 characters, bad documents and duplicate names', async () => {
    const big = doc({ Effect: 'Deny', Action: Array.from({ length: 450 }, (_, i) => `s3:Action${i}`), Resource: '*' });
    const tooBig = await errorOf(createPolicy('big', big));
    expect(tooBig.name).toBe('ConstraintViolationException');
    expect(tooBig.Reason).toBe('POLICY_CONTENT_LIMIT_EXCEEDED');
    expect((await errorOf(createPolicy('bad', '{"Version":'))).name).toBe('MalformedPolicyDocumentException');
    expect((await errorOf(createPolicy('early', doc({ Effect: 'Deny', Action: '*', Resource: '*' })))).name).toBe(
      'DuplicatePolicyException',
    );
  });

  it('at most 5 SCPs on a target, never fewer than 1; targets, tags and updates', async () => {
    const ou = [...sim.state.org.ous.values()].find((o) => o.name === 'Sandbox')!.id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await createPolicy(`limit-${i}`, doc({ Effect: 'Deny', Action: `s3:A${i}`, Resource: '*' })));
    for (const id of ids.slice(0, 4)) await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: ou }));
    const sixth = await errorOf(org.send(new AttachPolicyCommand({ PolicyId: ids[4]!, TargetId: ou })));
    expect(sixth.Reason).toBe('MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
    expect((await errorOf(org.send(new AttachPolicyCommand({ PolicyId: ids[0]!, TargetId: ou })))).name).toBe(
      'DuplicatePolicyAttachmentException',
    );
    const targets = await org.send(new ListTargetsForPolicyCommand({ PolicyId: ids[0]! }));
    expect(targets.Targets).toEqual([
      expect.objectContaining({ TargetId: ou, Type: 'ORGANIZATIONAL_UNIT', Name: 'Sandbox' }),
    ]);
    for (const id of ['p-FullAWSAccess', ...ids.slice(0, 3)])
      await org.send(new DetachPolicyCommand({ PolicyId: id, TargetId: ou }));
    const last = await errorOf(org.send(new DetachPolicyCommand({ PolicyId: ids[3]!, TargetId: ou })));
    expect(last.Reason).toBe('MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED');
    // put it back as it was
    await org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
    await org.send(new DetachPolicyCommand({ PolicyId: ids[3]!, TargetId: ou }));

    const tagged = await org.send(
      new CreatePolicyCommand({
        Name: 'tagged',
        Type: SCP,
        Description: 'd',
        Content: doc({ Effect: 'Deny', Action: 's3:T', Resource: '*' }),
        Tags: [{ Key: 'guardrail:managed-by', Value: 'guardrail' }],
      }),
    );
    const id = tagged.Policy!.PolicySummary!.Id!;
    expect((await org.send(new ListTagsForResourceCommand({ ResourceId: id }))).Tags).toEqual([
      { Key: 'guardrail:managed-by', Value: 'guardrail' },
    ]);
    await org.send(
      new UpdatePolicyCommand({ PolicyId: id, Content: doc({ Effect: 'Deny', Action: 's3:U', Resource: '*' }) }),
    );
    expect((await org.send(new DescribePolicyCommand({ PolicyId: id }))).Policy?.Content).toContain('s3:U');
    expect((await errorOf(org.send(new DescribePolicyCommand({ PolicyId: 'p-00000000' })))).name).toBe(
      'PolicyNotFoundException',
    );
  });

  it('member accounts may not call the policy operations', async () => {
    const creds = await assumeInto(sim, members[0]!);
    const memberOrg = new OrganizationsClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
    try {
      expect((await errorOf(memberOrg.send(new ListRootsCommand({})))).name).toBe('AccessDeniedException');
    } finally {
      memberOrg.destroy();
    }
  });
});

describe('SCP evaluation', () => {
  let guardId: string;

  beforeAll(async () => {
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: SCP })).catch((err: Error) => {
      if (err.name !== 'PolicyTypeAlreadyEnabledException') throw err;
    });
    // the shape guardrail protect renders: a Deny with wildcards, except for the deploy role
    guardId = await createPolicy(
      'protect',
      doc({
        Effect: 'Deny',
        Action: [
          'events:Disable*',
          'cloudformation:DeleteStack',
          'lambda:UpdateFunctionConfiguration',
          'lambda:DeleteFunction',
        ],
        Resource: [
          'arn:aws:events:*:*:rule/guardrail-*',
          'arn:aws:cloudformation:*:*:stack/protected/*',
          'arn:aws:lambda:*:*:function:guardrail-*',
        ],
        Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/OrganizationAccountAccessRole' } },
      }),
    );
    await org.send(new AttachPolicyCommand({ PolicyId: guardId, TargetId: rootId }));
  });

  it("denies a member role's call on a matching resource with AWS's message, in each protocol's shape", async () => {
    const admin = await role(members[0]!, 'Admin', 'mallory');
    const events = new EventBridgeClient({ ...clientConfig(sim, REGION, admin), maxAttempts: 1 });
    try {
      const denied = await errorOf(events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' })));
      expect(denied.name).toBe('AccessDeniedException');
      expect(denied.$metadata?.httpStatusCode).toBe(403);
      expect(denied.message).toBe(
        `User: arn:aws:sts::${members[0]}:assumed-role/Admin/mallory is not authorized to perform: ` +
          `events:DisableRule on resource: arn:aws:events:${REGION}:${members[0]}:rule/guardrail-sg-changes ` +
          'with an explicit deny in a service control policy',
      );
      // a rule of another name: the SCP does not apply, the service answers
      expect((await errorOf(events.send(new DisableRuleCommand({ Name: 'other' })))).name).toBe(
        'ResourceNotFoundException',
      );
      await events.send(new ListRulesCommand({}));
    } finally {
      events.destroy();
    }
  });

  it('exempts the deploy role (ArnNotLike) and the management account', async () => {
    const deployer = await assumeInto(sim, members[0]!);
    for (const creds of [deployer, undefined]) {
      const events = new EventBridgeClient({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
      try {
        expect((await errorOf(events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' })))).name).toBe(
          'ResourceNotFoundException',
        );
      } finally {
        events.destroy();
      }
    }
  });

  it('an OU without an Allow is an implicit deny; EC2 answers UnauthorizedOperation', async () => {
    const ou = [...sim.state.org.ous.values()].find((o) => o.name === 'Dev')!.id;
    const member = [...sim.state.org.accounts.values()].find((a) => a.parentId === ou)!.id;
    const onlyS3 = await createPolicy('only-s3', doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }));
    await org.send(new AttachPolicyCommand({ PolicyId: onlyS3, TargetId: ou }));
    await org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
    const ec2 = new EC2Client({ ...clientConfig(sim, REGION, await assumeInto(sim, member)), maxAttempts: 1 });
    try {
      const err = await errorOf(ec2.send(new DescribeSecurityGroupsCommand({})));
      expect(err.name).toBe('UnauthorizedOperation');
      expect(err.message).toMatch(/ec2:DescribeSecurityGroups with an implicit deny in a service control policy/);
    } finally {
      ec2.destroy();
      await org.send(new AttachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ou }));
      await org.send(new DetachPolicyCommand({ PolicyId: onlyS3, TargetId: ou }));
    }
  });

  it('condition operators: negated ones hold for a missing key, IfExists, Null, StringNotLike, several values', () => {
    const ctx = { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/Admin', 'aws:RequestedRegion': 'us-east-1' };
    expect(
      conditionHolds({ StringNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/Deploy*', '*:role/Break*'] } }, ctx),
    ).toBe(true);
    expect(conditionHolds({ StringNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Adm?n' } }, ctx)).toBe(false);
    expect(conditionHolds({ ArnLike: { 'aws:principalarn': 'arn:aws:iam::*:role/*' } }, ctx)).toBe(true);
    // in an ARN, * does not cross the colons that separate its parts
    expect(conditionHolds({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:*:role/Admin' } }, ctx)).toBe(false);
    expect(conditionHolds({ StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } }, ctx)).toBe(true);
    expect(conditionHolds({ StringEquals: { 'aws:SourceVpc': 'vpc-1' } }, ctx)).toBe(false);
    expect(conditionHolds({ StringEqualsIfExists: { 'aws:SourceVpc': 'vpc-1' } }, ctx)).toBe(true);
    expect(conditionHolds({ Null: { 'aws:SourceVpc': 'true' } }, ctx)).toBe(true);
    expect(
      conditionHolds(
        { StringEquals: { 'aws:RequestedRegion': 'us-east-1' }, ArnNotLike: { 'aws:PrincipalArn': '*' } },
        ctx,
      ),
    ).toBe(false);
    expect(conditionHolds({ NumericLessThan: { 'aws:MultiFactorAuthAge': '1' } }, ctx)).toBe(false);
  });

  it('CloudFormation acts with the caller: an SCP-denied resource call rolls the update back; the exempt role succeeds', async () => {
    const account = members[2]!;
    const deployer = new CloudFormationClient({
      ...clientConfig(sim, REGION, await assumeInto(sim, account)),
      maxAttempts: 1,
    });
    const other = new CloudFormationClient({
      ...clientConfig(sim, REGION, await role(account, 'Ops')),
      maxAttempts: 1,
    });
    const body = GUARDRAIL_TEMPLATE;
    try {
      // the function is guardrail-REGION: its configuration changes are denied to everyone but the deploy role
      await other.send(
        new CreateStackCommand({ StackName: 'other-stack', TemplateBody: body, Capabilities: ['CAPABILITY_IAM'] }),
      );
      expect((await waitForStack(other, 'other-stack')).at(-1)).toBe('CREATE_COMPLETE');
      await other.send(
        new UpdateStackCommand({
          StackName: 'other-stack',
          TemplateBody: body,
          Capabilities: ['CAPABILITY_IAM'],
          Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'monitor' }],
        }),
      );
      expect((await waitForStack(other, 'other-stack')).at(-1)).toBe('UPDATE_ROLLBACK_COMPLETE');
      const events = await other.send(new DescribeStackEventsCommand({ StackName: 'other-stack' }));
      const failed = events.StackEvents?.find((e) => e.ResourceStatus === 'UPDATE_FAILED');
      expect(failed?.ResourceStatusReason).toMatch(
        /lambda:UpdateFunctionConfiguration on resource: arn:aws:lambda:us-east-1:\d{12}:function:guardrail-us-east-1 with an explicit deny in a service control policy/,
      );
      // the same update by the deploy role goes through
      await deployer.send(
        new UpdateStackCommand({
          StackName: 'other-stack',
          TemplateBody: body,
          Capabilities: ['CAPABILITY_IAM'],
          Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'monitor' }],
        }),
      );
      expect((await waitForStack(deployer, 'other-stack')).at(-1)).toBe('UPDATE_COMPLETE');
      // deleting it deletes the function: denied to Ops (DELETE_FAILED), allowed to the deploy role
      await other.send(new DeleteStackCommand({ StackName: 'other-stack' }));
      expect((await waitForStack(other, 'other-stack')).at(-1)).toBe('DELETE_FAILED');
      await deployer.send(new DeleteStackCommand({ StackName: 'other-stack' }));
      await waitForStack(deployer, 'other-stack').catch(() => undefined);
      expect((await errorOf(deployer.send(new DescribeStacksCommand({ StackName: 'other-stack' })))).message).toMatch(
        /does not exist/,
      );
    } finally {
      deployer.destroy();
      other.destroy();
    }
  });
});

describe('termination protection', () => {
  it('DeleteStack is refused while it is on; UpdateTerminationProtection lifts it', async () => {
    const cfn = new CloudFormationClient({
      ...clientConfig(sim, REGION, await assumeInto(sim, members[1]!)),
      maxAttempts: 1,
    });
    try {
      await cfn.send(
        new CreateStackCommand({
          StackName: 'kept',
          TemplateBody: GUARDRAIL_TEMPLATE,
          Capabilities: ['CAPABILITY_IAM'],
          EnableTerminationProtection: true,
        }),
      );
      await waitForStack(cfn, 'kept');
      expect(
        (await cfn.send(new DescribeStacksCommand({ StackName: 'kept' }))).Stacks?.[0]?.EnableTerminationProtection,
      ).toBe(true);
      const refused = await errorOf(cfn.send(new DeleteStackCommand({ StackName: 'kept' })));
      expect(refused.name).toBe('ValidationError');
      expect(refused.message).toBe('Stack [kept] cannot be deleted while TerminationProtection is enabled');
      expect((await cfn.send(new DescribeStacksCommand({ StackName: 'kept' }))).Stacks?.[0]?.StackStatus).toBe(
        'CREATE_COMPLETE',
      );
      await cfn.send(new UpdateTerminationProtectionCommand({ StackName: 'kept', EnableTerminationProtection: false }));
      await cfn.send(new DeleteStackCommand({ StackName: 'kept' }));
      await waitForStack(cfn, 'kept').catch(() => undefined);
      expect((await errorOf(cfn.send(new DescribeStacksCommand({ StackName: 'kept' })))).message).toMatch(
        /does not exist/,
      );
    } finally {
      cfn.destroy();
    }
  });
});
