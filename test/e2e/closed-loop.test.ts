// The closed loop, end to end in the simulator: the template rendered exactly as deploy renders it (the built
// revert function inlined) is deployed through the CloudFormation SDK into member accounts. Opening 0.0.0.0/0 on
// port 22 is then reverted by the deployed function (in about half a second cold and a few milliseconds warm on an
// idle machine; the test prints its figures); an allowed principal's change stays; in monitor mode the change stays
// and an SNS message is recorded.
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadFunctionCode,
  loadTemplateSource,
  renderTemplate,
  type TemplateSettings,
} from '../../src/stack/template.js';
import type { SimServer } from '../sim/server.js';
import {
  assumeInto,
  clientConfig,
  memberIds,
  startTestSim,
  templateUrl,
  waitFor,
  type TestCredentials,
} from '../sim/test/helpers.js';
import { decisionsOf } from './harness.js';

const REGION = 'us-east-1';
const STACK = 'guardrail';
const ALLOWED_ROLE = 'NetworkAdmin';

const settings = (overrides: Partial<TemplateSettings>): TemplateSettings => ({
  mode: 'enforce',
  directions: ['ingress', 'egress'],
  onModify: 'revoke',
  allowPrincipals: [`arn:aws:iam::*:role/${ALLOWED_ROLE}`],
  exemptTag: 'guardrail:exempt=true',
  exemptGroups: [],
  onlyVpcs: [],
  onlyTag: null,
  notificationEmail: 'secops@example.com',
  notificationTopicArn: null,
  createTrail: false,
  homeRegion: REGION,
  trailRetentionDays: 30,
  ...overrides,
});

interface Decision {
  groupId: string;
  ruleIds: string[];
  direction: string;
  action: string;
  reason: string;
}
interface InvocationRecord {
  account: string;
  region: string;
  status: string;
  result?: { decisions?: Decision[] };
}

let sim: SimServer;
const clients: { destroy(): void }[] = [];

function track<T extends { destroy(): void }>(c: T): T {
  clients.push(c);
  return c;
}

async function deployStack(account: string, body: string): Promise<void> {
  const creds = await assumeInto(sim, account);
  const cfn = track(new CloudFormationClient(clientConfig(sim, REGION, creds)));
  // past TemplateBody's 51,200 bytes, as deploy sends it: a presigned URL of the template in S3
  await cfn.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateURL: await templateUrl(sim, REGION, creds, body),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  // stack operations keep real time (stackMs), not the simulator's clock: poll until this one has finished
  let status: string | undefined;
  await waitFor(
    async () => {
      const s = (await cfn.send(new DescribeStacksCommand({ StackName: STACK }))).Stacks?.[0];
      status = s?.StackStatus;
      if (status === 'CREATE_COMPLETE') return true;
      if (!status?.endsWith('_IN_PROGRESS'))
        throw new Error(`stack in ${account} ended in ${status}: ${s?.StackStatusReason}`);
      return undefined;
    },
    15_000,
    { everyMs: 25, what: () => `stack in ${account} still ${status}` },
  );
}

async function defaultGroup(ec2: EC2Client): Promise<string> {
  const out = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  const id = out.SecurityGroups?.[0]?.GroupId;
  if (!id) throw new Error('no default security group');
  return id;
}

/** Opens a port to the world and returns the new rule's id. */
async function openPort(ec2: EC2Client, groupId: string, port: number): Promise<string> {
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const id = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
  if (!id) throw new Error('Authorize returned no rule id');
  return id;
}

async function ruleIds(ec2: EC2Client, groupId: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (out.SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId ?? '');
}

/** Polls DescribeSecurityGroupRules until the rule is gone and returns the time it took (real time: it is measured). */
function timeUntilGone(
  ec2: EC2Client,
  groupId: string,
  ruleId: string,
  since: number,
  limitMs: number,
  what: string,
): Promise<number> {
  return waitFor(
    async () => ((await ruleIds(ec2, groupId)).includes(ruleId) ? undefined : Date.now() - since),
    limitMs,
    { what: () => `${what}: rule ${ruleId} still there` },
  );
}

/** Waits until the function has recorded a decision about this rule, and returns it. */
async function decisionFor(account: string, ruleId: string): Promise<Decision> {
  let invocations: InvocationRecord[] = [];
  // generous (a cold start took 9.5 s under heavy load): a deadline, not a measurement
  return waitFor(
    async () => {
      const res = await fetch(`${sim.endpoint}/_sim/invocations?account=${account}&region=${REGION}`);
      ({ invocations } = (await res.json()) as { invocations: InvocationRecord[] });
      return invocations.flatMap((inv) => decisionsOf<Decision>(inv.result)).find((x) => x.ruleIds.includes(ruleId));
    },
    60_000,
    { everyMs: 20, what: () => `no decision about ${ruleId} in ${account}: ${JSON.stringify(invocations)}` },
  );
}

