// `npm run demo`: the whole story against the simulated AWS, with no AWS account, in under a minute. Every step
// prints the real command and the real output of bin/guardrail.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { CloudFormationClient, ListStackInstancesCommand } from '@aws-sdk/client-cloudformation';
import { ExitCode } from '../src/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'guardrail');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const started = Date.now();
let step = 0;

function heading(text: string): void {
  step++;
  process.stdout.write(
    `\n${bold(`── ${step}. ${text}`)} ${dim(`(${((Date.now() - started) / 1000).toFixed(1)} s)`)}\n`,
  );
}

function show(command: string): void {
  process.stdout.write(`${bold('$')} ${command}\n`);
}

interface Ready {
  endpoint: string;
  managementAccountId: string;
  accounts: { id: string; name: string }[];
}

async function startSimulator(): Promise<{ child: ChildProcess; ready: Ready }> {
  const args = [
    '--import',
    'tsx',
    join(root, 'test', 'sim', 'main.ts'),
    '--accounts',
    '11',
    '--regions',
    'us-east-1,eu-west-1',
    '--port',
    '0',
    '--stack-ms',
    '400',
  ];
  show(
    `npm run --silent sim -- --accounts 11 --regions us-east-1,eu-west-1 --port 0 --stack-ms 400   ${dim('# 12 accounts with the management account')}`,
  );
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  // however the demo ends (even a closed pipe), the simulator ends with it
  process.once('exit', () => child.kill('SIGTERM'));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready`)));
  });
  const ready = JSON.parse(line) as Ready;
  process.stdout.write(
    `${dim(`simulated organisation at ${ready.endpoint}: ${ready.accounts.length} accounts, management ${ready.managementAccountId}`)}\n`,
  );
  return { child, ready };
}

/** An argument as a shell takes it: quoted when it holds anything but plain characters (so commands copy-paste). */
function shellArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

async function guardrail(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  show(`guardrail ${args.map(shellArg).join(' ')}`);
  const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: 'inherit' });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const { child: sim, ready } = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-demo-'));
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: ready.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDDEMO',
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const sdk = { endpoint: ready.endpoint, region: 'us-east-1' };
  const admin = (path: string, body: unknown) =>
    fetch(`${ready.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<Record<string, string>>,
    );
  const members = ready.accounts.filter((a) => a.id !== ready.managementAccountId);
  const [victim, tampered, leaver, guarded] = [members[0]!, members[1]!, members[2]!, members[3]!];

  try {
    // the role that the policy allows: network admins may open ports
    await admin('/_sim/roles', {
      account: victim.id,
      roleName: 'NetworkAdmin',
      trustedAccount: ready.managementAccountId,
    });
    writeFileSync(
      join(dir, 'accounts.yaml'),
      [
        'regions: [us-east-1, eu-west-1]',
        'policy:',
        '  mode: enforce',
        '  allowPrincipals: ["arn:aws:iam::*:role/NetworkAdmin"]',
        'deploy: { concurrency: 16, pollSeconds: 2 }',
        'approvals: { enabled: true, maxDuration: 1d, sweepMinutes: 5 }',
        '',
      ].join('\n'),
    );

    heading('Deploy guardrail to every account and region of the organisation');
    show(
      `cat accounts.yaml\n${dim(`regions: [us-east-1, eu-west-1]\npolicy: { mode: enforce, allowPrincipals: ["arn:aws:iam::*:role/NetworkAdmin"] }\napprovals: { enabled: true, maxDuration: 1d, sweepMinutes: 5 }`)}`,
    );
    const deployCode = await guardrail(['deploy', '--all-accounts', '--yes'], env, dir);
    if (deployCode !== ExitCode.ok) throw new Error(`deploy exited ${deployCode}`);

    const credsFor = async (account: string, role: string, session: string) => {
      const out = await new STSClient({
        ...sdk,
        credentials: { accessKeyId: 'AKIDDEMO', secretAccessKey: 'simulated' },
      }).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: session }));
      const c = out.Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    };
    const openPort22 = async (role: string, session: string, target = victim) => {
      const ec2 = new EC2Client({ ...sdk, credentials: await credsFor(target.id, role, session) });
      const groups = await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
      );
      const groupId = groups.SecurityGroups![0]!.GroupId!;
      show(
        `aws ec2 authorize-security-group-ingress --group-id ${groupId} --protocol tcp --port 22 --cidr 0.0.0.0/0   ${dim(`# as ${role} in ${target.name} (${target.id})`)}`,
      );
      const out = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        }),
      );
      const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
      process.stdout.write(`${dim(`rule ${ruleId} added: 0.0.0.0/0 → tcp/22`)}\n`);
      const t0 = Date.now();
      let gone = false;
      while (Date.now() - t0 < 3000) {
        const rules = await ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
        );
        gone = !rules.SecurityGroupRules!.some((r) => r.SecurityGroupRuleId === ruleId);
        if (gone) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      ec2.destroy();
      return { ruleId, gone, ms: Date.now() - t0 };
    };

    heading('Someone opens port 22 to the world: guardrail closes it');
    const attack = await openPort22('OrganizationAccountAccessRole', 'intern');
    process.stdout.write(
      attack.gone
        ? `rule ${attack.ruleId} is gone ${attack.ms} ms later: reverted\n`
        : `rule ${attack.ruleId} is still there after ${attack.ms} ms\n`,
    );
    const invocations = await fetch(`${ready.endpoint}/_sim/invocations?account=${victim.id}&region=us-east-1`).then(
      (r) => r.json() as Promise<{ invocations: { logs: string[] }[] }>,
    );
    const logLine = invocations.invocations
      .flatMap((i) => i.logs)
      .find((l) => l.includes(attack.ruleId) && l.includes('reverted'));
    process.stdout.write(`the function's log line:\n  ${logLine ?? '(not found)'}\n`);
    if (!attack.gone) throw new Error('the change was not reverted');

    heading('A network admin (an allowed principal) makes the same change: it stays');
    const allowed = await openPort22('NetworkAdmin', 'alice');
    process.stdout.write(
      allowed.gone
        ? `rule ${allowed.ruleId} was removed\n`
        : `rule ${allowed.ruleId} is still there after ${allowed.ms} ms: allowed, kept\n`,
    );
    if (allowed.gone) throw new Error('an allowed change was reverted');

    heading(
      'A partner needs 443 for ten minutes: approve it; the approved rule stays, the rest is reverted, and it expires',
    );
    await approvalStory({ env, dir, sdk, admin, credsFor, target: victim, expire: true });

    heading(`An admin in ${tampered.name} quietly disables guardrail's rule; status catches it`);
    show(
      `aws events disable-rule --name guardrail-sg-changes   ${dim(`# in ${tampered.name} (${tampered.id}), us-east-1`)}`,
    );
    await new EventBridgeClient({
      ...sdk,
      credentials: await credsFor(tampered.id, 'OrganizationAccountAccessRole', 'mallory'),
    }).send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' }));
    const statusCode = await guardrail(['status'], env, dir);
    process.stdout.write(dim(`status exited ${statusCode} (1: a target is unhealthy, so a scheduled job alerts)\n`));
    if (statusCode !== ExitCode.failed) throw new Error(`status exited ${statusCode}, expected ${ExitCode.failed}`);

    await protectStep(env, dir, sdk, tampered, guarded, admin, credsFor);

    heading(`Remove guardrail from ${leaver.name}: the stacks go, the audit logs stay`);
    const removeCode = await guardrail(['remove', '--account', leaver.id, '--yes'], env, dir);
    if (removeCode !== ExitCode.ok) throw new Error(`remove exited ${removeCode}`);
    // as remove suggests: leave the account out, or the next deploy to every account puts guardrail back
    show(`echo 'organization: { excludeAccounts: ["${leaver.id}"] }' >> accounts.yaml`);
    appendFileSync(join(dir, 'accounts.yaml'), `organization: { excludeAccounts: ["${leaver.id}"] }\n`);

    const newcomer = await stackSetsStep({ env, dir, ready, sdk, openPort22 });

    heading(
      'After the switch, approvals work the same: a partner approval in the account StackSets enrolled on its own',
    );
    await approvalStory({ env, dir, sdk, admin, credsFor, target: newcomer, expire: false });

    heading('What did guardrail do, on both engines? Every decision of the last hour, then one page for the auditors');
    const activityCode = await guardrail(
      ['activity', '--since', '1h', '--action', 'reverted,approved,allowed,monitored,expired,failed'],
      env,
      dir,
    );
    if (activityCode !== ExitCode.ok) throw new Error(`activity exited ${activityCode}`);
    const report = join(dir, 'report.html');
    const reportCode = await guardrail(['report', '--out', report, '--no-drift'], env, dir);
    process.stdout.write(
      dim(
        `report exited ${reportCode} (${
          reportCode === ExitCode.ok
            ? `0: every target is healthy; ${leaver.name} is left out, as remove suggested`
            : '1: a target is unhealthy: the report names it'
        })\n`,
      ),
    );
    if (reportCode !== ExitCode.ok) throw new Error(`report exited ${reportCode}, expected ${ExitCode.ok}`);
    process.stdout.write(`${bold('open the report:')} ${report}\n`);
  } finally {
    heading('Stop the simulator');
    sim.kill('SIGTERM');
    await new Promise((r) => sim.once('exit', r));
    process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

interface StackSetsStep {
  env: NodeJS.ProcessEnv;
  dir: string;
  ready: Ready;
  sdk: { endpoint: string; region: string };
  openPort22: (
    role: string,
    session: string,
    target: { id: string; name: string },
  ) => Promise<{ ruleId: string; gone: boolean; ms: number }>;
}

/** engine: stacksets, then an account joins an OU and is protected with no guardrail run. */
async function stackSetsStep({
  env,
  dir,
  ready,
  sdk,
  openPort22,
}: StackSetsStep): Promise<{ id: string; name: string }> {
  heading('Switch to the stacksets engine: StackSets deploys to the OUs (each direct stack replaced, new before old)');
  // the engine goes into the file, not only on the command line, so that status, protect and report (and a
  // scheduled job) use it too
  show(`sed -i 's/^deploy: {/deploy: { engine: stacksets,/' accounts.yaml`);
  const file = join(dir, 'accounts.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^deploy: \{/m, 'deploy: { engine: stacksets,'));
  const code = await guardrail(['deploy', '--all-accounts', '--yes'], env, dir);
  if (code !== ExitCode.ok) throw new Error(`deploy with engine: stacksets exited ${code}`);

  heading('A new account joins an OU: StackSets protects it, with no guardrail run');
  const state = await fetch(`${ready.endpoint}/_sim/state`).then(
    (r) => r.json() as Promise<{ org: { ous: Record<string, { id: string; name: string }> } }>,
  );
  const ou = Object.values(state.org.ous).find((o) => o.name === 'Workloads')!;
  show(
    `aws organizations create-account --account-name newcomer …; aws organizations move-account … --destination-parent-id ${ou.id}   ${dim('# (the simulator: POST /_sim/accounts)')}`,
  );
  const created = await fetch(`${ready.endpoint}/_sim/accounts`, {
    method: 'POST',
    body: JSON.stringify({ name: 'newcomer', parentId: ou.id }),
  }).then((r) => r.json() as Promise<{ id: string; name: string }>);
  const cfn = new CloudFormationClient({
    ...sdk,
    credentials: { accessKeyId: 'AKIDDEMO', secretAccessKey: 'simulated' },
  });
  const t0 = Date.now();
  let current = 0;
  while (Date.now() - t0 < 30_000 && current < 2) {
    const out = await cfn.send(
      new ListStackInstancesCommand({ StackSetName: 'guardrail', StackInstanceAccount: created.id }),
    );
    current = (out.Summaries ?? []).filter((i) => i.Status === 'CURRENT').length;
    if (current < 2) await new Promise((r) => setTimeout(r, 100));
  }
  cfn.destroy();
  process.stdout.write(
    `auto-deployment: ${current} stack instance(s) CURRENT in newcomer (${created.id}) ${Date.now() - t0} ms after it joined\n`,
  );
  if (current < 2) throw new Error('the new account was not auto-deployed');
  const attack = await openPort22('OrganizationAccountAccessRole', 'intern', { id: created.id, name: 'newcomer' });
  process.stdout.write(
    attack.gone
      ? `rule ${attack.ruleId} is gone ${attack.ms} ms later: reverted in an account guardrail never ran against\n`
      : `rule ${attack.ruleId} is still there after ${attack.ms} ms\n`,
  );
  if (!attack.gone) throw new Error('the change in the new account was not reverted');
  return { id: created.id, name: 'newcomer' };
}

interface ApprovalStory {
  env: NodeJS.ProcessEnv;
  dir: string;
  sdk: { endpoint: string; region: string };
  admin: (path: string, body: unknown) => Promise<Record<string, string>>;
  credsFor: (account: string, role: string, session: string) => Promise<Creds>;
  target: { id: string; name: string };
  /** move the simulated clock past the approval and show the sweep revoke the kept rule */
  expire: boolean;
}

/** approve tcp/443 from a partner's range, then one request with it and 3389 from anywhere: one kept, one reverted. */
async function approvalStory({ env, dir, sdk, admin, credsFor, target, expire }: ApprovalStory): Promise<void> {
  {
    const ec2 = new EC2Client({
      ...sdk,
      credentials: await credsFor(target.id, 'OrganizationAccountAccessRole', 'web-team'),
    });
    const groupId = (
      await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }))
    ).SecurityGroups![0]!.GroupId!;
    const approveCode = await guardrail(
      [
        'approve',
        '--account',
        target.id,
        '--region',
        'us-east-1',
        '--group',
        groupId,
        '--rule',
        'tcp/443 203.0.113.0/24',
        '--for',
        '10m',
        '--reason',
        'partner test CHG-1234',
      ],
      env,
      dir,
    );
    if (approveCode !== ExitCode.ok) throw new Error(`approve exited ${approveCode}`);
    show(
      `aws ec2 authorize-security-group-ingress --group-id ${groupId} --ip-permissions` +
        ` 'IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=203.0.113.0/25}]'` +
        ` 'IpProtocol=tcp,FromPort=3389,ToPort=3389,IpRanges=[{CidrIp=0.0.0.0/0}]'   ${dim('# one request')}`,
    );
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/25' }] },
          { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    const [kept, opened] = out.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId!);
    const rulesNow = async () =>
      (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
        .SecurityGroupRules!;
    let now = await rulesNow();
    for (let i = 0; i < 60 && now.some((r) => r.SecurityGroupRuleId === opened); i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await rulesNow();
    }
    const tags = (now.find((r) => r.SecurityGroupRuleId === kept)?.Tags ?? [])
      .map((t) => `${t.Key}=${t.Value}`)
      .join(' ');
    process.stdout.write(`tcp/443 rule ${kept}: ${tags ? `kept, tagged ${tags}` : 'gone'}\n`);
    process.stdout.write(
      `tcp/3389 rule ${opened}: ${now.some((r) => r.SecurityGroupRuleId === opened) ? 'still there' : 'reverted'}\n`,
    );
    if (!expire) {
      ec2.destroy();
      if (!tags) throw new Error('the approval story did not play out');
      return;
    }
    show(
      `curl -X POST ${sdk.endpoint}/_sim/clock -d '{"advanceSeconds":900}'   ${dim('# fifteen simulated minutes later: the sweep runs')}`,
    );
    await admin('/_sim/clock', { advanceSeconds: 900 });
    const after = await rulesNow();
    process.stdout.write(
      `tcp/443 rule ${kept}: ${after.some((r) => r.SecurityGroupRuleId === kept) ? 'still there' : 'revoked as expired'}\n`,
    );
    ec2.destroy();
    if (!tags || after.some((r) => r.SecurityGroupRuleId === kept))
      throw new Error('the approval story did not play out');
  }
}

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken: string };

