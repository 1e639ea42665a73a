// The stacksets engine's pure decisions: how accounts become DeploymentTargets, which CreateTrail override an
// account needs, and the action and reason each account × region gets.
import { describe, expect, it } from 'vitest';
import { targetsFor } from '../../src/engines/stacksets/apply.js';
import { overrideChange, type AccountPlan, type StackSetPlan } from '../../src/engines/stacksets/plan.js';
import { applyResults, plannedRows } from '../../src/engines/stacksets/rows.js';
import type { OuTargets } from '../../src/engines/stacksets/org-targets.js';

const ou = (ids: string[]): OuTargets => ({
  ous: ['ou-a'],
  split: [],
  ouOf: new Map(ids.map((id) => [id, 'ou-a'])),
  directlyInSplit: [],
});
const account = (id: string, over: Partial<AccountPlan> = {}): AccountPlan => ({
  account: { id, name: `n${id}`, role: { roleName: 'R', externalId: null }, regions: ['us-east-1', 'eu-west-1'] },
  ouId: 'ou-a',
  createTrail: true,
  trailReason: 'auto',
  missingRegions: [],
  outdated: [],
  directStacks: [],
  ...over,
});
const plan = (accounts: AccountPlan[], over: Partial<StackSetPlan> = {}): StackSetPlan => ({
  adminRegion: 'us-east-1',
  regions: ['us-east-1', 'eu-west-1'],
  exists: true,
  setAction: 'none',
  setReason: 'current',
  currentVersion: 'v1',
  defaultCreateTrail: true,
  defaultTrailReason: 'auto',
  accounts,
  instances: new Map(),
  ...over,
});

describe('stacksets plan', () => {
  it('targets accounts with the shorter list: INTERSECTION, DIFFERENCE, or the whole OU', () => {
    const all = ['1', '2', '3', '4', '5'];
    expect(targetsFor(ou(all), ['2'])).toEqual({
      OrganizationalUnitIds: ['ou-a'],
      Accounts: ['2'],
      AccountFilterType: 'INTERSECTION',
    });
    expect(targetsFor(ou(all), ['1', '2', '3', '4'])).toEqual({
      OrganizationalUnitIds: ['ou-a'],
      Accounts: ['5'],
      AccountFilterType: 'DIFFERENCE',
    });
    expect(targetsFor(ou(all), all)).toEqual({ OrganizationalUnitIds: ['ou-a'], AccountFilterType: 'NONE' });
  });

  it('overrides CreateTrail only where the account differs from the stack set default, and only when it changes', () => {
    expect(overrideChange(account('1', { createTrail: true }), true)).toBeUndefined();
    expect(overrideChange(account('1', { createTrail: false }), true)).toBe('false');
    expect(overrideChange(account('1', { createTrail: false, currentOverride: 'false' }), true)).toBeUndefined();
    expect(overrideChange(account('1', { createTrail: true, currentOverride: 'false' }), true)).toBe('true');
    expect(overrideChange(account('1', { createTrail: true, currentOverride: null }), true)).toBeUndefined();
  });

  it('gives every account × region an action and a reason', () => {
    const rows = plannedRows(
      plan([
        account('1', { missingRegions: ['us-east-1', 'eu-west-1'], directStacks: ['us-east-1'] }),
        account('2', { outdated: [{ region: 'eu-west-1', reason: 'instance OUTDATED' }] }),
        account('3', { createTrail: false, currentOverride: null }),
        account('4', { failure: 'AccessDenied' }),
      ]),
      'guardrail',
      'us-east-1',
    );
    const at = (id: string, region: string) => rows.find((r) => r.row.account === id && r.row.region === region)!;
    expect(at('1', 'us-east-1').row).toMatchObject({
      action: 'create',
      reason: 'no stack instance; replaces direct stack guardrail (new before old)',
    });
    expect(at('1', 'eu-west-1').row).toMatchObject({ action: 'create', reason: 'no stack instance' });
    expect(at('2', 'eu-west-1').row).toMatchObject({ action: 'update', reason: 'instance OUTDATED' });
    expect(at('2', 'us-east-1').row).toMatchObject({ action: 'none', reason: 'instance CURRENT' });
    expect(at('3', 'us-east-1').row).toMatchObject({ action: 'update', reason: 'override CreateTrail → false' });
    expect(at('3', 'eu-west-1').row).toMatchObject({ action: 'none' });
    expect(at('4', 'us-east-1').row).toMatchObject({ result: 'failed', error: 'AccessDenied' });
    // a template change updates every instance
    const updated = plannedRows(
      plan([account('5')], { setAction: 'update', setReason: 'template version changed v1 → v2' }),
      'guardrail',
      'us-east-1',
    );
    expect(updated.every((r) => r.row.action === 'update' && r.row.reason === 'template version changed v1 → v2')).toBe(
      true,
    );
  });

  it('calls a target missing from operations that ran to the end failed (as remove does), and skipped when they stopped early', () => {
    const rows = plannedRows(
      plan([account('1', { missingRegions: ['us-east-1', 'eu-west-1'] }), account('2')]),
      'guardrail',
      'us-east-1',
    );
    const results = new Map([['1|us-east-1', { Account: '1', Region: 'us-east-1', Status: 'SUCCEEDED' as const }]]);
    const ran = applyResults(rows, results, Date.now(), false);
    const word = (list: typeof ran, a: string, r: string) =>
      list.find((x) => x.account === a && x.region === r)!.result;
    expect(word(ran, '1', 'us-east-1')).toBe('succeeded');
    expect(word(ran, '1', 'eu-west-1')).toBe('failed');
    expect(ran.find((x) => x.account === '1' && x.region === 'eu-west-1')!.error).toMatch(/not in the results/);
    expect(word(ran, '2', 'us-east-1')).toBe('unchanged');
    const stopped = applyResults(rows, results, Date.now(), true);
    expect(word(stopped, '1', 'eu-west-1')).toBe('skipped');
    expect(word(stopped, '2', 'eu-west-1')).toBe('unchanged');
  });
});
