// The service control policy that keeps member-account principals from switching guardrail off: a Deny on the
// calls that disable, edit or delete guardrail's resources, for every principal except the role guardrail deploys
// with (CloudFormation acts with its credentials) and the principals the configuration allows. And, so that the
// function cannot be turned against its owner (issue L): no direct invocation but the deploy role's (`guardrail
// retry`, whose request carries no event), no scope tags set or removed but by the function, no role created or
// passed by the names the approval store trusts, no messages on its queues but the function's. And its alarms
// (issue O) stay as deployed. Separate statements only where the exception differs.
import type { GuardrailConfig } from '../config/index.js';
import { functionRoleArns, generatedNamePattern, instanceGeneratedPrefix } from '../stack/names.js';

export const POLICY_NAME = 'guardrail-protect';
/** Organizations' limits for SCPs. */
export const SCP_CHARACTER_LIMIT = 5120;
export const SCPS_PER_TARGET = 5;
export const MANAGED_TAG = 'guardrail:managed-by';
export const VERSION_TAG = 'guardrail:version';

/** What guardrail's stacks create; the deny covers exactly these calls. */
export const DENIED_ACTIONS = [
  'cloudformation:DeleteStack',
  'cloudformation:UpdateStack',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:UpdateTerminationProtection',
  'cloudformation:SetStackPolicy',
  'events:DisableRule',
  'events:DeleteRule',
  'events:PutRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'lambda:UpdateFunctionCode',
  'lambda:UpdateFunctionConfiguration',
  'lambda:DeleteFunction',
  'lambda:AddPermission',
  'lambda:RemovePermission',
  'lambda:PutFunctionConcurrency',
  'lambda:DeleteFunctionConcurrency',
  'lambda:PutFunctionEventInvokeConfig',
  'lambda:UpdateFunctionEventInvokeConfig',
  'lambda:DeleteFunctionEventInvokeConfig',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRole',
  // a role by the function role's name would be trusted by the approval store, and the function role passed to a
  // function of one's own would act as guardrail's (read the store, tag rules approved)
  'iam:CreateRole',
  'iam:PassRole',
  // `guardrail retry` invokes the function as the deploy role; its request carries no event (EventBridge and the
  // event source mapping invoke it as services, which SCPs do not bind)
  'lambda:InvokeFunction',
  'logs:DeleteLogGroup',
  'logs:DeleteLogStream',
  'logs:PutRetentionPolicy',
  'sqs:DeleteQueue',
  'sqs:SetQueueAttributes',
  'sqs:PurgeQueue',
  'sns:DeleteTopic',
  'sns:SetTopicAttributes',
  'sns:Unsubscribe',
  'cloudtrail:StopLogging',
  'cloudtrail:DeleteTrail',
  'cloudtrail:UpdateTrail',
  'cloudtrail:PutEventSelectors',
  's3:DeleteBucket',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutLifecycleConfiguration',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  // the alarms: deleted, silenced, rewritten (PutMetricAlarm on an existing name replaces it), or set to ALARM ahead
  // of a real breach, so that the breach changes no state and notifies nobody
  'cloudwatch:DeleteAlarms',
  'cloudwatch:DisableAlarmActions',
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:SetAlarmState',
];

/** A name CloudFormation generates in a direct stack (stack/names.ts), as a pattern; S3's are lower case. */
function generated(stackName: string, logicalId: string, max: number, lower = false): string {
  const pattern = generatedNamePattern(stackName, logicalId, max);
  return lower ? pattern.toLowerCase() : pattern;
}

/** A name CloudFormation generates in a StackSets instance stack (stack/names.ts), as a pattern. */
function instanceGenerated(stackName: string, lower = false): string {
  const prefix = instanceGeneratedPrefix(stackName);
  return `${lower ? prefix.toLowerCase() : prefix}*`;
}

