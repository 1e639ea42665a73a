// AWS Lambda (REST-JSON, API version 2015-03-31): GetFunction, GetFunctionConfiguration,
// UpdateFunctionConfiguration, UpdateFunctionCode, ListFunctions, GetPolicy, Invoke, GetFunctionEventInvokeConfig.
// Functions are created by the CloudFormation engine into RegionState.functions; this service reads and updates them.
import { createHash } from 'node:crypto';
import { SimError, type RestResult, type Service, type ServiceContext, type SimRequest } from '../types.js';
import { newUuid, regionState, type LambdaFunction, type RegionState } from '../state.js';
import { unzip, ZipError } from '../unzip.js';
import { invokeAsync, invokeSync, Throttled } from '../loop.js';
import { splitHandler } from '../invoke/runner.js';
import { functionName, mappingConfiguration, mappingProblem, putMapping, removeMapping } from '../esm.js';
import { findQueueByArn } from './sqs.js';

const FN = '/2015-03-31/functions';
const RUNTIMES = new Set([
  'nodejs18.x',
  'nodejs20.x',
  'nodejs22.x',
  'nodejs24.x',
  'python3.9',
  'python3.10',
  'python3.11',
  'python3.12',
  'python3.13',
  'java17',
  'java21',
  'dotnet8',
  'ruby3.3',
  'provided.al2',
  'provided.al2023',
]);
const RESERVED_ENV = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export const lambda: Service = {
  name: 'lambda',
  protocol: 'rest-json',
  throttle: {
    code: 'TooManyRequestsException',
    status: 429,
    message: 'Rate exceeded',
    extra: { Reason: 'CallerRateLimitExceeded' },
  },
  route(method, path) {
    const p = path.replace(/\/+$/, '');
    if (method === 'GET' && p === FN) return 'ListFunctions';
    const esm = /^\/2015-03-31\/event-source-mappings(?:\/([^/]+))?$/.exec(p);
    if (esm) {
      if (!esm[1])
        return method === 'GET'
          ? 'ListEventSourceMappings'
          : method === 'POST'
            ? 'CreateEventSourceMapping'
            : undefined;
      return method === 'GET'
        ? 'GetEventSourceMapping'
        : method === 'DELETE'
          ? 'DeleteEventSourceMapping'
          : method === 'PUT'
            ? 'UpdateEventSourceMapping'
            : undefined;
    }
    const m = /^\/(2015-03-31|2019-09-25)\/functions\/([^/]+)(?:\/([a-z-]+))?$/.exec(p);
    if (!m) return undefined;
    const [, version, , sub] = m;
    if (version === '2019-09-25')
      return sub === 'event-invoke-config' && method === 'GET' ? 'GetFunctionEventInvokeConfig' : undefined;
    const key = `${method} ${sub ?? ''}`;
    const ops: Record<string, string> = {
      'GET ': 'GetFunction',
      'GET configuration': 'GetFunctionConfiguration',
      'PUT configuration': 'UpdateFunctionConfiguration',
      'PUT code': 'UpdateFunctionCode',
      'GET policy': 'GetPolicy',
      'POST invocations': 'Invoke',
    };
    return ops[key];
  },
  handle(ctx, req) {
    switch (req.operation) {
      case 'ListFunctions':
        return listFunctions(ctx, req);
      case 'GetFunction': {
        const { fn, rs } = resolve(ctx, req);
        return ok({
          Configuration: configuration(fn),
          Code: {
            RepositoryType: 'S3',
            Location:
              `https://awslambda-${rs.region}-tasks.s3.${rs.region}.amazonaws.com/snapshots/${rs.accountId}/` +
              `${fn.functionName}-${fn.revisionId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600`,
          },
          ...(Object.keys(fn.tags).length ? { Tags: fn.tags } : {}),
          ...(fn.reservedConcurrency !== undefined
            ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }
            : {}),
        });
      }
      case 'GetFunctionConfiguration':
        return ok(configuration(resolve(ctx, req).fn));
      case 'UpdateFunctionConfiguration':
        return updateConfiguration(ctx, req);
      case 'UpdateFunctionCode':
        return updateCode(ctx, req);
      case 'GetPolicy':
        return getPolicy(ctx, req);
      case 'GetFunctionEventInvokeConfig': {
        const { fn } = resolve(ctx, req);
        const c = fn.invokeConfig;
        if (!c) throw notFound(`The function ${fn.functionArn} doesn't have an EventInvokeConfig`);
        const destination = (arn?: string) => (arn ? { Destination: arn } : undefined);
        return ok({
          FunctionArn: `${fn.functionArn}:$LATEST`,
          LastModified: Date.parse(fn.lastModified.replace('+0000', 'Z')) / 1000,
          MaximumRetryAttempts: c.maximumRetryAttempts ?? 2,
          MaximumEventAgeInSeconds: c.maximumEventAgeInSeconds ?? 21600,
          DestinationConfig: { OnSuccess: destination(c.onSuccess) ?? {}, OnFailure: destination(c.onFailure) ?? {} },
        });
      }
      case 'Invoke':
        return invoke(ctx, req);
      case 'ListEventSourceMappings':
        return listMappings(ctx, req);
      case 'GetEventSourceMapping':
        return ok(mappingConfiguration(mappingOf(ctx, req)));
      case 'DeleteEventSourceMapping': {
        const esm = mappingOf(ctx, req);
        removeMapping(ctx.state, req.region, req.caller.accountId, esm.uuid);
        return ok(mappingConfiguration(esm, 'Deleting'), 202);
      }
      case 'CreateEventSourceMapping':
        return createMapping(ctx, req);
      case 'UpdateEventSourceMapping': {
        // the settings a caller may change in place (Lambda answers 202 with State Updating, then Enabled/Disabled)
        const esm = mappingOf(ctx, req);
        const input = req.input;
        if (input.Enabled !== undefined) esm.enabled = input.Enabled === true;
        if (input.BatchSize !== undefined) esm.batchSize = Number(input.BatchSize);
        if (input.MaximumBatchingWindowInSeconds !== undefined)
          esm.maximumBatchingWindowInSeconds = Number(input.MaximumBatchingWindowInSeconds);
        esm.lastModified = ctx.state.clock.now();
        return ok(mappingConfiguration(esm, 'Updating'), 202);
      }
      default:
        throw new SimError('UnknownOperationException', `Unknown operation ${req.operation}`, 404);
    }
  },
};

