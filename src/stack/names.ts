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
 * The direct stack's function role, as CloudFormation generates it (`<stack>-FunctionRole-<suffix>`), in any account.
 */
export function directFunctionRoleArn(stackName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::*:role/${stackName}-FunctionRole-*`;
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
