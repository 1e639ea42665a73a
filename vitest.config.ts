import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'lambda-bundle/test/**/*.test.ts'],
    // timeouts only bound how long a hang takes to fail; a loaded 2-core machine runs several times slower than an
    // idle one (the end-to-end harness sets two minutes for its files)
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one on a 2-core machine, so the suite ran file after file
    // while most of an end-to-end file's time is spent waiting (simulated stack times, polls, the CLI's processes).
    // Three workers, measured on one loaded 2-core machine: 695 s (one) → 614 s (two) → 520 s (three), all green.
    maxWorkers: 3,
    // the lockfile pins SDK releases that support Node 20; their notice about later releases is noise in test logs
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    globalSetup: ['test/global-setup.ts'],
    // a failing test names the simulator seed it ran with (GUARDRAIL_SIM_SEED)
    setupFiles: ['test/seed-setup.ts'],
  },
});