function ok(body: unknown, status = 200, headers?: Record<string, string>): RestResult {
  return { status, body, ...(headers ? { headers } : {}) };
}

function notFound(message: string): SimError {
  return new SimError('ResourceNotFoundException', message, 404, 'Sender', { Type: 'User', Message: message });
}

function invalid(message: string): SimError {
  return new SimError('InvalidParameterValueException', message, 400, 'Sender', { Type: 'User' });
}

/** The {FunctionName} path label: a name, a partial ARN (ACCOUNT:function:NAME) or a full ARN, maybe qualified. */
function resolve(ctx: ServiceContext, req: SimRequest): { fn: LambdaFunction; rs: RegionState } {
  const label = decodeURIComponent(req.path.split('/')[3] ?? '');
  const account = req.caller.accountId;
  let region = req.region;
  let name = label;
  let targetAccount = account;
  const full = /^arn:aws[\w-]*:lambda:([\w-]+):(\d{12}):function:([\w-]{1,64})(?::([\w$-]+))?$/.exec(label);
  const partial = /^(\d{12}):function:([\w-]{1,64})(?::([\w$-]+))?$/.exec(label);
  const qualified = /^([\w-]{1,64}):([\w$-]+)$/.exec(label);
  if (full) {
    region = full[1]!;
    targetAccount = full[2]!;
    name = full[3]!;
  } else if (partial) {
    targetAccount = partial[1]!;
    name = partial[2]!;
  } else if (qualified) {
    name = qualified[1]!;
  } else if (!/^[\w-]{1,64}$/.test(name)) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${label}' at 'functionName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
      400,
    );
  }
  const arn = `arn:aws:lambda:${region}:${targetAccount}:function:${name}`;
  if (targetAccount !== account) {
    throw new SimError(
      'AccessDeniedException',
      `User: ${req.caller.arn} is not authorized to perform: lambda:${req.operation} ` +
        `on resource: ${arn} because no resource-based policy allows the lambda:${req.operation} action`,
      403,
      'Sender',
      { Type: 'User' },
    );
  }
  if (region !== req.region) throw notFound(`Function not found: ${arn}`);
  const qualifier = req.query.get('Qualifier') ?? full?.[4] ?? partial?.[3] ?? qualified?.[2];
  const rs = regionState(ctx.state, account, region);
  const fn = rs.functions.get(name);
  if (!fn) throw notFound(`Function not found: ${arn}`);
  if (qualifier && qualifier !== '$LATEST' && qualifier !== fn.version)
    throw notFound(`Function not found: ${arn}:${qualifier}`);
  return { fn, rs };
}

