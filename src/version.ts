import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The package version, read from package.json next to src/ and dist/ (both sit one level below the package root).
 * Reading the file avoids importing JSON modules and anything heavier at start-up.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string') {
    cached = parsed.version;
    return cached;
  }
  throw new Error('package.json has no "version" string');
}
