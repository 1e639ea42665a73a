// The simulator's start command, as users and scripts run it: `npm run --silent sim -- …` prints one JSON ready
// line, serves the real SDK, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { testSeed } from './seed.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  // SIGTERM, not SIGKILL: npm and tsx pass it on, so no simulator is left behind
  await Promise.all(
    children.splice(0).map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve(undefined);
          c.once('exit', resolve);
          stop(c);
        }),
    ),
  );
});

function stop(c: ReturnType<typeof spawn>): void {
  try {
    process.kill(-c.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
}

function startSim(args: string[]) {
  // its own process group, so a signal reaches npm, tsx and the simulator alike (as Ctrl-C in a terminal does)
  const child = spawn('npm', ['run', '--silent', 'sim', '--', '--seed', String(testSeed()), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const ready = new Promise<{ line: string; ms: number }>((resolve, reject) => {
    const t0 = Date.now();
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ line, ms: Date.now() - t0 }));
    child.once('exit', (code) => reject(new Error(`sim exited ${code}: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

describe('npm run sim', () => {
  it('prints its ready line with the endpoint, the organisation and the regions, then serves the SDK', async () => {
    const { child, ready } = startSim(['--accounts', '5', '--regions', 'us-east-1,eu-west-1', '--port', '0']);
    const { line, ms } = await ready;
    const info = JSON.parse(line) as {
      endpoint: string;
      managementAccountId: string;
      accounts: { id: string; name: string; status: string }[];
      regions: string[];
    };
    expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.accounts).toHaveLength(6);
    expect(info.accounts.every((a) => /^\d{12}$/.test(a.id) && a.status === 'ACTIVE')).toBe(true);
    expect(info.accounts.map((a) => a.id)).toContain(info.managementAccountId);
    expect(info.regions).toEqual(['us-east-1', 'eu-west-1']);
    // the 2 s target is measured outside the test suite; this only catches a hang (npm and tsx starting on a loaded
    // 2-core machine take several seconds)
    expect(ms).toBeLessThan(30_000);

    const sts = new STSClient({
      endpoint: info.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
    });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe(info.managementAccountId);
    sts.destroy();

    // npm passes SIGTERM on to the simulator, which closes its server and exits
    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
    stop(child);
    expect(await exited).toBe(true);
    let stopped = false;
    const deadline = Date.now() + 20_000; // a generous deadline for polling, not a measurement
    while (!stopped && Date.now() < deadline) {
      stopped = await fetch(`${info.endpoint}/_sim/faults`).then(
        () => false,
        () => true,
      );
      if (!stopped) await new Promise((r) => setTimeout(r, 50));
    }
    expect(stopped).toBe(true);
  }, 90_000);

  it('takes the fault flags, and suspended accounts show as SUSPENDED', async () => {
    const first = startSim(['--accounts', '3', '--port', '0']);
    const ids = (JSON.parse((await first.ready).line) as { accounts: { id: string }[] }).accounts.map((a) => a.id);
    stop(first.child);
    const { ready } = startSim([
      '--accounts',
      '3',
      '--port',
      '0',
      '--throttle-rate',
      '0.3',
      '--latency-ms',
      '5',
      '--stack-ms',
      '100',
      '--deny-assume',
      ids[1]!,
      '--fail-stack',
      `${ids[2]!}:us-east-1`,
      '--suspended',
      ids[3]!,
    ]);
    const info = JSON.parse((await ready).line) as { endpoint: string; accounts: { id: string; status: string }[] };
    expect(info.accounts.find((a) => a.id === ids[3])?.status).toBe('SUSPENDED');
    const faults = (await (await fetch(`${info.endpoint}/_sim/faults`)).json()) as Record<string, unknown>;
    expect(faults).toMatchObject({
      throttleRate: 0.3,
      latencyMs: 5,
      denyAssume: [ids[1]],
      failStack: [`${ids[2]}:us-east-1`],
    });
  }, 90_000);

  it('rejects a bad flag or a seed that is not a whole number with exit 2 and a message, not a stack trace', async () => {
    for (const [args, message] of [
      [['--acounts', '3'], /acounts/],
      [['--seed', '1.5'], /--seed must be a whole number/],
    ] as const) {
      const { child, stderr, ready } = startSim([...args]);
      ready.catch(() => undefined);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(2);
      expect(stderr()).toMatch(message);
      expect(stderr()).not.toMatch(/\n\s+at /);
    }
  }, 90_000);
});
