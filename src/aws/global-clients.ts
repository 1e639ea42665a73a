// The clients of the caller's own session: STS (who am I, AssumeRole) and Organizations. Apart from the per-target
// clients (clients.ts), so that the worker threads, which get credentials and only read stacks, do not load them.
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { make, type ClientOptions } from './clients.js';

export function organizationsClient(opts: ClientOptions): OrganizationsClient {
  // Organizations is a global service served from us-east-1 in the aws partition
  return make(OrganizationsClient, opts);
}

export function stsClient(opts: ClientOptions): STSClient {
  return make(STSClient, opts);
}
