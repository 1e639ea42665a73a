// Resource providers: for each supported type, its physical id and attributes, the properties whose change replaces
// it, how it is written into (and removed from) the simulator's state maps, and its actual properties for drift.
import type { AccountState, Bucket, EventRule, LambdaFunction, MetricAlarm, RegionState, SimState } from '../state.js';
import { hexId, newUuid } from '../state.js';
import { packageInlineCode } from '../zip.js';
import type { StackResource, Tag } from './model.js';
import { dynamodbTable } from '../services/dynamodb.js';
import { newQueue, parseQueueUrl, queueUrlOf } from '../services/sqs.js';
import { mappingProblem, putMapping, removeMapping, type MappingInput } from '../esm.js';
import { COMPARISONS, MISSING_DATA, STATISTICS } from '../alarms.js';

export interface ProviderEnv {
  state: SimState;
  acct: AccountState;
  rs: RegionState;
  accountId: string;
  region: string;
  stackName: string;
  stackId: string;
  stackTags: Tag[];
  now: number;
}

/** A resource operation that fails: the reason becomes the resource event's ResourceStatusReason. */
export class ResourceFailure extends Error {}

export interface Planned {
  physicalId: string;
  attrs: Record<string, unknown>;
}

export interface Provider {
  /** properties whose change needs a new physical resource */
  replaceOn: string[];
  /** the physical id and attributes; `previous` when the resource is updated in place */
  plan(env: ProviderEnv, logicalId: string, props: Props, previous?: Planned): Planned;
  /** a reason the resource cannot be created (name taken, …), checked when the operation starts */
  createCheck?(env: ProviderEnv, physicalId: string, props: Props): string | undefined;
  /** a reason an update in place cannot be made, checked when the operation starts */
  updateCheck?(env: ProviderEnv, physicalId: string, props: Props): string | undefined;
  /** writes the resource into the state (create, or update in place when `old` is given) */
  apply(env: ProviderEnv, r: StackResource, old?: StackResource): void;
  /** a reason the resource cannot be deleted (a bucket that still holds objects) */
  removeCheck?(env: ProviderEnv, r: StackResource): string | undefined;
  remove(env: ProviderEnv, r: StackResource): void;
  /** drift: the actual values of the checked properties, or undefined when the resource is gone */
  actual?(env: ProviderEnv, r: StackResource): Props | undefined;
  /** top-level properties drift detection compares (when declared) */
  driftKeys?: string[];
  /** resource tags follow stack tags: a change of stack tags modifies the resource */
  taggable?: boolean;
}

type Props = Record<string, unknown>;

function s(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : typeof v === 'string' ? v : String(v);
}
function n(v: unknown): number | undefined {
  return v === undefined || v === null || v === '' ? undefined : Number(v);
}
function b(v: unknown, dflt: boolean): boolean {
  return v === undefined || v === null ? dflt : v === true || v === 'true';
}

/**
 * CloudFormation's generated names: STACK-LOGICALID-RANDOM (a 12-character tail). Where that passes the type's limit,
 * the tail and its hyphen are kept and what is left, less the hyphen between, is shared by the stack name and the
 * logical id: half each (the stack name's half rounding up), or more for one when the other needs less. AWS does not
 * document it; the rule reproduces names real stacks were given (test/template/generated-names.test.ts).
 */
export function generatedName(env: ProviderEnv, logicalId: string, max: number, lower = false): string {
  const tail = hexId(env.state, 12).toUpperCase();
  const room = max - tail.length - 2;
  let stack = env.stackName;
  let logical = logicalId;
  if (stack.length + logical.length > room) {
    stack = stack.slice(0, Math.max(Math.ceil(room / 2), room - logical.length));
    logical = logical.slice(0, room - stack.length);
  }
  const name = `${stack}-${logical}-${tail}`;
  return lower ? name.toLowerCase() : name;
}

function alreadyExists(type: string, id: string): string {
  return `Resource of type '${type}' with identifier '${id}' already exists.`;
}

function resourceTags(env: ProviderEnv, r: StackResource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of env.stackTags) out[t.Key] = t.Value;
  out['aws:cloudformation:stack-name'] = env.stackName;
  out['aws:cloudformation:stack-id'] = env.stackId;
  out['aws:cloudformation:logical-id'] = r.logicalId;
  const declared = r.props.Tags;
  if (Array.isArray(declared)) {
    for (const t of declared as { Key?: unknown; Value?: unknown }[])
      if (t.Key !== undefined) out[String(t.Key)] = String(t.Value ?? '');
  } else if (typeof declared === 'object' && declared !== null) {
    for (const [k, v] of Object.entries(declared)) out[k] = String(v);
  }
  return out;
}

function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** The function name from a name, a partial ARN or a full ARN. */
export function functionNameOf(ref: string): string {
  const m = ref.match(/^arn:[^:]+:lambda:[^:]+:\d{12}:function:([^:]+)/);
  if (m) return m[1]!;
  const partial = ref.match(/^\d{12}:function:([^:]+)/);
  return partial ? partial[1]! : ref.split(':')[0]!;
}

const packages = new Map<string, { codeSha256: string; codeSize: number }>();
function inlinePackage(code: string, fileName: string): { codeSha256: string; codeSize: number } {
  const key = `${fileName}\n${code}`;
  let hit = packages.get(key);
  if (!hit) {
    const p = packageInlineCode(code, fileName);
    hit = { codeSha256: p.codeSha256, codeSize: p.codeSize };
    if (packages.size >= 32) packages.delete(packages.keys().next().value!);
    packages.set(key, hit);
  }
  return hit;
}

