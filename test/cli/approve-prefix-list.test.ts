// guardrail approve for a prefix list (issue N): the flags are checked before anything is asked of AWS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureRun } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'guardrail-approve-pl-'));
writeFileSync(join(dir, 'accounts.yaml'), 'regions: [us-east-1]\napprovals: { enabled: true }\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = [
  'approve',
  '--account',
  '111122223333',
  '--region',
  'us-east-1',
  '--for',
  '1h',
  '--reason',
  'partner test',
];

describe('guardrail approve --group pl-…', () => {
  it('refuses a prefix-list approval whose source is not a CIDR, naming the flag (exit 2)', async () => {
    const r = await captureRun([...base, '--group', 'pl-0a1b2c3d4e5f60718', '--rule', 'tcp/443 sg-0123456789abcdef0'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--rule.*a prefix list's entries are CIDRs/s);
  });

  it('refuses what is neither a group nor a list', async () => {
    const r = await captureRun([...base, '--group', 'vpc-0123456789abcdef0', '--rule', 'all 203.0.113.0/24'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--group.*security group id \(sg-…\) or a prefix list id \(pl-…\)/s);
  });
});
