// The built artefact: `npm run build:lambda` output is CommonJS, exports.handler exists, the size stays in budget,
// and the bundled handler runs (module-scope clients and configuration included).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dist = `${root}lambda-bundle/dist/index.js`;

describe('lambda bundle', () => {
  // 24 KB until approvals (issue 12) added containment, the store lookup, rule tagging and the sweep (about 6 KB
  // minified); 30 KB once the decision log line (issue 14: who, from where, which rules, capped at 256 KB) joined
  // them (about 1 KB more). The real bound is the rendered template's budget (test/template).
  it('builds to a CommonJS file under 30 KB that exports handler', async () => {
    const out = execFileSync(process.execPath, [`${root}lambda-bundle/build.mjs`], { encoding: 'utf8' });
    const bytes = statSync(dist).size;
    expect(out).toContain(`${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(30 * 1024);
    const require = createRequire(import.meta.url);
    const mod = require(dist) as { handler?: (e: unknown) => Promise<{ decisions: { action: string; reason: string }[] }> };
    expect(typeof mod.handler).toBe('function');
    const logs: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string) => { logs.push(chunk); return true; }) as typeof process.stdout.write;
    try {
      const result = await mod.handler?.({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'RevokeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com' } });
      expect(result?.decisions).toEqual([expect.objectContaining({ action: 'ignored', reason: 'a revoke call (RevokeSecurityGroupIngress)' })]);
    } finally {
      process.stdout.write = original;
    }
    expect(JSON.parse(logs[0] ?? '{}')).toMatchObject({ level: 'info', action: 'ignored' });
  });
});
