import { describe, expect, it } from 'vitest';
import { isEmptyChangeSet, isStackMissing } from '../src/stack/cfn-errors.js';
import { isDeploySuccess, isInProgress, needsRecreate } from '../src/stack/stack-status.js';

const err = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('CloudFormation message matches', () => {
  it.each([
    [err('ValidationError', 'Stack with id guardrail does not exist'), true],
    [err('ValidationError', 'Template format error'), false],
    [err('AccessDenied', 'Stack with id guardrail does not exist'), false],
    [undefined, false],
  ])('isStackMissing(%o) is %s', (e, want) => expect(isStackMissing(e)).toBe(want));

  it('recognises the empty change set reason', () => {
    expect(
      isEmptyChangeSet(
        "The submitted information didn't contain changes. Submit different information to create a change set.",
      ),
    ).toBe(true);
    expect(isEmptyChangeSet('Template error: unresolved resource dependencies')).toBe(false);
  });
});

describe('stack status predicates', () => {
  it.each([
    ['CREATE_IN_PROGRESS', true, false, false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', true, false, false],
    ['CREATE_COMPLETE', false, true, false],
    ['UPDATE_COMPLETE', false, true, false],
    ['ROLLBACK_COMPLETE', false, false, true],
    ['UPDATE_ROLLBACK_COMPLETE', false, false, false],
    ['DELETE_FAILED', false, false, false],
  ])('%s: inProgress %s, success %s, recreate %s', (s, prog, ok, recreate) => {
    expect(isInProgress(s)).toBe(prog);
    expect(isDeploySuccess(s)).toBe(ok);
    expect(needsRecreate(s)).toBe(recreate);
  });
});
