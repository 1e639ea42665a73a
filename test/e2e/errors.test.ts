// Whole-run failures: the caller's credentials, and an endpoint that cannot be reached. The exit code says which,
// and with --output json stdout still holds one JSON document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from './harness.js';

let t: E2E;
beforeAll(async () => {
  t = await startE2E({ accounts: 2 });
  t.config('regions: [us-east-1]\n');
});
afterAll(() => t.close());

describe('a run that cannot start', () => {
  it('expired credentials: exit 3, the reason, a way out, and no target touched', async () => {
    t.sim.state.credentials.set('ASIAEXPIREDKEY', {
      accessKeyId: 'ASIAEXPIREDKEY', secretAccessKey: 's', sessionToken: 't', accountId: t.sim.state.org.managementAccountId,
      roleName: 'Admin', roleArn: `arn:aws:iam::${t.sim.state.org.managementAccountId}:role/Admin`, sessionName: 'me',
      expiresAt: Date.now() - 60_000, chained: false,
    });
    await t.resetCalls();
    const run = await t.run(['status', '--output', 'json'], { env: { AWS_ACCESS_KEY_ID: 'ASIAEXPIREDKEY', AWS_SESSION_TOKEN: 't' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/ExpiredToken/);
    expect(run.stderr).toMatch(/hint: .*(sso login|refresh|--profile)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.json?.error).toMatchObject({ code: 'AUTH', exitCode: 3 });
    expect(run.json?.targets).toEqual([]);
    const calls = await t.calls();
    expect(calls.calls.map((c) => c.operation)).toEqual(['GetCallerIdentity']);
  });

  it('a profile that does not exist: exit 3, naming the profile', async () => {
    const run = await t.run(['--profile', 'no-such-profile', 'status']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Could not load credentials for the profile "no-such-profile"');
    expect(run.stderr).toMatch(/hint: .*aws configure list-profiles/);
  });

  it('an endpoint that cannot be reached: exit 1 within seconds, naming the connection problem', async () => {
    const started = Date.now();
    const run = await t.run(['deploy', '--all-accounts', '--yes', '--output', 'json'], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).toMatch(/AWS_ENDPOINT_URL/);
    expect(run.json?.error).toMatchObject({ code: 'STS_UNREACHABLE', exitCode: 1 });
    // a few seconds unloaded (mostly node starting the CLI); 20 s leaves room for a loaded 2-core machine and is still
    // far below what retrying it as throttling would take (15 attempts, about 50 s of backoff on average)
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
