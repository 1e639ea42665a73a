import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { SimServer } from '../server.js';
import { errorOf, assumeInto, clientConfig, memberIds, startTestSim, type TestCredentials } from './helpers.js';

let sim: SimServer;
let mgmt: string;
let members: string[];
const clients: STSClient[] = [];

function stsAs(creds?: TestCredentials): STSClient {
  const c = new STSClient({ ...clientConfig(sim, 'us-east-1', creds), maxAttempts: 1 });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 6, denyAssume: [] });
  mgmt = sim.state.org.managementAccountId;
  members = memberIds(sim);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim.close();
});

const roleArn = (account: string, name = 'OrganizationAccountAccessRole') => `arn:aws:iam::${account}:role/${name}`;

describe('GetCallerIdentity', () => {
  it('names the management account root for a key the simulator did not issue', async () => {
    const out = await stsAs().send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: mgmt, Arn: `arn:aws:iam::${mgmt}:root`, UserId: mgmt });
  });

  it('names the assumed role for keys issued by AssumeRole', async () => {
    const creds = await assumeInto(sim, members[0]!, { sessionName: 'alice' });
    const out = await stsAs(creds).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe(members[0]);
    expect(out.Arn).toBe(`arn:aws:sts::${members[0]}:assumed-role/OrganizationAccountAccessRole/alice`);
    expect(out.UserId).toMatch(/^AROA[A-Z0-9]+:alice$/);
  });
});

