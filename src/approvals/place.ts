// Where the approval store lives and what the function and the store's policy need to know about it.
import type { GuardrailConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';

export interface StorePlace {
  account: string;
  region: string;
  tableName: string;
  tableArn: string;
  /** guardrail's record of rule definitions, beside the approvals (templates/approvals.yaml RuleTable) */
  rulesTableArn: string;
  /** the store's own stack, deployed before any target */
  stackName: string;
}

/**
 * The store's stack holds the approvals and guardrail's record of rule definitions (TABLE-rules), which restoring a
 * modified rule reads first: it is deployed when approvals are on or when policy.onModify is `restore` (the default).
 */
export function storeNeeded(config: GuardrailConfig): boolean {
  return config.approvals.enabled || config.policy.onModify === 'restore';
}

/**
 * approvals.account defaults to the account guardrail runs from (the management account), region to trail.homeRegion.
 */
export function storePlace(config: GuardrailConfig, callerAccount: string, partition = 'aws'): StorePlace {
  const a = config.approvals;
  const account = a.account ?? callerAccount;
  const region = a.region ?? config.trail.homeRegion;
  return {
    account,
    region,
    tableName: a.tableName,
    stackName: `${config.stackName}-approvals`,
    tableArn: `arn:${partition}:dynamodb:${region}:${account}:table/${a.tableName}`,
    rulesTableArn: `arn:${partition}:dynamodb:${region}:${account}:table/${a.tableName}-rules`,
  };
}

/**
 * The function roles the store trusts (aws:PrincipalArn), both engines' (stack/names.ts): the direct stack's
 * `STACK-FunctionRole-RANDOM` and what a StackSets instance generates. CloudFormation shortens generated names to 64
 * characters, so the stack name must stay short enough to survive (config validation keeps it under
 * MAX_STACK_NAME_FOR_APPROVALS).
 */
export { functionRoleArns } from '../stack/names.js';

export const MAX_STACK_NAME_FOR_APPROVALS = 32;

export interface ApprovalsProblem {
  path: string;
  message: string;
  suggestion: string;
}

/** Approvals need a stack name short enough to stay whole in the direct function role's generated name. */
export function approvalsProblem(config: GuardrailConfig): ApprovalsProblem | undefined {
  if (!storeNeeded(config)) return undefined;
  if (config.stackName.length <= MAX_STACK_NAME_FOR_APPROVALS) return undefined;
  const off = config.approvals.enabled
    ? 'set approvals.enabled: false'
    : 'set policy.onModify to revoke or alert (no rule records)';
  return {
    path: 'stackName',
    suggestion:
      config.approvals.enabled && config.policy.onModify === 'restore'
        ? 'Shorten stackName.'
        : `Shorten stackName, or ${off}.`,
    message:
      `stackName "${config.stackName}" is longer than ${MAX_STACK_NAME_FOR_APPROVALS} characters: CloudFormation would ` +
      "shorten it in the function roles' generated names, and the policy of the approval store and rule records could not recognise them",
  };
}

/** What deploy and validate refuse: the approvals problem as a configuration error (exit 2), naming the key. */
export function checkApprovals(config: GuardrailConfig): void {
  const p = approvalsProblem(config);
  if (p)
    throw new ConfigError(p.message, { problems: [{ path: p.path, message: p.message }], suggestion: p.suggestion });
}

/** EventBridge wants the singular unit for 1. */
export function sweepSchedule(minutes: number): string {
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}
