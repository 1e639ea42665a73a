// Amazon SNS (awsQuery, 2010-03-31): Publish (recorded in RegionState.snsMessages with the caller), ListTopics,
// GetTopicAttributes. Topics are created by the CloudFormation engine into RegionState.topics.
import { SimError, type Caller, type Service, type ServiceContext, type SimRequest } from '../types.js';
import { newUuid, regionState, type SimState, type SnsTopic } from '../state.js';

const MAX_MESSAGE_BYTES = 256 * 1024;

export const sns: Service = {
  name: 'sns',
  protocol: 'query',
  xmlns: 'http://sns.amazonaws.com/doc/2010-03-31/',
  throttle: { code: 'Throttled', status: 429, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'Publish':
        return publish(ctx, req);
      case 'ListTopics':
        return listTopics(ctx, req);
      case 'GetTopicAttributes': {
        const topic = findTopic(ctx.state, req, 'GetTopicAttributes');
        const attributes: Record<string, string> = {
          TopicArn: topic.arn,
          Owner: topic.arn.split(':')[4] ?? '',
          DisplayName: '',
          SubscriptionsConfirmed: String(topic.subscriptions.length),
          SubscriptionsPending: '0',
          SubscriptionsDeleted: '0',
          EffectiveDeliveryPolicy: JSON.stringify({
            http: {
              defaultHealthyRetryPolicy: {
                minDelayTarget: 20,
                maxDelayTarget: 20,
                numRetries: 3,
                numMaxDelayRetries: 0,
                numNoDelayRetries: 0,
                numMinDelayRetries: 0,
                backoffFunction: 'linear',
              },
              disableSubscriptionOverrides: false,
            },
          }),
          Policy: defaultPolicy(topic),
          ...topic.attributes,
        };
        return { Attributes: { 'entry@flat': Object.entries(attributes).map(([key, value]) => ({ key, value })) } };
      }
      default:
        throw new SimError('InvalidAction', `The action ${req.operation} is not valid for this web service.`, 400);
    }
  },
};

function invalid(what: string): SimError {
  return new SimError('InvalidParameter', `Invalid parameter: ${what}`, 400);
}

function defaultPolicy(topic: SnsTopic): string {
  const owner = topic.arn.split(':')[4] ?? '';
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topic.arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': owner } },
      },
    ],
  });
}

/** The topic a TopicArn names, checked for region and for access from the caller's account. */
function findTopic(state: SimState, req: SimRequest, action: string): SnsTopic {
  const arn = req.input.TopicArn ?? req.input.TargetArn;
  if (typeof arn !== 'string' || arn === '')
    throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
  const m = /^arn:aws[\w-]*:sns:([\w-]+):(\d{12}):([\w-]{1,256})$/.exec(arn);
  if (!m) throw invalid('TopicArn');
  const [, region, owner] = m;
  if (region !== req.region) throw invalid('TopicArn');
  const rs = state.accounts.get(owner!)?.regions.get(region);
  const topic = rs?.topics.get(arn) ?? (rs ? [...rs.topics.values()].find((t) => t.arn === arn) : undefined);
  if (!topic) throw new SimError('NotFound', 'Topic does not exist', 404);
  if (owner !== req.caller.accountId && !policyAllows(topic, req.caller, action)) {
    throw new SimError(
      'AuthorizationError',
      `User: ${req.caller.arn} is not authorized to perform: SNS:${action} on resource: ${arn} ` +
        'because no resource-based policy allows the SNS:' +
        action +
        ' action',
      403,
    );
  }
  return topic;
}

/** A cross-account caller needs a topic policy statement that allows its account (or everyone) the action. */
function policyAllows(topic: SnsTopic, caller: Caller, action: string): boolean {
  const raw = topic.attributes.Policy;
  if (!raw) return false;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(raw) as { Statement?: unknown };
  } catch {
    return false;
  }
  const statements = (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]) as Record<
    string,
    unknown
  >[];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
  return statements.some((s) => {
    if (!s || s.Effect !== 'Allow') return false;
    const actions = list(s.Action).map((a) => a.toLowerCase());
    if (!actions.some((a) => a === '*' || a === 'sns:*' || a === `sns:${action.toLowerCase()}`)) return false;
    const p = s.Principal as string | { AWS?: unknown } | undefined;
    const principals = p === '*' ? ['*'] : list(typeof p === 'object' ? p.AWS : p);
    if (s.Condition !== undefined && principals.includes('*')) return false; // conditions are not evaluated: deny
    return principals.some(
      (x) =>
        x === '*' || x === caller.accountId || x === `arn:aws:iam::${caller.accountId}:root` || x === caller.roleArn,
    );
  });
}

function publish(ctx: ServiceContext, req: SimRequest): unknown {
  const input = req.input;
  if (input.PhoneNumber !== undefined) throw invalid('PhoneNumber Reason: SMS is not simulated');
  const topic = findTopic(ctx.state, req, 'Publish');
  const message = input.Message;
  if (typeof message !== 'string' || message.length === 0) throw invalid('Empty message');
  if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) throw invalid('Message too long');
  const subject = input.Subject;
  if (subject !== undefined) {
    if (
      typeof subject !== 'string' ||
      subject.length === 0 ||
      subject.length > 100 ||
      !/^[\x20-\x7e]+$/.test(subject)
    ) {
      throw invalid('Subject');
    }
  }
  if (input.MessageStructure === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw invalid('Message Structure - JSON message body failed to parse');
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      typeof (parsed as Record<string, unknown>).default !== 'string'
    ) {
      throw invalid('Message Structure - No default entry in JSON message body');
    }
  }
  const attributes = input.MessageAttributes as Record<string, Record<string, unknown>> | undefined;
  if (attributes) {
    for (const [name, value] of Object.entries(attributes)) {
      const type = value?.DataType;
      if (typeof type !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
        throw new SimError(
          'ParameterValueInvalid',
          `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
          400,
        );
      }
      if (value.StringValue === undefined && value.BinaryValue === undefined) {
        throw new SimError(
          'ParameterValueInvalid',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
          400,
        );
      }
    }
  }
  const [region, owner] = topic.arn.split(':').slice(3, 5);
  const rs = regionState(ctx.state, owner!, region!);
  const messageId = newUuid(ctx.state);
  rs.snsMessages.push({
    topicArn: topic.arn,
    messageId,
    ...(typeof subject === 'string' ? { subject } : {}),
    message,
    ...(attributes ? { attributes } : {}),
    publishedBy: req.caller.arn,
    at: ctx.state.clock.date().toISOString(),
  });
  return { MessageId: messageId };
}

function listTopics(ctx: ServiceContext, req: SimRequest): unknown {
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const arns = [...rs.topics.values()].map((t) => t.arn).sort();
  const token = req.input.NextToken;
  const start = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw invalid('NextToken');
  const page = arns.slice(start, start + 100);
  const next = start + 100 < arns.length ? Buffer.from(String(start + 100)).toString('base64') : undefined;
  return { Topics: page.map((TopicArn) => ({ TopicArn })), ...(next ? { NextToken: next } : {}) };
}
