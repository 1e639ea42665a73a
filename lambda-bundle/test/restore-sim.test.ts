// Restore, never destroy, in the simulator's closed loop: the built bundle behind its queue in a member account,
// changes made through the SDK as a member admin would, the rule records in the store's table
// (templates/approvals.yaml, deployed by CloudFormation in the management account, its policy admitting the function's
// role), and AWS Config's recorder switched on where a case needs it.
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromItem, recordsKey, toItem } from '../src/rule-records.js';
import { whenLoopIdle } from '../../test/sim/loop.js';
import { captureGroup, setRecording } from '../../test/sim/services/config.js';
import { hexId, regionState } from '../../test/sim/state.js';
import type { SimServer } from '../../test/sim/server.js';
import { deployBehindQueue } from '../../test/sim/test/sim-resources.js';
import {
  assumeInto,
  clientConfig,
  memberIds,
  startTestSim,
  waitFor,
  type TestCredentials,
} from '../../test/sim/test/helpers.js';

const region = 'us-east-1';
const NAME = 'guardrail-restore';
let sim: SimServer;
let account: string;
let mgmt: string;
/** the store's tables, in the management account */
let approvalsArn: string;
let rulesArn: string;
let admin: TestCredentials;
let ec2: EC2Client;
let ddb: DynamoDBClient;
const outdir = mkdtempSync(join(tmpdir(), 'guardrail-restore-'));

const PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['ec2.amazonaws.com'],
    eventName: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifySecurityGroupRules'],
    errorCode: [{ exists: false }],
  },
};

/** The approval store's stack, as `guardrail deploy` deploys it: its policy trusts the function role of this test. */
async function deployStore(): Promise<void> {
  const cfn = new CloudFormationClient(clientConfig(sim, region));
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: 'guardrail-approvals',
        TemplateBody: readFileSync(new URL('../../templates/approvals.yaml', import.meta.url), 'utf8'),
        Parameters: [
          { ParameterKey: 'TableName', ParameterValue: 'guardrail-approvals' },
          { ParameterKey: 'OrganizationId', ParameterValue: sim.state.org.id },
          { ParameterKey: 'FunctionRolePatterns', ParameterValue: `arn:aws:iam::*:role/${NAME}-role` },
        ],
      }),
    );
    const outputs = await waitFor(async () => {
      const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail-approvals' }))).Stacks?.[0];
      return stack?.StackStatus === 'CREATE_COMPLETE' ? (stack.Outputs ?? []) : undefined;
    });
    approvalsArn = outputs.find((o) => o.OutputKey === 'TableArn')!.OutputValue!;
    rulesArn = outputs.find((o) => o.OutputKey === 'RulesTableArn')!.OutputValue!;
  } finally {
    cfn.destroy();
  }
}

/** The function as the template wires it: its queue, the event source mapping, the rule, and the store's table ARN. */
async function deploy(): Promise<void> {
  await deployBehindQueue(sim, admin, {
    account,
    region,
    name: NAME,
    code: readFileSync(join(outdir, 'index.js'), 'utf8'),
    timeout: 30,
    pattern: PATTERN,
    environment: { GUARDRAIL_APPROVALS_TABLE: approvalsArn, GUARDRAIL_RULES_TABLE: rulesArn },
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, [new URL('../build.mjs', import.meta.url).pathname, '--outdir', outdir], {
    stdio: 'ignore',
  });
  sim = await startTestSim({ accounts: 1, regions: [region] });
  account = memberIds(sim)[0]!;
  mgmt = sim.state.org.managementAccountId;
  admin = await assumeInto(sim, account);
  ec2 = new EC2Client({ ...clientConfig(sim, region, admin), maxAttempts: 5 });
  // the store's account writes baseline records (as `guardrail baseline` will, with the store account's credentials)
  ddb = new DynamoDBClient(clientConfig(sim, region));
  await deployStore();
  await deploy();
});

afterAll(async () => {
  ec2?.destroy();
  ddb?.destroy();
  await sim?.close();
  rmSync(outdir, { recursive: true, force: true });
});

let n = 0;
/**
 * A group whose rule was there before guardrail: tcp/5432 from 10.0.0.0/16 ("app", tagged team=data). The rule is put
 * straight into the simulator's state, as a rule of the past (an API call now would be guardrail's to revert), and
 * AWS Config, where the account records, captures it as it would have.
 */
