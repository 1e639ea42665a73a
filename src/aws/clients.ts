// The client factory: one client per service, account and region (the global services' clients are in
// global-clients.ts, so a worker thread that inspects targets does not load them), with guardrail's retry policy, user
// agent and credentials. Endpoints follow the SDK's own rules, so AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_<SERVICE>)
// points every client at an AWS-compatible endpoint.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { packageVersion } from '../version.js';
import { GuardrailRetryStrategy } from './retry.js';

export interface ClientOptions {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  profile?: string;
  /** connection pools and resolved settings shared by every client of the run (see `ClientShare`) */
  share?: ClientShare;
}

/**
 * Settings every SDK client looks up for itself in the environment and the shared config files, the first time it
 * is used: about a dozen lookups, each a miss that builds and throws two errors. With a client per account, region
 * and service, that was a fifth of a status run's CPU at 6,400 targets. They depend only on the profile the client
 * reads (and the configured endpoint on the service too), never on the region or the credentials: the first client
 * of each profile (and service) resolves them as the SDK does, and later clients get the resolved values.
 */
const SHARED_SETTINGS = [
  'useFipsEndpoint',
  'useDualstackEndpoint',
  'maxAttempts',
  'retryMode',
  'userAgentAppId',
  'authSchemePreference',
  'defaultsMode',
] as const;

type Learned = Record<string, unknown>;

/**
 * What the clients of one run share:
 *  - one keep-alive connection pool. Left to itself, each SDK client makes its own agents (an HTTPS agent even for
 *    an http endpoint) and opens its own connections: with a client per account and region that is thousands of
 *    idle sockets and agents, and a TLS handshake per client. Pools are per host, so sharing them changes nothing
 *    else. `maxSockets` is per host; the engine's concurrency bounds the calls in flight;
 *  - the settings above, once resolved.
 */
export class ClientShare {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  /** per profile, and per service and profile: the resolved config, or 'resolving', or 'unavailable' */
  private readonly learned = new Map<string, Learned | 'resolving' | 'unavailable'>();
  /** the first client's request handler, made from the shared pools: later clients use it too */
  private handler: unknown;

  /** The request handler for a new client: the first client makes one from the pools, the others share it. */
  requestHandler(): unknown {
    return this.handler ?? { httpAgent: this.http, httpsAgent: this.https };
  }

  /** Config entries resolved by an earlier client of this service and profile (none at first). */
  settingsFor(service: string, profile: string | undefined): Learned {
    const global = this.learned.get(`|${profile ?? ''}`);
    const own = this.learned.get(`${service}|${profile ?? ''}`);
    return { ...(typeof global === 'object' ? global : {}), ...(typeof own === 'object' ? own : {}) };
  }

  /** Called with each new client: the first of its profile (and service) resolves, through the SDK's own providers. */
  learnFrom(service: string, profile: string | undefined, client: { config: object }): void {
    const config = client.config as Record<string, unknown>;
    // a handler holds no per-client state (its pools are shared): one for all, not one more object per client
    const handler = config.requestHandler as { handle?: unknown } | undefined;
    if (this.handler === undefined && typeof handler?.handle === 'function') this.handler = handler;
    this.learn(`|${profile ?? ''}`, async () => {
      const providers = SHARED_SETTINGS.map((name) => [name, config[name]] as const);
      if (providers.some(([, p]) => typeof p !== 'function')) return undefined;
      const values = await Promise.all(
        providers.map(async ([name, p]) => [name, await (p as () => Promise<unknown>)()] as const),
      );
      return Object.fromEntries(values.map(([name, v]) => [name, () => Promise.resolve(v)]));
    });
    // The endpoint from AWS_ENDPOINT_URL(_<SERVICE>) or the profile's services section, as this client found it:
    // later clients get it as their endpoint, or, when there is none, are told not to look.
    this.learn(`${service}|${profile ?? ''}`, async () => {
      const configured = config.serviceConfiguredEndpoint;
      if (typeof configured !== 'function' || config.isCustomEndpoint || config.ignoreConfiguredEndpointUrls)
        return undefined;
      const url = await (configured as () => Promise<string | undefined>)();
      return url ? { endpoint: url } : { ignoreConfiguredEndpointUrls: true };
    });
  }

