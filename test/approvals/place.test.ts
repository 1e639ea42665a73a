// Where approvals can work: a stack name short enough for the function roles' generated names, and the direct
// engine (stack set instances' roles are not admitted by the store's policy).
import { describe, expect, it } from 'vitest';
import { approvalsProblem, MAX_STACK_NAME_FOR_APPROVALS } from '../../src/approvals/place.js';
import { defaultConfig, type GuardrailConfig } from '../../src/config/schema.js';

function config(change: (c: GuardrailConfig) => void): GuardrailConfig {
  const c = defaultConfig();
  c.approvals.enabled = true;
  change(c);
  return c;
}

describe('approvalsProblem', () => {
  it('has nothing to say with approvals off, whatever else is set', () => {
    const c = config((x) => { x.approvals.enabled = false; x.deploy.engine = 'stacksets'; x.stackName = 'x'.repeat(60); });
    expect(approvalsProblem(c)).toBeUndefined();
  });

  it('accepts the direct engine with a stack name of up to the limit', () => {
    expect(approvalsProblem(config((x) => { x.stackName = 'g'.repeat(MAX_STACK_NAME_FOR_APPROVALS); }))).toBeUndefined();
  });

  it('names stackName when it is too long for the role pattern', () => {
    const p = approvalsProblem(config((x) => { x.stackName = 'g'.repeat(MAX_STACK_NAME_FOR_APPROVALS + 1); }));
    expect(p).toMatchObject({ path: 'stackName', message: expect.stringMatching(/longer than 32 characters/), suggestion: expect.stringMatching(/Shorten stackName/) });
  });

  it('accepts the stacksets engine: the store trusts both engines\' function roles', () => {
    expect(approvalsProblem(config((x) => { x.deploy.engine = 'stacksets'; }))).toBeUndefined();
  });
});
