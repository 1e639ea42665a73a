// A run's AWS session: the caller's identity (checked once, first), the credential broker, and one client set per
// account and region.
import {
  CredentialBroker,
  callerIdentity,
  sessionNameFor,
  type CallerIdentity,
  type RoleChoice,
} from '../aws/credentials.js';
import { ClientShare, targetClients, type TargetClients } from '../aws/clients.js';
import { organizationsClient, stsClient } from '../aws/global-clients.js';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AwsCredentialIdentity } from '@smithy/types';
import { AuthError } from '../errors.js';
import { Offload, offloadPolicy } from './offload.js';
import { TemplateStore } from '../stack/template-bucket.js';

export interface SessionOptions {
  profile?: string;
  /** the session name prefix from organization.sessionName */
  sessionName: string;
  env: Record<string, string | undefined>;
  /** client sets kept at most (default `MAX_CLIENT_SETS`): size it to the targets in flight and planned ahead */
  maxClientSets?: number;
}

export interface Session {
  identity: CallerIdentity;
  broker: CredentialBroker;
  organizations(): OrganizationsClient;
  clients(account: string, region: string, role: RoleChoice): TargetClients;
  /**
   * Forgets the account and region's clients once its target is done, so a run over thousands of targets holds
   * clients only for the targets in flight (about 50 KB each). A later `clients()` call makes new ones.
   * The session also keeps at most `maxClientSets` sets, the least recently used dropped first: a command that
   * plans every target before it releases any does not hold a client per target (each is kept alive, and moved
   * to the old generation of the heap, for as long as it is cached).
   */
  release(account: string, region: string, role: RoleChoice): void;
  /**
   * deploy's template bucket per region, in the caller's own account and with the caller's own credentials (one
   * store per run: one bucket creation per region, one upload per template version and region)
   */
  templates(): TemplateStore;
  /** the region for global calls (STS, Organizations) */
  homeRegion: string;
  /** worker threads for read-only work per target (offload.ts) */
  offload: Offload;
  /**
   * The account's credentials as plain values, for a job in a worker thread; null for the caller's own account,
   * whose credentials this thread's provider chain resolves (that account's work stays here).
   */
  plainCredentials(account: string, role: RoleChoice): Promise<AwsCredentialIdentity | null>;
  close(): void;
}

/** Client sets kept when the caller does not say. */
export const MAX_CLIENT_SETS = 512;

export async function openSession(opts: SessionOptions): Promise<Session> {
  const offload = new Offload(offloadPolicy(opts.env), opts.env);
  const region = opts.env.AWS_REGION ?? opts.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const profile = opts.profile ? { profile: opts.profile } : {};
  const share = new ClientShare();
  const sts = stsClient({ region, share, ...profile });
  // one client for GetCallerIdentity and AssumeRole: bad credentials are never retried, a throttled call gets the
  // full throttling budget, and an unreachable endpoint fails after three quick attempts (aws/retry.ts)
  const identity = await callerIdentity(sts).catch((err: unknown) => {
    // say which profile could not be loaded: the SDK's message names none
    const cause = (err as { cause?: { name?: string } }).cause;
    if (opts.profile && err instanceof AuthError && cause?.name === 'CredentialsProviderError') {
      throw new AuthError(
        `Could not load credentials for the profile "${opts.profile}" (${(err.cause as Error).message})`,
        {
          suggestion:
            `Check that "${opts.profile}" is in ~/.aws/config or ~/.aws/credentials (aws configure list-profiles), ` +
            'sign in to it if it uses SSO (aws sso login --profile NAME), then rerun.',
          cause: err.cause,
        },
      );
    }
    throw err;
  });
  const partition = identity.arn.split(':')[1] || 'aws';
  const broker = new CredentialBroker({
    sts,
    identity,
    partition,
    sessionName: sessionNameFor(identity, opts.sessionName),
  });
  const cache = new Map<string, TargetClients>();
  const maxSets = Math.max(1, opts.maxClientSets ?? MAX_CLIENT_SETS);
  const keyOf = (account: string, region: string, role: RoleChoice) => `${account}|${region}|${role.roleName}`;
  let org: OrganizationsClient | undefined;
  let templates: TemplateStore | undefined;
  const own = new Map<string, TargetClients>();
  return {
    identity,
    broker,
    homeRegion: region,
    offload,
    templates: () =>
      (templates ??= new TemplateStore({
        account: identity.account,
        partition,
        s3: (r) => {
          let c = own.get(r);
          if (!c) own.set(r, (c = targetClients({ region: r, share, ...profile })));
          return c.s3();
        },
      })),
    organizations: () =>
      (org ??= organizationsClient({ region: partition === 'aws' ? 'us-east-1' : region, share, ...profile })),
    clients(account, region, role) {
      const key = keyOf(account, region, role);
      let c = cache.get(key);
      if (c) {
        // most recently used last: Map keeps insertion order
        cache.delete(key);
      } else {
        const credentials = broker.forAccount(account, role);
        c = targetClients({ region, share, ...(credentials ? { credentials } : profile) });
        if (cache.size >= maxSets) cache.delete(cache.keys().next().value!);
      }
      cache.set(key, c);
      return c;
    },
    async plainCredentials(account, role) {
      return account === identity.account ? null : broker.get(account, role);
    },
    release(account, region, role) {
      // no destroy(): the clients share the run's connection pool, and a call may still be finishing on them
      cache.delete(keyOf(account, region, role));
    },
    close() {
      sts.destroy();
      org?.destroy();
      share.destroy();
      void offload.close();
    },
  };
}