const bucket: Provider = {
  replaceOn: ['BucketName'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.BucketName) ?? generatedName(env, logicalId, 63, true);
    return {
      physicalId: name,
      attrs: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${env.region}.amazonaws.com`,
        DualStackDomainName: `${name}.s3.dualstack.${env.region}.amazonaws.com`,
        WebsiteURL: `http://${name}.s3-website-${env.region}.amazonaws.com`,
      },
    };
  },
  createCheck(env, name) {
    return env.state.buckets.has(name) ? `${name} already exists` : undefined;
  },
  apply(env, r) {
    const existing = env.state.buckets.get(r.physicalId);
    const { BucketName: _name, ...properties } = r.props;
    const bkt: Bucket = {
      name: r.physicalId,
      region: env.region,
      properties,
      policy: existing?.policy,
      objectCount: existing?.objectCount ?? 0,
    };
    env.state.buckets.set(r.physicalId, bkt);
  },
  removeCheck(env, r) {
    const bkt = env.state.buckets.get(r.physicalId);
    if (bkt && bkt.objectCount > 0) {
      return `Resource handler returned message: "The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Request ID: ${hexId(env.state, 16).toUpperCase()})" (HandlerErrorCode: GeneralServiceException)`;
    }
    return undefined;
  },
  remove(env, r) {
    env.state.buckets.delete(r.physicalId);
  },
  actual(env, r) {
    const bkt = env.state.buckets.get(r.physicalId);
    return bkt ? { ...bkt.properties, BucketName: bkt.name } : undefined;
  },
  driftKeys: [
    'BucketEncryption',
    'VersioningConfiguration',
    'PublicAccessBlockConfiguration',
    'LifecycleConfiguration',
    'OwnershipControls',
  ],
};

const bucketPolicy: Provider = {
  replaceOn: ['Bucket'],
  plan(env, logicalId, _props, previous) {
    return { physicalId: previous?.physicalId ?? generatedName(env, logicalId, 128), attrs: {} };
  },
  apply(env, r) {
    const bkt = env.state.buckets.get(String(r.props.Bucket));
    if (bkt) bkt.policy = r.props.PolicyDocument;
  },
  remove(env, r) {
    const bkt = env.state.buckets.get(String(r.props.Bucket));
    if (bkt) bkt.policy = undefined;
  },
  actual(env, r) {
    const bkt = env.state.buckets.get(String(r.props.Bucket));
    return bkt?.policy === undefined ? undefined : { Bucket: bkt.name, PolicyDocument: bkt.policy };
  },
  driftKeys: ['PolicyDocument'],
};

const trail: Provider = {
  replaceOn: ['TrailName'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.TrailName) ?? generatedName(env, logicalId, 128);
    return {
      physicalId: name,
      attrs: {
        Arn: `arn:aws:cloudtrail:${env.region}:${env.accountId}:trail/${name}`,
        SnsTopicArn: s(props.SnsTopicName),
      },
    };
  },
  createCheck(env, name) {
    return env.rs.trails.has(name) ? alreadyExists('AWS::CloudTrail::Trail', name) : undefined;
  },
  apply(env, r) {
    const p = r.props;
    const isLogging = b(p.IsLogging, false);
    env.rs.trails.set(r.physicalId, {
      name: r.physicalId,
      arn: String(r.attrs.Arn),
      homeRegion: env.region,
      s3BucketName: String(p.S3BucketName ?? ''),
      s3KeyPrefix: s(p.S3KeyPrefix),
      isMultiRegionTrail: b(p.IsMultiRegionTrail, false),
      isOrganizationTrail: b(p.IsOrganizationTrail, false),
      includeGlobalServiceEvents: b(p.IncludeGlobalServiceEvents, true),
      logFileValidationEnabled: b(p.EnableLogFileValidation, false),
      isLogging,
      kmsKeyId: s(p.KMSKeyId),
      tags: resourceTags(env, r),
    });
    // a logging trail delivers log files: the bucket now holds audit logs that removal must never lose
    const bkt = env.state.buckets.get(String(p.S3BucketName ?? ''));
    if (bkt && isLogging) bkt.objectCount = Math.max(bkt.objectCount, 3);
  },
  remove(env, r) {
    env.rs.trails.delete(r.physicalId);
  },
  actual(env, r) {
    const t = env.rs.trails.get(r.physicalId);
    if (!t) return undefined;
    return {
      TrailName: t.name,
      S3BucketName: t.s3BucketName,
      S3KeyPrefix: t.s3KeyPrefix,
      IsLogging: t.isLogging,
      IsMultiRegionTrail: t.isMultiRegionTrail,
      IsOrganizationTrail: t.isOrganizationTrail,
      IncludeGlobalServiceEvents: t.includeGlobalServiceEvents,
      EnableLogFileValidation: t.logFileValidationEnabled,
      KMSKeyId: t.kmsKeyId,
    };
  },
  driftKeys: [
    'S3BucketName',
    'S3KeyPrefix',
    'IsLogging',
    'IsMultiRegionTrail',
    'IsOrganizationTrail',
    'IncludeGlobalServiceEvents',
    'EnableLogFileValidation',
    'KMSKeyId',
  ],
};

