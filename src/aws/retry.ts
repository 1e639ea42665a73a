// guardrail's retry policy, for every AWS client. The SDK's standard mode gives every retryable error the same
// budget; an organisation-wide run needs two different ones:
//  - throttling (CloudFormation `Throttling`, Organizations `TooManyRequestsException`, EC2 `RequestLimitExceeded`,
//    HTTP 429, …) is expected at scale and says nothing about the target: up to 15 attempts, capped exponential
//    backoff with full jitter (base 300 ms, cap 10 s), so it never fails a target unless it lasts about a minute;
//  - transient errors (connection refused or reset, timeouts, 5xx) mostly mean the endpoint is down or unreachable:
//    3 attempts with short waits, so a dead endpoint fails in well under a second, with its own error.
// Client errors (AccessDenied, ValidationError, expired credentials) are never retried.
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

export interface RetryPolicy {
  throttlingAttempts: number;
  throttlingBaseMs: number;
  transientAttempts: number;
  transientBaseMs: number;
  capMs: number;
  /** 0..1 → 0..1, injectable for tests */
  random?: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  throttlingAttempts: 15,
  throttlingBaseMs: 300,
  transientAttempts: 3,
  transientBaseMs: 100,
  capMs: 10_000,
};

class Token implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

export class GuardrailRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private readonly policy: RetryPolicy;

  constructor(policy: Partial<RetryPolicy> = {}) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const delay = this.nextDelay(token.getRetryCount() + 1, info);
    if (delay === undefined) throw new Error('no retry left');
    return new Token(token.getRetryCount() + 1, delay);
  }

  recordSuccess(): void {
    // no shared retry quota: the engine's concurrency already bounds the calls in flight
  }

  /** The wait before attempt `attempts + 1`, or undefined when the error gets no more attempts. */
  nextDelay(attempts: number, info: RetryErrorInfo): number | undefined {
    const p = this.policy;
    const [limit, base] =
      info.errorType === 'THROTTLING'
        ? [p.throttlingAttempts, p.throttlingBaseMs]
        : info.errorType === 'TRANSIENT'
          ? [p.transientAttempts, p.transientBaseMs]
          : [1, 0];
    if (attempts >= limit) return undefined;
    const ceiling = Math.min(p.capMs, base * 2 ** (attempts - 1));
    let delay = Math.round((p.random ?? Math.random)() * ceiling);
    if (info.retryAfterHint instanceof Date) {
      delay = Math.max(delay, Math.min(info.retryAfterHint.getTime() - Date.now(), p.capMs));
    }
    return delay;
  }
}
