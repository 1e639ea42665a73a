// CloudFormation says "does not exist" and "No updates are to be performed" only in message text. These are the
// only two string matches on AWS messages in guardrail; every other error is recognised by its name.

/** DescribeStacks/DeleteStack/… on a stack that is not there: ValidationError "Stack with id X does not exist". */
export function isStackMissing(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ValidationError' && /does not exist/.test(e.message ?? '');
}

/** A FAILED change set whose reason is that nothing changed ("The submitted information didn't contain changes…"). */
export function isEmptyChangeSet(statusReason: string | undefined): boolean {
  return /didn't contain changes|No updates are to be performed/.test(statusReason ?? '');
}