  private learn(key: string, resolve: () => Promise<Learned | undefined>): void {
    if (this.learned.has(key)) return;
    this.learned.set(key, 'resolving');
    resolve().then(
      (v) => this.learned.set(key, v ?? 'unavailable'),
      () => this.learned.set(key, 'unavailable'),
    );
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/**
 * The SDK's logger for guardrail's clients. Without one the SDK stays silent, except where it falls back to
 * console.warn; that fallback is kept for its own notices, but not for "Multiple credential sources detected"
 * (AWS_PROFILE and AWS_ACCESS_KEY_ID both set), which guardrail says itself in one line before the run
 * (commands/target-options.ts), instead of twelve lines that would come before guardrail's own hint.
 */
const SDK_LOGGER = {
  trace: (): void => {},
  debug: (): void => {},
  info: (): void => {},
  error: (): void => {},
  warn: (...args: unknown[]): void => {
    const text = args.map(String).join(' ');
    if (text.includes('@aws-sdk/') && !text.includes('Multiple credential sources detected')) console.warn(...args);
  },
};

/** The profile a client reads its settings from: clients with explicit credentials read the default one. */
const profileOf = (opts: ClientOptions) => (opts.profile && !opts.credentials ? opts.profile : undefined);

function base(opts: ClientOptions, service: string) {
  const profile = profileOf(opts);
  return {
    region: opts.region,
    // throttling: many attempts with backoff; a dead endpoint: few (see retry.ts)
    retryStrategy: new GuardrailRetryStrategy(),
    customUserAgent: `guardrail/${packageVersion()}`,
    logger: SDK_LOGGER,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(profile ? { profile } : {}),
    ...(opts.share ? { requestHandler: opts.share.requestHandler(), ...opts.share.settingsFor(service, profile) } : {}),
  };
}

/** A new client of `Client`, with guardrail's settings; the first of its kind teaches the share the resolved ones. */
export function make<A extends unknown[], C extends { config: object }>(
  Client: new (...config: A) => C,
  opts: ClientOptions,
  extra: Record<string, unknown> = {},
): C {
  // the learned entries are the SDK's own resolved providers and values, typed loosely here
  const client = new Client(...([{ ...base(opts, Client.name), ...extra }] as unknown as A));
  opts.share?.learnFrom(Client.name, profileOf(opts), client);
  return client;
}

export interface TargetClients {
  cloudformation: CloudFormationClient;
  /**
   * The other services' clients, each loaded on first use: a client module costs 5 to 10 MB and 50 to 250 ms to
   * load, and each command needs only some of them (deploy: CloudTrail; status: Lambda, EventBridge and SQS;
   * `regions: all`: EC2, for DescribeRegions).
   */
  cloudtrail(): Promise<CloudTrailClient>;
  ec2(): Promise<EC2Client>;
  events(): Promise<EventBridgeClient>;
  lambda(): Promise<LambdaClient>;
  /** status and retry read the dead-letter queue's depth */
  sqs(): Promise<SQSClient>;
  /** only approvals need it */
  dynamodb(): Promise<DynamoDBClient>;
  /** only `activity` and `report` read the functions' logs */
  logs(): Promise<CloudWatchLogsClient>;
  /** deploy's template bucket (stack/template-bucket.ts), only in the caller's own account */
  s3(): Promise<S3Client>;
}

/**
 * S3 addresses a bucket by host name (virtual-hosted style, `BUCKET.s3.REGION.amazonaws.com`) on AWS. An endpoint
 * set with AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 is one host for every bucket (an emulator, a proxy): there the
 * bucket goes in the path (`ENDPOINT/BUCKET/KEY`), as other emulators need too.
 */
export function s3PathStyle(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);
}

/** Clients for one account and region, each created on first use. */
export function targetClients(opts: ClientOptions): TargetClients {
  const cache: {
    cloudformation?: CloudFormationClient;
    cloudtrail?: Promise<CloudTrailClient>;
    ec2?: Promise<EC2Client>;
    events?: Promise<EventBridgeClient>;
    lambda?: Promise<LambdaClient>;
    sqs?: Promise<SQSClient>;
    dynamodb?: Promise<DynamoDBClient>;
    logs?: Promise<CloudWatchLogsClient>;
    s3?: Promise<S3Client>;
  } = {};
  return {
    get cloudformation() {
      return (cache.cloudformation ??= make(CloudFormationClient, opts));
    },
    cloudtrail: () =>
      (cache.cloudtrail ??= import('@aws-sdk/client-cloudtrail').then(({ CloudTrailClient }) =>
        make(CloudTrailClient, opts),
      )),
    ec2: () => (cache.ec2 ??= import('@aws-sdk/client-ec2').then(({ EC2Client }) => make(EC2Client, opts))),
    events: () =>
      (cache.events ??= import('@aws-sdk/client-eventbridge').then(({ EventBridgeClient }) =>
        make(EventBridgeClient, opts),
      )),
    lambda: () =>
      (cache.lambda ??= import('@aws-sdk/client-lambda').then(({ LambdaClient }) => make(LambdaClient, opts))),
    sqs: () => (cache.sqs ??= import('@aws-sdk/client-sqs').then(({ SQSClient }) => make(SQSClient, opts))),
    dynamodb: () =>
      (cache.dynamodb ??= import('@aws-sdk/client-dynamodb').then(({ DynamoDBClient }) => make(DynamoDBClient, opts))),
    logs: () =>
      (cache.logs ??= import('@aws-sdk/client-cloudwatch-logs').then(({ CloudWatchLogsClient }) =>
        make(CloudWatchLogsClient, opts),
      )),
    s3: () =>
      (cache.s3 ??= import('@aws-sdk/client-s3').then(({ S3Client }) =>
        make(S3Client, opts, { forcePathStyle: s3PathStyle() }),
      )),
  };
}
