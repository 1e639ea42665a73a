// Shared helpers for the simulator's own tests: start a simulator on a free port, and configure real SDK v3
// clients against it, either as the management account or as a role assumed into a member account.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startSim, type SimOptions } from '../sim.js';
import type { SimServer } from '../server.js';
import { testSeed } from './seed.js';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Any key the simulator did not issue is the management account's root. */
export const MANAGEMENT_CREDENTIALS: TestCredentials = { accessKeyId: 'AKIDMGMT', secretAccessKey: 'simulated' };

/**
 * Starts a simulator on 127.0.0.1, on a free port. Close it in afterAll. Its seed is GUARDRAIL_SIM_SEED or the fixed
 * default (test/sim/test/seed.ts), unless `opts.seed` names one.
 */
export function startTestSim(opts: SimOptions = {}): Promise<SimServer> {
  return startSim({ seed: testSeed(), ...opts, port: 0 });
}

/** The config for any SDK v3 client: the simulator's endpoint, a region, and static credentials. */
export function clientConfig(sim: SimServer, region = 'us-east-1', creds: TestCredentials = MANAGEMENT_CREDENTIALS) {
  return { endpoint: sim.endpoint, region, credentials: { ...creds } };
}

/** The account ids of the organisation's members (management account excluded), in creation order. */
export function memberIds(sim: SimServer): string[] {
  const mgmt = sim.state.org.managementAccountId;
  return [...sim.state.org.accounts.keys()].filter((id) => id !== mgmt);
}

/** Assumes a role (OrganizationAccountAccessRole by default) in `accountId` with the management credentials. */
export async function assumeInto(
  sim: SimServer,
  accountId: string,
  opts: { roleName?: string; externalId?: string; sessionName?: string; from?: TestCredentials } = {},
): Promise<TestCredentials> {
  const sts = new STSClient(clientConfig(sim, 'us-east-1', opts.from ?? MANAGEMENT_CREDENTIALS));
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${opts.roleName ?? 'OrganizationAccountAccessRole'}`,
        RoleSessionName: opts.sessionName ?? 'sim-test',
        ExternalId: opts.externalId,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('AssumeRole returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** The error a call was expected to fail with (the SDK's error, with its HTTP status and any extra fields). */
export async function errorOf(
  p: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number }; Reason?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/**
 * Polls until `probe` returns something other than undefined, or fails after `ms` (generous: a loaded 2-core machine is
 * slow). `probe` may be async (an SDK call or a fetch): it is called again `everyMs` after the previous call ended,
 * and an error it throws ends the wait at once. `what` describes what did not happen, for the failure message.
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
  opts: { everyMs?: number; what?: () => string | Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms${opts.what ? `: ${await opts.what()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 5));
  }
}

/**
 * A template as CloudFormation takes one past TemplateBody's 51,200 bytes: put in a bucket of the caller's account in
 * `region` (made on first use) and named by a presigned GET URL, as deploy sends it (src/stack/template-bucket.ts).
 * For tests that create stacks with the SDK themselves.
 */
export async function templateUrl(
  sim: SimServer,
  region: string,
  creds: TestCredentials,
  body: string,
): Promise<string> {
  const { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
  const { createHash } = await import('node:crypto');
  const s3 = new S3Client({ ...clientConfig(sim, region, creds), forcePathStyle: true });
  try {
    const account = await callerAccount(sim, region, creds);
    const Bucket = `test-templates-${account}-${region}`;
    if (!sim.state.buckets.has(Bucket)) {
      await s3.send(
        new CreateBucketCommand({
          Bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    }
    const Key = `t/${createHash('sha256').update(body).digest('hex').slice(0, 16)}.yaml`;
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
    return await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn: 900 });
  } finally {
    s3.destroy();
  }
}

async function callerAccount(sim: SimServer, region: string, creds: TestCredentials): Promise<string> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient(clientConfig(sim, region, creds));
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Account!;
  } finally {
    sts.destroy();
  }
}