export function configuration(fn: LambdaFunction): Record<string, unknown> {
  return {
    FunctionName: fn.functionName,
    FunctionArn: fn.functionArn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(fn.environment).length ? { Environment: { Variables: fn.environment } } : {}),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: fn.architectures.length ? fn.architectures : ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    RuntimeVersionConfig: {
      RuntimeVersionArn: `arn:aws:lambda:${fn.functionArn.split(':')[3]}::runtime:${createHash('sha256').update(fn.runtime).digest('hex')}`,
    },
    LoggingConfig: { LogFormat: 'Text', LogGroup: fn.logGroup ?? `/aws/lambda/${fn.functionName}` },
  };
}

/** LastModified as Lambda writes it: 2024-10-14T14:11:38.123+0000 */
export function lambdaTimestamp(d = new Date()): string {
  return d.toISOString().replace('Z', '+0000');
}

function checkRevision(fn: LambdaFunction, input: Record<string, unknown>): void {
  if (typeof input.RevisionId === 'string' && input.RevisionId !== fn.revisionId) {
    throw new SimError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. ' +
        'Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
      'Sender',
      { Type: 'User' },
    );
  }
}

function touch(ctx: ServiceContext, fn: LambdaFunction): void {
  fn.revisionId = newUuid(ctx.state);
  fn.lastModified = lambdaTimestamp(ctx.state.clock.date());
}

function updateConfiguration(ctx: ServiceContext, req: SimRequest): RestResult {
  const { fn } = resolve(ctx, req);
  const input = req.input;
  checkRevision(fn, input);
  const next: Partial<LambdaFunction> = {};
  if (input.Timeout !== undefined) {
    const t = Number(input.Timeout);
    if (!Number.isInteger(t) || t < 1 || t > 900) {
      throw new SimError(
        'ValidationException',
        `1 validation error detected: Value '${String(input.Timeout)}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`,
        400,
      );
    }
    next.timeout = t;
  }
  if (input.MemorySize !== undefined) {
    const m = Number(input.MemorySize);
    if (!Number.isInteger(m) || m < 128 || m > 10240) {
      throw new SimError(
        'ValidationException',
        `1 validation error detected: Value '${String(input.MemorySize)}' at 'memorySize' failed to satisfy constraint: Member must have value ${m < 128 ? 'greater than or equal to 128' : 'less than or equal to 10240'}`,
        400,
      );
    }
    next.memorySize = m;
  }
  if (input.Runtime !== undefined) {
    if (typeof input.Runtime !== 'string' || !RUNTIMES.has(input.Runtime)) {
      throw invalid(
        `Value ${String(input.Runtime)} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set`,
      );
    }
    next.runtime = input.Runtime;
  }
  if (input.Role !== undefined) {
    if (typeof input.Role !== 'string' || !/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(input.Role)) {
      throw new SimError(
        'ValidationException',
        `1 validation error detected: Value '${String(input.Role)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
        400,
      );
    }
    next.role = input.Role;
  }
  if (input.Handler !== undefined) {
    if (typeof input.Handler !== 'string' || !/^[^\s]{1,128}$/.test(input.Handler)) throw invalid('Invalid handler');
    next.handler = input.Handler;
  }
  if (input.Description !== undefined) {
    if (typeof input.Description !== 'string' || input.Description.length > 256)
      throw invalid('Description must be at most 256 characters');
    next.description = input.Description;
  }
  if (input.Environment !== undefined) {
    const vars = ((input.Environment as Record<string, unknown> | null)?.Variables ?? {}) as Record<string, unknown>;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) env[k] = String(v);
    const reserved = Object.keys(env).filter((k) => RESERVED_ENV.has(k));
    if (reserved.length) {
      throw invalid(
        'Lambda was unable to configure your environment variables because the environment variables you have ' +
          `provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
      );
    }
    const bad = Object.keys(env).find((k) => !/^[a-zA-Z]\w+$/.test(k));
    if (bad)
      throw invalid(
        `Lambda was unable to configure your environment variables because the environment variables you have provided contains invalid key: ${bad}`,
      );
    const size = Buffer.byteLength(JSON.stringify(env), 'utf8');
    if (size > 4096) {
      throw invalid(
        'Lambda was unable to configure your environment variables because the environment variables you have ' +
          `provided exceeded the 4KB limit. String measured: ${JSON.stringify(env)}`,
      );
    }
    next.environment = env;
  }
  Object.assign(fn, next);
  touch(ctx, fn);
  return ok(configuration(fn));
}

