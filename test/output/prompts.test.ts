import { describe, expect, it } from 'vitest';
import { deployQuestion, removeQuestion, retryQuestion } from '../../src/output/prompts.js';

describe('the confirmation questions', () => {
  it("deploy: the plan's counts, then the accounts to change", () => {
    expect(deployQuestion({ create: 120, update: 2, unchanged: 1, cannotPlan: 0, accounts: 41 })).toBe(
      'create 120 · update 2 · unchanged 1 · cannot plan 0 — deploy to 41 accounts?',
    );
    expect(deployQuestion({ create: 0, update: 1, unchanged: 0, cannotPlan: 3, accounts: 1 })).toBe(
      'create 0 · update 1 · unchanged 0 · cannot plan 3 — deploy to 1 account?',
    );
  });

  it('deploy with approvals: the store stack is named when it would be created or updated', () => {
    const store = { stackName: 'guardrail-approvals', account: '111111111111', region: 'us-east-1' };
    expect(
      deployQuestion({
        create: 2,
        update: 0,
        unchanged: 0,
        cannotPlan: 0,
        accounts: 2,
        store: { ...store, action: 'create' },
      }),
    ).toBe(
      'create 2 · update 0 · unchanged 0 · cannot plan 0 — create the approval store guardrail-approvals (111111111111/us-east-1) and deploy to 2 accounts?',
    );
    expect(
      deployQuestion({
        create: 0,
        update: 2,
        unchanged: 0,
        cannotPlan: 0,
        accounts: 2,
        store: { ...store, action: 'update' },
      }),
    ).toMatch(
      /— update the approval store guardrail-approvals \(111111111111\/us-east-1\) and deploy to 2 accounts\?$/,
    );
  });

  it('deploy: the template buckets it would create are named, every one, before the store', () => {
    const store = {
      stackName: 'guardrail-approvals',
      account: '111111111111',
      region: 'us-east-1',
      action: 'create' as const,
    };
    expect(
      deployQuestion({
        create: 2,
        update: 0,
        unchanged: 0,
        cannotPlan: 0,
        accounts: 2,
        buckets: ['guardrail-templates-111111111111-us-east-1'],
      }),
    ).toBe(
      'create 2 · update 0 · unchanged 0 · cannot plan 0 — create the template bucket guardrail-templates-111111111111-us-east-1 and deploy to 2 accounts?',
    );
    expect(
      deployQuestion({
        create: 4,
        update: 0,
        unchanged: 0,
        cannotPlan: 0,
        accounts: 2,
        store,
        buckets: ['guardrail-templates-111111111111-eu-west-1', 'guardrail-templates-111111111111-us-east-1'],
      }),
    ).toBe(
      'create 4 · update 0 · unchanged 0 · cannot plan 0 — create the template buckets guardrail-templates-111111111111-{eu-west-1,us-east-1}, ' +
        'create the approval store guardrail-approvals (111111111111/us-east-1) and deploy to 2 accounts?',
    );
  });

  it('remove: up to ten accounts by name, then a count; the regions sorted', () => {
    const accounts = Array.from({ length: 12 }, (_, i) => ({ id: String(100000000000 + i), name: `team-${i}` }));
    const q = removeQuestion(accounts, ['us-west-2', 'eu-west-1'], 24);
    expect(q).toBe(
      `Remove guardrail (24 stacks) from 12 accounts: ${accounts
        .slice(0, 10)
        .map((a) => `${a.name} (${a.id})`)
        .join(', ')}` + ' and 2 more — in 2 regions: eu-west-1, us-west-2?',
    );
  });

  it('remove: an account without a name is shown by its id; one of each is singular', () => {
    expect(removeQuestion([{ id: '111111111111', name: '' }], ['us-east-1'], 1)).toBe(
      'Remove guardrail (1 stack) from 1 account: 111111111111 — in 1 region: us-east-1?',
    );
  });

  it('retry: the events and their queues, then the accounts and regions they are in', () => {
    expect(
      retryQuestion(
        [
          { id: '111111111111', name: 'prod' },
          { id: '222222222222', name: '' },
        ],
        ['us-east-1'],
        2,
        3,
      ),
    ).toBe(
      'Retry 3 events waiting in 2 dead-letter queues of 2 accounts: prod (111111111111), 222222222222 — in 1 region: us-east-1?',
    );
    expect(retryQuestion([{ id: '111111111111', name: 'prod' }], ['eu-west-1'], 1, 1)).toBe(
      'Retry 1 event waiting in 1 dead-letter queue of 1 account: prod (111111111111) — in 1 region: eu-west-1?',
    );
  });
});
