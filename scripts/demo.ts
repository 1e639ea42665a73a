// `npm run demo`: the whole story against the simulated AWS, with no AWS account, in under a minute. Every step
// prints the real command and the real output of bin/guardrail.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, EC2Client,
} from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'guardrail');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const started = Date.now();
let step = 0;

function heading(text: string): void {
  step++;
  process.stdout.write(`\n${bold(`── ${step}. ${text}`)} ${dim(`(${((Date.now() - started) / 1000).toFixed(1)} s)`)}\n`);
}

function show(command: string): void {
  process.stdout.write(`${bold('$')} ${command}\n`);
}

interface Ready { endpoint: string; managementAccountId: string; accounts: { id: string; name: string }[] }

async function startSimulator(): Promise<{ child: ChildProcess; ready: Ready }> {
  const args = ['--import', 'tsx', join(root, 'test', 'sim', 'main.ts'), '--accounts', '11', '--regions', 'us-east-1,eu-west-1',
    '--port', '0', '--stack-ms', '400'];
  show(`npm run --silent sim -- --accounts 11 --regions us-east-1,eu-west-1 --port 0 --stack-ms 400   ${dim('# 12 accounts with the management account')}`);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  // however the demo ends (even a closed pipe), the simulator ends with it
  process.once('exit', () => child.kill('SIGTERM'));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready`)));
  });
  const ready = JSON.parse(line) as Ready;
  process.stdout.write(`${dim(`simulated organisation at ${ready.endpoint}: ${ready.accounts.length} accounts, management ${ready.managementAccountId}`)}\n`);
  return { child, ready };
}

async function guardrail(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  show(`guardrail ${args.join(' ')}`);
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const { child: sim, ready } = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-demo-'));
  const env = {
    ...process.env, AWS_ENDPOINT_URL: ready.endpoint, AWS_ACCESS_KEY_ID: 'AKIDDEMO', AWS_SECRET_ACCESS_KEY: 'demo',
    AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
  };
  const sdk = { endpoint: ready.endpoint, region: 'us-east-1' };
  const admin = (path: string, body: unknown) => fetch(`${ready.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) })
    .then((r) => r.json() as Promise<Record<string, string>>);
  const members = ready.accounts.filter((a) => a.id !== ready.managementAccountId);
  const [victim, tampered, leaver] = [members[0]!, members[1]!, members[2]!];

  try {
    // the role that the policy allows: network admins may open ports
    await admin('/_sim/roles', { account: victim.id, roleName: 'NetworkAdmin', trustedAccount: ready.managementAccountId });
    writeFileSync(join(dir, 'accounts.yaml'), [
      'regions: [us-east-1, eu-west-1]',
      'policy:',
      '  mode: enforce',
      '  allowPrincipals: ["arn:aws:iam::*:role/NetworkAdmin"]',
      'deploy: { concurrency: 16, pollSeconds: 2 }',
      'approvals: { enabled: true, maxDuration: 1d, sweepMinutes: 5 }',
      '',
    ].join('\n'));

    heading('Deploy guardrail to every account and region of the organisation');
    show(`cat accounts.yaml\n${dim(`regions: [us-east-1, eu-west-1]\npolicy: { mode: enforce, allowPrincipals: ["arn:aws:iam::*:role/NetworkAdmin"] }\napprovals: { enabled: true, maxDuration: 1d, sweepMinutes: 5 }`)}`);
    const deployCode = await guardrail(['deploy', '--all-accounts', '--yes'], env, dir);
    if (deployCode !== 0) throw new Error(`deploy exited ${deployCode}`);

    const credsFor = async (account: string, role: string, session: string) => {
      const out = await new STSClient({ ...sdk, credentials: { accessKeyId: 'AKIDDEMO', secretAccessKey: 'demo' } })
        .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: session }));
      const c = out.Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    };
    const openPort22 = async (role: string, session: string) => {
      const ec2 = new EC2Client({ ...sdk, credentials: await credsFor(victim.id, role, session) });
      const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
      const groupId = groups.SecurityGroups![0]!.GroupId!;
      show(`aws ec2 authorize-security-group-ingress --group-id ${groupId} --protocol tcp --port 22 --cidr 0.0.0.0/0   ${dim(`# as ${role} in ${victim.name} (${victim.id})`)}`);
      const out = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }));
      const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
      process.stdout.write(`${dim(`rule ${ruleId} added: 0.0.0.0/0 → tcp/22`)}\n`);
      const t0 = Date.now();
      let gone = false;
      while (Date.now() - t0 < 3000) {
        const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
        gone = !rules.SecurityGroupRules!.some((r) => r.SecurityGroupRuleId === ruleId);
        if (gone) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      ec2.destroy();
      return { ruleId, gone, ms: Date.now() - t0 };
    };

    heading('Someone opens port 22 to the world: guardrail closes it');
    const attack = await openPort22('OrganizationAccountAccessRole', 'intern');
    process.stdout.write(attack.gone
      ? `rule ${attack.ruleId} is gone ${attack.ms} ms later: reverted\n`
      : `rule ${attack.ruleId} is still there after ${attack.ms} ms\n`);
    const invocations = await fetch(`${ready.endpoint}/_sim/invocations?account=${victim.id}&region=us-east-1`)
      .then((r) => r.json() as Promise<{ invocations: { logs: string[] }[] }>);
    const logLine = invocations.invocations.flatMap((i) => i.logs).find((l) => l.includes(attack.ruleId) && l.includes('reverted'));
    process.stdout.write(`the function's log line:\n  ${logLine ?? '(not found)'}\n`);
    if (!attack.gone) throw new Error('the change was not reverted');

    heading('A network admin (an allowed principal) makes the same change: it stays');
    const allowed = await openPort22('NetworkAdmin', 'alice');
    process.stdout.write(allowed.gone ? `rule ${allowed.ruleId} was removed\n` : `rule ${allowed.ruleId} is still there after ${allowed.ms} ms: allowed, kept\n`);
    if (allowed.gone) throw new Error('an allowed change was reverted');

    heading('A partner needs 443 for ten minutes: approve it; the approved rule stays, the rest is reverted, and it expires');
    {
      const ec2 = new EC2Client({ ...sdk, credentials: await credsFor(victim.id, 'OrganizationAccountAccessRole', 'web-team') });
      const groupId = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }))).SecurityGroups![0]!.GroupId!;
      const approveCode = await guardrail(['approve', '--account', victim.id, '--region', 'us-east-1', '--group', groupId,
        '--rule', 'tcp/443 203.0.113.0/24', '--for', '10m', '--reason', 'partner test CHG-1234'], env, dir);
      if (approveCode !== 0) throw new Error(`approve exited ${approveCode}`);
      show(`aws ec2 authorize-security-group-ingress --group-id ${groupId} --ip-permissions tcp/443 from 203.0.113.0/25, tcp/3389 from 0.0.0.0/0   ${dim('# one request')}`);
      const out = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/25' }] },
        { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
      const [kept, opened] = out.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!);
      const rulesNow = async () => (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroupRules!;
      let now = await rulesNow();
      for (let i = 0; i < 60 && now.some((r) => r.SecurityGroupRuleId === opened); i++) {
        await new Promise((r) => setTimeout(r, 50));
        now = await rulesNow();
      }
      const tags = (now.find((r) => r.SecurityGroupRuleId === kept)?.Tags ?? []).map((t) => `${t.Key}=${t.Value}`).join(' ');
      process.stdout.write(`tcp/443 rule ${kept}: ${tags ? `kept, tagged ${tags}` : 'gone'}\n`);
      process.stdout.write(`tcp/3389 rule ${opened}: ${now.some((r) => r.SecurityGroupRuleId === opened) ? 'still there' : 'reverted'}\n`);
      show(`curl -X POST ${ready.endpoint}/_sim/clock -d '{"advanceSeconds":900}'   ${dim('# fifteen simulated minutes later: the sweep runs')}`);
      await admin('/_sim/clock', { advanceSeconds: 900 });
      const after = await rulesNow();
      process.stdout.write(`tcp/443 rule ${kept}: ${after.some((r) => r.SecurityGroupRuleId === kept) ? 'still there' : 'revoked as expired'}\n`);
      ec2.destroy();
      if (!tags || after.some((r) => r.SecurityGroupRuleId === kept)) throw new Error('the approval story did not play out');
    }

    heading(`An admin in ${tampered.name} quietly disables guardrail's rule; status catches it`);
    show(`aws events disable-rule --name guardrail-sg-changes   ${dim(`# in ${tampered.name} (${tampered.id}), us-east-1`)}`);
    await new EventBridgeClient({ ...sdk, credentials: await credsFor(tampered.id, 'OrganizationAccountAccessRole', 'mallory') })
      .send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' }));
    const statusCode = await guardrail(['status'], env, dir);
    process.stdout.write(dim(`status exited ${statusCode} (1: a target is unhealthy, so a scheduled job alerts)\n`));
    if (statusCode !== 1) throw new Error(`status exited ${statusCode}, expected 1`);

    heading(`Remove guardrail from ${leaver.name}: the stacks go, the audit logs stay`);
    const removeCode = await guardrail(['remove', '--account', leaver.id, '--yes'], env, dir);
    if (removeCode !== 0) throw new Error(`remove exited ${removeCode}`);
  } finally {
    heading('Stop the simulator');
    sim.kill('SIGTERM');
    await new Promise((r) => sim.once('exit', r));
    process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
