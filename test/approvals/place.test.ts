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
  it('has nothing to say with approvals off and no rule records (onModify revoke or alert), whatever else is set', () => {
    for (const onModify of ['revoke', 'alert'] as const) {
      const c = config((x) => {
        x.approvals.enabled = false;
        x.policy.onModify = onModify;
        x.deploy.engine = 'stacksets';
        x.stackName = 'x'.repeat(60);
      });
      expect(approvalsProblem(c)).toBeUndefined();
    }
  });

  it('with approvals off, onModify restore still needs the store (the rule records): a long name is named, with the way out', () => {
    const c = config((x) => {
      x.approvals.enabled = false;
      x.stackName = 'x'.repeat(60);
    });
    expect(approvalsProblem(c)).toMatchObject({
      path: 'stackName',
      suggestion: expect.stringMatching(/policy\.onModify to revoke or alert/),
    });
  });

  it('accepts the direct engine with a stack name of up to the limit', () => {
    expect(
      approvalsProblem(
        config((x) => {
          x.stackName = 'g'.repeat(MAX_STACK_NAME_FOR_APPROVALS);
        }),
      ),
    ).toBeUndefined();
  });

  it('names stackName when it is too long for the role pattern', () => {
    const p = approvalsProblem(
      config((x) => {
        x.stackName = 'g'.repeat(MAX_STACK_NAME_FOR_APPROVALS + 1);
      }),
    );
    expect(p).toMatchObject({
      path: 'stackName',
      message: expect.stringMatching(/longer than 32 characters/),
      suggestion: expect.stringMatching(/Shorten stackName/),
    });
  });

  it("accepts the stacksets engine: the store trusts both engines' function roles", () => {
    expect(
      approvalsProblem(
        config((x) => {
          x.deploy.engine = 'stacksets';
        }),
      ),
    ).toBeUndefined();
  });
});
