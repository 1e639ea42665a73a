import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STSClient } from '@aws-sdk/client-sts';
import { CredentialBroker, callerIdentity, sessionNameFor } from '../../src/aws/credentials.js';
import { AssumeRoleError, AuthError } from '../../src/errors.js';
import { startSim } from '../sim/sim.js';
import type { SimServer } from '../sim/server.js';
import { testSeed } from '../sim/test/seed.js';

let sim: SimServer;
let sts: STSClient;
const role = { roleName: 'OrganizationAccountAccessRole' };
const assumeCalls = () =>
  [...sim.state.calls.values()].filter((c) => c.operation === 'AssumeRole').reduce((n, c) => n + c.count, 0);

beforeAll(async () => {
  sim = await startSim({ port: 0, accounts: 3, seed: testSeed() });
  sts = new STSClient({
    endpoint: sim.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  sts.destroy();
  await sim.close();
});

const members = () => [...sim.state.org.accounts.keys()].filter((id) => id !== sim.state.org.managementAccountId);

describe('CredentialBroker', () => {
  it('fifty concurrent requests for one account make one AssumeRole call', async () => {
    const identity = await callerIdentity(sts);
    const broker = new CredentialBroker({ sts, identity, sessionName: sessionNameFor(identity) });
    const before = assumeCalls();
    const [acct] = members();
    const creds = await Promise.all(Array.from({ length: 50 }, () => broker.get(acct!, role)));
    expect(new Set(creds.map((c) => c.accessKeyId)).size).toBe(1);
    expect(assumeCalls() - before).toBe(1);
    expect(broker.assumeRoleCalls).toBe(1);
  });

  it("serves the caller's own account with the caller's own credentials", async () => {
    const identity = await callerIdentity(sts);
    const broker = new CredentialBroker({ sts, identity, sessionName: 'guardrail' });
    expect(broker.forAccount(identity.account, role)).toBeUndefined();
    await broker.check(identity.account, role);
    expect(broker.assumeRoleCalls).toBe(0);
  });

  it('refreshes credentials that are about to expire (a run can outlast a one-hour role session)', async () => {
    const identity = await callerIdentity(sts);
    // a margin longer than the session: every request finds the cached credentials too close to expiry
    const broker = new CredentialBroker({ sts, identity, sessionName: 'guardrail', refreshMarginMs: 2 * 60 * 60_000 });
    const [acct] = members();
    const first = await broker.get(acct!, role);
    const second = await broker.get(acct!, role);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(broker.assumeRoleCalls).toBe(2);
    expect(first.expiration!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it("a denied role fails that account with the role ARN and AWS's reason, once, and nothing else", async () => {
    const identity = await callerIdentity(sts);
    const broker = new CredentialBroker({ sts, identity, sessionName: 'guardrail' });
    const [denied, fine] = members();
    sim.state.faults.denyAssume = [denied!];
    try {
      const errors = await Promise.all([1, 2, 3].map(() => broker.get(denied!, role).catch((e: unknown) => e)));
      for (const err of errors) {
        expect(err).toBeInstanceOf(AssumeRoleError);
        expect((err as Error).message).toContain(`arn:aws:iam::${denied}:role/OrganizationAccountAccessRole`);
        expect((err as Error).message).toContain('AccessDenied');
        expect(((err as Error).cause as Error).message).toMatch(/is not authorized to perform: sts:AssumeRole/);
      }
      await expect(broker.get(fine!, role)).resolves.toHaveProperty('accessKeyId');
      expect(broker.assumeRoleCalls).toBe(2);
    } finally {
      sim.state.faults.denyAssume = [];
    }
  });

  it('passes the external id, and a wrong one is refused', async () => {
    const identity = await callerIdentity(sts);
    const [acct] = members();
    await fetch(`${sim.endpoint}/_sim/roles`, {
      method: 'POST',
      body: JSON.stringify({ account: acct, roleName: 'GuardrailDeployer', externalId: 'guardrail-ext-1' }),
    });
    const broker = new CredentialBroker({ sts, identity, sessionName: 'guardrail' });
    await expect(
      broker.get(acct!, { roleName: 'GuardrailDeployer', externalId: 'guardrail-ext-1' }),
    ).resolves.toHaveProperty('accessKeyId');
    await expect(broker.get(acct!, { roleName: 'GuardrailDeployer', externalId: 'wrong' })).rejects.toBeInstanceOf(
      AssumeRoleError,
    );
    await expect(broker.get(acct!, { roleName: 'GuardrailDeployer' })).rejects.toBeInstanceOf(AssumeRoleError);
  });
});

describe('callerIdentity and the session name', () => {
  it('rejected credentials become an AuthError (exit 3) with a way out', async () => {
    sim.state.credentials.set('ASIAEXPIRED', {
      accessKeyId: 'ASIAEXPIRED',
      secretAccessKey: 'x',
      sessionToken: 't',
      accountId: members()[0]!,
      roleName: 'r',
      roleArn: 'arn:aws:iam::1:role/r',
      sessionName: 's',
      expiresAt: Date.now() - 1000,
      chained: false,
    });
    const expired = new STSClient({
      endpoint: sim.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'ASIAEXPIRED', secretAccessKey: 'x', sessionToken: 't' },
    });
    const err = await callerIdentity(expired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(3);
    expect((err as AuthError).message).toContain('ExpiredToken');
    expired.destroy();
  });

  it.each([
    [
      'arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com',
      'guardrail-alice@example.com',
    ],
    ['arn:aws:iam::111111111111:user/ci bot', 'guardrail-ci-bot'],
    ['arn:aws:iam::111111111111:root', 'guardrail'],
  ])('%s → %s', (arn, want) => {
    expect(sessionNameFor({ account: '111111111111', arn, userId: 'x' })).toBe(want);
  });
});