async function existing(): Promise<{ groupId: string; db: SecurityGroupRule }> {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `restore-${++n}`, Description: 'db' }),
  );
  const groupId = GroupId!;
  const rs = regionState(sim.state, account, region);
  const ruleId = `sgr-${hexId(sim.state, 17)}`;
  rs.securityGroups.get(groupId)!.rules.set(ruleId, {
    ruleId,
    groupId,
    groupOwnerId: account,
    isEgress: false,
    ipProtocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    cidrIpv4: '10.0.0.0/16',
    description: 'app',
    tags: { team: 'data' },
  });
  captureGroup(sim.state, rs, groupId);
  const db = (await rules(groupId)).find((r) => r.SecurityGroupRuleId === ruleId)!;
  return { groupId, db };
}

async function rules(groupId: string): Promise<SecurityGroupRule[]> {
  return (
    (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroupRules ?? []
  );
}

/** `guardrail baseline`'s part: the rule as it is, recorded in the store's table, from the store's account. */
async function baseline(groupId: string, r: SecurityGroupRule): Promise<void> {
  await ddb.send(
    new PutItemCommand({
      TableName: rulesArn,
      Item: toItem(
        {
          groupId,
          ruleId: r.SecurityGroupRuleId!,
          isEgress: r.IsEgress === true,
          seenAt: sim.state.clock.now(),
          how: 'baseline',
          definition: {
            ipProtocol: r.IpProtocol!,
            fromPort: r.FromPort,
            toPort: r.ToPort,
            cidrIpv4: r.CidrIpv4,
            description: r.Description,
          },
        },
        account,
        region,
      ),
    }),
  );
}

const modify = (groupId: string, ruleId: string, rule: Record<string, unknown>) =>
  ec2.send(
    new ModifySecurityGroupRulesCommand({
      GroupId: groupId,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: ruleId,
          SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, ...rule },
        },
      ],
    }),
  );

/** The decision lines the function logged for a rule. */
function lines(ruleId: string): Record<string, unknown>[] {
  return regionState(sim.state, account, region)
    .invocations.flatMap((i) => i.logs)
    .flatMap((l) => {
      try {
        const doc = JSON.parse(l) as Record<string, unknown>;
        return Array.isArray(doc.ruleIds) && doc.ruleIds.includes(ruleId) ? [doc] : [];
      } catch {
        return [];
      }
    });
}