describe('AssumeRole', () => {
  it('issues ASIA credentials with an expiration, stored with their expiry', async () => {
    const before = Date.now();
    const out = await stsAs().send(
      new AssumeRoleCommand({ RoleArn: roleArn(members[1]!), RoleSessionName: 'deploy', DurationSeconds: 900 }),
    );
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey!.length).toBeGreaterThanOrEqual(40);
    expect(c.SessionToken!.length).toBeGreaterThan(100);
    expect(c.Expiration).toBeInstanceOf(Date);
    expect(c.Expiration!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 899_000);
    expect(c.Expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(out.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${members[1]}:assumed-role/OrganizationAccountAccessRole/deploy`,
    );
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]+:deploy$/);
    const stored = sim.state.credentials.get(c.AccessKeyId!);
    expect(stored).toMatchObject({ accountId: members[1], roleName: 'OrganizationAccountAccessRole', chained: false });
  });

  it("denies an account in denyAssume, a suspended account, an unknown account and a missing role with AWS's message", async () => {
    await fetch(`${sim.endpoint}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ denyAssume: [members[2]], suspended: [members[3]] }),
    });
    try {
      const targets = [
        roleArn(members[2]!),
        roleArn(members[3]!),
        roleArn('999999999999'),
        roleArn(members[4]!, 'NoSuchRole'),
        roleArn(mgmt),
      ];
      for (const arn of targets) {
        const err = await errorOf(stsAs().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'x1' })));
        expect(err.name).toBe('AccessDenied');
        expect(err.$metadata?.httpStatusCode).toBe(403);
        expect(err.message).toBe(
          `User: arn:aws:iam::${mgmt}:root is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
        );
      }
    } finally {
      await fetch(`${sim.endpoint}/_sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ denyAssume: [], suspended: [] }),
      });
    }
  });

  it("a member account's role cannot assume into another member (the role trusts the management account)", async () => {
    const creds = await assumeInto(sim, members[0]!);
    const err = await errorOf(
      stsAs(creds).send(new AssumeRoleCommand({ RoleArn: roleArn(members[1]!), RoleSessionName: 'hop' })),
    );
    expect(err.name).toBe('AccessDenied');
    expect(err.message).toContain(
      `User: arn:aws:sts::${members[0]}:assumed-role/OrganizationAccountAccessRole/sim-test is not authorized`,
    );
  });

  it('an extra role made through /_sim/roles requires its external id', async () => {
    const res = await fetch(`${sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account: members[4], roleName: 'GuardrailDeploy', externalId: 'ext-123' }),
    });
    expect(res.status).toBe(200);
    const arn = roleArn(members[4]!, 'GuardrailDeploy');
    for (const ExternalId of [undefined, 'wrong-id']) {
      const err = await errorOf(
        stsAs().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'guardrail', ExternalId })),
      );
      expect(err.name).toBe('AccessDenied');
    }
    const creds = await assumeInto(sim, members[4]!, { roleName: 'GuardrailDeploy', externalId: 'ext-123' });
    const who = await stsAs(creds).send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(`arn:aws:sts::${members[4]}:assumed-role/GuardrailDeploy/sim-test`);
  });

  it('refuses DurationSeconds over one hour when roles are chained', async () => {
    // a role in the management account that trusts the management account, then chain into a member
    await fetch(`${sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account: mgmt, roleName: 'Hub', maxSessionDuration: 43200 }),
    });
    const hub = await assumeInto(sim, mgmt, { roleName: 'Hub' });
    const err = await errorOf(
      stsAs(hub).send(
        new AssumeRoleCommand({ RoleArn: roleArn(members[0]!), RoleSessionName: 'chain', DurationSeconds: 7200 }),
      ),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const ok = await stsAs(hub).send(
      new AssumeRoleCommand({ RoleArn: roleArn(members[0]!), RoleSessionName: 'chain', DurationSeconds: 3600 }),
    );
    expect(sim.state.credentials.get(ok.Credentials!.AccessKeyId!)?.chained).toBe(true);
    // not chained, but over the role's MaxSessionDuration (3600 by default)
    const tooLong = await errorOf(
      stsAs().send(
        new AssumeRoleCommand({ RoleArn: roleArn(members[0]!), RoleSessionName: 'long', DurationSeconds: 7200 }),
      ),
    );
    expect(tooLong.name).toBe('ValidationError');
    expect(tooLong.message).toContain('MaxSessionDuration');
    // allowed for a role whose MaxSessionDuration is 12 hours
    const long = await stsAs().send(
      new AssumeRoleCommand({ RoleArn: roleArn(mgmt, 'Hub'), RoleSessionName: 'long', DurationSeconds: 43200 }),
    );
    expect(long.Credentials?.Expiration!.getTime()).toBeGreaterThan(Date.now() + 43_000_000);
  });

  it('validates DurationSeconds and RoleSessionName as AWS does', async () => {
    const cases: [Partial<{ DurationSeconds: number; RoleSessionName: string }>, string][] = [
      [
        { DurationSeconds: 899 },
        "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      ],
      [
        { DurationSeconds: 43201 },
        "Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
      ],
      [
        { RoleSessionName: 'a' },
        "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ],
      [
        { RoleSessionName: 'has space' },
        "at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern",
      ],
      [{ RoleSessionName: 'x'.repeat(65) }, 'Member must have length less than or equal to 64'],
    ];
    for (const [input, message] of cases) {
      const err = await errorOf(
        stsAs().send(new AssumeRoleCommand({ RoleArn: roleArn(members[0]!), RoleSessionName: 'ok-name', ...input })),
      );
      expect(err.name).toBe('ValidationError');
      expect(err.message).toContain(message);
    }
    // the allowed characters pass
    await stsAs().send(
      new AssumeRoleCommand({ RoleArn: roleArn(members[0]!), RoleSessionName: 'guardrail+a=b,c.d@e-f_g' }),
    );
  });
});

describe('identity at the HTTP layer', () => {
  it('rejects a request without credentials', async () => {
    const res = await fetch(sim.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('rejects expired credentials with ExpiredToken', async () => {
    const creds = await assumeInto(sim, members[0]!);
    sim.state.credentials.get(creds.accessKeyId)!.expiresAt = Date.now() - 1000;
    const err = await errorOf(stsAs(creds).send(new GetCallerIdentityCommand({})));
    expect(err.name).toBe('ExpiredToken');
  });
});
