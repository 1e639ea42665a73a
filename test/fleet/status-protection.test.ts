// status's protection verdicts: the column on every row, unhealthy only when required (flag or configuration),
// unknown when the organisation could not be read, and termination protection turned off.
import { describe, expect, it } from 'vitest';
import { judgeProtection, type ProtectionVerdicts } from '../../src/protection/verdicts.js';
import type { Protection } from '../../src/protection/survey.js';

const row = (account: string, terminationProtection: boolean | null = true) => ({
  account,
  deployed: terminationProtection !== null,
  terminationProtection,
  healthy: true,
  problems: [] as string[],
  protection: undefined as Protection | undefined,
});
const verdicts = (entries: [string, Protection][], error: string | null = null): ProtectionVerdicts => ({
  byAccount: new Map(entries),
  error,
});
const settings = { required: false, terminationProtection: true, allowPrincipals: [] };

describe('judgeProtection', () => {
  const v = verdicts([
    ['111111111111', 'not-applicable'],
    ['222222222222', 'protected'],
    ['333333333333', 'outdated'],
    ['444444444444', 'unprotected'],
  ]);

  it('sets the column and counts accounts, not rows; unprotected is healthy unless required', () => {
    const rows = ['111111111111', '222222222222', '333333333333', '444444444444', '444444444444'].map((a) => row(a));
    const counts = judgeProtection(rows, v, settings);
    expect(rows.map((r) => r.protection)).toEqual([
      'not-applicable',
      'protected',
      'outdated',
      'unprotected',
      'unprotected',
    ]);
    expect(counts).toEqual({ protected: 1, protectionOutdated: 1, unprotected: 1 });
    expect(rows.every((r) => r.healthy)).toBe(true);
  });

  it.each([
    ['protection.required', { ...settings, required: true }, undefined],
    ['--require-protection', settings, true],
  ])('%s makes outdated and unprotected accounts unhealthy, never the management account', (_name, s, flag) => {
    const rows = ['111111111111', '222222222222', '333333333333', '444444444444'].map((a) => row(a));
    judgeProtection(rows, v, s, flag);
    expect(rows.map((r) => r.healthy)).toEqual([true, true, false, false]);
    expect(rows[2]!.problems).toEqual(['guardrail SCP outdated (run guardrail protect --attach)']);
  });

  it('without Organizations access every row is unknown, and unhealthy only when required', () => {
    const rows = [row('222222222222')];
    judgeProtection(rows, verdicts([], 'AccessDeniedException'), { ...settings, required: true });
    expect(rows[0]).toMatchObject({
      protection: 'unknown',
      healthy: false,
      problems: ['protection unknown (AccessDeniedException)'],
    });
  });

  it('a deployed stack without termination protection is unhealthy unless the configuration turns it off', () => {
    const rows = [row('222222222222', false), row('333333333333', null)];
    judgeProtection(rows, v, settings);
    expect(rows.map((r) => r.healthy)).toEqual([false, true]);
    const off = [row('222222222222', false)];
    judgeProtection(off, v, { ...settings, terminationProtection: false });
    expect(off[0]!.healthy).toBe(true);
  });
});
