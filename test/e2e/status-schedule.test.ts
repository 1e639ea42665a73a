// End to end, through the built bin/guardrail, status as people schedule it (cron, CI) and after a remove:
// - run with another configuration, status says the configuration differs (once, with both digests) and counts
//   those targets apart from real version drift;
// - an account that guardrail remove emptied is `removed`, not unhealthy, and status exits 0;
// - the attacks on that: a member account's administrator who deletes the stack cannot pass it off as removed (they
//   cannot write the marker, which lives in Organizations), nor delete a stack deployed again after a removal.
import {
  CloudFormationClient,
  DeleteStackCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation';
import { OrganizationsClient, TagResourceCommand } from '@aws-sdk/client-organizations';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeInto, clientConfig, errorOf, memberIds, type TestCredentials } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

const BASE = 'regions: [us-east-1]\ndeploy:\n  pollSeconds: 1\n';
/** what the deploy used: monitor mode, so that the defaults (enforce) differ from it too */
const CONFIG = `${BASE}policy:\n  mode: monitor\n`;

interface Row {
  account: string;
  region: string;
  healthy: boolean;
  version: string;
  configuration: string | null;
  removed?: string;
  problems: string[];
}

describe('status as scheduled, and after remove', () => {
  let e: E2E;
  let members: string[];

  /** A member account's own administrator deletes guardrail's stack there (termination protection off first). */
  async function adminDeletes(account: string): Promise<TestCredentials> {
    const creds = await assumeInto(e.sim, account);
    const cfn = new CloudFormationClient(clientConfig(e.sim, 'us-east-1', creds));
    try {
      await cfn.send(
        new UpdateTerminationProtectionCommand({ StackName: 'guardrail', EnableTerminationProtection: false }),
      );
      await cfn.send(new DeleteStackCommand({ StackName: 'guardrail' }));
    } finally {
      cfn.destroy();
    }
    return creds;
  }

  const rowsOf = (json: unknown) => (json as { targets: Row[] }).targets;
  const rowFor = (json: unknown, account: string) => rowsOf(json).find((r) => r.account === account)!;

  beforeAll(async () => {
    e = await startE2E({ accounts: 4, regions: ['us-east-1'], stackMs: 40 });
    e.config(CONFIG);
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    members = memberIds(e.sim);
  });

  afterAll(async () => {
    await e?.close();
  });

  it("with the deploy's configuration every target is healthy and its configuration the same", async () => {
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const row of rowsOf(r.json)) expect(row).toMatchObject({ healthy: true, configuration: 'same' });
    expect(r.json?.summary).toMatchObject({ configurationDiffers: 0, outdated: 0, removed: 0 });
  });

  it('with another configuration says so once, with both digests, and counts it apart from outdated', async () => {
    writeFileSync(join(e.dir, 'other.yaml'), `${BASE}policy:\n  mode: enforce\n`);
    const r = await e.run(['status', '--no-drift', '--config', 'other.yaml']);
    expect(r.code).toBe(1);
    const hint = r.stdout.split('\n').filter((l) => l.includes('your configuration differs from the deployed one'));
    expect(hint).toHaveLength(1);
    expect(hint[0]).toMatch(
      /^5 target\(s\): your configuration differs from the deployed one \(deployed digest [0-9a-f]{16}, local [0-9a-f]{16}\): run status with the deploy's configuration/,
    );
    expect(r.stdout).toMatch(/0 outdated, .*5 with another configuration/);
    expect(r.stdout).not.toMatch(/template version outdated/);

    const json = await e.run(['status', '--no-drift', '--config', 'other.yaml', '--output', 'json']);
    expect(json.json?.summary).toMatchObject({ configurationDiffers: 5, outdated: 0, unhealthy: 5 });
    for (const row of rowsOf(json.json)) expect(row).toMatchObject({ configuration: 'differs', version: 'outdated' });
  });

  it('deploy --plan of a settings change: one line for the organisation, naming the setting; --verbose and JSON per target', async () => {
    const r = await e.run(['deploy', '--all-accounts', '--plan', '--config', 'other.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const rollup = r.stdout.split('\n').filter((l) => l.startsWith('update · '));
    expect(rollup).toEqual(['update · 5 targets in 5 account(s) · settings: policy.mode monitor → enforce']);
    // no per-target row, no change-set lines
    expect(r.stdout).not.toMatch(/\/us-east-1 +planned/);
    expect(r.stdout).toContain('--verbose');

    const verbose = await e.run(['deploy', '--all-accounts', '--plan', '--verbose', '--config', 'other.yaml']);
    expect(verbose.code).toBe(0);
    expect(
      verbose.stdout.match(/\/us-east-1 +planned +update +.*settings: policy\.mode monitor → enforce/g),
    ).toHaveLength(5);

    const json = await e.run(['deploy', '--all-accounts', '--plan', '--config', 'other.yaml', '--output', 'json']);
    const targets = json.json?.targets as { action: string; reason: string }[];
    expect(targets).toHaveLength(5);
    for (const t of targets)
      expect(t).toMatchObject({ action: 'update', reason: 'settings: policy.mode monitor → enforce' });
  });

  it('with no configuration file at all (the defaults) it says the same, not "outdated"', async () => {
    renameSync(join(e.dir, 'accounts.yaml'), join(e.dir, 'kept.yaml'));
    try {
      const r = await e.run(['status', '--regions', 'us-east-1', '--no-drift', '--output', 'json']);
      expect(r.code).toBe(1);
      expect(r.json?.summary).toMatchObject({ configurationDiffers: 5, outdated: 0 });
      expect(
        (r.json as { notes?: string[] }).notes?.some((n) =>
          n.includes('your configuration differs from the deployed one'),
        ),
      ).toBe(true);
    } finally {
      renameSync(join(e.dir, 'kept.yaml'), join(e.dir, 'accounts.yaml'));
    }
  });

  it('remove --account B suggests the excludeAccounts line; B is then `removed`, and status exits 0', async () => {
    const b = members[0]!;
    const rm = await e.run(['remove', '--account', b, '--yes']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain(`organization: { excludeAccounts: ["${b}"] }`);

    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code, r.stdout).toBe(0);
    expect(rowFor(r.json, b)).toMatchObject({ healthy: true, version: 'missing', problems: [] });
    expect(rowFor(r.json, b).removed).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(r.json?.summary).toMatchObject({ removed: 1, unhealthy: 0, missing: 0, healthy: 4 });

    const table = await e.run(['status', '--no-drift']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/· 1 removed by guardrail remove/);
    expect(table.stdout).toContain('∅');
  });

  it('attack: a member admin deletes the stack and tries to mark the account removed: refused, and the target is unhealthy', async () => {
    const c = members[1]!;
    const creds = await adminDeletes(c);
    const org = new OrganizationsClient(clientConfig(e.sim, 'us-east-1', creds));
    try {
      const err = await errorOf(
        org.send(
          new TagResourceCommand({
            ResourceId: c,
            Tags: [{ Key: 'guardrail:removed:guardrail', Value: `${new Date().toISOString()} all` }],
          }),
        ),
      );
      expect(err.name).toBe('AccessDeniedException');
    } finally {
      org.destroy();
    }
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code).toBe(1);
    expect(rowFor(r.json, c)).toMatchObject({ healthy: false, problems: ['not deployed'] });
    expect(rowFor(r.json, c).removed).toBeUndefined();
    expect(r.json?.summary).toMatchObject({ removed: 1, unhealthy: 1 });
  });

  it('attack: guardrail deployed again after a removal, then deleted by the member admin: not `removed`, unhealthy', async () => {
    const b = members[0]!;
    const again = await e.run(['deploy', '--account', b, '--yes']);
    expect(again.code, again.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await adminDeletes(b);
    const r = await e.run(['status', '--account', b, '--no-drift', '--output', 'json']);
    expect(r.code).toBe(1);
    const row = rowFor(r.json, b);
    expect(row.healthy).toBe(false);
    expect(row.removed).toBeUndefined();
    expect(row.problems[0]).toMatch(/^stack deleted at .*, after guardrail removed it: deleted by someone else/);
  });
});
