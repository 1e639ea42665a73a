// The IAM action and resource ARN of a simulator request, for SCP evaluation (scp.ts). Resources are computed for
// the operations that act on one named resource (rules, functions, stacks, trails, topics); every other operation
// is evaluated against "*", which only `"Resource": "*"` statements match.
import type { SimRequest } from './types.js';
import type { RegionState, SimState } from './state.js';
import { cfnRegion } from './cfn/model.js';
import type { PolicyContext } from './policy-conditions.js';

/** One authorization a request needs (scp.ts's Authorization). */
export interface RequestAuthorization {
  action: string;
  resource: string;
  context: PolicyContext;
}

const PREFIX: Record<string, string> = {
  sts: 'sts',
  cloudformation: 'cloudformation',
  lambda: 'lambda',
  events: 'events',
  cloudtrail: 'cloudtrail',
  sns: 'sns',
  ec2: 'ec2',
  organizations: 'organizations',
  iam: 'iam',
  dynamodb: 'dynamodb',
  sqs: 'sqs',
};

/** Operations whose IAM action is not named after the operation (Service Authorization Reference). */
const ACTION_NAMES: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function actionOf(req: SimRequest): string {
  // SQS's batch calls are authorised as their single forms (IAM has no sqs:SendMessageBatch)
  const operation = req.service === 'sqs' ? req.operation.replace(/Batch$/, '') : req.operation;
  const action = `${PREFIX[req.service] ?? req.service}:${operation}`;
  return ACTION_NAMES[action] ?? action;
}

/**
 * Every authorization the request needs. Most operations need one (the action on the resource resourceOf computes);
 * EC2's tag calls need one per resource named, and a create call with TagSpecifications also needs ec2:CreateTags
 * (with ec2:CreateAction), as the EC2 User Guide's "Grant permission to tag Amazon EC2 resources during creation"
 * describes.
 */
export function authorizationsOf(state: SimState, req: SimRequest, principal: PolicyContext): RequestAuthorization[] {
  if (req.service === 'ec2') {
    const ec2Auths = ec2Authorizations(state, req, principal);
    if (ec2Auths) return ec2Auths;
  }
  if (req.service === 'iam') {
    return [{ action: actionOf(req), resource: iamRoleArn(state, req), context: principal }];
  }
  if (req.service === 'lambda' && /\/event-source-mappings(\/|$)/.test(req.path))
    return [mappingAuthorization(state, req, principal)];
  return [{ action: actionOf(req), resource: resourceOf(state, req), context: principal }];
}

/**
 * Event source mappings: the resource is the mapping's ARN (arn:aws:lambda:REGION:ACCOUNT:event-source-mapping:UUID)
 * and `lambda:FunctionArn` the function it maps to, the condition key the Service Authorization Reference gives
 * Create-, Update- and DeleteEventSourceMapping (for Create, the function the request names).
 */
function mappingAuthorization(state: SimState, req: SimRequest, principal: PolicyContext): RequestAuthorization {
  const account = req.caller.accountId;
  const uuid = /\/event-source-mappings\/([^/]+)/.exec(req.path)?.[1];
  const esm = uuid
    ? state.accounts.get(account)?.regions.get(req.region)?.eventSourceMappings?.get(decodeURIComponent(uuid))
    : undefined;
  const named = text(req.input.FunctionName);
  const fnArn =
    esm?.functionArn ??
    (named === undefined
      ? undefined
      : named.startsWith('arn:')
        ? named
        : `arn:aws:lambda:${req.region}:${account}:function:${named}`);
  return {
    action: actionOf(req),
    resource: uuid ? `arn:aws:lambda:${req.region}:${account}:event-source-mapping:${decodeURIComponent(uuid)}` : '*',
    context: { ...principal, ...(fnArn ? { 'lambda:FunctionArn': fnArn } : {}) },
  };
}

const list = (v: unknown): Record<string, unknown>[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]) as Record<string, unknown>[];

/** EC2 resource types by id prefix, for the ARNs of CreateTags/DeleteTags (arn:aws:ec2:REGION:ACCOUNT:TYPE/ID). */
const EC2_TYPES: [string, string][] = [
  ['sgr-', 'security-group-rule'],
  ['sg-', 'security-group'],
  ['vpc-', 'vpc'],
  ['subnet-', 'subnet'],
  ['i-', 'instance'],
  ['eni-', 'network-interface'],
  ['vol-', 'volume'],
  ['snap-', 'snapshot'],
  ['ami-', 'image'],
  ['acl-', 'network-acl'],
  ['rtb-', 'route-table'],
  ['igw-', 'internet-gateway'],
  ['pl-', 'prefix-list'],
  ['eipalloc-', 'elastic-ip'],
];

function ec2Arn(region: string, account: string, id: string): string {
  const type = EC2_TYPES.find(([prefix]) => id.startsWith(prefix))?.[1];
  return type ? `arn:aws:ec2:${region}:${account}:${type}/${id}` : '*';
}

/** The tags of a request as aws:TagKeys (multivalued) and aws:RequestTag/KEY (one per tag that carries a value). */
function tagContext(tags: Record<string, unknown>[]): PolicyContext {
  const ctx: PolicyContext = { 'aws:TagKeys': tags.map((t) => String(t.Key ?? '')) };
  for (const t of tags) if (t.Value !== undefined) ctx[`aws:RequestTag/${String(t.Key ?? '')}`] = String(t.Value);
  return ctx;
}

