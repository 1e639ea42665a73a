// Stack-status predicates, in one place.
export const isInProgress = (status: string | undefined): boolean => !!status && status.endsWith('_IN_PROGRESS');

/** The stack is usable and matches its template. */
export const isDeploySuccess = (status: string | undefined): boolean =>
  status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' || status === 'IMPORT_COMPLETE';

/** A stack in this state can only be deleted (a failed first creation). */
export const needsRecreate = (status: string | undefined): boolean =>
  status === 'ROLLBACK_COMPLETE' || status === 'ROLLBACK_FAILED' || status === 'CREATE_FAILED';

/** REVIEW_IN_PROGRESS: a CREATE change set was made but never executed; the stack does not really exist yet. */
export const isReviewOnly = (status: string | undefined): boolean => status === 'REVIEW_IN_PROGRESS';
