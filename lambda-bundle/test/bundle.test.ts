// The built artefact: `npm run build:lambda` output is CommonJS, exports.handler exists, the size stays in budget,
// and the bundled handler runs (module-scope clients and configuration included).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const dist = `${root}lambda-bundle/dist/index.js`;

describe('lambda bundle', () => {
  // 24 KB until approvals (issue 12), 30 KB with the decision log line (issue 14), 43 KB with provenance and the
  // guarded scope tags (issue L). The template carries it deflated; the real bound is the rendered template's budget
  // (test/template). A bundle over 64 KB has pulled in something it should not.
  it('builds to a CommonJS file under 64 KB that exports handler, and refuses a direct invocation', async () => {
    const out = execFileSync(process.execPath, [`${root}lambda-bundle/build.mjs`], { encoding: 'utf8' });
    const bytes = statSync(dist).size;
    expect(out).toContain(`${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    const require = createRequire(import.meta.url);
    const mod = require(dist) as { handler?: (e: unknown) => Promise<{ decisions: { action: string; reason: string }[] }> };
    expect(typeof mod.handler).toBe('function');
    const logs: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { logs.push(String(chunk)); return true; });
    try {
      const result = await mod.handler?.({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'RevokeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com' } });
      // a made-up event sent straight to the function is never acted on, however genuine it looks
      expect(result?.decisions).toEqual([expect.objectContaining({ action: 'refused', reason: expect.stringContaining('not a message of this function\'s queue') })]);
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(logs[0] ?? '{}')).toMatchObject({ level: 'error', action: 'refused' });
  });
});
