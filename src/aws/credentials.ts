// Credentials: who the caller is (GetCallerIdentity, once, first), and one cached AssumeRole *promise* per account,
// so fifty concurrent targets in one account make one AssumeRole call. The management account is served with the
// caller's own credentials. Assumed credentials are refreshed before they expire: a run can outlast a chained
// role's one-hour session.
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AssumeRoleError, AuthError, UnreachableError } from '../errors.js';
import { isUnreachable } from './reachability.js';

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** Error names that mean the caller's own credentials are missing, expired or rejected. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'AccessDenied',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'TokenRefreshRequired',
]);

export async function callerIdentity(sts: STSClient): Promise<CallerIdentity> {
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
  } catch (err) {
    const name = (err as Error).name;
    if (CREDENTIAL_ERRORS.has(name)) {
      throw new AuthError(
        `Your AWS credentials were rejected or could not be found (${name}: ${(err as Error).message})`,
        {
          suggestion: 'Sign in again (aws sso login, or refresh your keys), or pass --profile NAME, then rerun.',
          cause: err,
        },
      );
    }
    // not a verdict on the credentials: the endpoint could not be reached or failed (exit 4: not 3, and not 1, which
    // would read as a target found unhealthy)
    throw new UnreachableError(
      'STS_UNREACHABLE',
      `Could not check your AWS credentials with sts:GetCallerIdentity (${name}: ${(err as Error).message})`,
      {
        suggestion: 'Check the network path to STS (and AWS_ENDPOINT_URL if you set it), then rerun.',
        cause: err,
      },
    );
  }
}

/** `guardrail-<user>`: the session name says who ran it, within STS's [\w+=,.@-]{2,64}. */
export function sessionNameFor(identity: CallerIdentity, prefix = 'guardrail'): string {
  const user = identity.arn.split('/').pop() ?? '';
  const cleaned = user.replace(/[^\w+=,.@-]/g, '-');
  const name = cleaned && !identity.arn.endsWith(':root') ? `${prefix}-${cleaned}` : prefix;
  return name.slice(0, 64);
}

export interface RoleChoice {
  roleName: string;
  externalId?: string | null;
}

export interface CredentialBrokerOptions {
  sts: STSClient;
  identity: CallerIdentity;
  partition?: string;
  sessionName: string;
  /** the caller's own credentials, used for its own account (undefined: the SDK's default chain) */
  ownCredentials?: AwsCredentialIdentityProvider;
  /** refresh when less than this is left (ms) */
  refreshMarginMs?: number;
}

interface CacheEntry {
  promise: Promise<AwsCredentialIdentity>;
  expiresAt: number;
}

export class CredentialBroker {
  private readonly cache = new Map<string, CacheEntry>();
  private assumeCalls = 0;
  /** each account's last assumption: its role assumed, refused, or STS not reached */
  private readonly outcomes = new Map<string, 'assumed' | 'refused' | 'unreachable'>();

  constructor(private readonly opts: CredentialBrokerOptions) {}

  get callerAccount(): string {
    return this.opts.identity.account;
  }

  /** How many AssumeRole calls were made (one per account, plus refreshes). */
  get assumeRoleCalls(): number {
    return this.assumeCalls;
  }

  /**
   * The accounts whose role this run tried to assume, and how that went (the caller's own account is not among them).
   */
  assumptions(): { tried: number; assumed: number; refused: number; unreachable: number } {
    const all = [...this.outcomes.values()];
    const count = (o: string) => all.filter((x) => x === o).length;
    return {
      tried: all.length,
      assumed: count('assumed'),
      refused: count('refused'),
      unreachable: count('unreachable'),
    };
  }

  roleArn(account: string, role: RoleChoice): string {
    return `arn:${this.opts.partition ?? 'aws'}:iam::${account}:role/${role.roleName}`;
  }

  /**
   * A credentials provider for the account. For the caller's own account it is the caller's credentials
   * (undefined means: let the SDK use its default chain).
   */
  forAccount(account: string, role: RoleChoice): AwsCredentialIdentityProvider | undefined {
    if (account === this.opts.identity.account) return this.opts.ownCredentials;
    return () => this.get(account, role);
  }

  /** Assumes the role once per account; a failure is cached too, so every target of the account reports it. */
  get(account: string, role: RoleChoice): Promise<AwsCredentialIdentity> {
    const key = `${account}|${role.roleName}|${role.externalId ?? ''}`;
    const margin = this.opts.refreshMarginMs ?? 5 * 60_000;
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt - margin > Date.now()) return hit.promise;
    const entry: CacheEntry = { promise: this.assume(account, role), expiresAt: Number.POSITIVE_INFINITY };
    this.cache.set(key, entry);
    entry.promise.then(
      (c) => {
        entry.expiresAt = c.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
      },
      () => {
        /* failures stay cached for this run */
      },
    );
    return entry.promise;
  }

  /** Throws the account's AssumeRoleError, if assuming its role failed; otherwise resolves. */
  async check(account: string, role: RoleChoice): Promise<void> {
    if (account === this.opts.identity.account) return;
    await this.get(account, role);
  }

  private async assume(account: string, role: RoleChoice): Promise<AwsCredentialIdentity> {
    const roleArn = this.roleArn(account, role);
    this.assumeCalls++;
    try {
      const out = await this.opts.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.opts.sessionName,
          // one hour: the longest a chained role session may last, and refreshed before it ends
          DurationSeconds: 3600,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      this.outcomes.set(account, 'assumed');
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (err) {
      this.outcomes.set(account, isUnreachable(err) ? 'unreachable' : 'refused');
      throw new AssumeRoleError(account, roleArn, {
        from: this.opts.identity.arn,
        cause: err,
        suggestion: role.externalId
          ? "Check the role's trust policy and its sts:ExternalId condition, or exclude the account in accounts.yaml."
          : 'Check that the role exists and trusts the caller, or exclude the account in accounts.yaml.',
      });
    }
  }
}
