// Amazon CloudWatch Logs (awsJson1_1, target prefix Logs_20140328): DescribeLogGroups and FilterLogEvents, over the
// log groups the CloudFormation engine creates (AWS::Logs::LogGroup) and the lines the functions write
// (appendFunctionLogs, called by the closed loop after every invocation). Timestamps follow the simulator's clock.
import { SimError, type Service, type ServiceContext, type SimRequest } from '../types.js';
import type { LambdaFunction, LogGroup, LogStream, RegionState, SimState } from '../state.js';
import { compileFilterPattern, FilterPatternError } from '../logs-filter.js';

/** FilterLogEvents answers at most this many events, or this many bytes, a page (AWS: 10,000 events, 1 MB). */
const MAX_EVENTS = 10_000;
const MAX_PAGE_BYTES = 1024 * 1024;

export const logs: Service = {
  name: 'logs',
  protocol: 'json',
  throttle: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'DescribeLogGroups':
        return describeLogGroups(ctx, req);
      case 'FilterLogEvents':
        return filterLogEvents(ctx, req);
      default:
        throw new SimError('UnknownOperationException', `Unknown operation ${req.operation}`, 400);
    }
  },
};

function invalid(message: string): SimError {
  return new SimError('InvalidParameterException', message, 400);
}

function groupsOf(ctx: ServiceContext, req: SimRequest): Map<string, LogGroup> {
  return (
    ctx.state.accounts.get(req.caller.accountId)?.regions.get(req.region)?.logGroups ?? new Map<string, LogGroup>()
  );
}

