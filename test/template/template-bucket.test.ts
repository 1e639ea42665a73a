// The template bucket (src/stack/template-bucket.ts) against the simulator's S3, with the store's clock injected:
// one bucket per region however many targets ask at once, its configuration, one upload per version (and again
// once a day old, or when the object is not the template), a URL signed again after five minutes, URLs over
// CloudFormation's 5,120 characters refused, someone else's bucket refused, and --plan's preview creating no bucket.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimServer } from '../sim/server.js';
import {
  assumeInto,
  clientConfig,
  memberIds,
  startTestSim,
  MANAGEMENT_CREDENTIALS,
  type TestCredentials,
} from '../sim/test/helpers.js';
import {
  FRESH_FOR_MS,
  RESIGN_AFTER_MS,
  TEMPLATE_URL_LIMIT,
  TemplateBucketError,
  TemplateStore,
  headRetried,
  templateBucketName,
  templateKey,
} from '../../src/stack/template-bucket.js';

let sim: SimServer;
let mgmt: string;
let offset = 0;
const now = () => sim.state.clock.now() + offset;
const s3 =
  (creds: TestCredentials = MANAGEMENT_CREDENTIALS) =>
  async (region: string) =>
    new S3Client({ ...clientConfig(sim, region, creds), forcePathStyle: true });
const store = (creds?: TestCredentials) => new TemplateStore({ account: mgmt, s3: s3(creds), now });
const calls = (operation: string, region = 'us-east-1') =>
  sim.state.calls.get(`s3|${operation}|${mgmt}|${region}`)?.count ?? 0;
const template = (version: string, body = `Resources:\n  T:\n    Type: AWS::SNS::Topic\n# ${version}\n`) => ({
  version,
  body,
});

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, regions: ['us-east-1', 'eu-west-1'] });
  mgmt = sim.state.org.managementAccountId;
});
afterAll(() => sim.close());
beforeEach(() => {
  offset = 0;
});

