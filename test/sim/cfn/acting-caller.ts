// CloudFormation acts with the credentials of whoever started the stack operation (no service role in the
// simulator), so the service control policies that bind the caller bind the resource calls CloudFormation makes
// for it: a resource whose call an SCP denies fails with the provider's message, and the stack rolls back, as in
// AWS. The IAM actions per resource type are the main ones its handler calls (create, update, delete), not the
// full list of the registry schema's handler permissions.
import type { Caller } from '../types.js';
import type { SimState } from '../state.js';
import { evaluateScps, isServiceLinked, principalContext } from '../scp.js';
import type { StackResource } from './model.js';
import type { PlannedResource } from './engine.js';

type Verb = 'create' | 'update' | 'delete';

const ACTIONS: Record<string, Record<Verb, string[]>> = {
  'AWS::Lambda::Function': {
    create: ['lambda:CreateFunction'],
    update: ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration'],
    delete: ['lambda:DeleteFunction'],
  },
  'AWS::Lambda::Permission': {
    create: ['lambda:AddPermission'],
    update: ['lambda:AddPermission'],
    delete: ['lambda:RemovePermission'],
  },
  'AWS::Lambda::EventInvokeConfig': {
    create: ['lambda:PutFunctionEventInvokeConfig'],
    update: ['lambda:UpdateFunctionEventInvokeConfig'],
    delete: ['lambda:DeleteFunctionEventInvokeConfig'],
  },
  'AWS::Events::Rule': {
    create: ['events:PutRule', 'events:PutTargets'],
    update: ['events:PutRule', 'events:PutTargets'],
    delete: ['events:RemoveTargets', 'events:DeleteRule'],
  },
  'AWS::IAM::Role': {
    create: ['iam:CreateRole', 'iam:PutRolePolicy'],
    update: ['iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy'],
    delete: ['iam:DeleteRolePolicy', 'iam:DeleteRole'],
  },
  'AWS::Logs::LogGroup': {
    create: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
    update: ['logs:PutRetentionPolicy'],
    delete: ['logs:DeleteLogGroup'],
  },
  'AWS::SQS::Queue': { create: ['sqs:CreateQueue'], update: ['sqs:SetQueueAttributes'], delete: ['sqs:DeleteQueue'] },
  'AWS::SQS::QueuePolicy': {
    create: ['sqs:SetQueueAttributes'],
    update: ['sqs:SetQueueAttributes'],
    delete: ['sqs:SetQueueAttributes'],
  },
  'AWS::Lambda::EventSourceMapping': {
    create: ['lambda:CreateEventSourceMapping'],
    update: ['lambda:UpdateEventSourceMapping'],
    delete: ['lambda:DeleteEventSourceMapping'],
  },
  'AWS::SNS::Topic': { create: ['sns:CreateTopic'], update: ['sns:SetTopicAttributes'], delete: ['sns:DeleteTopic'] },
  'AWS::CloudTrail::Trail': {
    create: ['cloudtrail:CreateTrail', 'cloudtrail:StartLogging'],
    update: ['cloudtrail:UpdateTrail'],
    delete: ['cloudtrail:DeleteTrail'],
  },
  'AWS::S3::Bucket': {
    create: ['s3:CreateBucket'],
    update: ['s3:PutLifecycleConfiguration'],
    delete: ['s3:DeleteBucket'],
  },
  'AWS::S3::BucketPolicy': {
    create: ['s3:PutBucketPolicy'],
    update: ['s3:PutBucketPolicy'],
    delete: ['s3:DeleteBucketPolicy'],
  },
  'AWS::CloudWatch::Alarm': {
    create: ['cloudwatch:PutMetricAlarm'],
    update: ['cloudwatch:PutMetricAlarm'],
    delete: ['cloudwatch:DeleteAlarms'],
  },
};

/** The ARN IAM evaluates the resource's calls against. */
function arnOf(
  type: string,
  physicalId: string,
  attrs: Record<string, unknown>,
  props: Record<string, unknown>,
  region: string,
  account: string,
): string {
  const arn = typeof attrs.Arn === 'string' ? attrs.Arn : undefined;
  switch (type) {
    case 'AWS::Lambda::Permission':
    case 'AWS::Lambda::EventInvokeConfig': {
      const fn = String(props.FunctionName ?? '');
      return fn.startsWith('arn:') ? fn : `arn:aws:lambda:${region}:${account}:function:${fn}`;
    }
    case 'AWS::SQS::QueuePolicy': {
      const url = String((props.Queues as unknown[] | undefined)?.[0] ?? '');
      const m = /\/(\d{12})\/([\w.-]+)\/?$/.exec(url);
      return m ? `arn:aws:sqs:${/sqs\.([a-z0-9-]+)\./.exec(url)?.[1] ?? region}:${m[1]}:${m[2]}` : '*';
    }
    case 'AWS::Lambda::EventSourceMapping':
      return typeof attrs.EventSourceMappingArn === 'string' ? attrs.EventSourceMappingArn : '*';
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${region}:${account}:log-group:${physicalId}`;
    case 'AWS::SNS::Topic':
      return physicalId;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${physicalId}`;
    case 'AWS::S3::BucketPolicy':
      return `arn:aws:s3:::${String(props.Bucket ?? '')}`;
    default:
      return arn ?? '*';
  }
}

/** The message a resource handler reports when the caller's call is denied. */
function denial(
  state: SimState,
  caller: Caller,
  region: string,
  type: string,
  verb: Verb,
  arn: string,
): string | undefined {
  if (isServiceLinked(caller)) return undefined;
  for (const action of ACTIONS[type]?.[verb] ?? []) {
    const verdict = evaluateScps(state, caller.accountId, {
      action,
      resource: arn,
      context: principalContext(caller, region),
    });
    if (verdict !== 'allowed') {
      return (
        `Resource handler returned message: "User: ${caller.arn} is not authorized to perform: ${action} on resource: ${arn} ` +
        `with an ${verdict} deny in a service control policy (Service: ${type.split('::')[1]}, Status Code: 403)" ` +
        '(HandlerErrorCode: AccessDenied)'
      );
    }
  }
  return undefined;
}

/** Marks the planned resources whose create or update calls the caller's SCPs deny (the first one fails the stack). */
export function denyPlanned(state: SimState, caller: Caller, region: string, resources: PlannedResource[]): void {
  for (const r of resources) {
    if (r.action === 'None' || r.failure !== undefined) continue;
    const verb: Verb = r.action === 'Add' || r.replacement ? 'create' : 'update';
    const reason = denial(
      state,
      caller,
      region,
      r.type,
      verb,
      arnOf(r.type, r.physicalId, r.attrs, r.props, region, caller.accountId),
    );
    if (reason) r.failure = reason;
  }
}

/** For DeleteStack: why the caller may not delete this resource, if an SCP says so. */
export function deletionDenial(
  state: SimState,
  caller: Caller,
  region: string,
): (r: StackResource) => string | undefined {
  return (r) =>
    denial(
      state,
      caller,
      region,
      r.type,
      'delete',
      arnOf(r.type, r.physicalId, r.attrs, r.props, region, caller.accountId),
    );
}
