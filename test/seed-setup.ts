/**
 * vitest setupFiles: a failing test that ran against a simulator names the simulator's seed in its failure message,
 * so the failure can be replayed with GUARDRAIL_SIM_SEED (see test/sim/README.md, "Seed and clock").
 */
import { beforeEach } from 'vitest';
import { seedNote, seedWasUsed } from './sim/test/seed.js';

beforeEach(({ onTestFailed }) => {
  onTestFailed(({ task }) => {
    if (!seedWasUsed()) return;
    for (const error of task.result?.errors ?? []) error.message = `${error.message}\n(${seedNote()})`;
  });
});
