// S3 (REST-XML): what deploy's template bucket needs (src/stack/template-bucket.ts), on the wire as S3 speaks it.
// Buckets are addressed path-style (ENDPOINT/BUCKET/KEY) or virtual-hosted (Host: BUCKET.localhost:PORT). Each
// bucket has an owner (the creating caller's account); a caller of another account gets 403 AccessDenied unless the
// bucket policy allows it, and `x-amz-expected-bucket-owner` that is not the owner is 403 AccessDenied too.
// A presigned GET (query-string SigV4) is verified in full: algorithm, credential scope, X-Amz-Date and -Expires on
// the simulator's clock, the signed headers, and the signature with the key's secret (a key the simulator issued, or
// ROOT_SECRET for any other key, the management account's root). CloudFormation's TemplateURL goes through
// `readTemplateUrl`, the same check.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SimError, type Caller, type Service, type SimRequest } from '../types.js';
import type { Bucket, S3Object, SimState } from '../state.js';
import { escapeXml } from '../protocols.js';
import { evaluateResourcePolicy } from './resource-policy.js';
import { identify } from '../server.js';

/** The secret of every key the simulator did not issue (the management account's root): the e2e harness's. */
export const ROOT_SECRET = 'simulated';
const MAX_PRESIGN_EXPIRES = 7 * 24 * 3600;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const SUBRESOURCES = [
  'publicAccessBlock',
  'ownershipControls',
  'encryption',
  'policy',
  'lifecycle',
  'tagging',
] as const;
const PUT_OPERATION: Record<(typeof SUBRESOURCES)[number], string> = {
  publicAccessBlock: 'PutPublicAccessBlock',
  ownershipControls: 'PutBucketOwnershipControls',
  encryption: 'PutBucketEncryption',
  policy: 'PutBucketPolicy',
  lifecycle: 'PutBucketLifecycleConfiguration',
  tagging: 'PutBucketTagging',
};
const GET_OPERATION: Partial<Record<(typeof SUBRESOURCES)[number], string>> = {
  tagging: 'GetBucketTagging',
  policy: 'GetBucketPolicy',
  publicAccessBlock: 'GetPublicAccessBlock',
  encryption: 'GetBucketEncryption',
  lifecycle: 'GetBucketLifecycleConfiguration',
  ownershipControls: 'GetBucketOwnershipControls',
};

/** The IAM action each configuration call is authorised as (the service authorization reference's names). */
const IAM_ACTION: Record<string, string> = {
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  PutBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  PutBucketTagging: 's3:PutBucketTagging',
};

/** Bucket and key of a request: virtual-hosted (Host: BUCKET.localhost[:PORT]) or path-style (/BUCKET/KEY). */
export function addressOf(host: string | undefined, path: string): { bucket: string; key: string } {
  const name = (host ?? '').split(':')[0] ?? '';
  const virtual = /^(.+)\.localhost$/.exec(name)?.[1];
  const segments = path.split('/').slice(1);
  if (virtual) return { bucket: virtual, key: decodeURIComponent(segments.join('/')) };
  return { bucket: decodeURIComponent(segments[0] ?? ''), key: decodeURIComponent(segments.slice(1).join('/')) };
}

export function s3Route(method: string, path: string, query?: URLSearchParams, host?: string): string | undefined {
  const { bucket, key } = addressOf(host, path);
  if (!bucket) return method === 'GET' ? 'ListBuckets' : undefined;
  const sub = SUBRESOURCES.find((s) => query?.has(s));
  if (!key) {
    if (sub) return method === 'PUT' ? PUT_OPERATION[sub] : method === 'GET' ? GET_OPERATION[sub] : undefined;
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    return undefined;
  }
  if (method === 'PUT') return 'PutObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'GET') return 'GetObject';
  return undefined;
}

