// How a template reaches CloudFormation: as a presigned S3 GET URL (TemplateURL), from a bucket of the caller's own
// account in the target's region, `guardrail-templates-<account>-<region>`. TemplateBody is capped at 51,200 bytes,
// TemplateURL's object at 1 MB (CreateStack, CreateChangeSet, CreateStackSet, UpdateStackSet: "The URL must point to
// a template (max size: 1 MB) that's located in an Amazon S3 bucket"). The URL is signed with the caller's
// credentials, so CloudFormation in a member account reads it without any S3 permission of the member's, and the
// bucket needs no cross-account policy.
//
// What is written, and when: nothing before the confirmation (`inspect` is HeadBucket only, for the plan). After it,
// one bucket per region (one creation promise per region, as credentials are cached), one upload per template
// version and region (skipped when the object is there, less than a day old, with the same SHA-256), and a URL
// signed again once the one in hand is older than five minutes, so a long fleet run never sends a stale one.
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { GuardrailError, ExitCode } from '../errors.js';
import { TEMPLATE_BODY_LIMIT } from './template.js';

type S3Module = typeof import('@aws-sdk/client-s3');

/** CloudFormation's TemplateURL: at most 5,120 characters (API reference, CreateStack and StackDefinition). */
export const TEMPLATE_URL_LIMIT = 5_120;
/** CloudFormation reads the template when the call is made; 15 minutes covers SDK retries of that call. */
export const URL_EXPIRY_SECONDS = 15 * 60;
/** a URL older than this is signed again before it is sent (signing is local, and cheap) */
export const RESIGN_AFTER_MS = 5 * 60_000;
/** an object older than this is written again, so the lifecycle rule (LIFECYCLE_DAYS) never expires one mid-run */
export const FRESH_FOR_MS = 24 * 3600_000;
/** the bucket's lifecycle rule: objects under guardrail/ expire after this many days */
export const LIFECYCLE_DAYS = 3;
export const MANAGED_TAG = { Key: 'guardrail:managed', Value: 'true' } as const;

export const templateBucketName = (account: string, region: string) => `guardrail-templates-${account}-${region}`;
export const templateKey = (version: string) => `guardrail/${version}.yaml`;
const sha256 = (body: string) => createHash('sha256').update(body, 'utf8').digest('base64');

/**
 * The template bucket could not be used (someone else owns the name, a URL too long, …): the region's targets fail.
 * It reaches the user as a target row's error, which carries the message only, so the message says what to do too.
 */
export class TemplateBucketError extends GuardrailError {
  readonly nextStep: string;

  constructor(message: string, options: { suggestion: string; cause?: unknown }) {
    super('TEMPLATE_BUCKET', ExitCode.failed, `${message}. ${options.suggestion}`, { cause: options.cause });
    this.nextStep = options.suggestion;
  }
}

/** The template as deploy sends it: the rendered body and its version (the object's key). */
export interface TemplateObject {
  body: string;
  version: string;
}

export type TemplateArgs = { TemplateURL: string } | { TemplateBody: string };

/** What a stack operation passes as its template (stack/deploy-stack.ts). */
export interface TemplateSource {
  /**
   * for a write (CreateStack, a change set to execute, CreateStackSet, UpdateStackSet): bucket and object made if
   * needed
   */
  forApply(): Promise<{ TemplateURL: string }>;
  /**
   * for --plan's preview change set, which must write nothing: the URL when the object is already there, else the
   * body when it fits TemplateBody, else null (no preview)
   */
  forPreview(): Promise<TemplateArgs | null>;
}

export interface TemplateStoreOptions {
  /** the caller's account: the bucket's owner (ExpectedBucketOwner on every call) */
  account: string;
  /** for the bucket policy's ARNs (default aws) */
  partition?: string;
  /** an S3 client with the caller's own credentials, in `region` */
  s3(region: string): Promise<S3Client>;
  /** the clock (tests move it) */
  now?: () => number;
  /** signs a GET of the object; the default is @aws-sdk/s3-request-presigner's getSignedUrl */
  presign?: (s3: S3Client, bucket: string, key: string, signedAt: Date) => Promise<string>;
}

/**
 * The SDK's correction of this machine's clock against S3's (it learns it from responses' Date headers): a URL is
 * signed at S3's time, not a skewed local one, or S3 would take it for expired, or not yet valid.
 */
const clockOffset = (s3: S3Client) => {
  const offset = (s3.config as { systemClockOffset?: unknown }).systemClockOffset;
  return typeof offset === 'number' ? offset : 0;
};

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
const nameOf = (err: unknown) => (err as { name?: string })?.name ?? '';

