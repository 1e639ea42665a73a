// End to end, in an empty folder (no accounts.yaml, no --config): every key takes its default, each command says so
// once on stderr, and the --yes rule still stands between the defaults and a roll-out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { memberIds } from '../sim/test/helpers.js';
import { countCalls, liveStacks, startE2E, type E2E } from './harness.js';

const NOTICE = 'no accounts.yaml: using the defaults (guardrail validate shows them)';
const DEFAULT_REGIONS = ['us-east-1', 'us-west-2'];

describe('no configuration file', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: DEFAULT_REGIONS, stackMs: 40 });
  });
  afterAll(async () => {
    await e?.close();
  });

  const once = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('no accounts.yaml')).length;

  it('guardrail validate prints the effective settings, every source "default", and exits 0', async () => {
    const r = await e.run(['validate']);
    expect(r.code, r.stderr).toBe(0);
    expect(once(r.stderr)).toBe(1);
    expect(r.stderr).toContain(NOTICE);
    expect(r.stdout).toMatch(/^regions\s+us-east-1, us-west-2\s+default$/m);
    expect(r.stdout).toMatch(/^stackName\s+guardrail\s+default$/m);
    expect(r.stdout).not.toMatch(/\s(file|flag)$/m);
  });

  it('deploy --all-accounts --plan discovers the organisation and plans every default region, changing nothing', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--all-accounts', '--plan', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(once(r.stderr)).toBe(1);
    const accounts = 1 + memberIds(e.sim).length; // the management account and every member
    expect(r.json?.summary).toMatchObject({ targets: accounts * DEFAULT_REGIONS.length, failed: 0 });
    for (const t of r.json!.targets)
      expect(t).toMatchObject({ action: 'create', result: 'planned', stackName: 'guardrail' });
    expect(new Set(r.json!.targets.map((t) => t.region))).toEqual(new Set(DEFAULT_REGIONS));
    expect(countCalls(await e.calls(), ['cloudformation.CreateStack', 'cloudformation.CreateChangeSet'])).toBe(0);
    expect(liveStacks(e).size).toBe(0);
  });

  it('without a terminal, deploy with the defaults still needs --yes (exit 2) and creates nothing', async () => {
    const r = await e.run(['deploy', '--all-accounts']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs confirmation, and there is no terminal to ask on/);
    expect(r.stderr).toMatch(/--yes/);
    expect(liveStacks(e).size).toBe(0);
  });

  it('status works too; and an accounts.yml lying next to it is named, not silently ignored', async () => {
    writeFileSync(join(e.dir, 'accounts.yml'), 'regions: [eu-west-1]\n');
    try {
      const r = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(r.code).toBe(1); // nothing deployed: every target unhealthy
      expect(r.stderr).toContain(
        `${NOTICE}; accounts.yml is here but is not read (pass --config accounts.yml to use it)`,
      );
      expect(r.json?.summary).toMatchObject({ missing: r.json!.targets.length });
    } finally {
      rmSync(join(e.dir, 'accounts.yml'));
    }
  });

  it('an explicit --config naming a missing file is exit 2, naming the file', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--plan', '--config', 'missing.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot read missing\.yaml: no such file/);
    expect(r.stderr).not.toContain(NOTICE);
  });
});
