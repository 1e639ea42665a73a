import { describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GuardrailRetryStrategy } from '../../src/aws/retry.js';
import { startSim } from '../sim/sim.js';
import { testSeed } from '../sim/test/seed.js';

const info = (errorType: 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR') => ({ errorType });

describe('GuardrailRetryStrategy', () => {
  const s = new GuardrailRetryStrategy({ random: () => 1 });

  it('gives throttling 15 attempts with capped exponential backoff', () => {
    const delays = Array.from({ length: 16 }, (_, i) => s.nextDelay(i + 1, info('THROTTLING')));
    expect(delays.slice(0, 6)).toEqual([300, 600, 1200, 2400, 4800, 9600]);
    expect(delays[6]).toBe(10_000); // capped
    expect(delays[13]).toBe(10_000);
    expect(delays[14]).toBeUndefined(); // the 15th attempt was the last
  });

  it('gives transient errors (a dead or flaky endpoint) only 3 quick attempts', () => {
    expect([1, 2, 3].map((n) => s.nextDelay(n, info('TRANSIENT')))).toEqual([100, 200, undefined]);
  });

  it('never retries client errors such as AccessDenied or a bad parameter', () => {
    expect(s.nextDelay(1, info('CLIENT_ERROR'))).toBeUndefined();
    expect(s.nextDelay(1, info('SERVER_ERROR'))).toBeUndefined();
  });

  it('uses full jitter and honours a Retry-After hint', () => {
    const half = new GuardrailRetryStrategy({ random: () => 0.5 });
    expect(half.nextDelay(3, info('THROTTLING'))).toBe(600);
    const hinted = half.nextDelay(1, { errorType: 'THROTTLING', retryAfterHint: new Date(Date.now() + 4000) })!;
    expect(hinted).toBeGreaterThan(3500);
  });

  it('through the real SDK: a throttled call succeeds in the end; a dead endpoint fails after 3 quick attempts', async () => {
    const sim = await startSim({ port: 0, throttleRate: 0.5, seed: testSeed() });
    try {
      // 30 attempts, not the default 15: a call fails when every attempt is throttled, and at 50% one of 40 calls
      // would be throttled 15 times in a row once in 800 runs (40 × 2^-15); 30 attempts make it 40 × 2^-30 ≈ 4e-8
      const sts = new STSClient({
        endpoint: sim.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
        retryStrategy: new GuardrailRetryStrategy({ throttlingAttempts: 30, throttlingBaseMs: 5, capMs: 20 }),
      });
      const results = await Promise.all(Array.from({ length: 40 }, () => sts.send(new GetCallerIdentityCommand({}))));
      expect(results.every((r) => r.Account === sim.state.org.managementAccountId)).toBe(true);
      const attempts = results.map((r) => r.$metadata.attempts ?? 1);
      // some call was retried: all 40 first attempts pass with probability 2^-40
      expect(Math.max(...attempts)).toBeGreaterThan(1);
    } finally {
      await sim.close();
    }
    const dead = new STSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' },
      retryStrategy: new GuardrailRetryStrategy(),
    });
    const t0 = Date.now();
    const err = await dead
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e as Error & { $metadata?: { attempts?: number } });
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code ?? (err as Error).message).toMatch(/ECONNREFUSED/);
    // the behaviour is a count: the transient budget (3 attempts, waits of at most 100 and 200 ms), not the throttling
    // one (15 attempts, about 50 s of waits on average)
    expect((err as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(3);
    // and so it is quick; 15 s is generous for a loaded machine (unloaded: well under a second) and still far below
    // what the throttling budget would take
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