describe('restore, never destroy (closed loop, the built bundle)', () => {
  it('widen tcp/5432 10.0.0.0/16 → 0.0.0.0/0: restored to 10.0.0.0/16 with the same rule id and tags, logged with before and after', async () => {
    const { groupId, db } = await existing();
    await baseline(groupId, db);
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '0.0.0.0/0', Description: 'app' });
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    const now = (await rules(groupId)).find((r) => r.SecurityGroupRuleId === db.SecurityGroupRuleId);
    expect(now).toMatchObject({
      CidrIpv4: '10.0.0.0/16',
      FromPort: 5432,
      ToPort: 5432,
      Description: 'app',
      Tags: [{ Key: 'team', Value: 'data' }],
    });
    const line = lines(db.SecurityGroupRuleId!).find((l) => l.action === 'restored');
    expect(line).toMatchObject({
      before: { source: '10.0.0.0/16', fromPort: 5432 },
      after: { source: '0.0.0.0/0', fromPort: 5432 },
      groupId,
    });
    // the function's own ModifySecurityGroupRules came back through the loop and was ignored as its own
    expect(
      lines(db.SecurityGroupRuleId!).some(
        (l) => l.action === 'ignored' && l.reason === "a call by the function's own role",
      ),
    ).toBe(true);
    const key = recordsKey(account, region, groupId);
    const item = (
      await ddb.send(
        new GetItemCommand({ TableName: rulesArn, Key: { pk: { S: key }, id: { S: db.SecurityGroupRuleId! } } }),
      )
    ).Item!;
    expect(fromItem(item, key, groupId, db.SecurityGroupRuleId!)).toMatchObject({
      how: 'restored',
      definition: { cidrIpv4: '10.0.0.0/16' },
    });
  });

  it('a description edit and a narrowing are allowed and logged', async () => {
    const { groupId, db } = await existing();
    await baseline(groupId, db);
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '10.0.0.0/16', Description: 'postgres' });
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '10.0.20.0/24', Description: 'postgres' });
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    expect((await rules(groupId)).find((r) => r.SecurityGroupRuleId === db.SecurityGroupRuleId)).toMatchObject({
      CidrIpv4: '10.0.20.0/24',
      Description: 'postgres',
    });
    const decided = lines(db.SecurityGroupRuleId!).map((l) => [l.action, String(l.reason).split(';')[0]]);
    expect(decided).toEqual([
      ['allowed', 'description only'],
      ['allowed', 'narrower than before (tcp/5432 10.0.0.0/16 → tcp/5432 10.0.20.0/24)'],
    ]);
  });

  it('a rule guardrail has no record of, and Config does not know: failed, notified in the log at error, nothing deleted', async () => {
    const { groupId, db } = await existing();
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '0.0.0.0/0' });
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    const now = await rules(groupId);
    expect(now.find((r) => r.SecurityGroupRuleId === db.SecurityGroupRuleId)).toMatchObject({ CidrIpv4: '0.0.0.0/0' });
    expect(lines(db.SecurityGroupRuleId!)).toEqual([
      expect.objectContaining({
        action: 'failed',
        level: 'error',
        reason:
          'previous definition unknown (no guardrail record; AWS Config records nothing in this region); left as it is (onModifyUnknown=alert)',
      }),
    ]);
  });

  it("no record, but Config records the account: restored from Config's capture before the event", async () => {
    setRecording(sim.state, account, true, region);
    try {
      const { groupId, db } = await existing();
      // Config records with a delay: the capture is well before the modification
      await fetch(`${sim.endpoint}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: 120 }) });
      await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '0.0.0.0/0' });
      expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
      expect((await rules(groupId)).find((r) => r.SecurityGroupRuleId === db.SecurityGroupRuleId)).toMatchObject({
        CidrIpv4: '10.0.0.0/16',
      });
      const line = lines(db.SecurityGroupRuleId!).find((l) => l.action === 'restored');
      expect(String(line?.reason)).toContain("previous definition from AWS Config's capture of");
    } finally {
      setRecording(sim.state, account, false, region);
    }
  });

  it('attack: a member admin cannot write a "previous definition" into the store, not even for its own account', async () => {
    expect(rulesArn).toContain(`:${mgmt}:table/guardrail-approvals-rules`);
    const member = new DynamoDBClient(clientConfig(sim, region, admin));
    try {
      const forged = toItem(
        {
          groupId: 'sg-0123456789abcdef0',
          ruleId: 'sgr-0123456789abcdef0',
          isEgress: false,
          seenAt: Date.now(),
          how: 'baseline',
          definition: { ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' },
        },
        account,
        region,
      );
      const err = await member.send(new PutItemCommand({ TableName: rulesArn, Item: forged })).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.name).toBe('AccessDeniedException');
    } finally {
      member.destroy();
    }
  });

  it('attack: a forged record claiming a wide "before" changes nothing; the real widening is still restored', async () => {
    const { groupId, db } = await existing();
    await baseline(groupId, db);
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '0.0.0.0/0' });
    const real = regionState(sim.state, account, region).events.at(-1)!.event.detail as Record<string, unknown>;
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    // the same call again, carrying a "previous definition" of 0.0.0.0/0 wherever a careless reader might look
    const forged = structuredClone(real);
    const rp = forged.requestParameters as { ModifySecurityGroupRulesRequest: Record<string, unknown> };
    rp.ModifySecurityGroupRulesRequest.PreviousSecurityGroupRule = {
      CidrIpv4: '0.0.0.0/0',
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
    };
    Object.assign(forged, { eventID: '00000000-0000-4000-8000-00000000f0f0', before: { CidrIpv4: '0.0.0.0/0' } });
    // and the rule widened again, so that a forged "before" would make the widening look like no change
    await modify(groupId, db.SecurityGroupRuleId!, { CidrIpv4: '0.0.0.0/0' });
    await fetch(`${sim.endpoint}/_sim/cloudtrail`, {
      method: 'POST',
      body: JSON.stringify({ account, region, record: forged }),
    });
    expect(await whenLoopIdle(sim.state, 60_000)).toBe(true);
    expect((await rules(groupId)).find((r) => r.SecurityGroupRuleId === db.SecurityGroupRuleId)).toMatchObject({
      CidrIpv4: '10.0.0.0/16',
    });
    const decided = lines(db.SecurityGroupRuleId!).filter((l) => l.action !== 'ignored');
    expect(decided.length).toBeGreaterThanOrEqual(2);
    for (const l of decided) expect(l).toMatchObject({ before: { source: '10.0.0.0/16' } });
    expect(decided.map((l) => l.action).every((a) => a === 'restored')).toBe(true);
  });
});
