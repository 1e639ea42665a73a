// S3 as deploy's template bucket uses it, through the real SDK: buckets with LocationConstraint's rules, owners and
// ExpectedBucketOwner, objects with their SHA-256, and presigned GETs verified as S3 verifies them (expiry on the
// simulator's clock, tampering, the signer's account); CloudFormation and StackSets read TemplateURL through them.
import {
  ActivateOrganizationsAccessCommand,
  CreateStackCommand,
  CreateStackSetCommand,
  CloudFormationClient,
  DescribeStackSetCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../server.js';
import {
  assumeInto,
  clientConfig,
  errorOf,
  memberIds,
  startTestSim,
  MANAGEMENT_CREDENTIALS,
  type TestCredentials,
} from './helpers.js';

let sim: SimServer;
let mgmt: string;
const s3For = (region = 'us-east-1', creds: TestCredentials = MANAGEMENT_CREDENTIALS) =>
  new S3Client({ ...clientConfig(sim, region, creds), forcePathStyle: true });
const cfnFor = (region = 'us-east-1', creds: TestCredentials = MANAGEMENT_CREDENTIALS) =>
  new CloudFormationClient(clientConfig(sim, region, creds));
const TEMPLATE = 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n';
const advance = (seconds: number) =>
  fetch(`${sim.endpoint}/_sim/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
/** a presigned GET as of the simulator's clock (the SDK's skew correction has not seen a response yet) */
const presign = async (s3: S3Client, Bucket: string, Key: string, expiresIn = 900) =>
  getSignedUrl(s3, new GetObjectCommand({ Bucket, Key }), { expiresIn, signingDate: new Date(sim.state.clock.now()) });

beforeAll(async () => {
  sim = await startTestSim({ accounts: 3, regions: ['us-east-1', 'eu-west-1'] });
  mgmt = sim.state.org.managementAccountId;
});
afterAll(() => sim.close());

describe('buckets', () => {
  it('CreateBucket takes no LocationConstraint in us-east-1 and needs its own region elsewhere', async () => {
    const east = s3For('us-east-1');
    await east.send(new CreateBucketCommand({ Bucket: `b-east-${mgmt}` }));
    expect(
      (
        await errorOf(
          east.send(
            new CreateBucketCommand({
              Bucket: `b-east2-${mgmt}`,
              CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
            }),
          ),
        )
      ).name,
    ).toBe('IllegalLocationConstraintException');
    // (the SDK fills in the client's region as LocationConstraint outside us-east-1, so it is not left out here)
    const west = s3For('eu-west-1');
    expect(
      (
        await errorOf(
          west.send(
            new CreateBucketCommand({
              Bucket: `b-west-${mgmt}`,
              CreateBucketConfiguration: { LocationConstraint: 'us-west-2' },
            }),
          ),
        )
      ).name,
    ).toBe('IllegalLocationConstraintException');
    await west.send(
      new CreateBucketCommand({
        Bucket: `b-west-${mgmt}`,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    expect(sim.state.buckets.get(`b-west-${mgmt}`)).toMatchObject({ region: 'eu-west-1', owner: mgmt });
    // its owner again: 409 BucketAlreadyOwnedByYou outside us-east-1; another account: BucketAlreadyExists
    expect(
      (
        await errorOf(
          west.send(
            new CreateBucketCommand({
              Bucket: `b-west-${mgmt}`,
              CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
            }),
          ),
        )
      ).name,
    ).toBe('BucketAlreadyOwnedByYou');
    const member = await assumeInto(sim, memberIds(sim)[0]!);
    expect(
      (await errorOf(s3For('us-east-1', member).send(new CreateBucketCommand({ Bucket: `b-east-${mgmt}` })))).name,
    ).toBe('BucketAlreadyExists');
  });

  it('HeadBucket: 404 when missing, 403 with another ExpectedBucketOwner or for another account', async () => {
    const s3 = s3For();
    await s3.send(new HeadBucketCommand({ Bucket: `b-east-${mgmt}`, ExpectedBucketOwner: mgmt }));
    expect(
      (await errorOf(s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-here' })))).$metadata?.httpStatusCode,
    ).toBe(404);
    expect(
      (await errorOf(s3.send(new HeadBucketCommand({ Bucket: `b-east-${mgmt}`, ExpectedBucketOwner: '123456789012' }))))
        .$metadata?.httpStatusCode,
    ).toBe(403);
    const member = await assumeInto(sim, memberIds(sim)[0]!);
    expect(
      (await errorOf(s3For('us-east-1', member).send(new HeadBucketCommand({ Bucket: `b-east-${mgmt}` })))).$metadata
        ?.httpStatusCode,
    ).toBe(403);
  });
});

describe('objects and presigned URLs', () => {
  const bucket = () => `b-east-${mgmt}`;
  beforeAll(async () => {
    await s3For().send(
      new PutObjectCommand({
        Bucket: bucket(),
        Key: 'guardrail/t.yaml',
        Body: TEMPLATE,
        ContentType: 'text/yaml',
        ExpectedBucketOwner: mgmt,
      }),
    );
  });

  it('PutObject checks x-amz-checksum-sha256, HeadObject returns it with ChecksumMode', async () => {
    const s3 = s3For();
    expect(
      (
        await errorOf(
          s3.send(
            new PutObjectCommand({
              Bucket: bucket(),
              Key: 'guardrail/bad.yaml',
              Body: 'x',
              ChecksumSHA256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
            }),
          ),
        )
      ).name,
    ).toBe('BadDigest');
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(TEMPLATE).digest('base64');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket(), Key: 'guardrail/sum.yaml', Body: TEMPLATE, ChecksumSHA256: digest }),
    );
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket(),
        Key: 'guardrail/sum.yaml',
        ChecksumMode: 'ENABLED',
        ExpectedBucketOwner: mgmt,
      }),
    );
    expect(head.ChecksumSHA256).toBe(digest);
    expect(
      (
        await errorOf(
          s3.send(
            new HeadObjectCommand({ Bucket: bucket(), Key: 'guardrail/sum.yaml', ExpectedBucketOwner: '123456789012' }),
          ),
        )
      ).$metadata?.httpStatusCode,
    ).toBe(403);
  });

  it('a presigned GET reads the object; a tampered one or one signed with the wrong secret does not', async () => {
    const url = await presign(s3For(), bucket(), 'guardrail/t.yaml');
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(TEMPLATE);
    const tampered = url.replace('guardrail/t.yaml', 'guardrail/sum.yaml');
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const wrongSecret = await presign(
      s3For('us-east-1', { accessKeyId: 'AKIDMGMT', secretAccessKey: 'not-the-secret' }),
      bucket(),
      'guardrail/t.yaml',
    );
    expect((await fetch(wrongSecret)).status).toBe(403);
  });

  it("a presigned GET expires on the simulator's clock", async () => {
    const url = await presign(s3For(), bucket(), 'guardrail/t.yaml', 60);
    expect((await fetch(url)).status).toBe(200);
    await advance(61);
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
  });

  it('a URL signed by another account reads only what the bucket policy grants it', async () => {
    const member = await assumeInto(sim, memberIds(sim)[1]!);
    const theirs = s3For('us-east-1', member);
    const url = await presign(theirs, bucket(), 'guardrail/t.yaml');
    expect((await fetch(url)).status).toBe(403);
    await s3For().send(
      new PutBucketPolicyCommand({
        Bucket: bucket(),
        ExpectedBucketOwner: mgmt,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${memberIds(sim)[1]}:root` },
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${bucket()}/guardrail/*`,
            },
          ],
        }),
      }),
    );
    expect((await fetch(await presign(theirs, bucket(), 'guardrail/t.yaml'))).status).toBe(200);
  });
});

describe('TemplateURL', () => {
  const bucket = () => `b-east-${mgmt}`;

  it('CloudFormation in a member account reads the template through a URL the management account signed', async () => {
    const url = await presign(s3For(), bucket(), 'guardrail/t.yaml');
    const member = await assumeInto(sim, memberIds(sim)[2]!);
    const cfn = cfnFor('us-east-1', member);
    await cfn.send(new CreateStackCommand({ StackName: 'by-url', TemplateURL: url }));
    const tpl = await cfn.send(new GetTemplateCommand({ StackName: 'by-url' }));
    expect(tpl.TemplateBody).toBe(TEMPLATE);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: 'by-url' }))).Stacks?.[0]?.StackName).toBe('by-url');
  });

  it("an expired, tampered or unsigned URL fails the call with CloudFormation's ValidationError", async () => {
    const member = await assumeInto(sim, memberIds(sim)[2]!);
    const cfn = cfnFor('us-east-1', member);
    const url = await presign(s3For(), bucket(), 'guardrail/t.yaml', 30);
    const tampered = url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000');
    const unsigned = url.split('?')[0]!;
    for (const bad of [tampered, unsigned]) {
      const err = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'bad-url', TemplateURL: bad })));
      expect(err.name).toBe('ValidationError');
      expect(err.message).toContain('TemplateURL must reference a valid S3 object to which you have access.');
    }
    await advance(31);
    const expired = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'bad-url', TemplateURL: url })));
    expect(expired.message).toContain('Request has expired');
  });

  it('a URL signed by an account that neither owns the bucket nor is granted by its policy fails the call', async () => {
    const other = await assumeInto(sim, memberIds(sim)[2]!);
    const url = await presign(s3For('us-east-1', other), bucket(), 'guardrail/t.yaml');
    const err = await errorOf(
      cfnFor('us-east-1', other).send(new CreateStackCommand({ StackName: 'not-theirs', TemplateURL: url })),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toMatch(
      /TemplateURL must reference a valid S3 object to which you have access\. \(S3 error: Access Denied\)/,
    );
  });

  it("TemplateURL's object may pass TemplateBody's 51,200 bytes, up to 1 MB; TemplateBody may not", async () => {
    const big = `${TEMPLATE}Metadata:\n  Padding: '${'x'.repeat(60_000)}'\n`;
    const huge = `${TEMPLATE}Metadata:\n  Padding: '${'x'.repeat(1_100_000)}'\n`;
    const s3 = s3For();
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: 'guardrail/big.yaml', Body: big }));
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: 'guardrail/huge.yaml', Body: huge }));
    const cfn = cfnFor();
    await cfn.send(
      new CreateStackCommand({ StackName: 'big', TemplateURL: await presign(s3, bucket(), 'guardrail/big.yaml') }),
    );
    expect(
      (await errorOf(cfn.send(new CreateStackCommand({ StackName: 'big-body', TemplateBody: big })))).message,
    ).toContain('51200');
    const err = await errorOf(
      cfn.send(
        new CreateStackCommand({ StackName: 'huge', TemplateURL: await presign(s3, bucket(), 'guardrail/huge.yaml') }),
      ),
    );
    expect(err.message).toContain('1048576');
  });

  it('StackSets read TemplateURL the same way', async () => {
    const cfn = cfnFor();
    await cfn.send(new ActivateOrganizationsAccessCommand({}));
    const url = await presign(s3For(), bucket(), 'guardrail/t.yaml');
    await cfn.send(
      new CreateStackSetCommand({
        StackSetName: 'by-url',
        TemplateURL: url,
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: false },
      }),
    );
    expect((await cfn.send(new DescribeStackSetCommand({ StackSetName: 'by-url' }))).StackSet?.TemplateBody).toBe(
      TEMPLATE,
    );
    const err = await errorOf(
      cfn.send(
        new CreateStackSetCommand({
          StackSetName: 'by-bad-url',
          PermissionModel: 'SERVICE_MANAGED',
          TemplateURL: url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'),
        }),
      ),
    );
    expect(err.name).toBe('ValidationError');
    expect(err.message).toContain('TemplateURL must reference a valid S3 object to which you have access.');
  });
});

describe('virtual-hosted addressing', () => {
  it('Host: BUCKET.localhost:PORT names the bucket, and its presigned GET verifies with that host', async () => {
    const { request } = await import('node:http');
    const port = new URL(sim.endpoint).port;
    // the SDK without forcePathStyle puts the bucket in the host name of the endpoint
    const s3 = new S3Client({ ...clientConfig(sim), endpoint: `http://localhost:${port}`, forcePathStyle: false });
    const url = new URL(await presign(s3, `b-east-${mgmt}`, 'guardrail/t.yaml'));
    expect(url.host).toBe(`b-east-${mgmt}.localhost:${port}`);
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: Number(port), path: `${url.pathname}${url.search}`, headers: { host } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString('utf8');
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const ok = await get(url.host);
    expect(ok).toEqual({ status: 200, body: TEMPLATE });
    // the same path and query under another Host address another bucket (none here), or, path-style, the key's first
    // segment as a bucket: nothing is served
    expect((await get(`other-${mgmt}.localhost:${port}`)).status).toBe(404);
    expect((await get(`127.0.0.1:${port}`)).status).toBe(404);
  });
});