async function snsMessages(
  account: string,
): Promise<{ topicArn: string; subject?: string; message: string; publishedBy: string }[]> {
  const res = await fetch(`${sim.endpoint}/_sim/state`);
  const state = (await res.json()) as {
    accounts: Record<
      string,
      {
        regions: Record<
          string,
          { snsMessages: { topicArn: string; subject?: string; message: string; publishedBy: string }[] }
        >;
      }
    >;
  };
  return state.accounts[account]?.regions[REGION]?.snsMessages ?? [];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

describe('closed loop: the rendered template deployed through CloudFormation', () => {
  let enforced: string[];
  let monitored: string;
  const admin = new Map<string, { creds: TestCredentials; ec2: EC2Client; groupId: string }>();

  beforeAll(async () => {
    sim = await startTestSim({ accounts: 4, regions: [REGION], stackMs: 50 });
    const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
    const enforce = renderTemplate(source, code, settings({ mode: 'enforce' }));
    const monitor = renderTemplate(source, code, settings({ mode: 'monitor' }));
    expect(enforce.version).not.toBe(monitor.version);
    const members = memberIds(sim);
    enforced = members.slice(0, 3);
    monitored = members[3]!;
    await Promise.all([...enforced.map((a) => deployStack(a, enforce.body)), deployStack(monitored, monitor.body)]);
    for (const account of [...enforced, monitored]) {
      const creds = await assumeInto(sim, account, { sessionName: 'someone-with-admin' });
      const ec2 = track(new EC2Client(clientConfig(sim, REGION, creds)));
      admin.set(account, { creds, ec2, groupId: await defaultGroup(ec2) });
    }
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await sim?.close();
  });

  // How fast is measured and printed, not asserted to the millisecond: on an idle 2-core machine the cold revert takes
  // about 0.5 s and a warm one a few milliseconds, but a cold start took 9.5 s (warm median 0.3 s) while the machine
  // ran three other suites. The bounds below fail only if the revert waits on something it should not (a retry, a
  // queue, a poll): 30 s for any sample, and the warm samples' median under 2 s.
  it('reverts 0.0.0.0/0 on port 22 in each of three accounts, cold and warm', async () => {
    const samples: { account: string; round: number; ms: number }[] = [];
    for (let round = 0; round < 3; round++) {
      for (const account of enforced) {
        const { ec2, groupId } = admin.get(account)!;
        const before = await ruleIds(ec2, groupId);
        const started = Date.now();
        const ruleId = await openPort(ec2, groupId, 22);
        const ms = await timeUntilGone(ec2, groupId, ruleId, started, 30_000, `${account} round ${round}`);
        samples.push({ account, round, ms });
        // exactly the added rule went; the group's own rules stayed
        expect((await ruleIds(ec2, groupId)).sort()).toEqual(before.sort());
        const d = await decisionFor(account, ruleId);
        expect(d).toMatchObject({ groupId, action: 'reverted', direction: 'ingress' });
      }
    }
    const cold = samples.filter((s) => s.round === 0).map((s) => s.ms);
    const warm = samples.filter((s) => s.round > 0).map((s) => s.ms);
    console.log(
      `[closed-loop] Authorize → rule gone: median ${median(samples.map((s) => s.ms))} ms over ${samples.length}` +
        ` (cold ${cold.join('/')} ms, warm median ${median(warm)} ms)`,
    );
    expect(median(warm)).toBeLessThan(2_000);
    // each revert was the first attempt of one invocation: nothing failed and was retried
    const invocations = (
      (await (await fetch(`${sim.endpoint}/_sim/invocations?region=${REGION}`)).json()) as {
        invocations: (InvocationRecord & { attempt: number })[];
      }
    ).invocations.filter((i) => enforced.includes(i.account));
    expect(invocations).toHaveLength(samples.length);
    expect(invocations.every((i) => i.attempt === 1 && i.status === 'succeeded')).toBe(true);
  }, 300_000);

  it("leaves an allowed principal's change in place", async () => {
    const account = enforced[0]!;
    const res = await fetch(`${sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account, roleName: ALLOWED_ROLE }),
    });
    expect(res.status).toBe(200);
    const creds = await assumeInto(sim, account, { roleName: ALLOWED_ROLE, sessionName: 'network-admin' });
    const ec2 = track(new EC2Client(clientConfig(sim, REGION, creds)));
    const groupId = admin.get(account)!.groupId;
    const ruleId = await openPort(ec2, groupId, 22);
    const d = await decisionFor(account, ruleId);
    expect(d).toMatchObject({ groupId, action: 'allowed' });
    expect(await ruleIds(ec2, groupId)).toContain(ruleId);
  });

  it('in monitor mode leaves the change in place and publishes an SNS message', async () => {
    const { ec2, groupId } = admin.get(monitored)!;
    const before = await snsMessages(monitored);
    const ruleId = await openPort(ec2, groupId, 22);
    const d = await decisionFor(monitored, ruleId);
    expect(d).toMatchObject({ groupId, action: 'monitored' });
    expect(await ruleIds(ec2, groupId)).toContain(ruleId);

    const after = await snsMessages(monitored);
    const fresh = after.slice(before.length);
    expect(fresh).toHaveLength(1);
    // the template's own topic, published to by the function's role, naming the group and the rule
    expect(fresh[0]!.topicArn).toMatch(new RegExp(`^arn:aws:sns:${REGION}:${monitored}:`));
    expect(fresh[0]!.publishedBy).toMatch(new RegExp(`^arn:aws:sts::${monitored}:assumed-role/`));
    expect(fresh[0]!.message).toContain(groupId);
    expect(fresh[0]!.message).toContain(ruleId);
  });
});
