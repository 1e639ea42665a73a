// The client factory: one client per service, account and region, with guardrail's retry policy, user agent and
// credentials. Endpoints follow the SDK's own rules, so AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_<SERVICE>) points
// every client at an AWS-compatible endpoint.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { packageVersion } from '../version.js';

/**
 * Throttling is retried with the SDK's capped exponential backoff (base 100 ms, 500 ms for throttling errors, capped
 * at 20 s, with full jitter). The default of 3 attempts gives up too early when an organisation-wide run meets
 * CloudFormation's account-level rate limits, so we allow 10: about a minute of backing off before a call fails.
 */
export const MAX_ATTEMPTS = 10;
/** STS is retried less: bad credentials must fail in seconds, not after a retry storm. */
export const STS_MAX_ATTEMPTS = 4;

export interface ClientOptions {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  profile?: string;
  maxAttempts?: number;
}

function base(opts: ClientOptions) {
  return {
    region: opts.region,
    maxAttempts: opts.maxAttempts ?? MAX_ATTEMPTS,
    retryMode: 'standard' as const,
    customUserAgent: `guardrail/${packageVersion()}`,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.profile && !opts.credentials ? { profile: opts.profile } : {}),
  };
}

export interface TargetClients {
  cloudformation: CloudFormationClient;
  cloudtrail: CloudTrailClient;
  ec2: EC2Client;
  events: EventBridgeClient;
  lambda: LambdaClient;
}

/** Clients for one account and region, each created on first use. */
export function targetClients(opts: ClientOptions): TargetClients {
  const cache: Partial<TargetClients> = {};
  const config = base(opts);
  return {
    get cloudformation() { return (cache.cloudformation ??= new CloudFormationClient(config)); },
    get cloudtrail() { return (cache.cloudtrail ??= new CloudTrailClient(config)); },
    get ec2() { return (cache.ec2 ??= new EC2Client(config)); },
    get events() { return (cache.events ??= new EventBridgeClient(config)); },
    get lambda() { return (cache.lambda ??= new LambdaClient(config)); },
  };
}

export function organizationsClient(opts: ClientOptions): OrganizationsClient {
  // Organizations is a global service served from us-east-1 in the aws partition
  return new OrganizationsClient(base(opts));
}

export function stsClient(opts: ClientOptions): STSClient {
  return new STSClient(base({ ...opts, maxAttempts: opts.maxAttempts ?? STS_MAX_ATTEMPTS }));
}
