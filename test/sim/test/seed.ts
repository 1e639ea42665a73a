// The seed every test simulator runs with. It is fixed, so a test run is reproducible: the same seed and the same
// calls give the same throttled calls, keys and ids. `GUARDRAIL_SIM_SEED` overrides it, so that `npm run test:seeds`
// can run the suites under many seeds, and so that a failure seen under one seed can be replayed:
//   GUARDRAIL_SIM_SEED=17 npx vitest run test/e2e/faults.test.ts
// A failing test names the seed it ran with (test/seed-setup.ts appends it to the failure message).

export const DEFAULT_TEST_SEED = 1;
export const SEED_VARIABLE = 'GUARDRAIL_SIM_SEED';

let used = false;

/** The seed for a simulator started by a test: GUARDRAIL_SIM_SEED when set, else the fixed default. */
export function testSeed(): number {
  used = true;
  const raw = process.env[SEED_VARIABLE]?.trim();
  if (!raw) return DEFAULT_TEST_SEED;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new Error(`${SEED_VARIABLE} must be a whole number from 0 to 4294967295, got "${raw}"`);
  }
  return Number(raw);
}

/** Whether this test file started a simulator with testSeed() (only then does a failure name the seed). */
export function seedWasUsed(): boolean {
  return used;
}

/** The line a failure carries, so that it can be reproduced. */
export function seedNote(): string {
  const seed = testSeed();
  return `simulator seed ${seed}: reproduce with ${SEED_VARIABLE}=${seed}`;
}