const role: Provider = {
  replaceOn: ['RoleName', 'Path'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.RoleName) ?? generatedName(env, logicalId, 64);
    const path = s(props.Path) ?? '/';
    const roleId = (previous?.attrs.RoleId as string | undefined) ?? `AROA${hexId(env.state, 17).toUpperCase()}`;
    return { physicalId: name, attrs: { Arn: `arn:aws:iam::${env.accountId}:role${path}${name}`, RoleId: roleId } };
  },
  createCheck(env, name) {
    return env.acct.roles.has(name)
      ? `Resource handler returned message: "Role with name ${name} already exists."`
      : undefined;
  },
  apply(env, r, old) {
    const policies: Record<string, unknown> = {};
    for (const p of (r.props.Policies as { PolicyName?: unknown; PolicyDocument?: unknown }[] | undefined) ?? []) {
      policies[String(p.PolicyName)] = p.PolicyDocument;
    }
    const existing = old ? env.acct.roles.get(old.physicalId) : undefined;
    env.acct.roles.set(r.physicalId, {
      roleName: r.physicalId,
      roleId: String(r.attrs.RoleId),
      arn: String(r.attrs.Arn),
      path: s(r.props.Path) ?? '/',
      assumeRolePolicyDocument: r.props.AssumeRolePolicyDocument,
      policies,
      managedPolicyArns: ((r.props.ManagedPolicyArns as unknown[] | undefined) ?? []).map(String),
      createDate: existing?.createDate ?? new Date(env.now).toISOString(),
    });
  },
  remove(env, r) {
    env.acct.roles.delete(r.physicalId);
  },
  actual(env, r) {
    const role = env.acct.roles.get(r.physicalId);
    if (!role) return undefined;
    return {
      RoleName: role.roleName,
      Path: role.path,
      AssumeRolePolicyDocument: role.assumeRolePolicyDocument,
      ManagedPolicyArns: role.managedPolicyArns,
      Policies: Object.entries(role.policies).map(([PolicyName, PolicyDocument]) => ({ PolicyName, PolicyDocument })),
    };
  },
  driftKeys: ['AssumeRolePolicyDocument', 'ManagedPolicyArns', 'Policies', 'Path'],
};

const lambdaFunction: Provider = {
  replaceOn: ['FunctionName'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.FunctionName) ?? generatedName(env, logicalId, 64);
    return { physicalId: name, attrs: { Arn: `arn:aws:lambda:${env.region}:${env.accountId}:function:${name}` } };
  },
  createCheck(env, name, props) {
    if (env.rs.functions.has(name)) return alreadyExists('AWS::Lambda::Function', name);
    return codeProblem(props) ?? concurrencyProblem(env, name, props);
  },
  updateCheck(env, name, props) {
    return concurrencyProblem(env, name, props);
  },
  apply(env, r, old) {
    const p = r.props;
    const runtime = String(p.Runtime ?? '');
    const code = String((p.Code as Props | undefined)?.ZipFile ?? '');
    const codeFileName = runtime.startsWith('python') ? 'index.py' : 'index.js';
    const pkg = inlinePackage(code, codeFileName);
    const existing = env.rs.functions.get(old?.physicalId ?? r.physicalId);
    const variables = ((p.Environment as Props | undefined)?.Variables ?? {}) as Props;
    const fn: LambdaFunction = {
      functionName: r.physicalId,
      functionArn: String(r.attrs.Arn),
      runtime,
      handler: String(p.Handler ?? ''),
      role: String(p.Role ?? ''),
      architectures: ((p.Architectures as unknown[] | undefined) ?? ['x86_64']).map(String),
      memorySize: n(p.MemorySize) ?? 128,
      timeout: n(p.Timeout) ?? 3,
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      description: s(p.Description) ?? '',
      code,
      codeFileName,
      codeSha256: pkg.codeSha256,
      codeSize: pkg.codeSize,
      lastModified: lambdaTimestamp(env.now),
      revisionId: newUuid(env.state),
      version: '$LATEST',
      tags: resourceTags(env, r),
      invokeConfig: existing?.invokeConfig,
      permissions: existing?.permissions ?? [],
      logGroup: s((p.LoggingConfig as Props | undefined)?.LogGroup),
      ...(n(p.ReservedConcurrentExecutions) !== undefined
        ? { reservedConcurrency: n(p.ReservedConcurrentExecutions) }
        : {}),
    };
    env.rs.functions.set(r.physicalId, fn);
  },
  remove(env, r) {
    env.rs.functions.delete(r.physicalId);
  },
  actual(env, r) {
    const fn = env.rs.functions.get(r.physicalId);
    if (!fn) return undefined;
    return {
      FunctionName: fn.functionName,
      Runtime: fn.runtime,
      Handler: fn.handler,
      Role: fn.role,
      Timeout: fn.timeout,
      MemorySize: fn.memorySize,
      Description: fn.description,
      Architectures: fn.architectures,
      Environment: { Variables: { ...fn.environment } },
      ReservedConcurrentExecutions: fn.reservedConcurrency,
    };
  },
  driftKeys: [
    'Runtime',
    'Handler',
    'Role',
    'Timeout',
    'MemorySize',
    'Description',
    'Environment',
    'Architectures',
    'ReservedConcurrentExecutions',
  ],
};

/** Lambda's concurrency quota per account and region (the default), and what must stay unreserved of it. */
export const ACCOUNT_CONCURRENCY = 1000;
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * ReservedConcurrentExecutions: a whole number from 0, and the account's functions together may reserve all but
 * MIN_UNRESERVED_CONCURRENCY of its quota (Lambda Developer Guide, "Configuring reserved concurrency for a function":
 * "You can reserve up to the Unreserved account concurrency value that is shown, minus 100").
 */
