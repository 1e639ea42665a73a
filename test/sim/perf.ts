// `npx tsx test/sim/perf.ts [--accounts 1000] [--regions us-east-1,us-west-2] [--seconds 10] [--concurrency 16]`
// The simulator's throughput with 2,000 stacks in its state. It runs the simulator as a child process (so its CPU is
// measured apart from the clients'), creates one stack per account and region through CloudFormation, then drives
// concurrent SDK clients with DescribeStacks, DescribeRule and GetFunction for a fixed time, and prints calls per
// second and the simulator's CPU milliseconds per call (utime + stime from /proc/PID/stat).
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000' },
    regions: { type: 'string', default: 'us-east-1,us-west-2' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
  },
});
const ACCOUNTS = Number(values.accounts);
const REGIONS = values.regions.split(',');
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const TEMPLATE = JSON.stringify({
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'guardrail-revert',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Timeout: 30,
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Environment: { Variables: { GUARDRAIL_MODE: 'enforce' } },
        Code: { ZipFile: 'exports.handler = async (event) => ({ id: event.id });' },
      },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: 'guardrail-sg-changes',
        State: 'ENABLED',
        EventPattern: { source: ['aws.ec2'], detail: { eventName: ['AuthorizeSecurityGroupIngress'] } },
        Targets: [{ Id: 'revert', Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } }],
      },
    },
    Permission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { Ref: 'Fn' },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] },
      },
    },
  },
});

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after the command name: state is field 3, utime field 14, stime field 15 (1-based over the whole line)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    path.join(root, 'test/sim/main.ts'),
    '--port',
    '0',
    '--accounts',
    String(ACCOUNTS - 1),
    '--regions',
    REGIONS.join(','),
    '--stack-ms',
    '0',
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const ready = await new Promise<{ endpoint: string; accounts: { id: string }[] }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`the simulator exited (${code}) before it was ready`)));
  createInterface({ input: child.stdout }).once('line', (line) =>
    resolve(JSON.parse(line) as { endpoint: string; accounts: { id: string }[] }),
  );
});
const pid = child.pid!;
const stop = () => child.kill('SIGTERM');
process.on('exit', stop);

try {
  const endpoint = ready.endpoint;
  const mgmtCreds = { accessKeyId: 'AKIDPERF', secretAccessKey: 'x' };
  const sts = new STSClient({ endpoint, region: 'us-east-1', credentials: mgmtCreds });
  const accountIds = ready.accounts.map((a) => a.id);
  const creds = new Map<string, { accessKeyId: string; secretAccessKey: string; sessionToken?: string }>();
  const t0 = Date.now();
  await pool(accountIds, 8, async (id) => {
    if (id === accountIds[0]) {
      creds.set(id, mgmtCreds);
      return;
    }
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${id}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'perf',
      }),
    );
    const c = out.Credentials!;
    creds.set(id, { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
  });
  const targets = accountIds.flatMap((account) => REGIONS.map((region) => ({ account, region })));
  const clients = new Map<string, { cfn: CloudFormationClient; events: EventBridgeClient; lambda: LambdaClient }>();
  for (const t of targets) {
    const config = { endpoint, region: t.region, credentials: creds.get(t.account)!, maxAttempts: 1 };
    clients.set(`${t.account}/${t.region}`, {
      cfn: new CloudFormationClient(config),
      events: new EventBridgeClient(config),
      lambda: new LambdaClient(config),
    });
  }
  await pool(targets, 8, async (t) => {
    await clients
      .get(`${t.account}/${t.region}`)!
      .cfn.send(
        new CreateStackCommand({ StackName: 'guardrail', TemplateBody: TEMPLATE, Capabilities: ['CAPABILITY_IAM'] }),
      );
  });
  // wait for every stack to complete
  let pending = targets;
  while (pending.length) {
    const still: typeof targets = [];
    await pool(pending, 8, async (t) => {
      const s = await clients
        .get(`${t.account}/${t.region}`)!
        .cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }));
      const status = s.Stacks?.[0]?.StackStatus ?? '';
      if (status.endsWith('_IN_PROGRESS')) still.push(t);
      else if (status !== 'CREATE_COMPLETE') throw new Error(`${t.account}/${t.region}: ${status}`);
    });
    pending = still;
    if (pending.length) await new Promise((r) => setTimeout(r, 200));
  }
  const setupSeconds = (Date.now() - t0) / 1000;
  process.stderr.write(`perf: ${targets.length} stacks created in ${setupSeconds.toFixed(1)} s\n`);

  // the measured phase
  const cpuBefore = cpuMs(pid);
  const clientCpuBefore = process.cpuUsage();
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  const counts = { DescribeStacks: 0, DescribeRule: 0, GetFunction: 0, errors: 0 };
  let i = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const t = targets[(i++ * 7919) % targets.length]!;
        const c = clients.get(`${t.account}/${t.region}`)!;
        try {
          switch (i % 3) {
            case 0:
              await c.cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }));
              counts.DescribeStacks++;
              break;
            case 1:
              await c.events.send(new DescribeRuleCommand({ Name: 'guardrail-sg-changes' }));
              counts.DescribeRule++;
              break;
            default:
              await c.lambda.send(new GetFunctionCommand({ FunctionName: 'guardrail-revert' }));
              counts.GetFunction++;
          }
        } catch {
          counts.errors++;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  const simCpu = cpuMs(pid) - cpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const calls = counts.DescribeStacks + counts.DescribeRule + counts.GetFunction + counts.errors;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const report = {
    stacks: targets.length,
    accounts: accountIds.length,
    regions: REGIONS,
    concurrency: CONCURRENCY,
    seconds: Number(elapsed.toFixed(2)),
    calls,
    callsPerSecond: Math.round(calls / elapsed),
    byOperation: counts,
    simCpuMsPerCall: Number((simCpu / calls).toFixed(3)),
    simCpuUtilisation: Number((simCpu / 1000 / elapsed).toFixed(2)),
    clientCpuMsPerCall: Number(((clientCpu.user + clientCpu.system) / 1000 / calls).toFixed(3)),
    simRssMb: Math.round(rss),
    setupSeconds: Number(setupSeconds.toFixed(1)),
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  for (const c of clients.values()) {
    c.cfn.destroy();
    c.events.destroy();
    c.lambda.destroy();
  }
  sts.destroy();
} finally {
  stop();
}
