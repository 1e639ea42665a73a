import { describe, expect, it } from 'vitest';
import { codeReferences, type CodeSample } from '../../src/engines/code-reference.js';

const LOCAL = 'local-hash';
const V2 = 'v2-current';
const V1 = 'v1-old';
const at = (templateVersion: string | null, codeSha256: string | null, n = 1): CodeSample[] =>
  Array.from({ length: n }, () => ({ templateVersion, codeSha256 }));
/** each sample's verdict: does its hash equal the one expected for its version */
const verdicts = (samples: CodeSample[]) => {
  const refs = codeReferences(samples, V2, LOCAL);
  return {
    reference: refs.reference,
    currentSha: refs.currentSha,
    codes: samples.map((s) => (s.codeSha256 === refs.expectedFor(s.templateVersion) ? 'current' : 'outdated')),
  };
};

describe('code reference (which CodeSha256 a function should have)', () => {
  it('uses the local bundle when a current-version function has its hash; other code is outdated', () => {
    const r = verdicts([...at(V2, LOCAL, 3), ...at(V2, 'replaced'), ...at(V1, 'old-code', 2)]);
    expect(r).toEqual({
      reference: 'local bundle',
      currentSha: LOCAL,
      codes: ['current', 'current', 'current', 'outdated', 'outdated', 'outdated'],
    });
  });

  it('an endpoint that archives differently: a fresh function is compared only with stacks at its own version', () => {
    // the case from another emulator: one freshly created stack, five stacks still at the older version
    const r = verdicts([...at(V2, 'emulator-v2'), ...at(V1, 'emulator-v1', 5)]);
    expect(r.reference).toBe('agreement of current stacks');
    expect(r.currentSha).toBe('emulator-v2');
    expect(r.codes).toEqual(['current', 'current', 'current', 'current', 'current', 'current']);
  });

  it('the agreement still finds a function whose code was replaced, at the current and at an older version', () => {
    const r = verdicts([
      ...at(V2, 'emulator-v2', 3),
      ...at(V2, 'replaced'),
      ...at(V1, 'emulator-v1', 2),
      ...at(V1, 'replaced'),
    ]);
    expect(r.codes).toEqual(['current', 'current', 'current', 'outdated', 'current', 'current', 'outdated']);
  });

  it('no majority at the current version (two stacks, two hashes): falls back to the local bundle, both reported', () => {
    const r = verdicts([...at(V2, 'a'), ...at(V2, 'b')]);
    expect(r).toEqual({ reference: 'local bundle', currentSha: LOCAL, codes: ['outdated', 'outdated'] });
  });

  it('no majority at an older version: its functions are compared with the local bundle', () => {
    const r = verdicts([...at(V2, 'emulator-v2'), ...at(V1, 'a'), ...at(V1, 'b')]);
    expect(r.codes).toEqual(['current', 'outdated', 'outdated']);
  });

  it('nothing deployed at the current version, unreadable hashes and untagged stacks: the local bundle', () => {
    expect(verdicts([...at(V1, 'old', 4), ...at(null, 'x'), ...at(V2, null)]).reference).toBe('local bundle');
    expect(codeReferences([], V2, LOCAL).expectedFor(V2)).toBe(LOCAL);
  });

  it('an untagged stack is compared with the local bundle even under an agreement', () => {
    const refs = codeReferences([...at(V2, 'emulator-v2', 2), ...at(null, 'emulator-v2')], V2, LOCAL);
    expect(refs.reference).toBe('agreement of current stacks');
    expect(refs.expectedFor(null)).toBe(LOCAL);
  });
});
