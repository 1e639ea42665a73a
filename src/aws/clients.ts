// The client factory: one client per service, account and region, with guardrail's retry policy, user agent and
// credentials. Endpoints follow the SDK's own rules, so AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_<SERVICE>) points
// every client at an AWS-compatible endpoint.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { packageVersion } from '../version.js';
import { GuardrailRetryStrategy } from './retry.js';


export interface ClientOptions {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  profile?: string;
  /** connection pools shared by every client of the run (see `sharedAgents`) */
  agents?: SharedAgents;
}

export interface SharedAgents {
  http: HttpAgent;
  https: HttpsAgent;
}

/**
 * One keep-alive connection pool for all of a run's target clients. Left to itself, each SDK client makes its own
 * agents (an HTTPS agent even for an http endpoint) and opens its own connections: with a client per account and
 * region that is thousands of idle sockets and agents, and a TLS handshake per client. Pools are per host, so
 * sharing them changes nothing else. `maxSockets` is per host; the engine's concurrency bounds the calls in flight.
 */
export function sharedAgents(): SharedAgents {
  return { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };
}

function base(opts: ClientOptions) {
  return {
    region: opts.region,
    // throttling: many attempts with backoff; a dead endpoint: few (see retry.ts)
    retryStrategy: new GuardrailRetryStrategy(),
    customUserAgent: `guardrail/${packageVersion()}`,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.profile && !opts.credentials ? { profile: opts.profile } : {}),
    ...(opts.agents ? { requestHandler: { httpAgent: opts.agents.http, httpsAgent: opts.agents.https } } : {}),
  };
}

export interface TargetClients {
  cloudformation: CloudFormationClient;
  cloudtrail: CloudTrailClient;
  /**
   * Loaded on first use: the EC2 client module alone costs about 0.25 s and 70 MB to load, and only
   * `regions: all` needs it (DescribeRegions).
   */
  ec2(): Promise<EC2Client>;
  events: EventBridgeClient;
  lambda: LambdaClient;
  /** Loaded on first use, like ec2: only approvals need it. */
  dynamodb(): Promise<DynamoDBClient>;
  /** Loaded on first use, like ec2: only `activity` and `report` read the functions' logs. */
  logs(): Promise<CloudWatchLogsClient>;
}

/** Clients for one account and region, each created on first use. */
export function targetClients(opts: ClientOptions): TargetClients {
  const cache: { cloudformation?: CloudFormationClient; cloudtrail?: CloudTrailClient; ec2?: Promise<EC2Client>;
    events?: EventBridgeClient; lambda?: LambdaClient; dynamodb?: Promise<DynamoDBClient>;
    logs?: Promise<CloudWatchLogsClient> } = {};
  const config = base(opts);
  return {
    get cloudformation() { return (cache.cloudformation ??= new CloudFormationClient(config)); },
    get cloudtrail() { return (cache.cloudtrail ??= new CloudTrailClient(config)); },
    ec2: () => (cache.ec2 ??= import('@aws-sdk/client-ec2').then(({ EC2Client }) => new EC2Client(config))),
    get events() { return (cache.events ??= new EventBridgeClient(config)); },
    get lambda() { return (cache.lambda ??= new LambdaClient(config)); },
    dynamodb: () => (cache.dynamodb ??= import('@aws-sdk/client-dynamodb').then(({ DynamoDBClient }) => new DynamoDBClient(config))),
    logs: () => (cache.logs ??= import('@aws-sdk/client-cloudwatch-logs').then(({ CloudWatchLogsClient }) => new CloudWatchLogsClient(config))),
  };
}

export function organizationsClient(opts: ClientOptions): OrganizationsClient {
  // Organizations is a global service served from us-east-1 in the aws partition
  return new OrganizationsClient(base(opts));
}

export function stsClient(opts: ClientOptions): STSClient {
  return new STSClient(base(opts));
}
