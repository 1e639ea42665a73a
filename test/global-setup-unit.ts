/**
 * vitest globalSetup of the unit tier (vitest.unit.config.ts): only the revert function's bundle, which the template
 * tests inline. No file of the tier runs bin/guardrail, so dist/ is not built (that is most of a cold run's time).
 */
import { ensureLambdaBundle } from './global-setup.js';

export default function setup(): void {
  ensureLambdaBundle();
}