/** The tags a resource has now, as aws:ResourceTag/KEY and ec2:ResourceTag/KEY. */
function resourceTagContext(rs: RegionState | undefined, id: string): PolicyContext {
  if (!rs) return {};
  let tags: Record<string, string> | undefined;
  if (id.startsWith('sg-')) tags = rs.securityGroups.get(id)?.tags;
  else if (id.startsWith('sgr-')) {
    for (const sg of rs.securityGroups.values()) {
      const r = sg.rules.get(id);
      if (r) tags = r.tags;
    }
  }
  const ctx: PolicyContext = {};
  for (const [k, v] of Object.entries(tags ?? {})) {
    ctx[`aws:ResourceTag/${k}`] = v;
    ctx[`ec2:ResourceTag/${k}`] = v;
  }
  return ctx;
}

function ec2Authorizations(
  state: SimState,
  req: SimRequest,
  principal: PolicyContext,
): RequestAuthorization[] | undefined {
  const { region } = req;
  const account = req.caller.accountId;
  const input = req.input;
  const rs = state.accounts.get(account)?.regions.get(region);
  const action = actionOf(req);
  switch (req.operation) {
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = tagContext(list(input.Tag));
      const ids = (
        Array.isArray(input.ResourceId) ? input.ResourceId : input.ResourceId === undefined ? [] : [input.ResourceId]
      ).map(String);
      if (!ids.length) return [{ action, resource: '*', context: { ...principal, ...tags } }];
      return ids.map((id) => ({
        action,
        resource: ec2Arn(region, account, id),
        context: { ...principal, ...tags, ...resourceTagContext(rs, id) },
      }));
    }
    case 'CreateSecurityGroup': {
      const specs = list(input.TagSpecification).filter(
        (s) => s.ResourceType === undefined || s.ResourceType === 'security-group',
      );
      const tags = tagContext(specs.flatMap((s) => list(s.Tag)));
      const withTags = specs.length > 0 && (tags['aws:TagKeys'] as string[]).length > 0;
      const groupArn = `arn:aws:ec2:${region}:${account}:security-group/*`;
      const vpcId = text(input.VpcId) ?? [...(rs?.vpcs.values() ?? [])].find((v) => v.isDefault)?.vpcId;
      const context = { ...principal, ...(withTags ? tags : {}) };
      const auths: RequestAuthorization[] = [{ action, resource: groupArn, context }];
      if (vpcId) auths.push({ action, resource: `arn:aws:ec2:${region}:${account}:vpc/${vpcId}`, context });
      if (withTags) {
        auths.push({
          action: 'ec2:CreateTags',
          resource: groupArn,
          context: { ...principal, ...tags, 'ec2:CreateAction': 'CreateSecurityGroup' },
        });
      }
      return auths;
    }
    case 'AuthorizeSecurityGroupIngress':
    case 'AuthorizeSecurityGroupEgress':
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
    case 'ModifySecurityGroupRules':
    case 'DeleteSecurityGroup': {
      const groupId = text(input.GroupId);
      if (!groupId) return undefined;
      return [
        {
          action,
          resource: ec2Arn(region, account, groupId),
          context: { ...principal, ...resourceTagContext(rs, groupId) },
        },
      ];
    }
    default:
      return undefined;
  }
}

/** IAM roles: arn:aws:iam::ACCOUNT:role/PATH+NAME (Path defaults to "/"). */
function iamRoleArn(state: SimState, req: SimRequest): string {
  const name = text(req.input.RoleName);
  if (!name || !['CreateRole', 'GetRole', 'DeleteRole'].includes(req.operation)) return '*';
  // CreateRole names the path; the other calls name only the role, whose ARN carries the path it was created with
  const path =
    req.operation === 'CreateRole'
      ? (text(req.input.Path) ?? '/')
      : (state.accounts.get(req.caller.accountId)?.roles.get(name)?.path ?? '/');
  return `arn:aws:iam::${req.caller.accountId}:role${path}${name}`;
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
      return partial
        ? `arn:aws:lambda:${region}:${partial[1]}:function:${partial[2]}`
        : `arn:aws:lambda:${region}:${account}:function:${ref}`;
    }
    case 'cloudformation':
      return stackArn(state, req);
    case 'cloudtrail': {
      const name = text(input.Name) ?? text(input.TrailName);
      if (!name) return '*';
      return name.startsWith('arn:') ? name : `arn:aws:cloudtrail:${region}:${account}:trail/${name}`;
    }
    case 'sns':
      return text(input.TopicArn) ?? '*';
    case 'sqs': {
      // arn:aws:sqs:REGION:ACCOUNT:NAME, from the QueueUrl (…/ACCOUNT/NAME) or, for CreateQueue/GetQueueUrl, the name
      const url = text(input.QueueUrl);
      const m = url ? /\/(\d{12})\/([\w.-]+)\/?$/.exec(url) : undefined;
      if (m) return `arn:aws:sqs:${/sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url!)?.[1] ?? region}:${m[1]}:${m[2]}`;
      const name = text(input.QueueName);
      return name ? `arn:aws:sqs:${region}:${text(input.QueueOwnerAWSAccountId) ?? account}:${name}` : '*';
    }
    default:
      return '*';
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
  ref =
    live?.stackId ??
    `arn:aws:cloudformation:${req.region}:${req.caller.accountId}:stack/${ref}/00000000-0000-0000-0000-000000000000`;
  return ref;
}