function updateCode(ctx: ServiceContext, req: SimRequest): RestResult {
  const { fn } = resolve(ctx, req);
  const input = req.input;
  checkRevision(fn, input);
  if (typeof input.ZipFile !== 'string') {
    if (input.S3Bucket !== undefined || input.ImageUri !== undefined) {
      throw invalid('The simulator accepts code only as ZipFile (S3 and image sources are not simulated)');
    }
    throw invalid('Please provide a source for function code.');
  }
  const zip = Buffer.from(input.ZipFile, 'base64');
  if (zip.length === 0)
    throw invalid('Could not unzip uploaded file. Please check your file, then try to upload again.');
  if (zip.length > 50 * 1024 * 1024) {
    throw new SimError(
      'RequestEntityTooLargeException',
      'Request must be smaller than 70167211 bytes for the UpdateFunctionCode operation',
      413,
      'Sender',
      { Type: 'User' },
    );
  }
  let files: Map<string, Buffer>;
  try {
    files = unzip(zip);
  } catch (err) {
    if (err instanceof ZipError || err instanceof RangeError || (err as { code?: string }).code?.startsWith('Z_')) {
      throw invalid('Could not unzip uploaded file. Please check your file, then try to upload again.');
    }
    throw err;
  }
  const [moduleName] = splitHandler(fn.handler);
  const fileName = ['.js', '.cjs', '.mjs'].map((ext) => moduleName + ext).find((f) => files.has(f));
  // Lambda accepts a package without the handler's file; the invocation then fails with Runtime.ImportModuleError
  fn.code = fileName ? files.get(fileName)!.toString('utf8') : '';
  fn.codeFileName = fileName ?? '';
  fn.codeSha256 = createHash('sha256').update(zip).digest('base64');
  fn.codeSize = zip.length;
  touch(ctx, fn);
  if (input.Publish === true) fn.version = String(Number(fn.version === '$LATEST' ? 0 : fn.version) + 1);
  return ok(configuration(fn));
}

function getPolicy(ctx: ServiceContext, req: SimRequest): RestResult {
  const { fn } = resolve(ctx, req);
  if (fn.permissions.length === 0) throw notFound('The resource you requested does not exist.');
  const policy = {
    Version: '2012-10-17',
    Id: 'default',
    Statement: fn.permissions.map((p) => ({
      Sid: p.sid,
      Effect: 'Allow',
      Principal: p.principal.includes('.')
        ? { Service: p.principal }
        : p.principal === '*'
          ? '*'
          : { AWS: `arn:aws:iam::${p.principal}:root` },
      Action: p.action,
      Resource: fn.functionArn,
      ...(p.sourceArn || p.sourceAccount
        ? {
            Condition: {
              ...(p.sourceArn ? { ArnLike: { 'AWS:SourceArn': p.sourceArn } } : {}),
              ...(p.sourceAccount ? { StringEquals: { 'AWS:SourceAccount': p.sourceAccount } } : {}),
            },
          }
        : {}),
    })),
  };
  return ok({ Policy: JSON.stringify(policy), RevisionId: fn.revisionId });
}

function listFunctions(ctx: ServiceContext, req: SimRequest): RestResult {
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const all = [...rs.functions.values()].sort((a, b) => a.functionName.localeCompare(b.functionName));
  const max = Math.min(50, Math.max(1, Number(req.query.get('MaxItems') ?? 50) || 50));
  const marker = req.query.get('Marker');
  const start = marker ? Number(Buffer.from(marker, 'base64').toString('utf8')) || 0 : 0;
  const page = all.slice(start, start + max);
  const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
  return ok({ Functions: page.map(configuration), ...(next ? { NextMarker: next } : {}) });
}

