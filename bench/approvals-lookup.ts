// `npx tsx bench/approvals-lookup.ts [N]`: what the approval lookup adds to a reverted change, in the simulator.
// Three accounts run the built function: without approvals; with approvals and none on the group (one Query); with
// an approval on the group that does not cover the change (one Query and one DescribeSecurityGroupRules). Each
// opens N ports one after another (each reverted); the figure is the function's own duration, warm, median and p90.
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConfig } from '../src/config/schema.js';
import { templateSettings } from '../src/engines/render.js';
import { loadFunctionCode, loadTemplateSource, renderTemplate } from '../src/stack/template.js';
import { whenLoopIdle } from '../test/sim/loop.js';
import { startSim } from '../test/sim/sim.js';
import { regionState } from '../test/sim/state.js';
import { assumeInto, clientConfig, memberIds } from '../test/sim/test/helpers.js';

const N = Number(process.argv[2] ?? 40);
const REGION = 'us-east-1';
const sim = await startSim({ accounts: 3, regions: [REGION], stackMs: 20, port: 0 });
const mgmt = sim.state.org.managementAccountId;

async function stack(
  creds: Parameters<typeof clientConfig>[2],
  name: string,
  body: string,
  params: Record<string, string> = {},
): Promise<void> {
  const cfn = new CloudFormationClient(clientConfig(sim, REGION, creds));
  await cfn.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: body,
      Capabilities: ['CAPABILITY_IAM'],
      Parameters: Object.entries(params).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    }),
  );
  for (;;) {
    const s = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    if (s?.StackStatus === 'CREATE_COMPLETE') break;
    if (!s?.StackStatus?.endsWith('IN_PROGRESS')) throw new Error(`${name}: ${s?.StackStatus}`);
    await sleep(10);
  }
  cfn.destroy();
}

await stack(
  undefined,
  'guardrail-approvals',
  readFileSync(new URL('../templates/approvals.yaml', import.meta.url), 'utf8'),
  { OrganizationId: sim.state.org.id, FunctionRolePatterns: 'arn:aws:iam::*:role/guardrail-FunctionRole-*' },
);
const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
const off = defaultConfig();
const on = defaultConfig();
on.approvals.enabled = true;
const [plain, approving, covered] = memberIds(sim);
const figures: Record<string, number[]> = {};

async function measure(
  label: string,
  account: string,
  approvals: boolean,
  seed?: (groupId: string) => Promise<void>,
): Promise<void> {
  const creds = await assumeInto(sim, account);
  await stack(creds, 'guardrail', renderTemplate(source, code, templateSettings(approvals ? on : off, mgmt)).body);
  const ec2 = new EC2Client(clientConfig(sim, REGION, creds));
  const groupId = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.GroupId!;
  await seed?.(groupId);
  const rs = regionState(sim.state, account, REGION);
  for (let i = 0; i < N + 3; i++) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 1000 + i, ToPort: 1000 + i, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    await whenLoopIdle(sim.state, 20_000);
  }
  const bad = rs.invocations.filter(
    (inv) =>
      inv.status !== 'succeeded' ||
      !(inv.result as { decisions: { action: string }[] }).decisions.every((d) => d.action === 'reverted'),
  );
  if (bad.length) throw new Error(`${label}: ${JSON.stringify(bad[0])}`);
  figures[label] = rs.invocations
    .slice(3)
    .map((inv) => inv.durationMs)
    .sort((a, b) => a - b);
  ec2.destroy();
}

await measure('approvals off', plain!, false);
await measure('approvals on, none for the group', approving!, true);
await measure('approvals on, one that does not cover', covered!, true, async (groupId) => {
  const ddb = new DynamoDBClient(clientConfig(sim, REGION));
  const exp = Math.floor(sim.state.clock.now() / 1000) + 3600;
  await ddb.send(
    new PutItemCommand({
      TableName: 'guardrail-approvals',
      Item: {
        pk: { S: `${covered}/${REGION}/${groupId}` },
        id: { S: 'apr-00000000000000b1' },
        groupId: { S: groupId },
        approver: { S: 'bench' },
        expiresAt: { N: String(exp) },
        rules: {
          S: JSON.stringify([
            { direction: 'ingress', protocol: 'tcp', fromPort: 443, toPort: 443, source: '203.0.113.0/24' },
          ]),
        },
      },
    }),
  );
  ddb.destroy();
});
await sim.close();

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const base = q(figures['approvals off']!, 0.5);
for (const [label, xs] of Object.entries(figures)) {
  console.log(
    `${label.padEnd(40)} median ${q(xs, 0.5)} ms  p90 ${q(xs, 0.9)} ms  (+${q(xs, 0.5) - base} ms at the median; n=${xs.length})`,
  );
}