function int(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(
      `1 validation error detected: Value '${String(v)}' at '${what}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  }
  return v;
}

/** nextToken: the offset into the sorted result, with a checksum of the request so a token is not reused elsewhere. */
function token(kind: string, offset: number, key: string): string {
  return Buffer.from(JSON.stringify([kind, offset, key])).toString('base64');
}

function readToken(raw: unknown, kind: string, key: string): number {
  if (raw === undefined || raw === null) return 0;
  try {
    const [k, offset, tokenKey] = JSON.parse(Buffer.from(String(raw), 'base64').toString('utf8')) as [
      string,
      number,
      string,
    ];
    if (k === kind && tokenKey === key && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw invalid('The specified nextToken is invalid.');
}

function describeLogGroups(ctx: ServiceContext, req: SimRequest): unknown {
  const prefix = typeof req.input.logGroupNamePrefix === 'string' ? req.input.logGroupNamePrefix : undefined;
  const pattern = typeof req.input.logGroupNamePattern === 'string' ? req.input.logGroupNamePattern : undefined;
  if (prefix !== undefined && pattern !== undefined) {
    throw invalid('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  }
  const limit = int(req.input.limit, 'limit', 1, 50) ?? 50;
  const all = [...groupsOf(ctx, req).values()]
    .filter(
      (g) =>
        (prefix === undefined || g.name.startsWith(prefix)) &&
        (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase())),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const key = `${prefix ?? ''}|${pattern ?? ''}`;
  const start = readToken(req.input.nextToken, 'groups', key);
  const page = all.slice(start, start + limit);
  return {
    logGroups: page.map((g) => ({
      logGroupName: g.name,
      creationTime: g.creationTime ?? 0,
      ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: g.arn,
      logGroupArn: g.arn.replace(/:\*$/, ''),
      storedBytes: [...(g.streams?.values() ?? [])].reduce(
        (n, s) => n + s.events.reduce((m, e) => m + e.message.length, 0),
        0,
      ),
      ...(g.kmsKeyId ? { kmsKeyId: g.kmsKeyId } : {}),
      logGroupClass: 'STANDARD',
    })),
    ...(start + limit < all.length ? { nextToken: token('groups', start + limit, key) } : {}),
  };
}

/** logGroupName, or logGroupIdentifier (a name or an ARN of this account and region). */
function targetGroup(ctx: ServiceContext, req: SimRequest): LogGroup {
  const { logGroupName, logGroupIdentifier } = req.input;
  if (logGroupName !== undefined && logGroupIdentifier !== undefined) {
    throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  let name =
    typeof logGroupName === 'string' ? logGroupName : typeof logGroupIdentifier === 'string' ? logGroupIdentifier : '';
  if (name === '') throw invalid('Either LogGroup name or LogGroup ARN must be specified.');
  const arn = /^arn:aws[\w-]*:logs:([\w-]+):(\d{12}):log-group:(.+?)(:\*)?$/.exec(name);
  if (arn) {
    if (arn[1] !== req.region || arn[2] !== req.caller.accountId)
      throw new SimError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    name = arn[3]!;
  }
  const group = groupsOf(ctx, req).get(name);
  if (!group) throw new SimError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
  return group;
}

function filterLogEvents(ctx: ServiceContext, req: SimRequest): unknown {
  const group = targetGroup(ctx, req);
  const i = req.input;
  const startTime = int(i.startTime, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const endTime = int(i.endTime, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  const limit = int(i.limit, 'limit', 1, MAX_EVENTS) ?? MAX_EVENTS;
  const names = Array.isArray(i.logStreamNames) ? (i.logStreamNames as unknown[]).map(String) : undefined;
  const prefix = typeof i.logStreamNamePrefix === 'string' ? i.logStreamNamePrefix : undefined;
  if (names && prefix !== undefined) throw invalid('logStreamNames and logStreamNamePrefix are mutually exclusive.');
  const pattern = typeof i.filterPattern === 'string' ? i.filterPattern : undefined;
  if (pattern !== undefined && pattern.length > 1024) throw invalid('filterPattern is longer than 1024 characters.');
  let match: (m: string) => boolean;
  try {
    match = compileFilterPattern(pattern);
  } catch (err) {
    if (err instanceof FilterPatternError) throw invalid(`Invalid filter pattern: ${err.message}`);
    throw err;
  }
  const streams = [...(group.streams?.values() ?? [])].filter(
    (s) => (!names || names.includes(s.name)) && (prefix === undefined || s.name.startsWith(prefix)),
  );
  // interleaved: every stream's events in one timestamp order (ties by stream, then position)
  const matched = streams
    .flatMap((s) => s.events.map((e, at) => ({ s, e, at })))
    .filter(
      ({ e }) =>
        (startTime === undefined || e.timestamp >= startTime) && (endTime === undefined || e.timestamp <= endTime),
    )
    .sort((a, b) => a.e.timestamp - b.e.timestamp || a.s.name.localeCompare(b.s.name) || a.at - b.at)
    .filter(({ e }) => match(e.message));
  const key = JSON.stringify([group.name, startTime, endTime, pattern, names, prefix]);
  const start = readToken(i.nextToken, 'events', key);
  const page = [];
  let bytes = 0;
  for (let k = start; k < matched.length && page.length < limit; k++) {
    const { s, e } = matched[k]!;
    bytes += Buffer.byteLength(e.message) + 26;
    if (bytes > MAX_PAGE_BYTES && page.length > 0) break;
    page.push({
      logStreamName: s.name,
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.ingestionTime,
      eventId: e.eventId,
    });
  }
  const next = start + page.length;
  return {
    events: page,
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: next >= matched.length })),
    ...(next < matched.length ? { nextToken: token('events', next, key) } : {}),
  };
}

/** One line a function wrote, with its time on the simulator's clock. */
export interface FunctionLogLine {
  timestamp: number;
  message: string;
}

/**
 * Writes an invocation's lines into the function's log group (its LoggingConfig, else /aws/lambda/NAME), in the
 * environment's stream. When the group does not exist the lines are lost, as they are for a function whose role may
 * not create it.
 */
export function appendFunctionLogs(
  state: SimState,
  rs: RegionState,
  fn: LambdaFunction,
  streamName: string,
  lines: FunctionLogLine[],
): void {
  const group = rs.logGroups.get(fn.logGroup ?? `/aws/lambda/${fn.functionName}`);
  if (!group || lines.length === 0) return;
  group.streams ??= new Map();
  let stream: LogStream | undefined = group.streams.get(streamName);
  if (!stream) {
    stream = { name: streamName, creationTime: lines[0]!.timestamp, events: [] };
    group.streams.set(streamName, stream);
  }
  const ingestionTime = state.clock.now();
  for (const line of lines) {
    stream.events.push({
      timestamp: line.timestamp,
      ingestionTime,
      message: line.message,
      eventId: eventId(state, line.timestamp),
    });
  }
}

/** CloudWatch's event ids are 56 digits; the simulator's are the timestamp and a seeded random tail. */
function eventId(state: SimState, timestamp: number): string {
  const digits = BigInt(`0x${state.random.logs.hex(24)}`)
    .toString()
    .padStart(30, '0')
    .slice(0, 30);
  return `${String(timestamp).padStart(26, '0')}${digits}`;
}

/** Lambda's stream names: YYYY/MM/DD/[$LATEST] and 32 hex characters, one stream per execution environment. */
export function lambdaStreamName(state: SimState): string {
  const day = state.clock.date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${state.random.logs.hex(32)}`;
}
