// The IAM action and resource ARN of a simulator request, for SCP evaluation (scp.ts). Resources are computed for
// the operations that act on one named resource (rules, functions, stacks, trails, topics); every other operation
// is evaluated against "*", which only `"Resource": "*"` statements match.
import type { SimRequest } from './types.js';
import type { SimState } from './state.js';
import { cfnRegion } from './cfn/model.js';

const PREFIX: Record<string, string> = {
  sts: 'sts', cloudformation: 'cloudformation', lambda: 'lambda', events: 'events', cloudtrail: 'cloudtrail',
  sns: 'sns', ec2: 'ec2', organizations: 'organizations', sqs: 'sqs',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function actionOf(req: SimRequest): string {
  // SQS's batch calls are authorised as their single forms (IAM has no sqs:SendMessageBatch)
  const operation = req.service === 'sqs' ? req.operation.replace(/Batch$/, '') : req.operation;
  return `${PREFIX[req.service] ?? req.service}:${operation}`;
}

export function resourceOf(state: SimState, req: SimRequest): string {
  const { region } = req;
  const account = req.caller.accountId;
  const input = req.input;
  switch (req.service) {
    case 'events': {
      const name = text(input.Name) ?? text(input.Rule);
      if (!name) return '*';
      if (name.startsWith('arn:')) return name;
      const bus = text(input.EventBusName);
      return `arn:aws:events:${region}:${account}:rule/${bus && bus !== 'default' ? `${bus}/` : ''}${name}`;
    }
    case 'lambda': {
      const m = /^\/\d{4}-\d{2}-\d{2}\/functions\/([^/]+)/.exec(req.path);
      if (!m) return '*';
      const ref = decodeURIComponent(m[1]!).replace(/:\$LATEST$/, '');
      if (ref.startsWith('arn:')) return ref;
      const partial = /^(\d{12}):function:(.+)$/.exec(ref);
      return partial ? `arn:aws:lambda:${region}:${partial[1]}:function:${partial[2]}` : `arn:aws:lambda:${region}:${account}:function:${ref}`;
    }
    case 'cloudformation': return stackArn(state, req);
    case 'cloudtrail': {
      const name = text(input.Name) ?? text(input.TrailName);
      if (!name) return '*';
      return name.startsWith('arn:') ? name : `arn:aws:cloudtrail:${region}:${account}:trail/${name}`;
    }
    case 'sns': return text(input.TopicArn) ?? '*';
    case 'sqs': {
      // arn:aws:sqs:REGION:ACCOUNT:NAME, from the QueueUrl (…/ACCOUNT/NAME) or, for CreateQueue/GetQueueUrl, the name
      const url = text(input.QueueUrl);
      const m = url ? /\/(\d{12})\/([\w.-]+)\/?$/.exec(url) : undefined;
      if (m) return `arn:aws:sqs:${/sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url!)?.[1] ?? region}:${m[1]}:${m[2]}`;
      const name = text(input.QueueName);
      return name ? `arn:aws:sqs:${region}:${text(input.QueueOwnerAWSAccountId) ?? account}:${name}` : '*';
    }
    default: return '*';
  }
}

/** A stack's ARN is its stack id; a name is looked up among the live stacks (`stack/NAME/*` shape when unknown). */
function stackArn(state: SimState, req: SimRequest): string {
  const input = req.input;
  let ref = text(input.StackName);
  const changeSet = text(input.ChangeSetName);
  if (!ref && changeSet?.startsWith('arn:')) {
    const m = /^arn:aws:cloudformation:([^:]+):(\d{12}):changeSet\/[^/]+\/(.+)$/.exec(changeSet);
    const rs = m ? state.accounts.get(m[2]!)?.regions.get(m[1]!) : undefined;
    const cs = rs ? cfnRegion(rs).changeSetsById.get(changeSet) : undefined;
    return cs?.stackId ?? '*';
  }
  if (!ref) return '*';
  if (ref.startsWith('arn:')) return ref;
  const rs = state.accounts.get(req.caller.accountId)?.regions.get(req.region);
  const live = rs ? cfnRegion(rs).live.get(ref) : undefined;
  ref = live?.stackId ?? `arn:aws:cloudformation:${req.region}:${req.caller.accountId}:stack/${ref}/00000000-0000-0000-0000-000000000000`;
  return ref;
}
