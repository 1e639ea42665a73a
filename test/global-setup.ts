/**
 * vitest globalSetup: make sure the revert function's bundle exists and dist/ (the built CLI that bin/guardrail
 * imports) is not older than src/. `npm test` builds before vitest, so this is usually a few stat calls; a direct
 * `npx vitest run` rebuilds when needed. The unit tier (vitest.unit.config.ts) needs only the bundle:
 * test/global-setup-unit.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The revert function's bundle, which the template inlines (esbuild: well under a second). */
export function ensureLambdaBundle(): void {
  if (!existsSync(join(root, 'lambda-bundle', 'dist', 'index.js'))) {
    execFileSync(process.execPath, [join(root, 'lambda-bundle', 'build.mjs')], { cwd: root, stdio: 'pipe' });
  }
}

export default function setup(): void {
  ensureLambdaBundle();
  const built = join(root, 'dist', 'cli.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  if (builtAt >= newestMtime(join(root, 'src'))) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    // tsc still emits JavaScript when a file has type errors; the type check proper is `npm run typecheck`.
    if (!existsSync(built)) throw err;
  }
}
