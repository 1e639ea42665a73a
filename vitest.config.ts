import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'lambda-bundle/test/**/*.test.ts'],
    // timeouts only bound how long a hang takes to fail; a loaded 2-core machine runs several times slower than an
    // idle one (the end-to-end harness sets two minutes for its files)
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // the lockfile pins SDK releases that support Node 20; their notice about later releases is noise in test logs
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    globalSetup: ['test/global-setup.ts'],
    // a failing test names the simulator seed it ran with (GUARDRAIL_SIM_SEED)
    setupFiles: ['test/seed-setup.ts'],
  },
});
