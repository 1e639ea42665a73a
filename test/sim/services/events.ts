// Amazon EventBridge (awsJson1_1, target prefix AWSEvents): DescribeRule, DisableRule, EnableRule, ListRules,
// ListTargetsByRule, PutEvents. Rules and targets are created by the CloudFormation engine into RegionState.rules.
import { SimError, type Service, type ServiceContext, type SimRequest } from '../types.js';
import { newUuid, regionState, type EventRule } from '../state.js';
import { publishEvent } from '../loop.js';

export const events: Service = {
  name: 'events',
  protocol: 'json',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'DescribeRule': {
        const rule = findRule(ctx, req);
        return {
          Name: rule.name,
          Arn: rule.arn,
          ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
          ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
          State: rule.state,
          ...(rule.description !== undefined ? { Description: rule.description } : {}),
          EventBusName: rule.eventBusName || 'default',
          CreatedBy: req.caller.accountId,
        };
      }
      case 'DisableRule':
        findRule(ctx, req).state = 'DISABLED';
        return {};
      case 'EnableRule':
        findRule(ctx, req).state = 'ENABLED';
        return {};
      case 'ListTargetsByRule':
        return listTargets(ctx, req);
      case 'ListRules':
        return listRules(ctx, req);
      case 'PutEvents':
        return putEvents(ctx, req);
      default:
        throw new SimError('UnknownOperationException', `Unknown operation ${req.operation}`, 400);
    }
  },
};

function busName(req: SimRequest): string {
  const raw = typeof req.input.EventBusName === 'string' && req.input.EventBusName ? req.input.EventBusName : 'default';
  // an event bus ARN names the bus after "event-bus/"
  return raw.startsWith('arn:') ? (raw.split('/').pop() ?? 'default') : raw;
}

function findRule(ctx: ServiceContext, req: SimRequest): EventRule {
  const name = req.input.Rule ?? req.input.Name;
  if (typeof name !== 'string' || name.length === 0 || name.length > 64 || !/^[.\-_A-Za-z0-9]+$/.test(name)) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${String(name)}' at 'name' failed to ` +
        'satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+',
      400,
    );
  }
  const bus = busName(req);
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const rule = rs.rules.get(name);
  if (!rule || (rule.eventBusName || 'default') !== bus) {
    throw new SimError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`, 400);
  }
  return rule;
}

function pageArgs(req: SimRequest): { start: number; limit: number } {
  const limit = req.input.Limit === undefined ? 100 : Number(req.input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${String(req.input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`,
      400,
    );
  }
  let start = 0;
  if (typeof req.input.NextToken === 'string') {
    start = Number(Buffer.from(req.input.NextToken, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0)
      throw new SimError('ValidationException', 'The NextToken provided is invalid.', 400);
  }
  return { start, limit };
}

function token(next: number, total: number): Record<string, string> {
  return next < total ? { NextToken: Buffer.from(String(next)).toString('base64') } : {};
}

function listTargets(ctx: ServiceContext, req: SimRequest): unknown {
  const rule = findRule(ctx, req);
  const { start, limit } = pageArgs(req);
  const page = rule.targets.slice(start, start + limit);
  return {
    Targets: page.map((t) => ({
      Id: t.id,
      Arn: t.arn,
      ...(t.roleArn ? { RoleArn: t.roleArn } : {}),
      ...(t.input !== undefined ? { Input: t.input } : {}),
      ...(t.deadLetterArn ? { DeadLetterConfig: { Arn: t.deadLetterArn } } : {}),
      ...(t.retryPolicy
        ? {
            RetryPolicy: {
              MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts ?? 185,
              MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds ?? 86400,
            },
          }
        : {}),
    })),
    ...token(start + limit, rule.targets.length),
  };
}

function listRules(ctx: ServiceContext, req: SimRequest): unknown {
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const bus = busName(req);
  const prefix = typeof req.input.NamePrefix === 'string' ? req.input.NamePrefix : '';
  const { start, limit } = pageArgs(req);
  const all = [...rs.rules.values()]
    .filter((r) => (r.eventBusName || 'default') === bus && r.name.startsWith(prefix))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    Rules: all.slice(start, start + limit).map((r) => ({
      Name: r.name,
      Arn: r.arn,
      State: r.state,
      EventBusName: r.eventBusName || 'default',
      ...(r.eventPattern !== undefined ? { EventPattern: r.eventPattern } : {}),
      ...(r.scheduleExpression !== undefined ? { ScheduleExpression: r.scheduleExpression } : {}),
      ...(r.description !== undefined ? { Description: r.description } : {}),
    })),
    ...token(start + limit, all.length),
  };
}

function putEvents(ctx: ServiceContext, req: SimRequest): unknown {
  const entries = req.input.Entries;
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
    throw new SimError(
      'ValidationException',
      "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
      400,
    );
  }
  let failed = 0;
  const results = (entries as Record<string, unknown>[]).map((e) => {
    const missing = ['Source', 'DetailType', 'Detail'].find((k) => typeof e[k] !== 'string' || e[k] === '');
    if (missing) {
      failed++;
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.`,
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail as string);
    } catch {
      failed++;
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      failed++;
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const source = e.Source as string;
    if (source.startsWith('aws.')) {
      failed++;
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `Not authorized for the source ${source}.` };
    }
    const bus =
      typeof e.EventBusName === 'string' && e.EventBusName ? (e.EventBusName.split('/').pop() ?? 'default') : 'default';
    const time =
      e.Time instanceof Date ? e.Time : typeof e.Time === 'number' ? new Date(e.Time * 1000) : ctx.state.clock.date();
    const id = newUuid(ctx.state);
    publishEvent(
      ctx,
      req.caller.accountId,
      req.region,
      {
        version: '0',
        id,
        'detail-type': e.DetailType,
        source,
        account: req.caller.accountId,
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: req.region,
        resources: Array.isArray(e.Resources) ? e.Resources : [],
        detail,
      },
      bus,
    );
    return { EventId: id };
  });
  return { FailedEntryCount: failed, Entries: results };
}
