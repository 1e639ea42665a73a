import { describe, expect, it } from 'vitest';
import { isEmptyChangeSet, isNoUpdates, isStackMissing } from '../src/stack/cfn-errors.js';
import { isDeploySuccess, isFailure, isInProgress, needsRecreate } from '../src/stack/stack-status.js';

const err = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('CloudFormation message matches', () => {
  it.each([
    [err('ValidationError', 'Stack with id guardrail does not exist'), true],
    [err('ValidationError', 'Template format error'), false],
    [err('AccessDenied', 'Stack with id guardrail does not exist'), false],
    [undefined, false],
  ])('isStackMissing(%o) is %s', (e, want) => expect(isStackMissing(e)).toBe(want));

  it('recognises "No updates are to be performed." and the empty change set reason', () => {
    expect(isNoUpdates(err('ValidationError', 'No updates are to be performed.'))).toBe(true);
    expect(isNoUpdates(err('ValidationError', 'Stack is in UPDATE_IN_PROGRESS'))).toBe(false);
    expect(isEmptyChangeSet("The submitted information didn't contain changes. Submit different information to create a change set.")).toBe(true);
    expect(isEmptyChangeSet('Template error: unresolved resource dependencies')).toBe(false);
  });
});

describe('stack status predicates', () => {
  it.each([
    ['CREATE_IN_PROGRESS', true, false, false, false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', true, false, false, false],
    ['CREATE_COMPLETE', false, true, false, false],
    ['UPDATE_COMPLETE', false, true, false, false],
    ['ROLLBACK_COMPLETE', false, false, true, true],
    ['UPDATE_ROLLBACK_COMPLETE', false, false, true, false],
    ['DELETE_FAILED', false, false, true, false],
  ])('%s: inProgress %s, success %s, failure %s, recreate %s', (s, prog, ok, fail, recreate) => {
    expect(isInProgress(s)).toBe(prog);
    expect(isDeploySuccess(s)).toBe(ok);
    expect(isFailure(s)).toBe(fail);
    expect(needsRecreate(s)).toBe(recreate);
  });
});