describe('the bucket', () => {
  it('is created once per region, however many targets ask at once, private, encrypted, TLS-only, expiring, tagged', async () => {
    const s = store();
    expect(await s.inspect('eu-west-1')).toBe('missing');
    expect(await s.toCreate(['eu-west-1', 'eu-west-1'])).toEqual([templateBucketName(mgmt, 'eu-west-1')]);
    expect(calls('CreateBucket', 'eu-west-1')).toBe(0);
    const urls = await Promise.all(Array.from({ length: 20 }, () => s.url('eu-west-1', template('v1'))));
    expect(new Set(urls).size).toBe(1);
    expect(calls('CreateBucket', 'eu-west-1')).toBe(1);
    expect(calls('PutObject', 'eu-west-1')).toBe(1);
    const b = sim.state.buckets.get(templateBucketName(mgmt, 'eu-west-1'))!;
    expect(b).toMatchObject({ owner: mgmt, region: 'eu-west-1', tags: { 'guardrail:managed': 'true' } });
    expect(b.config!.PublicAccessBlock).toMatch(
      /<BlockPublicAcls>true<\/BlockPublicAcls>.*<RestrictPublicBuckets>true</s,
    );
    expect(b.config!.OwnershipControls).toContain('BucketOwnerEnforced');
    expect(b.config!.Encryption).toContain('<SSEAlgorithm>AES256</SSEAlgorithm>');
    expect(b.config!.LifecycleConfiguration).toMatch(/<Days>3<\/Days>.*<Prefix>guardrail\/<\/Prefix>/s);
    expect(JSON.parse(String(b.policy)).Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(b.objects!.get(templateKey('v1'))).toMatchObject({ contentType: 'text/yaml' });
    // a later run finds it ours and configured: no second creation or configuration
    await store().url('eu-west-1', template('v1'));
    expect(calls('CreateBucket', 'eu-west-1')).toBe(1);
    expect(calls('PutBucketPolicy', 'eu-west-1')).toBe(1);
  });

  it('us-east-1 takes no LocationConstraint (and the presigned URL reads the object)', async () => {
    const url = await store().url('us-east-1', template('v1'));
    expect(sim.state.buckets.get(templateBucketName(mgmt, 'us-east-1'))?.region).toBe('us-east-1');
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(template('v1').body);
  });

  it('a bucket of that name owned by another account is refused, naming it, before anything is written to it', async () => {
    // a member account claims guardrail's name for a region before guardrail does (names are global, as in S3)
    const theirs = await s3(await assumeInto(sim, memberIds(sim)[0]!))('us-west-2');
    await theirs.send(
      new CreateBucketCommand({
        Bucket: templateBucketName(mgmt, 'us-west-2'),
        CreateBucketConfiguration: { LocationConstraint: 'us-west-2' },
      }),
    );
    expect(sim.state.buckets.get(templateBucketName(mgmt, 'us-west-2'))?.owner).toBe(memberIds(sim)[0]);
    const s = store();
    const err = await s.url('us-west-2', template('v1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateBucketError);
    expect((err as Error).message).toContain(templateBucketName(mgmt, 'us-west-2'));
    expect((err as Error).message).toMatch(
      /If another account owns the name \(bucket names are global\), guardrail will not use it/,
    );
    expect(sim.state.buckets.get(templateBucketName(mgmt, 'us-west-2'))!.objects!.size).toBe(0);
    expect(calls('PutObject', 'us-west-2')).toBe(0);
  });
});

describe('the object', () => {
  it('is uploaded once per version and region, and again once it is a day old or is not the template', async () => {
    const before = calls('PutObject');
    await store().url('us-east-1', template('v2'));
    await store().url('us-east-1', template('v2'));
    expect(calls('PutObject') - before).toBe(1);
    offset = FRESH_FOR_MS + 1000;
    await store().url('us-east-1', template('v2'));
    expect(calls('PutObject') - before).toBe(2);
    // someone replaced the object: the next run writes the template back before sending its URL
    const obj = sim.state.buckets.get(templateBucketName(mgmt, 'us-east-1'))!.objects!.get(templateKey('v2'))!;
    obj.body = 'Resources: {}\n';
    obj.sha256 = 'forged';
    offset = FRESH_FOR_MS + 2000;
    await store().url('us-east-1', template('v2'));
    expect(calls('PutObject') - before).toBe(3);
    expect(sim.state.buckets.get(templateBucketName(mgmt, 'us-east-1'))!.objects!.get(templateKey('v2'))!.body).toBe(
      template('v2').body,
    );
  });
});

describe('the URL', () => {
  it('is signed again once the one in hand is older than five minutes', async () => {
    const s = store();
    const first = await s.url('us-east-1', template('v3'));
    offset = RESIGN_AFTER_MS - 1000;
    expect(await s.url('us-east-1', template('v3'))).toBe(first);
    offset = RESIGN_AFTER_MS + 1000;
    const second = await s.url('us-east-1', template('v3'));
    expect(second).not.toBe(first);
    expect(new URL(second).searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('is signed once for every target that asks at once (not once each, which could straddle a second)', async () => {
    let signings = 0;
    const s = new TemplateStore({
      account: mgmt,
      s3: s3(),
      now,
      presign: async () => {
        signings += 1;
        await new Promise((r) => setTimeout(r, 5));
        return `https://signed.example/${signings}`;
      },
    });
    const urls = await Promise.all(Array.from({ length: 20 }, () => s.url('us-east-1', template('v5'))));
    expect(new Set(urls)).toEqual(new Set(['https://signed.example/1']));
    expect(signings).toBe(1);
    offset = RESIGN_AFTER_MS + 1000;
    expect(await s.url('us-east-1', template('v5'))).toBe('https://signed.example/2');
  });

  it("longer than CloudFormation's 5,120 characters (a long session token) is refused before it is sent", async () => {
    const longToken = {
      accessKeyId: 'AKIDMGMT',
      secretAccessKey: 'simulated',
      sessionToken: 'T'.repeat(TEMPLATE_URL_LIMIT),
    };
    const err = await store(longToken)
      .url('us-east-1', template('v4'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateBucketError);
    expect((err as Error).message).toMatch(/characters, over CloudFormation's TemplateURL limit of 5120/);
  });
});

describe("--plan's preview", () => {
  it("creates no bucket: where the bucket is there, this version's object once; else the body when it fits, else nothing", async () => {
    const creates = () =>
      [...sim.state.calls.values()]
        .filter((c) => c.service === 's3' && /^(Create|PutBucket|PutPublic)/.test(c.operation))
        .reduce((n, c) => n + c.count, 0);
    const before = creates();
    const s = store();
    // us-east-1's bucket exists (the tests above): a version never deployed is put there for the change set
    const puts = calls('PutObject');
    const fresh = template('preview-only', `Resources: {}\n#${'y'.repeat(52_000)}\n`);
    const there = await s.source('us-east-1', fresh).forPreview();
    expect(there).toHaveProperty('TemplateURL');
    expect(await (await fetch((there as { TemplateURL: string }).TemplateURL)).text()).toBe(fresh.body);
    await s.source('us-east-1', fresh).forPreview();
    expect(calls('PutObject') - puts).toBe(1);
    // ap-south-1 has no bucket: none is made, nothing is put
    const small = await s.source('ap-south-1', template('p1')).forPreview();
    expect(small).toEqual({ TemplateBody: template('p1').body });
    const big = await s.source('ap-south-1', template('p2', `Resources: {}\n#${'x'.repeat(52_000)}\n`)).forPreview();
    expect(big).toBeNull();
    expect(calls('PutObject', 'ap-south-1')).toBe(0);
    expect(creates()).toBe(before);
  });
});

describe("a local clock that is not S3's", () => {
  it("signs at S3's time (the SDK's clock correction), so the URL is valid there", async () => {
    // the simulator's clock two hours ahead of this machine's, as after a demo's clock moves (or a skewed laptop)
    await sim.state.clock.advance(2 * 3600);
    // one client per region, as the session keeps them: the SDK learns the skew from its responses' Date headers
    const clients = new Map<string, S3Client>();
    const s = new TemplateStore({
      account: mgmt,
      s3: async (r) => clients.get(r) ?? clients.set(r, await s3()(r)).get(r)!,
    });
    const url = await s.url('us-east-1', template('skew'));
    const got = await fetch(url);
    expect(got.status, await got.text()).toBe(200);
  });
});

describe('HEAD calls', () => {
  const failing = (statuses: number[]) => {
    let n = 0;
    return async () => {
      const status = statuses[n++];
      if (status === undefined) return 'ok';
      throw Object.assign(new Error(`HTTP ${status}`), { $metadata: { httpStatusCode: status } });
    };
  };
  const noSleep = async () => undefined;

  it('a bare 503 (S3 throttling a HEAD) is tried again, up to 5 more times; any other error at once', async () => {
    expect(await headRetried(failing([503, 503, 503]), noSleep)).toBe('ok');
    await expect(headRetried(failing([503, 503, 503, 503, 503, 503]), noSleep)).rejects.toThrow('HTTP 503');
    const forbidden = failing([403]);
    await expect(headRetried(forbidden, noSleep)).rejects.toThrow('HTTP 403');
    await expect(headRetried(failing([404, 503]), noSleep)).rejects.toThrow('HTTP 404');
  });

  it("a bucket of guardrail's name in another region (HeadBucket's bare 301) is refused, naming both, and nothing is made", async () => {
    const sent: string[] = [];
    const redirecting = async () =>
      ({
        send: (command: { constructor: { name: string } }) => {
          sent.push(command.constructor.name);
          return Promise.reject(
            Object.assign(new Error('UnknownError'), { name: 'Unknown', $metadata: { httpStatusCode: 301 } }),
          );
        },
      }) as unknown as S3Client;
    const s = new TemplateStore({ account: mgmt, s3: redirecting, now });
    const err = await s.url('eu-west-2', template('v1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateBucketError);
    expect((err as Error).message).toContain(
      `The template bucket name ${templateBucketName(mgmt, 'eu-west-2')} exists in another region than eu-west-2 (S3 answered 301 to HeadBucket)`,
    );
    expect((err as Error).message).toMatch(/possible bucket-sniping attempt/);
    expect(sent).toEqual(['HeadBucketCommand']);
  });
});

describe('the permissions the README documents', () => {
  // each S3 operation the store made above, as IAM authorises it (the Service Authorization Reference's names)
  const IAM: Record<string, string> = {
    CreateBucket: 's3:CreateBucket',
    HeadBucket: 's3:ListBucket',
    PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
    PutBucketOwnershipControls: 's3:PutBucketOwnershipControls',
    PutBucketEncryption: 's3:PutEncryptionConfiguration',
    PutBucketPolicy: 's3:PutBucketPolicy',
    PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
    PutBucketTagging: 's3:PutBucketTagging',
    GetBucketTagging: 's3:GetBucketTagging',
    PutObject: 's3:PutObject',
    HeadObject: 's3:GetObject',
    GetObject: 's3:GetObject',
  };

  it('cover every S3 call the store made in these tests, and nothing it does not make', () => {
    const made = new Set(
      [...sim.state.calls.values()].filter((c) => c.service === 's3' && c.account === mgmt).map((c) => c.operation),
    );
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes('"TemplateBuckets"'))!;
    const documented = new Set(
      (JSON.parse(block) as { Statement: { Sid?: string; Action: string | string[] }[] }).Statement.filter((st) =>
        st.Sid?.startsWith('Template'),
      ).flatMap((st) => [st.Action].flat()),
    );
    const needed = new Set([...made].map((op) => IAM[op] ?? `unmapped operation ${op}`));
    expect([...needed].sort()).toEqual([...documented].sort());
  });
});
