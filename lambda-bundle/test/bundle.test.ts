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
  // (test/template). 65 KB with issue M's restore and issue O's retry, 76 KB with the side doors (issue N); the old
  // 4 KB ZipFile limit is gone (aws-cdk #20624), the template's size is what bounds it. A bundle over 96 KB has pulled
  // in something it should not.
  it('builds to a CommonJS file under 96 KB that exports handler, and refuses a direct invocation', async () => {
    const out = execFileSync(process.execPath, [`${root}lambda-bundle/build.mjs`], { encoding: 'utf8' });
    const bytes = statSync(dist).size;
    expect(out).toContain(`${bytes} bytes`);
    expect(bytes).toBeLessThanOrEqual(96 * 1024);
    const require = createRequire(import.meta.url);
    const mod = require(dist) as {
      handler?: (e: unknown) => Promise<{ decisions: { action: string; reason: string }[] }>;
    };
    expect(typeof mod.handler).toBe('function');
    const logs: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logs.push(String(chunk));
      return true;
    });
    try {
      const result = await mod.handler?.({
        'detail-type': 'AWS API Call via CloudTrail',
        detail: { eventName: 'RevokeSecurityGroupIngress', eventSource: 'ec2.amazonaws.com' },
      });
      // a made-up event sent straight to the function is never acted on, however genuine it looks
      expect(result?.decisions).toEqual([
        expect.objectContaining({
          action: 'refused',
          reason: expect.stringContaining("not a message of this function's queue"),
        }),
      ]);
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(logs[0] ?? '{}')).toMatchObject({ level: 'error', action: 'refused' });
  });
});
