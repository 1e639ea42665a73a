import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'lambda-bundle/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // the lockfile pins SDK releases that support Node 20; their notice about later releases is noise in test logs
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    globalSetup: ['test/global-setup.ts'],
    // a failing test names the simulator seed it ran with (GUARDRAIL_SIM_SEED)
    setupFiles: ['test/seed-setup.ts'],
  },
});