const xml = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}">${inner}</${root}>`;
/** The text of the first <tag>…</tag> (S3's request bodies are small, flat documents) */
const tagText = (body: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1];
const header = (req: { headers: SimRequest['headers'] }, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const noSuchBucket = (bucket: string) =>
  new SimError('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);
const accessDenied = () => new SimError('AccessDenied', 'Access Denied', 403);

function validBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * The caller may act on the bucket: its owner, or allowed by the bucket policy; the expected owner, when given,
 * matches.
 */
function authorize(
  state: SimState,
  bucket: Bucket,
  caller: Caller,
  action: string,
  resource: string,
  region: string,
  expectedOwner: string | undefined,
): void {
  if (expectedOwner !== undefined && expectedOwner !== bucket.owner) throw accessDenied();
  const verdict = evaluateResourcePolicy(bucket.policy, state, { kind: 'iam', caller }, action, resource, region);
  if (verdict === 'deny') throw accessDenied();
  if (caller.accountId !== (bucket.owner ?? state.org.managementAccountId) && verdict !== 'allow') throw accessDenied();
}

function bucketFor(state: SimState, name: string): Bucket {
  const b = state.buckets.get(name);
  if (!b) throw noSuchBucket(name);
  return b;
}

export const s3: Service = {
  name: 's3',
  protocol: 'rest-xml',
  xmlns: XMLNS,
  throttle: { code: 'SlowDown', status: 503, message: 'Please reduce your request rate.' },
  route: s3Route,
  handle(_ctx, req) {
    const state = _ctx.state;
    const { bucket: name, key } = addressOf(header(req, 'host'), req.path);
    const expectedOwner = header(req, 'x-amz-expected-bucket-owner');
    const arn = `arn:aws:s3:::${name}`;
    const owned = (action: string, resource = arn) => {
      const b = bucketFor(state, name);
      authorize(state, b, req.caller, action, resource, req.region, expectedOwner);
      b.config ??= {};
      return b;
    };
    switch (req.operation) {
      case 'CreateBucket':
        return createBucket(state, req, name);
      case 'HeadBucket': {
        const b = owned('s3:ListBucket');
        return { status: 200, headers: { 'x-amz-bucket-region': b.region } };
      }
      case 'PutPublicAccessBlock':
      case 'PutBucketOwnershipControls':
      case 'PutBucketEncryption':
      case 'PutBucketLifecycleConfiguration':
      case 'PutBucketTagging': {
        const b = owned(IAM_ACTION[req.operation]!);
        if (!req.rawBody)
          throw new SimError(
            'MalformedXML',
            'The XML you provided was not well-formed or did not validate against our published schema',
            400,
          );
        b.config![req.operation.replace(/^Put(Bucket)?/, '')] = req.rawBody;
        if (req.operation === 'PutBucketTagging') {
          b.tags = Object.fromEntries(
            [...req.rawBody.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)].map((m) => [
              m[1]!,
              m[2]!,
            ]),
          );
        }
        return { status: 200 };
      }
      case 'PutBucketPolicy': {
        const b = owned('s3:PutBucketPolicy');
        try {
          JSON.parse(req.rawBody);
        } catch {
          throw new SimError('MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'", 400);
        }
        b.policy = req.rawBody;
        return { status: 204 };
      }
      case 'GetBucketTagging': {
        const b = owned('s3:GetBucketTagging');
        const tags = Object.entries(b.tags ?? {});
        if (tags.length === 0) throw new SimError('NoSuchTagSet', 'The TagSet does not exist', 404);
        return {
          status: 200,
          body: xml(
            'Tagging',
            `<TagSet>${tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('')}</TagSet>`,
          ),
        };
      }
      case 'PutObject': {
        const b = owned('s3:PutObject', `${arn}/${key}`);
        const body = req.rawBody;
        const sha = createHash('sha256').update(body, 'utf8').digest('base64');
        const claimed = header(req, 'x-amz-checksum-sha256');
        if (claimed !== undefined && claimed !== sha)
          throw new SimError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.', 400);
        const etag = `"${createHash('md5').update(body, 'utf8').digest('hex')}"`;
        const obj: S3Object = {
          body,
          contentType: header(req, 'content-type') ?? 'binary/octet-stream',
          lastModified: state.clock.now(),
          etag,
          ...(claimed ? { sha256: claimed } : {}),
        };
        (b.objects ??= new Map()).set(key, obj);
        b.objectCount = b.objects.size;
        return { status: 200, headers: { etag, ...(claimed ? { 'x-amz-checksum-sha256': claimed } : {}) } };
      }
      case 'HeadObject':
      case 'GetObject': {
        const signed = req.query.has('X-Amz-Signature');
        const b = signed ? bucketFor(state, name) : owned('s3:GetObject', `${arn}/${key}`);
        if (signed) verifyPresigned(state, req.method, req.path, req.query, req.headers, b, key);
        const obj = b.objects?.get(key);
        if (!obj) throw new SimError('NoSuchKey', 'The specified key does not exist.', 404);
        const headers: Record<string, string> = {
          'content-type': obj.contentType,
          etag: obj.etag,
          'last-modified': new Date(obj.lastModified).toUTCString(),
          'content-length': String(Buffer.byteLength(obj.body, 'utf8')),
          ...(obj.sha256 && header(req, 'x-amz-checksum-mode') === 'ENABLED'
            ? { 'x-amz-checksum-sha256': obj.sha256 }
            : {}),
        };
        return req.operation === 'HeadObject' ? { status: 200, headers } : { status: 200, headers, raw: obj.body };
      }
      default:
        throw new SimError('NotImplemented', `The simulator does not implement S3 ${req.operation}`, 501);
    }
  },
};

function createBucket(state: SimState, req: SimRequest, name: string) {
  if (!validBucketName(name)) throw new SimError('InvalidBucketName', 'The specified bucket is not valid.', 400);
  // CreateBucketConfiguration's LocationConstraint: none in us-east-1, the endpoint's own region anywhere else
  const constraint = req.rawBody ? tagText(req.rawBody, 'LocationConstraint') : undefined;
  if (req.region === 'us-east-1') {
    if (constraint === 'us-east-1')
      throw new SimError('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400);
    if (constraint !== undefined && constraint !== '') {
      throw new SimError(
        'IllegalLocationConstraintException',
        `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        400,
      );
    }
  } else if (constraint !== req.region) {
    throw new SimError(
      'IllegalLocationConstraintException',
      constraint === undefined
        ? 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.'
        : `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  }
  const existing = state.buckets.get(name);
  if (existing) {
    if ((existing.owner ?? state.org.managementAccountId) !== req.caller.accountId) {
      throw new SimError(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the ' +
          'system. Please select a different name and try again.',
        409,
      );
    }
    // us-east-1 answers 200 to its owner's CreateBucket again (S3's legacy behaviour); every other region 409
    if (req.region !== 'us-east-1')
      throw new SimError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
      );
    return { status: 200, headers: { location: `/${name}` } };
  }
  // new buckets: public access blocked and ACLs disabled (BucketOwnerEnforced), as S3 makes them since April 2023
  state.buckets.set(name, {
    name,
    region: req.region,
    properties: {},
    objectCount: 0,
    owner: req.caller.accountId,
    objects: new Map(),
    tags: {},
    config: {
      PublicAccessBlock: 'default: all blocked',
      OwnershipControls: header(req, 'x-amz-object-ownership') ?? 'BucketOwnerEnforced',
    },
  });
  return { status: 200, headers: { location: `/${name}` } };
}

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
const uriEncode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const amzDate = (s: string) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : NaN;
};
const queryError = (message: string) => new SimError('AuthorizationQueryParametersError', message, 400);

/**
 * A presigned request, checked as S3 checks it: the parameters, the expiry on the simulator's clock, the key's
 * session, the signature (the canonical request with UNSIGNED-PAYLOAD, the scope's date, region and `s3`), then
 * whether the signer's account may read the object (owner, or the bucket policy). Throws S3's error.
 */
export function verifyPresigned(
  state: SimState,
  method: string,
  path: string,
  query: URLSearchParams,
  headers: SimRequest['headers'],
  bucket: Bucket,
  key: string,
): Caller {
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = query.get('X-Amz-Credential') ?? '';
  const [accessKeyId, day, region, service, terminal] = credential.split('/');
  if (!accessKeyId || !day || !region || service !== 's3' || terminal !== 'aws4_request') {
    throw queryError(
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const dateText = query.get('X-Amz-Date') ?? '';
  const signedAt = amzDate(dateText);
  if (Number.isNaN(signedAt) || dateText.slice(0, 8) !== day)
    throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const expires = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1) throw queryError('X-Amz-Expires must be non-negative');
  if (expires > MAX_PRESIGN_EXPIRES)
    throw queryError('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  const signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
  const signature = query.get('X-Amz-Signature') ?? '';
  if (!signedHeaders.split(';').includes('host')) throw queryError('X-Amz-SignedHeaders must contain host');
  if (state.clock.now() > signedAt + expires * 1000) throw new SimError('AccessDenied', 'Request has expired', 403);

  const issued = state.credentials.get(accessKeyId);
  const secret = issued?.secretAccessKey ?? ROOT_SECRET;
  if (issued) {
    if (query.get('X-Amz-Security-Token') !== issued.sessionToken)
      throw new SimError('InvalidToken', 'The provided token is malformed or otherwise invalid.', 400);
  }
  const caller = identify(state, accessKeyId);
  if (caller === 'expired') throw new SimError('ExpiredToken', 'The provided token has expired.', 400);

  const canonicalQuery = [...query]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names
    .map((n) => {
      const v = headers[n];
      return `${n}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonical = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    dateText,
    scope,
    createHash('sha256').update(canonical, 'utf8').digest('hex'),
  ].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(toSign, 'utf8').digest('hex');
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw new SimError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      403,
    );
  }
  authorize(state, bucket, caller, 's3:GetObject', `arn:aws:s3:::${bucket.name}/${key}`, region, undefined);
  return caller;
}

/** CloudFormation's TemplateURL limit on the object: 1 MB. */
export const TEMPLATE_URL_OBJECT_LIMIT = 1_048_576;
const BAD_URL = 'TemplateURL must reference a valid S3 object to which you have access.';

/**
 * CloudFormation reading a TemplateURL: a URL of this simulator's S3 (its endpoint, path-style or virtual-hosted),
 * presigned (verified as S3 verifies it) or plain (read with the API caller's own access, as CloudFormation does).
 * Any failure is CloudFormation's ValidationError, as AWS words it; an object over 1 MB is refused.
 */
export function readTemplateUrl(
  state: SimState,
  endpoint: string,
  templateUrl: string,
  caller: Caller,
  region: string,
): string {
  let url: URL;
  try {
    url = new URL(templateUrl);
  } catch {
    throw new SimError('ValidationError', BAD_URL, 400);
  }
  const own = new URL(endpoint);
  const hostName = url.hostname;
  if (url.port !== own.port || (hostName !== own.hostname && !hostName.endsWith('.localhost')))
    throw new SimError('ValidationError', BAD_URL, 400);
  const { bucket: name, key } = addressOf(url.host, url.pathname);
  const bucket = state.buckets.get(name);
  if (!bucket || !key) throw new SimError('ValidationError', BAD_URL, 400);
  try {
    if (url.searchParams.has('X-Amz-Signature'))
      verifyPresigned(state, 'GET', url.pathname, url.searchParams, { host: url.host }, bucket, key);
    else authorize(state, bucket, caller, 's3:GetObject', `arn:aws:s3:::${name}/${key}`, region, undefined);
  } catch (err) {
    if (err instanceof SimError) throw new SimError('ValidationError', `${BAD_URL} (S3 error: ${err.message})`, 400);
    throw err;
  }
  const obj = bucket.objects?.get(key);
  if (!obj) throw new SimError('ValidationError', BAD_URL, 400);
  const bytes = Buffer.byteLength(obj.body, 'utf8');
  if (bytes > TEMPLATE_URL_OBJECT_LIMIT) {
    throw new SimError(
      'ValidationError',
      `Template file referenced by ${url.origin}${url.pathname} is ${bytes} bytes: the maximum is ${TEMPLATE_URL_OBJECT_LIMIT}.`,
      400,
    );
  }
  return obj.body;
}

/** S3's error document. */
export function s3Error(err: SimError, requestId: string, resource: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}
