// The unit tier, `npm run test:unit`: every test file of vitest.config.ts except CLI_TIER, the files that spawn the
// built bin/guardrail (and so need dist/ built from the current src/). It runs the real SDK against the in-process
// simulator like the rest; it only never starts the CLI. `npm test` runs both tiers (vitest.config.ts).
// test/structure/tiers.test.ts fails when a file in CLI_TIER does not spawn the CLI, when any other file does, or
// when a test file is outside vitest.config.ts's include (in neither tier).
import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** Every test file that spawns bin/guardrail (harness.ts's startE2E or BIN, terminal.ts) or imports dist/. */
export const CLI_TIER = [
  'test/cli/bin.test.ts',
  'test/e2e/activity.test.ts',
  'test/e2e/approvals.test.ts',
  'test/e2e/attacks.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/dead-letters.test.ts',
  'test/e2e/deploy-faults.test.ts',
  'test/e2e/deploy-fleet.test.ts',
  'test/e2e/deploy-stop.test.ts',
  'test/e2e/deploy-targets.test.ts',
  'test/e2e/errors.test.ts',
  'test/e2e/failed-revert.test.ts',
  'test/e2e/restore-modified.test.ts',
  'test/e2e/shared-prefix-lists.test.ts',
  'test/e2e/side-doors.test.ts',
  'test/e2e/faults-kill.test.ts',
  'test/e2e/faults-soak.test.ts',
  'test/e2e/faults.test.ts',
  'test/e2e/interrupt.test.ts',
  'test/e2e/no-color.test.ts',
  'test/e2e/no-config.test.ts',
  'test/e2e/prompt.test.ts',
  'test/e2e/protect-detach.test.ts',
  'test/e2e/protect.test.ts',
  'test/e2e/remove-all.test.ts',
  'test/e2e/remove.test.ts',
  'test/e2e/report.test.ts',
  'test/e2e/shared-prefix-lists.test.ts',
  'test/e2e/stacksets-approvals.test.ts',
  'test/e2e/stacksets-faults.test.ts',
  'test/e2e/stacksets-switch.test.ts',
  'test/e2e/stacksets.test.ts',
  'test/e2e/status-schedule.test.ts',
  'test/e2e/status.test.ts',
  'test/e2e/template-bucket.test.ts',
];

export default defineConfig({
  test: {
    ...base.test,
    exclude: [...configDefaults.exclude, ...CLI_TIER],
    // the bundle only: nothing here needs dist/
    globalSetup: ['test/global-setup-unit.ts'],
    // vitest's default is one worker fewer than the cores: one on a 2-core machine, which leaves a core idle while
    // the main process waits; these files are short, so two workers keep both busy
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