async function invoke(ctx: ServiceContext, req: SimRequest): Promise<RestResult> {
  const { fn, rs } = resolve(ctx, req);
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  let event: unknown = null;
  if (req.rawBody) {
    try {
      event = JSON.parse(req.rawBody);
    } catch {
      throw new SimError(
        'InvalidRequestContentException',
        'Could not parse request body into json: Could not parse payload into json',
        400,
        'Sender',
        { Type: 'User' },
      );
    }
  }
  if (type === 'DryRun') return { status: 204 };
  if (type === 'Event') {
    invokeAsync(ctx, rs, fn.functionName, event, '');
    return { status: 202 };
  }
  if (type !== 'RequestResponse') throw invalid(`Unsupported invocation type ${type}`);
  const outcome = await invokeSync(ctx, rs, fn, event).catch((err: unknown) => {
    if (err instanceof Throttled) {
      throw new SimError('TooManyRequestsException', 'Rate Exceeded.', 429, 'Sender', {
        Type: 'User',
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    }
    throw err;
  });
  const headers: Record<string, string> = { 'x-amz-executed-version': '$LATEST' };
  if (req.headers['x-amz-log-type'] === 'Tail') {
    const tail = Buffer.from(outcome.logs.join('\n') + '\n').subarray(-4096);
    headers['x-amz-log-result'] = tail.toString('base64');
  }
  if (outcome.status === 'failed') {
    headers['x-amz-function-error'] = 'Unhandled';
    return { status: 200, body: { errorType: outcome.error?.name, errorMessage: outcome.error?.message }, headers };
  }
  return { status: 200, body: outcome.result ?? null, headers };
}

function mappingOf(ctx: ServiceContext, req: SimRequest) {
  const uuid = decodeURIComponent(req.path.replace(/\/+$/, '').split('/')[3] ?? '');
  const esm = ctx.state.accounts.get(req.caller.accountId)?.regions.get(req.region)?.eventSourceMappings?.get(uuid);
  if (!esm) throw notFound('The resource you requested does not exist.');
  return esm;
}

function listMappings(ctx: ServiceContext, req: SimRequest): RestResult {
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const source = req.query.get('EventSourceArn');
  const fnRef = req.query.get('FunctionName');
  const all = [...(rs.eventSourceMappings?.values() ?? [])]
    .filter((e) => !source || e.eventSourceArn === source)
    .filter((e) => !fnRef || e.functionArn.endsWith(`:function:${functionName(fnRef)}`));
  const max = Math.min(100, Math.max(1, Number(req.query.get('MaxItems') ?? 100) || 100));
  const marker = req.query.get('Marker');
  const start = marker ? Number(Buffer.from(marker, 'base64').toString('utf8')) || 0 : 0;
  const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
  return ok({
    EventSourceMappings: all.slice(start, start + max).map((e) => mappingConfiguration(e)),
    ...(next ? { NextMarker: next } : {}),
  });
}

function createMapping(ctx: ServiceContext, req: SimRequest): RestResult {
  const input = req.input;
  if (typeof input.FunctionName !== 'string' || input.FunctionName === '') throw invalid('FunctionName is required');
  if (typeof input.EventSourceArn !== 'string')
    throw invalid('The simulator supports only SQS event sources (EventSourceArn)');
  const fnName = functionName(input.FunctionName);
  const rs = regionState(ctx.state, req.caller.accountId, req.region);
  const fn = rs.functions.get(fnName);
  if (!fn)
    throw notFound(`Function not found: arn:aws:lambda:${req.region}:${req.caller.accountId}:function:${fnName}`);
  const num = (v: unknown) => (v === undefined || v === null ? undefined : Number(v));
  const mapping = {
    eventSourceArn: input.EventSourceArn,
    functionRef: fnName,
    batchSize: num(input.BatchSize),
    maximumBatchingWindowInSeconds: num(input.MaximumBatchingWindowInSeconds),
    functionResponseTypes: Array.isArray(input.FunctionResponseTypes)
      ? input.FunctionResponseTypes.map(String)
      : undefined,
    enabled: input.Enabled === undefined ? undefined : input.Enabled === true,
    maximumConcurrency: num((input.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency),
    filterCriteria: input.FilterCriteria,
  };
  const problem = mappingProblem(ctx.state, req.region, req.caller.accountId, mapping);
  if (problem) throw invalid(problem);
  if (!findQueueByArn(ctx.state, mapping.eventSourceArn)) {
    throw invalid(
      'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.',
    );
  }
  if (
    ![...(rs.eventSourceMappings?.values() ?? [])].every(
      (e) => e.eventSourceArn !== mapping.eventSourceArn || e.functionArn !== fn.functionArn,
    )
  ) {
    throw new SimError(
      'ResourceConflictException',
      `An event source mapping with SQS arn (" ${mapping.eventSourceArn} ") and function (" ${fnName} ") already exists. Please update or delete the existing mapping with UUID ...`,
      409,
      'Sender',
      { Type: 'User' },
    );
  }
  const esm = putMapping(ctx.state, req.region, req.caller.accountId, ctx.state.random.ids.uuid(), mapping);
  return ok(mappingConfiguration(esm, esm.enabled ? 'Creating' : 'Disabled'), 202);
}