function concurrencyProblem(env: ProviderEnv, name: string, props: Props): string | undefined {
  const wanted = n(props.ReservedConcurrentExecutions);
  if (wanted === undefined) return undefined;
  if (!Number.isInteger(wanted) || wanted < 0) {
    return `Properties validation failed for resource with message: #/ReservedConcurrentExecutions: expected minimum: 0, found: ${String(props.ReservedConcurrentExecutions)}`;
  }
  let others = 0;
  for (const fn of env.rs.functions.values()) if (fn.functionName !== name) others += fn.reservedConcurrency ?? 0;
  if (ACCOUNT_CONCURRENCY - others - wanted < MIN_UNRESERVED_CONCURRENCY) {
    return (
      'Resource handler returned message: "Specified ReservedConcurrentExecutions for function decreases account\'s ' +
      `UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}]. (Service: Lambda, Status Code: 400)" (HandlerErrorCode: InvalidRequest)`
    );
  }
  return undefined;
}

function codeProblem(props: Props): string | undefined {
  const code = props.Code as Props | undefined;
  for (const key of ['Runtime', 'Handler', 'Role', 'Code']) {
    if (props[key] === undefined)
      return `Properties validation failed for resource with message: #: required key [${key}] not found`;
  }
  if (typeof code?.ZipFile !== 'string') {
    return 'The simulator supports only inline code (Code.ZipFile) for AWS::Lambda::Function';
  }
  return undefined;
}

const permission: Provider = {
  replaceOn: ['FunctionName', 'Action', 'Principal', 'SourceArn', 'SourceAccount', 'EventSourceToken'],
  plan(env, logicalId, _props, previous) {
    return { physicalId: previous?.physicalId ?? generatedName(env, logicalId, 100), attrs: {} };
  },
  apply(env, r) {
    const fn = env.rs.functions.get(functionNameOf(String(r.props.FunctionName)));
    if (!fn) return;
    fn.permissions = fn.permissions.filter((p) => p.sid !== r.physicalId);
    fn.permissions.push({
      sid: r.physicalId,
      principal: String(r.props.Principal),
      action: String(r.props.Action),
      sourceArn: s(r.props.SourceArn),
      sourceAccount: s(r.props.SourceAccount),
    });
  },
  remove(env, r) {
    const fn = env.rs.functions.get(functionNameOf(String(r.props.FunctionName)));
    if (fn) fn.permissions = fn.permissions.filter((p) => p.sid !== r.physicalId);
  },
  // AWS::Lambda::Permission does not support drift detection: no actual()
};

const eventInvokeConfig: Provider = {
  replaceOn: ['FunctionName', 'Qualifier'],
  plan(env, logicalId, _props, previous) {
    return { physicalId: previous?.physicalId ?? generatedName(env, logicalId, 100), attrs: {} };
  },
  apply(env, r) {
    const fn = env.rs.functions.get(functionNameOf(String(r.props.FunctionName)));
    if (!fn) return;
    const dest = (r.props.DestinationConfig ?? {}) as {
      OnFailure?: { Destination?: unknown };
      OnSuccess?: { Destination?: unknown };
    };
    fn.invokeConfig = {
      maximumRetryAttempts: n(r.props.MaximumRetryAttempts),
      maximumEventAgeInSeconds: n(r.props.MaximumEventAgeInSeconds),
      onFailure: s(dest.OnFailure?.Destination),
      onSuccess: s(dest.OnSuccess?.Destination),
    };
  },
  remove(env, r) {
    const fn = env.rs.functions.get(functionNameOf(String(r.props.FunctionName)));
    if (fn) fn.invokeConfig = undefined;
  },
  actual(env, r) {
    const cfg = env.rs.functions.get(functionNameOf(String(r.props.FunctionName)))?.invokeConfig;
    if (!cfg) return undefined;
    const dest: Props = {};
    if (cfg.onFailure) dest.OnFailure = { Destination: cfg.onFailure };
    if (cfg.onSuccess) dest.OnSuccess = { Destination: cfg.onSuccess };
    return {
      MaximumRetryAttempts: cfg.maximumRetryAttempts,
      MaximumEventAgeInSeconds: cfg.maximumEventAgeInSeconds,
      DestinationConfig: dest,
    };
  },
  driftKeys: ['MaximumRetryAttempts', 'MaximumEventAgeInSeconds', 'DestinationConfig'],
};

const logGroup: Provider = {
  replaceOn: ['LogGroupName'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.LogGroupName) ?? generatedName(env, logicalId, 512);
    return { physicalId: name, attrs: { Arn: `arn:aws:logs:${env.region}:${env.accountId}:log-group:${name}:*` } };
  },
  createCheck(env, name) {
    return env.rs.logGroups.has(name) ? alreadyExists('AWS::Logs::LogGroup', name) : undefined;
  },
  apply(env, r) {
    const existing = env.rs.logGroups.get(r.physicalId);
    env.rs.logGroups.set(r.physicalId, {
      name: r.physicalId,
      arn: String(r.attrs.Arn),
      retentionInDays: n(r.props.RetentionInDays),
      kmsKeyId: s(r.props.KmsKeyId),
      creationTime: existing?.creationTime ?? env.state.clock.now(),
      streams: existing?.streams ?? new Map(),
    });
  },
  remove(env, r) {
    env.rs.logGroups.delete(r.physicalId);
  },
  actual(env, r) {
    const g = env.rs.logGroups.get(r.physicalId);
    return g ? { LogGroupName: g.name, RetentionInDays: g.retentionInDays, KmsKeyId: g.kmsKeyId } : undefined;
  },
  driftKeys: ['RetentionInDays', 'KmsKeyId'],
};

