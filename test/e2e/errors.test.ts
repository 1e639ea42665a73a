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
      accessKeyId: 'ASIAEXPIREDKEY',
      secretAccessKey: 's',
      sessionToken: 't',
      accountId: t.sim.state.org.managementAccountId,
      roleName: 'Admin',
      roleArn: `arn:aws:iam::${t.sim.state.org.managementAccountId}:role/Admin`,
      sessionName: 'me',
      expiresAt: Date.now() - 60_000,
      chained: false,
    });
    await t.resetCalls();
    const run = await t.run(['status', '--output', 'json'], {
      env: { AWS_ACCESS_KEY_ID: 'ASIAEXPIREDKEY', AWS_SESSION_TOKEN: 't' },
    });
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

  it('an endpoint that cannot be reached: exit 4 (not 1, unhealthy; not 3, credentials) within seconds, naming the connection problem', async () => {
    const started = Date.now();
    const run = await t.run(['deploy', '--all-accounts', '--yes', '--output', 'json'], {
      env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).toMatch(/AWS_ENDPOINT_URL/);
    expect(run.json?.error).toMatchObject({ code: 'STS_UNREACHABLE', exitCode: 4 });
    const status = await t.run(['status'], { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } });
    expect(status.code, status.stderr).toBe(4);
    // a few seconds unloaded (mostly node starting the CLI); 20 s leaves room for a loaded 2-core machine and is still
    // far below what retrying it as throttling would take (15 attempts, about 50 s of backoff on average)
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('member roles that cannot be assumed', () => {
  const members = () =>
    [...t.sim.state.org.accounts.keys()].filter((id) => id !== t.sim.state.org.managementAccountId).sort();

  it('--role-name Nope: one line per account (not per region), then "0 of N accounts could be assumed"; exit 1', async () => {
    t.config('regions: [us-east-1, us-west-2, eu-west-1]\n');
    // the SCP attached with the configuration's role name (OrganizationAccountAccessRole)
    const protect = await t.run(['protect', '--attach', '--yes']);
    expect(protect.code, protect.stderr).toBe(0);
    try {
      const run = await t.run(['status', '--role-name', 'Nope', '--no-drift']);
      expect(run.code, run.stderr).toBe(1);
      for (const id of members()) {
        // the account's error once on stderr, whatever the number of its regions
        expect(
          run.stderr.split('\n').filter((l) => l.includes(`arn:aws:iam::${id}:role/Nope`)),
          run.stderr,
        ).toHaveLength(1);
      }
      expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
        `0 of ${members().length} accounts could be assumed: check the role name (Nope) or its trust policy`,
      );
      // the status matrix's details: one line per account
      for (const id of members())
        expect(run.stdout).toMatch(
          new RegExp(`^  member-\\d+ \\(${id}\\), 3 regions: could not inspect: Could not assume`, 'm'),
        );
      // the overridden role name does not make the attached SCP look outdated: the SCP column is ✓, not ~
      for (const id of members()) expect(run.stdout).toMatch(new RegExp(`^member-\\d+ \\(${id}\\) .* ✓$`, 'm'));
      const json = await t.run(['status', '--role-name', 'Nope', '--no-drift', '--output', 'json']);
      expect(json.json?.targets.filter((r) => r.protection === 'outdated')).toEqual([]);
      expect(json.json?.notes).toContain(
        `0 of ${members().length} accounts could be assumed: check the role name (Nope) or its trust policy`,
      );
    } finally {
      t.config('regions: [us-east-1]\n');
    }
  });

  it('STS unavailable for every member role: exit 4, and the line says STS could not be reached', async () => {
    await t.faults({ unavailableAssume: members() });
    try {
      const run = await t.run(['status', '--no-drift']);
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toMatch(
        new RegExp(`^0 of ${members().length} accounts could be assumed: STS could not be reached`, 'm'),
      );
      // one member still reachable: the run says something about the fleet, so its own exit code (1, unhealthy)
      await t.faults({ unavailableAssume: members().slice(1) });
      const partial = await t.run(['status', '--no-drift']);
      expect(partial.code, partial.stderr).toBe(1);
      expect(partial.stderr).toMatch(new RegExp(`^1 of ${members().length} accounts could be assumed`, 'm'));
    } finally {
      await t.faults({ unavailableAssume: [] });
    }
  });
});
