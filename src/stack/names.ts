// The names CloudFormation gives guardrail's stacks and what they create, per engine, in one place: the engines
// (where a target's stack and logs are), the SCP (what it protects) and the approval store (whom it trusts) all
// derive theirs from here.

/** A StackSets instance stack is `StackSet-<set name>-<uuid>`; this is its name up to the uuid. */
export function instanceStackPrefix(setName: string): string {
  return `StackSet-${setName}-`;
}

/**
 * What CloudFormation generates in an instance stack for a type of at most 80 characters (roles, queues, buckets)
 * starts with the instance stack name's first 20 characters: the uuid alone is 36, so the prefix never survives
 * whole (for a short stack name it is `StackSet-<name>-`).
 */
export function instanceGeneratedPrefix(setName: string): string {
  return instanceStackPrefix(setName).slice(0, 20);
}

/**
 * The longest random tail CloudFormation has been seen to end a generated name with (`-1TCLUMCY77KXG` is 13, names
 * made today end in 12, `-17JA3GHYD8TOPS` is 14): a pattern that allows for it matches every one of them.
 */
const LONGEST_TAIL = 14;

/**
 * A pattern for the name CloudFormation generates for `logicalId` in a stack of this name, where the resource type
 * allows `max` characters: `<stack>-<logical id>-<random tail>`. Where that is too long, CloudFormation keeps the tail
 * and shares what is left, less two hyphens, between the stack name and the logical id: half each (the stack name's
 * half rounding up), or more for one when the other needs less. AWS does not document this; the rule reproduces the
 * names real stacks were given (test/stack/names.test.ts lists them and their sources). The pattern keeps only what
 * survives whatever the tail's length, so it matches every name CloudFormation can give, and no more of other names
 * than the first characters of this stack's name allow: the approval store trusts it, the SCP protects it.
 */
export function generatedNamePattern(stackName: string, logicalId: string, max: number): string {
  const room = max - LONGEST_TAIL - 2;
  if (stackName.length + logicalId.length <= room) return `${stackName}-${logicalId}-*`;
  const kept = Math.max(Math.ceil(room / 2), room - logicalId.length);
  return stackName.length <= kept ? `${stackName}-*` : `${stackName.slice(0, kept)}*`;
}

/**
 * The direct stack's function role, as CloudFormation generates it (`<stack>-FunctionRole-<suffix>`, shortened for a
 * long stack name), in any account.
 */
export function directFunctionRoleArn(stackName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::*:role/${generatedNamePattern(stackName, 'FunctionRole', 64)}`;
}

/** A StackSets instance's function role, as CloudFormation generates it in an instance stack, in any account. */
export function instanceFunctionRoleArn(setName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::*:role/${instanceGeneratedPrefix(setName)}*`;
}

/**
 * Both engines' function roles: whom the approval store trusts (and nobody else), whichever engine deployed a target.
 */
export function functionRoleArns(stackName: string, partition = 'aws'): string[] {
  return [directFunctionRoleArn(stackName, partition), instanceFunctionRoleArn(stackName, partition)];
}