async function defaultPresign(s3: S3Client, bucket: string, key: string, signedAt: Date): Promise<string> {
  const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/s3-request-presigner'),
  ]);
  // No ExpectedBucketOwner in the URL: CloudFormation makes that GET, not guardrail, and the bucket was just proven
  // ours (HeadBucket and HeadObject with ExpectedBucketOwner); a bucket's owner cannot change while it exists.
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: URL_EXPIRY_SECONDS,
    signingDate: signedAt,
  });
}

/**
 * A HEAD's error has no body, so S3's throttling (503 Slow Down) reaches the SDK as a bare 503, which it takes for a
 * server error and gives the short transient budget (aws/retry.ts). A HEAD reads only: a 503 is tried again here,
 * up to 5 more times with capped, jittered backoff, as the throttling budget would.
 */
export async function headRetried<T>(
  call: () => Promise<T>,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (statusOf(err) !== 503 || attempt >= 5) throw err;
      await sleep(Math.random() * Math.min(5_000, 300 * 2 ** attempt));
    }
  }
}

/** The bucket policy: every request that is not TLS is denied (aws:SecureTransport false). */
export function bucketPolicy(bucket: string, partition = 'aws'): string {
  const arn = `arn:${partition}:s3:::${bucket}`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

/**
 * One promise per key, shared by every target that asks: a refusal (TemplateBucketError: someone else's bucket, a URL
 * too long) stays for the run, a transient failure is forgotten so that the next target asks again.
 */
function once<T>(held: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = held.get(key);
  if (!p) {
    p = make();
    p.catch((err: unknown) => {
      if (!(err instanceof TemplateBucketError)) held.delete(key);
    });
    held.set(key, p);
  }
  return p;
}

export class TemplateStore {
  private readonly now: () => number;
  private readonly presign: NonNullable<TemplateStoreOptions['presign']>;
  private readonly inspected = new Map<string, Promise<'ours' | 'missing'>>();
  private readonly ready = new Map<string, Promise<void>>();
  private readonly uploads = new Map<string, Promise<void>>();
  /** --plan's objects, put only where the bucket exists (previewArgs) */
  private readonly previewUploads = new Map<string, Promise<void>>();
  /** one signing per region and version at a time, shared by every target that asks while it is fresh */
  private readonly signed = new Map<string, { url: Promise<string>; signedAt: number }>();

  constructor(private readonly opts: TemplateStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.presign = opts.presign ?? defaultPresign;
  }

  bucketName(region: string): string {
    return templateBucketName(this.opts.account, region);
  }

  /** Read-only (HeadBucket): whether the region's bucket is there and ours, or missing (deploy would create it). */
  inspect(region: string): Promise<'ours' | 'missing'> {
    return once(this.inspected, region, () => this.head(region));
  }

  /** The buckets a deploy to these regions would create (HeadBucket each, once). */
  async toCreate(regions: Iterable<string>): Promise<string[]> {
    const list = [...new Set(regions)].sort();
    const states = await Promise.all(list.map((r) => this.inspect(r).catch(() => 'ours' as const)));
    return list.filter((_r, i) => states[i] === 'missing').map((r) => this.bucketName(r));
  }

  /** The source a stack operation in `region` sends `template` through. */
  source(region: string, template: TemplateObject): TemplateSource {
    return {
      forApply: async () => ({ TemplateURL: await this.url(region, template) }),
      forPreview: () => this.previewArgs(region, template),
    };
  }

  /** After the confirmation: the bucket (made once per region), the object (once per version), a fresh URL. */
  async url(region: string, template: TemplateObject): Promise<string> {
    await this.upload(region, template);
    const key = `${region}|${template.version}`;
    const held = this.signed.get(key);
    if (held && this.now() - held.signedAt <= RESIGN_AFTER_MS) return held.url;
    const signedAt = this.now();
    const url = this.sign(region, template, signedAt);
    const entry = { url, signedAt };
    this.signed.set(key, entry);
    url.catch((err: unknown) => {
      if (!(err instanceof TemplateBucketError) && this.signed.get(key) === entry) this.signed.delete(key);
    });
    return url;
  }

  private async sign(region: string, template: TemplateObject, signedAt: number): Promise<string> {
    const s3 = await this.opts.s3(region);
    const url = await this.presign(
      s3,
      this.bucketName(region),
      templateKey(template.version),
      new Date(signedAt + clockOffset(s3)),
    );
    if (url.length > TEMPLATE_URL_LIMIT) {
      throw new TemplateBucketError(
        `The presigned URL of ${templateKey(template.version)} in ${this.bucketName(region)} is ${url.length} ` +
          `characters, over CloudFormation's TemplateURL limit of ${TEMPLATE_URL_LIMIT} (a long session token makes it long)`,
        {
          suggestion:
            'Run guardrail with credentials whose session token is shorter: a role session without session tags or ' +
            "inline session policies, or an IAM user's access key.",
        },
      );
    }
    return url;
  }

  /** Makes sure the region's bucket is there and configured: one promise per region, shared by every target. */
  ensureBucket(region: string): Promise<void> {
    return once(this.ready, region, () => this.makeBucket(region));
  }

  /** Uploads the template once per version and region, unless a fresh copy with the same content is there. */
  upload(region: string, template: TemplateObject): Promise<void> {
    return once(this.uploads, `${region}|${template.version}`, () =>
      this.ensureBucket(region).then(() => this.putIfStale(region, template)),
    );
  }

  private async head(region: string): Promise<'ours' | 'missing'> {
    const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
    const bucket = this.bucketName(region);
    try {
      const s3 = await this.opts.s3(region);
      await headRetried(() =>
        s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: this.opts.account })),
      );
      return 'ours';
    } catch (err) {
      if (statusOf(err) === 404 || nameOf(err) === 'NotFound' || nameOf(err) === 'NoSuchBucket') return 'missing';
      if (statusOf(err) === 403) throw this.notOurs(bucket, err);
      // S3 answers a HEAD for a bucket in another region with a bare 301: guardrail makes this name only in `region`,
      // so whoever made it elsewhere is not this run's deploy
      if (statusOf(err) === 301 || nameOf(err) === 'PermanentRedirect') {
        throw new TemplateBucketError(
          `The template bucket name ${bucket} exists in another region than ${region} (S3 answered 301 to HeadBucket)`,
          {
            suggestion:
              `guardrail creates ${bucket} only in ${region}. If it is yours, delete it and let deploy create it in ${region}; if it is not, ` +
              'treat it as a possible bucket-sniping attempt and leave this region out (regions: in accounts.yaml) until the name is free.',
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  private notOurs(bucket: string, cause: unknown): TemplateBucketError {
    return new TemplateBucketError(
      `The template bucket ${bucket} exists but is not account ${this.opts.account}'s, or that ` +
        'account may not read it (S3 answered 403 to HeadBucket with ExpectedBucketOwner)',
      {
        suggestion:
          `If the caller lacks s3:ListBucket on arn:aws:s3:::${bucket}, grant it (docs/permissions.md). If another account ` +
          'owns the name (bucket names are global), guardrail will not use it: delete it from that account, or leave this region out ' +
          '(regions: in accounts.yaml) until the name is free.',
        cause,
      },
    );
  }

  private async makeBucket(region: string): Promise<void> {
    const s3m = await import('@aws-sdk/client-s3');
    const s3 = await this.opts.s3(region);
    const Bucket = this.bucketName(region);
    if ((await this.inspectFresh(region)) === 'ours') {
      // ours and tagged: configured by an earlier run. Untagged: an earlier creation stopped half-way; finish it.
      if (await this.hasManagedTag(s3m, s3, Bucket)) return;
    } else {
      await createBucket(s3m, s3, Bucket, region);
    }
    await this.configureBucket(s3m, s3, Bucket);
  }

  /** GetBucketTagging: whether the bucket has guardrail's tag (no tag set at all: it has not). */
  private async hasManagedTag(s3m: S3Module, s3: S3Client, Bucket: string): Promise<boolean> {
    const tags = await s3
      .send(new s3m.GetBucketTaggingCommand({ Bucket, ExpectedBucketOwner: this.opts.account }))
      .then(
        (o) => o.TagSet ?? [],
        (err: unknown) => {
          if (nameOf(err) === 'NoSuchTagSet') return [];
          throw err;
        },
      );
    return tags.some((t) => t.Key === MANAGED_TAG.Key && t.Value === MANAGED_TAG.Value);
  }

  /**
   * The bucket's settings, each call idempotent: no public access, owner-enforced, encrypted, policy, lifecycle; then
   * the tag.
   */
  private async configureBucket(s3m: S3Module, s3: S3Client, Bucket: string): Promise<void> {
    const ExpectedBucketOwner = this.opts.account;
    await s3.send(
      new s3m.PutPublicAccessBlockCommand({
        Bucket,
        ExpectedBucketOwner,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
    await s3.send(
      new s3m.PutBucketOwnershipControlsCommand({
        Bucket,
        ExpectedBucketOwner,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    await s3.send(
      new s3m.PutBucketEncryptionCommand({
        Bucket,
        ExpectedBucketOwner,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      }),
    );
    await s3.send(
      new s3m.PutBucketPolicyCommand({
        Bucket,
        ExpectedBucketOwner,
        Policy: bucketPolicy(Bucket, this.opts.partition),
      }),
    );
    await s3.send(
      new s3m.PutBucketLifecycleConfigurationCommand({
        Bucket,
        ExpectedBucketOwner,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'guardrail-templates-expire',
              Status: 'Enabled',
              Filter: { Prefix: 'guardrail/' },
              Expiration: { Days: LIFECYCLE_DAYS },
            },
          ],
        },
      }),
    );
    // the tag last: it says the configuration above is complete
    await s3.send(
      new s3m.PutBucketTaggingCommand({ Bucket, ExpectedBucketOwner, Tagging: { TagSet: [{ ...MANAGED_TAG }] } }),
    );
  }

  /** HeadBucket again when the plan's answer is not at hand (the bucket may have been made since). */
  private inspectFresh(region: string): Promise<'ours' | 'missing'> {
    const planned = this.inspected.get(region);
    return planned ? planned.then((s) => (s === 'ours' ? s : this.head(region))) : this.inspect(region);
  }

  /** HeadObject: the object is written again unless it is there, fresh, and has the template's SHA-256. */
  private async putIfStale(region: string, template: TemplateObject): Promise<void> {
    const s3m = await import('@aws-sdk/client-s3');
    const s3 = await this.opts.s3(region);
    const Bucket = this.bucketName(region);
    const Key = templateKey(template.version);
    const digest = sha256(template.body);
    const found = await this.headObject(s3, Bucket, Key);
    if (found && this.now() + clockOffset(s3) - found.lastModified < FRESH_FOR_MS && found.sha256 === digest) return;
    await s3.send(
      new s3m.PutObjectCommand({
        Bucket,
        Key,
        Body: template.body,
        ContentType: 'text/yaml',
        ChecksumSHA256: digest,
        ExpectedBucketOwner: this.opts.account,
      }),
    );
  }

  private async headObject(
    s3: S3Client,
    Bucket: string,
    Key: string,
  ): Promise<{ lastModified: number; sha256?: string } | null> {
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await headRetried(() =>
        s3.send(
          new HeadObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED', ExpectedBucketOwner: this.opts.account }),
        ),
      );
      return {
        lastModified: out.LastModified?.getTime() ?? 0,
        ...(out.ChecksumSHA256 ? { sha256: out.ChecksumSHA256 } : {}),
      };
    } catch (err) {
      if (statusOf(err) === 404 || nameOf(err) === 'NotFound' || nameOf(err) === 'NoSuchKey') return null;
      if (statusOf(err) === 403) throw this.notOurs(Bucket, err);
      throw err;
    }
  }

  /**
   * For --plan, which creates no resource: where the region's bucket is already ours, this version's object is put
   * there (once per region and version, unless a fresh copy is there), as --plan creates and deletes its preview
   * change sets; a transient artifact the lifecycle expires, so the preview shows the resource changes. Without the
   * bucket: the body if it fits TemplateBody, else null (no preview, and the plan says why).
   */
  private async previewArgs(region: string, template: TemplateObject): Promise<TemplateArgs | null> {
    if ((await this.inspect(region)) === 'ours') {
      const s3 = await this.opts.s3(region);
      await once(this.previewUploads, `${region}|${template.version}`, () => this.putIfStale(region, template));
      const url = await this.presign(
        s3,
        this.bucketName(region),
        templateKey(template.version),
        new Date(this.now() + clockOffset(s3)),
      );
      if (url.length <= TEMPLATE_URL_LIMIT) return { TemplateURL: url };
    }
    return Buffer.byteLength(template.body, 'utf8') <= TEMPLATE_BODY_LIMIT ? { TemplateBody: template.body } : null;
  }
}

/** CreateBucket; a name taken by another account fails the region, one this account made meanwhile is configured. */
async function createBucket(s3m: S3Module, s3: S3Client, Bucket: string, region: string): Promise<void> {
  try {
    // us-east-1 takes no LocationConstraint; every other region needs its own name there
    await s3.send(
      new s3m.CreateBucketCommand({
        Bucket,
        ObjectOwnership: 'BucketOwnerEnforced',
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (err) {
    if (nameOf(err) === 'BucketAlreadyExists') {
      throw new TemplateBucketError(
        `The template bucket name ${Bucket} is taken by another AWS account (BucketAlreadyExists)`,
        {
          suggestion:
            'Bucket names are global, and guardrail will not send templates through a bucket it does not own. ' +
            'Leave this region out (regions: in accounts.yaml) until the name is free, and treat it as a possible bucket-sniping attempt.',
          cause: err,
        },
      );
    }
    // another run made it in the meantime: go on configuring it (each call of configureBucket is idempotent)
    if (nameOf(err) !== 'BucketAlreadyOwnedByYou') throw err;
  }
}