/** PutTargets' checks on RetryPolicy and DeadLetterConfig (the handler's message wraps EventBridge's). */
function targetProblem(props: Props): string | undefined {
  const targets = (props.Targets as Props[] | undefined) ?? [];
  for (const [i, t] of targets.entries()) {
    const where = `targets.${i + 1}.member`;
    const retry = t.RetryPolicy as Props | undefined;
    const attempts = n(retry?.MaximumRetryAttempts);
    const age = n(retry?.MaximumEventAgeInSeconds);
    const fail = (m: string) =>
      `Resource handler returned message: "1 validation error detected: ${m} (Service: EventBridge, Status Code: 400)" (HandlerErrorCode: InvalidRequest)`;
    if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 0 || attempts > 185)) {
      return fail(
        `Value '${attempts}' at '${where}.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value ${attempts < 0 ? 'greater than or equal to 0' : 'less than or equal to 185'}`,
      );
    }
    if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 86400)) {
      return fail(
        `Value '${age}' at '${where}.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value ${age < 60 ? 'greater than or equal to 60' : 'less than or equal to 86400'}`,
      );
    }
    const dlq = s((t.DeadLetterConfig as Props | undefined)?.Arn);
    if (dlq !== undefined && !/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w.-]+$/.test(dlq)) {
      return `Resource handler returned message: "Parameter DeadLetterConfig.Arn is not valid: it must be the ARN of an SQS queue. (Service: EventBridge, Status Code: 400)" (HandlerErrorCode: InvalidRequest)`;
    }
  }
  return undefined;
}

const eventRule: Provider = {
  replaceOn: ['Name', 'EventBusName'],
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.Name) ?? generatedName(env, logicalId, 64);
    return { physicalId: name, attrs: { Arn: `arn:aws:events:${env.region}:${env.accountId}:rule/${name}` } };
  },
  createCheck(env, name, props) {
    if (env.rs.rules.has(name)) return alreadyExists('AWS::Events::Rule', name);
    return targetProblem(props);
  },
  apply(env, r) {
    const p = r.props;
    const pattern =
      p.EventPattern === undefined
        ? undefined
        : typeof p.EventPattern === 'string'
          ? p.EventPattern
          : JSON.stringify(p.EventPattern);
    const rule: EventRule = {
      name: r.physicalId,
      arn: String(r.attrs.Arn),
      eventBusName: s(p.EventBusName) ?? 'default',
      eventPattern: pattern,
      scheduleExpression: s(p.ScheduleExpression),
      state: s(p.State) === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      description: s(p.Description),
      targets: ((p.Targets as Props[] | undefined) ?? []).map((t) => {
        const dlq = s((t.DeadLetterConfig as Props | undefined)?.Arn);
        const retry = t.RetryPolicy as Props | undefined;
        return {
          id: String(t.Id),
          arn: String(t.Arn),
          roleArn: s(t.RoleArn),
          input: s(t.Input),
          ...(dlq ? { deadLetterArn: dlq } : {}),
          ...(retry
            ? {
                retryPolicy: {
                  maximumRetryAttempts: n(retry.MaximumRetryAttempts),
                  maximumEventAgeInSeconds: n(retry.MaximumEventAgeInSeconds),
                },
              }
            : {}),
        };
      }),
    };
    env.rs.rules.set(r.physicalId, rule);
  },
  remove(env, r) {
    env.rs.rules.delete(r.physicalId);
  },
  actual(env, r) {
    const rule = env.rs.rules.get(r.physicalId);
    if (!rule) return undefined;
    let pattern: unknown = rule.eventPattern;
    try {
      if (rule.eventPattern !== undefined) pattern = JSON.parse(rule.eventPattern);
    } catch {
      /* keep the string */
    }
    return {
      Name: rule.name,
      State: rule.state,
      EventPattern: pattern,
      ScheduleExpression: rule.scheduleExpression,
      Description: rule.description,
      EventBusName: rule.eventBusName,
      Targets: rule.targets.map((t) => {
        const out: Props = { Id: t.id, Arn: t.arn };
        if (t.roleArn !== undefined) out.RoleArn = t.roleArn;
        if (t.input !== undefined) out.Input = t.input;
        if (t.deadLetterArn !== undefined) out.DeadLetterConfig = { Arn: t.deadLetterArn };
        if (t.retryPolicy !== undefined) {
          const rp: Props = {};
          if (t.retryPolicy.maximumRetryAttempts !== undefined)
            rp.MaximumRetryAttempts = t.retryPolicy.maximumRetryAttempts;
          if (t.retryPolicy.maximumEventAgeInSeconds !== undefined)
            rp.MaximumEventAgeInSeconds = t.retryPolicy.maximumEventAgeInSeconds;
          out.RetryPolicy = rp;
        }
        return out;
      }),
    };
  },
  driftKeys: ['State', 'EventPattern', 'ScheduleExpression', 'Description', 'Targets'],
};

