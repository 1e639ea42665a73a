// The suite's two tiers cannot drift. `npm test` runs every file of vitest.config.ts; `npm run test:unit` runs those of
// vitest.unit.config.ts, which are the same minus CLI_TIER. The file lists are vitest's own (its node API resolves
// each config's include and exclude), so this checks what the tiers really run:
//   - every *.test.ts in the repository is run by `npm test` (none is in neither tier);
//   - the unit tier runs nothing that `npm test` does not;
//   - no file of the unit tier spawns bin/guardrail or imports dist/ (it would test a stale build, or none);
//   - every file of CLI_TIER does (one that does not belongs in the fast tier).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVitest } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import { CLI_TIER } from '../../vitest.unit.config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', 'coverage', 'test-output', '.git', '.bench', '.scratch']);

/**
 * What running the CLI looks like in a test file: the end-to-end harness (startE2E's run, BIN), the terminal helper,
 * the bin script's path, or an import of the built dist/ (lambda-bundle/dist/, the function's bundle, is not the CLI).
 */
const SPAWNS_CLI = /\bstartE2E\b|\bBIN\b|\brunInTerminal\b|bin\/guardrail|(?<!lambda-bundle\/)\bdist\//;

function testFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? testFilesIn(path) : e.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

/** The test files vitest runs with this config, relative to the repository, sorted. */
async function filesOf(config: string): Promise<string[]> {
  const vitest = await createVitest('test', { config: join(ROOT, config), watch: false });
  try {
    return (await vitest.globTestSpecifications()).map((s) => relative(ROOT, s.moduleId)).sort();
  } finally {
    await vitest.close();
  }
}

const SELF = relative(ROOT, fileURLToPath(import.meta.url)); // names what it looks for: it spawns nothing
const spawnsCli = (file: string) => file !== SELF && SPAWNS_CLI.test(readFileSync(join(ROOT, file), 'utf8'));

describe('test tiers', async () => {
  const all = await filesOf('vitest.config.ts');
  const unit = await filesOf('vitest.unit.config.ts');

  it('npm test runs every test file in the repository', () => {
    expect(
      testFilesIn(ROOT)
        .sort()
        .filter((f) => !all.includes(f)),
      'widen vitest.config.ts include',
    ).toEqual([]);
    expect(all.length).toBeGreaterThan(50);
  });

  it("the unit tier is npm test's files minus CLI_TIER, and every CLI_TIER entry is one of them", () => {
    expect(
      CLI_TIER.filter((f) => !all.includes(f)),
      'a CLI_TIER entry that names no test file',
    ).toEqual([]);
    expect(unit).toEqual(all.filter((f) => !CLI_TIER.includes(f)));
  });

  it('no file of the unit tier spawns bin/guardrail or imports dist/', () => {
    expect(unit.filter(spawnsCli), 'add these to CLI_TIER in vitest.unit.config.ts').toEqual([]);
  });

  it('every file of CLI_TIER spawns bin/guardrail or imports dist/', () => {
    expect(
      CLI_TIER.filter((f) => !spawnsCli(f)),
      'these belong in the unit tier: remove them from CLI_TIER',
    ).toEqual([]);
  });
});