/** The ARN patterns of the resources one stack of this name creates, in any account and region. */
export function protectedResources(stackName: string): string[] {
  const s = stackName;
  return [
    `arn:aws:cloudformation:*:*:stack/${s}/*`,
    `arn:aws:events:*:*:rule/${s}-sg-changes`,
    // the rule on scope-tag changes (the exempt tag, the onlyTag, guardrail:*)
    `arn:aws:events:*:*:rule/${s}-scope-tags`,
    // approvals: the sweep that revokes approved rules once their approval lapses (CloudFormation names it)
    `arn:aws:events:*:*:rule/${generated(s, 'SweepRule', 64)}`,
    `arn:aws:lambda:*:*:function:${s}-revert`,
    `arn:aws:iam::*:role/${generated(s, 'FunctionRole', 64)}`,
    `arn:aws:logs:*:*:log-group:${generated(s, 'FunctionLogGroup', 512)}`,
    `arn:aws:sqs:*:*:${generated(s, 'DeadLetterQueue', 80)}`,
    `arn:aws:sqs:*:*:${generated(s, 'EventQueue', 80)}`,
    `arn:aws:sns:*:*:${generated(s, 'NotificationTopic', 256)}`,
    `arn:aws:cloudtrail:*:*:trail/${s}-trail`,
    `arn:aws:s3:::${generated(s, 'TrailBucket', 63, true)}`,
    // the template names its alarms ${AWS::StackName}-alarm-…, which the stack set's template makes <name>-set-alarm-…:
    // one pattern for both
    `arn:aws:cloudwatch:*:*:alarm:${s}-*alarm-*`,
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
    `arn:aws:iam::*:role/${instanceGenerated(s)}`,
    `arn:aws:logs:*:*:log-group:${instance}*`,
    `arn:aws:sqs:*:*:${instanceGenerated(s)}`,
    `arn:aws:sns:*:*:${instance}*`,
    `arn:aws:cloudtrail:*:*:trail/${s}-set-trail`,
    `arn:aws:s3:::${instanceGenerated(s, true)}`,
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
  const roles = new Set([
    config.organization.roleName,
    ...config.accounts.map((a) => a.roleName).filter((r): r is string => !!r),
  ]);
  const stackSets = config.deploy.engine === 'stacksets' ? STACKSETS_PRINCIPALS : [];
  return [...[...roles].map((r) => `arn:aws:iam::*:role/${r}`), ...stackSets, ...config.protection.allowPrincipals];
}

/** The function's role in a direct stack of this name and in the stack set's instance stacks. */
export function functionRoles(config: GuardrailConfig): string[] {
  const s = config.stackName;
  // both engines' whichever is configured: during a switch, and in accounts StackSets enrolled before a protect run
  // with the new engine, instance functions must still tag approved rules and use their queues
  return functionRoleArns(s);
}

/**
 * Role names nobody but the deploy roles may create: the ones the approval store's policy trusts
 * (src/stack/names.ts directFunctionRoleArn, the function role's generated-name pattern) are in protectedResources;
 * these are the StackSets instance roles and, with that engine, the execution roles StackSets deploys through, which
 * the deny exempts (a member admin who could create one would be exempt too).
 */
export function trustedRoleNames(config: GuardrailConfig): string[] {
  return [
    `arn:aws:iam::*:role/${instanceGenerated(config.stackName)}`,
    ...(config.deploy.engine === 'stacksets' ? ['arn:aws:iam::*:role/stacksets-exec-*'] : []),
  ];
}

/** The queues the stacks create: the dead-letter queue and the event queue (names CloudFormation generates). */
export function queues(config: GuardrailConfig): string[] {
  const s = config.stackName;
  const all = [
    `arn:aws:sqs:*:*:${generated(s, 'DeadLetterQueue', 80)}`,
    `arn:aws:sqs:*:*:${generated(s, 'EventQueue', 80)}`,
    `arn:aws:sqs:*:*:${instanceGenerated(s)}`,
  ];
  return [...new Set(all)];
}

/** The tag keys that decide a group's or rule's scope: guardrail's own, the exempt tag's key (onlyTag: see below). */
export function scopeTagKeys(config: GuardrailConfig): string[] {
  const key = (pair: string | null) => (pair === null ? undefined : pair.slice(0, pair.indexOf('=')));
  const exempt = key(config.policy.exemptTag);
  return ['guardrail:*', ...(exempt !== undefined && !exempt.startsWith('guardrail:') ? [exempt] : [])];
}

/** Security groups and their rules (`security-group/…` and `security-group-rule/…`), where the scope tags sit. */
const GROUPS = 'arn:aws:ec2:*:*:security-group*';

const except = (principals: string[]) => ({ ArnNotLike: { 'aws:PrincipalArn': principals } });

/** SCPs never bind service-linked roles: the statements added for issue L leave them out of their exceptions. */
const bound = (principals: string[]) => principals.filter((p) => !p.includes(':role/aws-service-role/'));

export interface RenderedScp {
  name: string;
  /** the document as attached: compact JSON */
  content: string;
  /** the same document, indented for reading */
  pretty: string;
  characters: number;
}

export function renderScp(config: GuardrailConfig): RenderedScp {
  const s = config.stackName;
  const sets = config.deploy.engine === 'stacksets';
  const exempt = exemptPrincipals(config);
  const withFunction = bound([...functionRoles(config), ...exempt]);
  const only = config.policy.onlyTag;
  const onlyKey = only === null ? undefined : only.slice(0, only.indexOf('='));
  const doc = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ProtectGuardrail',
        Effect: 'Deny',
        Action: DENIED_ACTIONS,
        // the instance stacks' function whichever engine is configured, as the roles and queues below: during a switch,
        // and in accounts StackSets enrolled before a protect run with the new engine, it must not be invoked either
        Resource: [
          ...new Set([
            ...protectedResources(s),
            ...(sets ? stackSetResources(s) : []),
            `arn:aws:lambda:*:*:function:${s}-set-*`,
            ...trustedRoleNames(config),
          ]),
        ],
        Condition: except(exempt),
      },
      {
        // No exception: DeleteTags on groups without keys, which deletes every tag (the exempt tag, an approval's) and
        // carries no aws:TagKeys for the next statement; name the keys instead. (Invoking the function is in the first
        // statement: EventBridge and the event source mapping invoke it as services, and "SCPs affect only IAM users
        // and roles that are managed by accounts that are part of the organization. SCPs don't affect resource-based
        // policies directly." (AWS Organizations User Guide, Service control policies:
        // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html); of the rest, only
        // the deploy role may invoke it, for `guardrail retry`.)
        Sid: 'NoUntagAll',
        Effect: 'Deny',
        Action: 'ec2:DeleteTags',
        Resource: GROUPS,
        Condition: { Null: { 'aws:TagKeys': 'true' } },
      },
      {
        // A scope tag added (the exempt tag), removed or rewritten (an approval's) takes a group or rule out of
        // guardrail's reach; only the function tags approved rules.
        Sid: 'ScopeTags',
        Effect: 'Deny',
        Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
        Resource: GROUPS,
        Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': scopeTagKeys(config) }, ...except(withFunction) },
      },
      // onlyTag: removing or rewriting the key takes a group out of scope; tagging a new group with it (tags given to
      // CreateSecurityGroup, which set ec2:CreateAction) only brings one in, so that stays open. DeleteTags requests
      // never carry ec2:CreateAction (it is a CreateTags key), so the Null test holds for every one of them
      ...(onlyKey === undefined || onlyKey.startsWith('guardrail:')
        ? []
        : [
            {
              Sid: 'OnlyTag',
              Effect: 'Deny',
              Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
              Resource: GROUPS,
              Condition: {
                'ForAnyValue:StringLike': { 'aws:TagKeys': [onlyKey] },
                Null: { 'ec2:CreateAction': 'true' },
                ...except(withFunction),
              },
            },
          ]),
      {
        // the queues: only the function (its event source mapping and dead-letter sends act as its role) and the
        // deploy roles; EventBridge sends to the event queue as a service. PurgeQueue and SetQueueAttributes are in
        // the first statement, where the function is not exempt.
        // And the event source mapping that feeds the event queue to the function: disabled or deleted, every event
        // would wait unseen until it expired. Its ARN ends in a UUID no one knows beforehand, so it is named by the
        // function it maps to (lambda:FunctionArn, which IAM gives Update- and DeleteEventSourceMapping). One
        // statement for both keeps the policy inside 5,120 characters: an SQS call never names a mapping nor a mapping
        // call a queue, and the SQS calls carry no lambda:FunctionArn, which …IfExists lets through to the exception.
        Sid: 'Queues',
        Effect: 'Deny',
        Action: [
          'sqs:SendMessage',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'lambda:UpdateEventSourceMapping',
          'lambda:DeleteEventSourceMapping',
        ],
        Resource: [...queues(config), 'arn:aws:lambda:*:*:event-source-mapping:*'],
        Condition: {
          ArnLikeIfExists: { 'lambda:FunctionArn': `arn:aws:lambda:*:*:function:${s}-*` },
          ...except(withFunction),
        },
      },
    ],
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