const topic: Provider = {
  replaceOn: ['TopicName', 'FifoTopic'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name =
      (previous?.attrs.TopicName as string | undefined) ?? s(props.TopicName) ?? generatedName(env, logicalId, 256);
    const arn = `arn:aws:sns:${env.region}:${env.accountId}:${name}`;
    return { physicalId: arn, attrs: { TopicArn: arn, TopicName: name } };
  },
  createCheck(env, arn) {
    return env.rs.topics.has(arn) ? alreadyExists('AWS::SNS::Topic', arn) : undefined;
  },
  apply(env, r) {
    const existing = env.rs.topics.get(r.physicalId);
    const attributes: Record<string, string> = {
      TopicArn: r.physicalId,
      Owner: env.accountId,
      DisplayName: s(r.props.DisplayName) ?? '',
    };
    if (r.props.KmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = String(r.props.KmsMasterKeyId);
    const inline = ((r.props.Subscription as Props[] | undefined) ?? []).map((sub, i) => ({
      arn: `${r.physicalId}:inline-${i}`,
      protocol: String(sub.Protocol),
      endpoint: String(sub.Endpoint),
    }));
    const kept = (existing?.subscriptions ?? []).filter((x) => !x.arn.startsWith(`${r.physicalId}:inline-`));
    env.rs.topics.set(r.physicalId, {
      arn: r.physicalId,
      name: String(r.attrs.TopicName),
      attributes,
      subscriptions: [...kept, ...inline],
      tags: resourceTags(env, r),
    });
  },
  remove(env, r) {
    env.rs.topics.delete(r.physicalId);
  },
  actual(env, r) {
    const t = env.rs.topics.get(r.physicalId);
    return t
      ? { TopicName: t.name, DisplayName: t.attributes.DisplayName ?? '', KmsMasterKeyId: t.attributes.KmsMasterKeyId }
      : undefined;
  },
  driftKeys: ['DisplayName', 'KmsMasterKeyId'],
};

const subscription: Provider = {
  replaceOn: ['TopicArn', 'Protocol', 'Endpoint'],
  plan(env, _logicalId, props, previous) {
    return { physicalId: previous?.physicalId ?? `${String(props.TopicArn)}:${newUuid(env.state)}`, attrs: {} };
  },
  apply(env, r) {
    const t = env.rs.topics.get(String(r.props.TopicArn));
    if (!t) return;
    t.subscriptions = t.subscriptions.filter((x) => x.arn !== r.physicalId);
    t.subscriptions.push({ arn: r.physicalId, protocol: String(r.props.Protocol), endpoint: String(r.props.Endpoint) });
  },
  remove(env, r) {
    const t = env.rs.topics.get(String(r.props.TopicArn));
    if (t) t.subscriptions = t.subscriptions.filter((x) => x.arn !== r.physicalId);
  },
  actual(env, r) {
    const sub = env.rs.topics.get(String(r.props.TopicArn))?.subscriptions.find((x) => x.arn === r.physicalId);
    return sub ? { TopicArn: String(r.props.TopicArn), Protocol: sub.protocol, Endpoint: sub.endpoint } : undefined;
  },
  driftKeys: ['Protocol', 'Endpoint'],
};

const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
];

const queue: Provider = {
  replaceOn: ['QueueName', 'FifoQueue'],
  taggable: true,
  plan(env, logicalId, props, previous) {
    const name =
      (previous?.attrs.QueueName as string | undefined) ?? s(props.QueueName) ?? generatedName(env, logicalId, 80);
    const url = queueUrlOf(env.state, env.region, env.accountId, name);
    return {
      physicalId: url,
      attrs: { Arn: `arn:aws:sqs:${env.region}:${env.accountId}:${name}`, QueueName: name, QueueUrl: url },
    };
  },
  createCheck(env, _url, props) {
    const name = s(props.QueueName);
    return name && env.rs.queues.has(name) ? alreadyExists('AWS::SQS::Queue', name) : undefined;
  },
  apply(env, r) {
    const attributes: Record<string, string> = {};
    for (const k of QUEUE_ATTRIBUTES) if (r.props[k] !== undefined) attributes[k] = String(r.props[k]);
    // RedrivePolicy: a JSON object in templates (a string is accepted too), stored as SQS's JSON string
    const redrive = r.props.RedrivePolicy;
    if (redrive !== undefined && redrive !== null) {
      const obj = (typeof redrive === 'string' ? JSON.parse(redrive) : redrive) as Props;
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: s(obj.deadLetterTargetArn),
        maxReceiveCount: n(obj.maxReceiveCount),
      });
    }
    if (r.props.RedriveAllowPolicy !== undefined) {
      attributes.RedriveAllowPolicy =
        typeof r.props.RedriveAllowPolicy === 'string'
          ? r.props.RedriveAllowPolicy
          : JSON.stringify(r.props.RedriveAllowPolicy);
    }
    const name = String(r.attrs.QueueName);
    const existing = env.rs.queues.get(name);
    const fresh = newQueue(env.state, env.region, env.accountId, name, attributes, r.physicalId);
    if (existing) {
      // an update in place keeps the messages, receipt handles and the queue policy
      const kept: Record<string, string> = {};
      for (const k of ['Policy', 'CreatedTimestamp'])
        if (existing.attributes[k] !== undefined) kept[k] = existing.attributes[k]!;
      env.rs.queues.set(name, { ...existing, attributes: { ...fresh.attributes, ...kept } });
    } else {
      env.rs.queues.set(name, fresh);
    }
  },
  remove(env, r) {
    env.rs.queues.delete(String(r.attrs.QueueName));
  },
  actual(env, r) {
    const q = env.rs.queues.get(String(r.attrs.QueueName));
    if (!q) return undefined;
    const out: Props = {};
    for (const k of QUEUE_ATTRIBUTES) if (q.attributes[k] !== undefined) out[k] = q.attributes[k];
    return out;
  },
  driftKeys: QUEUE_ATTRIBUTES,
};

function inputOf(props: Record<string, unknown>): MappingInput {
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const scaling = props.ScalingConfig as { MaximumConcurrency?: unknown } | undefined;
  return {
    eventSourceArn: String(props.EventSourceArn ?? ''),
    functionRef: String(props.FunctionName ?? ''),
    batchSize: num(props.BatchSize),
    maximumBatchingWindowInSeconds: num(props.MaximumBatchingWindowInSeconds),
    functionResponseTypes: Array.isArray(props.FunctionResponseTypes)
      ? props.FunctionResponseTypes.map(String)
      : undefined,
    enabled: props.Enabled === undefined ? undefined : props.Enabled === true || props.Enabled === 'true',
    maximumConcurrency: num(scaling?.MaximumConcurrency),
    filterCriteria: props.FilterCriteria,
  };
}

