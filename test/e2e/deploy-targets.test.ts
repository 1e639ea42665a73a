/**
 * End to end: which targets a deploy reaches, through the built bin/guardrail. `regions: all` follows each account's
 * enabled regions; suspended accounts, excluded OUs (with their nested OUs) and excluded accounts are left out and
 * counted; with an organisation trail already logging, `trail.mode: auto` creates no trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../sim/cfn/model.js';
import { liveStacks, countCalls, startE2E, type CliRun, type E2E } from './harness.js';

const SIM_REGIONS = ['us-east-1', 'us-west-2'];
const key = (t: { account?: unknown; region?: unknown }) => `${String(t.account)}/${String(t.region)}`;

const trailResources = (s: Stack) => [...s.resources.values()].filter((r) => r.type === 'AWS::CloudTrail::Trail');

async function addTrail(e: E2E, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${e.sim.endpoint}/_sim/trails`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

describe('deploy: targets from the organisation, with an organisation trail', () => {
  let e: E2E;
  let mgmt: string;
  let members: string[];
  let workloads: string;
  let run: CliRun;
  const wider = ['ap-southeast-2', 'eu-west-1', 'us-east-1'];

  beforeAll(async () => {
    e = await startE2E({ accounts: 8, regions: SIM_REGIONS, stackMs: 100 });
    const org = e.sim.state.org;
    mgmt = org.managementAccountId;
    members = [...org.accounts.keys()].filter((id) => id !== mgmt);
    workloads = [...org.ous.values()].find((ou) => ou.name === 'Workloads')!.id;
    // one account has enabled more regions than the others
    org.accounts.get(members[4]!)!.enabledRegions = [...wider];
    await e.faults({ suspended: [members[3]!] });
    await addTrail(e, {
      account: mgmt,
      region: 'us-east-1',
      name: 'org-trail',
      multiRegion: true,
      organization: true,
      logging: true,
    });
    e.config(`
regions: all
organization:
  excludeOUs: [${workloads}]
  excludeAccounts: ["${members[2]!}"]
trail:
  mode: auto
deploy:
  pollSeconds: 1
`);
    run = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  });
  afterAll(async () => {
    await e.close();
  });

  /** the accounts under an OU, nested OUs included, from the simulator's own tree */
  function under(ouId: string): string[] {
    const org = e.sim.state.org;
    const inside = (parent: string): boolean =>
      parent === ouId || (org.ous.get(parent) !== undefined && inside(org.ous.get(parent)!.parentId));
    return [...org.accounts.values()].filter((a) => inside(a.parentId)).map((a) => a.id);
  }

  it('reaches exactly the remaining accounts, each in its own enabled regions', () => {
    expect(run.code, run.stderr).toBe(0);
    const inWorkloads = under(workloads);
    expect(inWorkloads.length).toBeGreaterThanOrEqual(2); // Prod and Dev, nested under Workloads
    const left = new Set([...inWorkloads, members[2]!, members[3]!]);
    const expected = [mgmt, ...members]
      .filter((id) => !left.has(id))
      .flatMap((id) => {
        const regions = id === members[4] ? wider : SIM_REGIONS;
        return regions.map((region) => `${id}/${region}`);
      });
    expect(expected.length).toBeGreaterThan(4);
    expect(run.json!.targets.map(key).sort()).toEqual(expected.sort());
    expect(run.json!.summary).toMatchObject({ targets: expected.length, succeeded: expected.length, failed: 0 });
    expect([...liveStacks(e).keys()].sort()).toEqual(expected.sort());
  });

  it('leaves out suspended accounts, excluded OUs and excluded accounts, and counts them', () => {
    const doc = run.json! as NonNullable<CliRun['json']> & { excluded: { account: string; reason: string }[] };
    const inWorkloads = under(workloads);
    expect(doc.summary.excludedAccounts).toBe(inWorkloads.length + 2);
    const reasons = new Map(doc.excluded.map((x) => [x.account, x.reason]));
    expect(reasons.size).toBe(inWorkloads.length + 2);
    expect(reasons.get(members[3]!)).toMatch(/SUSPENDED/);
    expect(reasons.get(members[2]!)).toMatch(/excludeAccounts/);
    for (const id of inWorkloads) expect(reasons.get(id)).toMatch(/excludeOUs/);
    // nothing was done in them: no role assumed, no call made with their credentials
    const calls = e.sim.state.calls;
    for (const id of reasons.keys()) {
      expect([...calls.values()].filter((c) => c.account === id)).toEqual([]);
      expect(e.sim.state.accounts.get(id)?.regions.size ?? 0).toBe(0);
    }
  });

  it('regions: all asks each account which regions it has enabled', async () => {
    const calls = await e.calls();
    for (const id of new Set(run.json!.targets.map((t) => String(t.account)))) {
      expect(countCalls(calls, ['ec2.DescribeRegions'], id), id).toBe(1);
    }
  });

  it('trail.mode auto: the organisation trail counts, so no stack creates a trail, and the reason says so', () => {
    const home = run.json!.targets.filter((t) => t.region === 'us-east-1');
    expect(home.length).toBeGreaterThan(1);
    for (const t of home) expect(String(t.trail), key(t)).toMatch(/organisation trail org-trail is logging/);
    for (const [k, s] of liveStacks(e)) {
      expect(trailResources(s), k).toEqual([]);
      expect(s.parameters.get('CreateTrail')?.value, k).toBe('false');
    }
    // the only trail anywhere is the organisation's own
    for (const acct of e.sim.state.accounts.values()) {
      for (const rs of acct.regions.values()) {
        for (const trail of rs.trails.values()) expect(trail.name).toBe('org-trail');
      }
    }
  });
});

describe('deploy: trail.mode auto without an existing trail', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E({ accounts: 1, regions: SIM_REGIONS, stackMs: 100 });
  });
  afterAll(async () => {
    await e.close();
  });

  it('creates one trail per account, in the home region only', async () => {
    // a trail that does not log, and a single-region one, do not count
    const mgmt = e.sim.state.org.managementAccountId;
    await addTrail(e, { account: mgmt, region: 'us-east-1', name: 'stopped', multiRegion: true, logging: false });
    await addTrail(e, { account: mgmt, region: 'us-west-2', name: 'local', multiRegion: false, logging: true });
    e.config('regions: [us-east-1, us-west-2]\ntrail:\n  mode: auto\ndeploy:\n  pollSeconds: 1\n');
    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.summary).toMatchObject({ targets: 4, succeeded: 4 });
    for (const t of r.json!.targets.filter((x) => x.region === 'us-east-1'))
      expect(String(t.trail)).toMatch(/^auto: no multi-region trail/);
    const all = liveStacks(e);
    expect(all.size).toBe(4);
    for (const [k, s] of all) expect(trailResources(s), k).toHaveLength(k.endsWith('/us-east-1') ? 1 : 0);
  });
});
