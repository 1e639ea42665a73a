// Bounds for assertions on counts of random faults. A test that asserts "about half the calls were throttled" on a
// few dozen calls fails at random; these helpers give each such assertion a bound that fails less than once in a
// million runs, whatever the seed, or an exact figure under the seed.
//
// The model: the simulator decides each call with one fresh draw u from its seeded `faults` stream (throttled when
// u < rate). The draws are treated as independent uniforms (mulberry32 passes the usual statistical tests; we make
// no claim beyond that). Which call receives which draw depends on timing (concurrency, the CLI's retry jitter), but
// no call can see a draw before it is made, so every call, first attempt or retry, is throttled with probability
// `rate` independently of everything before it. That is what the bounds below need; they hold for every seed.
import { rng } from '../random.js';

/** The failure budget of one statistical assertion: less than once in a million runs. */
export const ONE_IN_A_MILLION = 1e-6;

/** P(X <= k) for X ~ Binomial(n, p), summed exactly (n up to a few tens of thousands). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  let log = n * Math.log1p(-p); // ln P(X = 0)
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(log);
    log += Math.log((n - i) / (i + 1)) + Math.log(p) - Math.log1p(-p);
  }
  return Math.min(1, sum);
}

/**
 * The fewest throttled calls a run of `n` calls may show at `rate`, except with probability below `budget`, even
 * though n is not fixed in advance (a throttled call is retried, so n grows with the throttling it meets).
 * Reasoning: let T_n be the throttled count among the first n calls. For each n take k(n), the largest k with
 * P(Binomial(n, rate) < k) <= budget / (n (n + 1)). By the union bound over every n >= 1,
 * P(T_n < k(n) for some n) <= budget * sum 1/(n(n+1)) = budget. So the assertion T_N >= k(N) fails with probability
 * below `budget` whatever N the run ends at. (The exact binomial tail is used, not Chernoff/Hoeffding: it is tighter.)
 */
export function minThrottled(n: number, rate: number, budget = ONE_IN_A_MILLION): number {
  if (n <= 0 || rate <= 0) return 0;
  const allowed = budget / (n * (n + 1));
  let k = 0;
  while (k < n && binomialCdf(k, n, rate) <= allowed) k++;
  return k; // P(X <= k - 1) = P(X < k) <= allowed
}

/**
 * The most of `n` independent events of probability `q` that may occur, except with probability below `budget`:
 * the smallest k with P(Binomial(n, q) > k) <= budget. For a fixed n (e.g. 200 calls a test makes).
 */
export function maxOccurrences(n: number, q: number, budget = ONE_IN_A_MILLION): number {
  let k = 0;
  while (k < n && 1 - binomialCdf(k, n, q) > budget) k++;
  return k;
}

/**
 * How many calls a run may make before "every call got through" stops being safe: a call fails only when all its
 * `attempts` are throttled (probability rate^attempts, fresh draws), so by the union bound over the calls, a run of
 * at most this many calls fails with probability below `budget`. A test that asserts every call succeeded also
 * asserts that it made no more calls than this, so the bound's premise is checked rather than assumed.
 */
export function maxCallsThrough(rate: number, attempts: number, budget = ONE_IN_A_MILLION): number {
  return Math.floor(budget / rate ** attempts);
}

/**
 * The fewest calls of one kind (e.g. to one service) after which at least one must have been throttled: the first
 * n calls all pass with probability (1 - rate)^n; `kinds` of them share the budget (union bound).
 */
export function callsToSeeThrottling(rate: number, kinds = 1, budget = ONE_IN_A_MILLION): number {
  return Math.ceil(Math.log(budget / kinds) / Math.log1p(-rate));
}

/**
 * Exact, under the seed: how many of the first `calls` draws of the simulator's faults stream fall below `rate`.
 * Every call the simulator counts makes one draw (expired credentials excepted), so when the rate did not change
 * during the run, the simulator's throttled count equals this, whatever order the calls came in.
 */
export function seededThrottles(seed: number, rate: number, calls: number): number {
  const faults = rng(seed, 'faults');
  let throttled = 0;
  for (let i = 0; i < calls; i++) if (faults.next() < rate) throttled++;
  return throttled;
}