/** AWS::Lambda::EventSourceMapping (SQS sources). Ref is the mapping's UUID; GetAtt Id and EventSourceMappingArn. */
const eventSourceMapping: Provider = {
  replaceOn: ['EventSourceArn', 'StartingPosition', 'StartingPositionTimestamp', 'SelfManagedEventSource'],
  plan(env, _logicalId, _props, previous) {
    const uuid = previous?.physicalId ?? env.state.random.ids.uuid();
    return {
      physicalId: uuid,
      attrs: {
        Id: uuid,
        EventSourceMappingArn: `arn:aws:lambda:${env.region}:${env.accountId}:event-source-mapping:${uuid}`,
      },
    };
  },
  createCheck(env, _uuid, props) {
    for (const key of ['FunctionName', 'EventSourceArn']) {
      if (props[key] === undefined)
        return `Properties validation failed for resource with message: #: required key [${key}] not found`;
    }
    const problem = mappingProblem(env.state, env.region, env.accountId, inputOf(props));
    return problem
      ? `Resource handler returned message: "${problem} (Service: Lambda, Status Code: 400)" (HandlerErrorCode: InvalidRequest)`
      : undefined;
  },
  apply(env, r) {
    putMapping(env.state, env.region, env.accountId, r.physicalId, inputOf(r.props));
  },
  remove(env, r) {
    removeMapping(env.state, env.region, env.accountId, r.physicalId);
  },
  actual(env, r) {
    const esm = env.rs.eventSourceMappings?.get(r.physicalId);
    if (!esm) return undefined;
    return {
      EventSourceArn: esm.eventSourceArn,
      BatchSize: esm.batchSize,
      MaximumBatchingWindowInSeconds: esm.maximumBatchingWindowInSeconds,
      FunctionResponseTypes: esm.functionResponseTypes,
      Enabled: esm.enabled,
    };
  },
  driftKeys: ['BatchSize', 'MaximumBatchingWindowInSeconds', 'FunctionResponseTypes', 'Enabled'],
};

/** The queues an AWS::SQS::QueuePolicy names (Queues: URLs), wherever they are in the simulator. */
function policyQueues(env: ProviderEnv, props: Props): { name: string; rs: RegionState }[] {
  const out: { name: string; rs: RegionState }[] = [];
  for (const url of (props.Queues as unknown[] | undefined) ?? []) {
    const where = parseQueueUrl(String(url), env.region);
    const rs = where ? env.state.accounts.get(where.account)?.regions.get(where.region) : undefined;
    if (where && rs?.queues.has(where.name)) out.push({ name: where.name, rs });
  }
  return out;
}

const queuePolicy: Provider = {
  replaceOn: [],
  plan(env, logicalId, _props, previous) {
    return { physicalId: previous?.physicalId ?? generatedName(env, logicalId, 128), attrs: {} };
  },
  createCheck(_env, _id, props) {
    if (!Array.isArray(props.Queues) || props.Queues.length === 0)
      return 'Properties validation failed for resource with message: #: required key [Queues] not found';
    if (props.PolicyDocument === undefined)
      return 'Properties validation failed for resource with message: #: required key [PolicyDocument] not found';
    return undefined;
  },
  apply(env, r, old) {
    if (old) for (const q of policyQueues(env, old.props)) delete q.rs.queues.get(q.name)!.attributes.Policy;
    const doc =
      typeof r.props.PolicyDocument === 'string' ? r.props.PolicyDocument : JSON.stringify(r.props.PolicyDocument);
    for (const q of policyQueues(env, r.props)) q.rs.queues.get(q.name)!.attributes.Policy = doc;
  },
  remove(env, r) {
    for (const q of policyQueues(env, r.props)) delete q.rs.queues.get(q.name)!.attributes.Policy;
  },
  actual(env, r) {
    const [first] = policyQueues(env, r.props);
    const policy = first ? first.rs.queues.get(first.name)!.attributes.Policy : undefined;
    if (policy === undefined) return undefined;
    return { Queues: r.props.Queues, PolicyDocument: JSON.parse(policy) as unknown };
  },
  driftKeys: ['PolicyDocument'],
};

/** The properties of PutMetricAlarm that the simulator evaluates (alarms.ts); drift compares them. */
const ALARM_KEYS = [
  'AlarmDescription',
  'Namespace',
  'MetricName',
  'Dimensions',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'ActionsEnabled',
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
];

