// The service control policy that keeps member-account principals from switching guardrail off: a Deny on the
// calls that disable, edit or delete guardrail's resources, for every principal except the role guardrail deploys
// with (CloudFormation acts with its credentials) and the principals the configuration allows.
import type { GuardrailConfig } from '../config/index.js';

export const POLICY_NAME = 'guardrail-protect';
/** Organizations' limits for SCPs. */
export const SCP_CHARACTER_LIMIT = 5120;
export const SCPS_PER_TARGET = 5;
export const MANAGED_TAG = 'guardrail:managed-by';
export const VERSION_TAG = 'guardrail:version';

/** What guardrail's stacks create; the deny covers exactly these calls. */
export const DENIED_ACTIONS = [
  'cloudformation:DeleteStack', 'cloudformation:UpdateStack', 'cloudformation:ExecuteChangeSet',
  'cloudformation:UpdateTerminationProtection', 'cloudformation:SetStackPolicy',
  'events:DisableRule', 'events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets',
  'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:DeleteFunction', 'lambda:AddPermission',
  'lambda:RemovePermission', 'lambda:PutFunctionConcurrency', 'lambda:PutFunctionEventInvokeConfig',
  'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig',
  'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRole',
  'logs:DeleteLogGroup', 'logs:DeleteLogStream', 'logs:PutRetentionPolicy',
  'sqs:DeleteQueue', 'sqs:SetQueueAttributes', 'sqs:PurgeQueue',
  'sns:DeleteTopic', 'sns:SetTopicAttributes', 'sns:Unsubscribe',
  'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail', 'cloudtrail:UpdateTrail', 'cloudtrail:PutEventSelectors',
  's3:DeleteBucket', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutLifecycleConfiguration',
  's3:DeleteObject', 's3:DeleteObjectVersion',
];

/**
 * A name CloudFormation generates (`STACK-LOGICALID-SUFFIX`, a 12-character suffix, cut to the type's maximum
 * length): the pattern that matches it. When the whole prefix does not fit, CloudFormation shortens the parts, so
 * the pattern keeps only the stack name's first 20 characters (still guardrail's own namespace).
 */
function generated(stackName: string, logicalId: string, max: number, lower = false): string {
  const full = `${stackName}-${logicalId}-`;
  const prefix = full.length + 12 <= max ? full : stackName.slice(0, Math.min(stackName.length, 20));
  return `${lower ? prefix.toLowerCase() : prefix}*`;
}

/** The ARN patterns of the resources one stack of this name creates, in any account and region. */
export function protectedResources(stackName: string): string[] {
  const s = stackName;
  return [
    `arn:aws:cloudformation:*:*:stack/${s}/*`,
    `arn:aws:events:*:*:rule/${s}-sg-changes`,
    // approvals: the sweep that revokes approved rules once their approval lapses (CloudFormation names it)
    `arn:aws:events:*:*:rule/${generated(s, 'SweepRule', 64)}`,
    `arn:aws:lambda:*:*:function:${s}-revert`,
    `arn:aws:iam::*:role/${generated(s, 'FunctionRole', 64)}`,
    `arn:aws:logs:*:*:log-group:${generated(s, 'FunctionLogGroup', 512)}`,
    `arn:aws:sqs:*:*:${generated(s, 'DeadLetterQueue', 80)}`,
    `arn:aws:sns:*:*:${generated(s, 'NotificationTopic', 256)}`,
    `arn:aws:cloudtrail:*:*:trail/${s}-trail`,
    `arn:aws:s3:::${generated(s, 'TrailBucket', 63, true)}`,
  ];
}

/**
 * With deploy.engine stacksets, the instance stacks are named `StackSet-<name>-<uuid>` (and what CloudFormation
 * generates starts with that, the bucket in lower case), and the template names its own resources `<name>-set-…`.
 */
export function stackSetResources(stackName: string): string[] {
  const s = stackName;
  const instance = `StackSet-${s}-`;
  return [
    `arn:aws:cloudformation:*:*:stack/${instance}*`,
    `arn:aws:events:*:*:rule/${s}-set-*`,
    `arn:aws:lambda:*:*:function:${s}-set-*`,
    `arn:aws:iam::*:role/${instance}*`,
    `arn:aws:logs:*:*:log-group:${instance}*`,
    `arn:aws:sqs:*:*:${instance}*`,
    `arn:aws:sns:*:*:${instance}*`,
    `arn:aws:cloudtrail:*:*:trail/${s}-set-trail`,
    `arn:aws:s3:::${instance.toLowerCase()}*`,
  ];
}

/**
 * Service-managed StackSets deploys through the service-linked role and the `stacksets-exec-*` role it creates in
 * each member account; both must stay able to update and delete the instance stacks.
 */
export const STACKSETS_PRINCIPALS = [
  'arn:aws:iam::*:role/stacksets-exec-*',
  'arn:aws:iam::*:role/aws-service-role/member.org.stacksets.cloudformation.amazonaws.com/*',
];

/** The principals the deny leaves out: the deploy role (and per-account roles), and protection.allowPrincipals. */
export function exemptPrincipals(config: GuardrailConfig): string[] {
  const roles = new Set([config.organization.roleName, ...config.accounts.map((a) => a.roleName).filter((r): r is string => !!r)]);
  const stackSets = config.deploy.engine === 'stacksets' ? STACKSETS_PRINCIPALS : [];
  return [...[...roles].map((r) => `arn:aws:iam::*:role/${r}`), ...stackSets, ...config.protection.allowPrincipals];
}

export interface RenderedScp {
  name: string;
  /** the document as attached: compact JSON */
  content: string;
  /** the same document, indented for reading */
  pretty: string;
  characters: number;
}

export function renderScp(config: GuardrailConfig): RenderedScp {
  const doc = {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'ProtectGuardrail',
      Effect: 'Deny',
      Action: DENIED_ACTIONS,
      Resource: [
        ...protectedResources(config.stackName),
        ...(config.deploy.engine === 'stacksets' ? stackSetResources(config.stackName) : []),
      ],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': exemptPrincipals(config) } },
    }],
  };
  const content = JSON.stringify(doc);
  return { name: POLICY_NAME, content, pretty: JSON.stringify(doc, null, 2), characters: content.length };
}

/** Two policy documents say the same thing (whitespace and key order aside). */
export function samePolicy(a: string, b: string): boolean {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