/**
 * The SCP story: protect, then a member-account admin cannot disable the rule, and status shows every member protected.
 */
async function protectStep(
  env: NodeJS.ProcessEnv,
  dir: string,
  sdk: { endpoint: string; region: string },
  tampered: { id: string; name: string },
  guarded: { id: string; name: string },
  admin: (path: string, body: unknown) => Promise<Record<string, string>>,
  credsFor: (account: string, role: string, session: string) => Promise<Creds>,
): Promise<void> {
  heading('Protect guardrail with a service control policy, so member-account admins cannot switch it off');
  show(`aws events enable-rule --name guardrail-sg-changes   ${dim(`# first, put ${tampered.name}'s rule back`)}`);
  await new EventBridgeClient({
    ...sdk,
    credentials: await credsFor(tampered.id, 'OrganizationAccountAccessRole', 'guardrail-ops'),
  }).send(new EnableRuleCommand({ Name: 'guardrail-sg-changes' }));
  const protectCode = await guardrail(['protect', '--attach', '--yes'], env, dir);
  if (protectCode !== ExitCode.ok) throw new Error(`protect exited ${protectCode}`);

  // an administrator of a member account, with a role of their own (not guardrail's deploy role)
  await admin('/_sim/roles', { account: guarded.id, roleName: 'Admin' });
  const events = new EventBridgeClient({ ...sdk, credentials: await credsFor(guarded.id, 'Admin', 'mallory') });
  show(`aws events disable-rule --name guardrail-sg-changes   ${dim(`# as Admin in ${guarded.name} (${guarded.id})`)}`);
  try {
    await events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' }));
    throw new Error('the SCP did not stop the admin');
  } catch (err) {
    if ((err as Error).name !== 'AccessDeniedException') throw err;
    process.stdout.write(`${(err as Error).name}: ${(err as Error).message}\n`);
  }
  const rule = await new EventBridgeClient({
    ...sdk,
    credentials: await credsFor(guarded.id, 'OrganizationAccountAccessRole', 'check'),
  }).send(new DescribeRuleCommand({ Name: 'guardrail-sg-changes' }));
  process.stdout.write(`the rule is still ${rule.State}\n`);
  events.destroy();
  const statusCode = await guardrail(['status', '--no-drift', '--require-protection'], env, dir);
  if (statusCode !== ExitCode.ok)
    throw new Error(`status exited ${statusCode}, expected ${ExitCode.ok} (every member protected)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = ExitCode.failed;
});