function alarmProblem(props: Props): string | undefined {
  const invalid = (why: string) => `Properties validation failed for resource with message: ${why}`;
  for (const key of ['ComparisonOperator', 'EvaluationPeriods'])
    if (props[key] === undefined) return invalid(`#: required key [${key}] not found`);
  if (props.Metrics !== undefined || props.ExtendedStatistic !== undefined || props.ThresholdMetricId !== undefined) {
    return 'The simulator evaluates single-metric alarms with a Statistic only (no Metrics, ExtendedStatistic or ThresholdMetricId)';
  }
  for (const key of ['Namespace', 'MetricName', 'Statistic', 'Period', 'Threshold'])
    if (props[key] === undefined) return invalid(`#: required key [${key}] not found`);
  if (!COMPARISONS.includes(String(props.ComparisonOperator)))
    return invalid(`#/ComparisonOperator: ${String(props.ComparisonOperator)} is not a valid enum value`);
  if (!STATISTICS.includes(String(props.Statistic)))
    return invalid(`#/Statistic: ${String(props.Statistic)} is not a valid enum value`);
  if (props.TreatMissingData !== undefined && !MISSING_DATA.includes(String(props.TreatMissingData))) {
    return invalid(`#/TreatMissingData: ${String(props.TreatMissingData)} is not a valid enum value`);
  }
  const period = n(props.Period)!;
  // CloudWatch: 10, 20, 30 (high resolution) or a multiple of 60
  if (!Number.isInteger(period) || !([10, 20, 30].includes(period) || (period >= 60 && period % 60 === 0)))
    return invalid(`#/Period: ${period} is not a valid period`);
  const periods = n(props.EvaluationPeriods)!;
  if (!Number.isInteger(periods) || periods < 1)
    return invalid(`#/EvaluationPeriods: expected minimum: 1, found: ${periods}`);
  const datapoints = n(props.DatapointsToAlarm);
  if (datapoints !== undefined && (!Number.isInteger(datapoints) || datapoints < 1 || datapoints > periods))
    return invalid('#/DatapointsToAlarm: must be from 1 to EvaluationPeriods');
  if (!Number.isFinite(n(props.Threshold))) return invalid('#/Threshold: expected a number');
  return undefined;
}

/** AWS::CloudWatch::Alarm (a metric alarm). Ref is the name; GetAtt Arn. An update in place keeps the alarm's state. */
const alarm: Provider = {
  replaceOn: ['AlarmName'],
  plan(env, logicalId, props, previous) {
    const name = previous?.physicalId ?? s(props.AlarmName) ?? generatedName(env, logicalId, 255);
    return { physicalId: name, attrs: { Arn: `arn:aws:cloudwatch:${env.region}:${env.accountId}:alarm:${name}` } };
  },
  createCheck(env, name, props) {
    if (env.rs.alarms?.has(name)) return alreadyExists('AWS::CloudWatch::Alarm', name);
    return alarmProblem(props);
  },
  updateCheck(_env, _name, props) {
    return alarmProblem(props);
  },
  apply(env, r) {
    const p = r.props;
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    const existing = env.rs.alarms?.get(r.physicalId);
    const a: MetricAlarm = {
      name: r.physicalId,
      arn: String(r.attrs.Arn),
      description: s(p.AlarmDescription),
      namespace: String(p.Namespace),
      metricName: String(p.MetricName),
      dimensions: ((p.Dimensions as Props[] | undefined) ?? []).map((d) => ({
        name: String(d.Name),
        value: String(d.Value),
      })),
      statistic: String(p.Statistic),
      period: n(p.Period)!,
      evaluationPeriods: n(p.EvaluationPeriods)!,
      datapointsToAlarm: n(p.DatapointsToAlarm),
      threshold: n(p.Threshold)!,
      comparisonOperator: String(p.ComparisonOperator),
      treatMissingData: (s(p.TreatMissingData) ?? 'missing') as MetricAlarm['treatMissingData'],
      actionsEnabled: b(p.ActionsEnabled, true),
      alarmActions: list(p.AlarmActions),
      okActions: list(p.OKActions),
      insufficientDataActions: list(p.InsufficientDataActions),
      // PutMetricAlarm: a new alarm starts in INSUFFICIENT_DATA; an update leaves the state as it is
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      stateReason: existing?.stateReason ?? 'Unchecked: Initial alarm creation',
      stateUpdatedAt: existing?.stateUpdatedAt ?? new Date(env.now).toISOString(),
      datapoints: existing?.datapoints ?? [],
      ...(existing?.evaluatedAt !== undefined ? { evaluatedAt: existing.evaluatedAt } : {}),
    };
    (env.rs.alarms ??= new Map()).set(r.physicalId, a);
  },
  remove(env, r) {
    env.rs.alarms?.delete(r.physicalId);
  },
  actual(env, r) {
    const a = env.rs.alarms?.get(r.physicalId);
    if (!a) return undefined;
    return {
      AlarmDescription: a.description,
      Namespace: a.namespace,
      MetricName: a.metricName,
      Dimensions: a.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
      Statistic: a.statistic,
      Period: a.period,
      EvaluationPeriods: a.evaluationPeriods,
      DatapointsToAlarm: a.datapointsToAlarm,
      Threshold: a.threshold,
      ComparisonOperator: a.comparisonOperator,
      TreatMissingData: a.treatMissingData,
      ActionsEnabled: a.actionsEnabled,
      AlarmActions: a.alarmActions,
      OKActions: a.okActions,
      InsufficientDataActions: a.insufficientDataActions,
    };
  },
  driftKeys: ALARM_KEYS,
};

export const PROVIDERS: Record<string, Provider> = {
  'AWS::S3::Bucket': bucket,
  'AWS::S3::BucketPolicy': bucketPolicy,
  'AWS::CloudTrail::Trail': trail,
  'AWS::IAM::Role': role,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::Lambda::Permission': permission,
  'AWS::Lambda::EventInvokeConfig': eventInvokeConfig,
  'AWS::Logs::LogGroup': logGroup,
  'AWS::Events::Rule': eventRule,
  'AWS::SNS::Topic': topic,
  'AWS::SNS::Subscription': subscription,
  'AWS::SQS::Queue': queue,
  'AWS::SQS::QueuePolicy': queuePolicy,
  'AWS::Lambda::EventSourceMapping': eventSourceMapping,
  'AWS::DynamoDB::Table': dynamodbTable,
  'AWS::CloudWatch::Alarm': alarm,
};

export function providerFor(type: string): Provider | undefined {
  return Object.hasOwn(PROVIDERS, type) ? PROVIDERS[type] : undefined;
}
