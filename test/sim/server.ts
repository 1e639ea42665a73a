// One HTTP server for every service: identity from SigV4, faults, call counting, admin endpoints, dispatch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sharePrefixList } from './services/ec2-network.js';
import { SimError, type Caller, type Protocol, type Service, type ServiceContext, type SimRequest } from './types.js';
import type { CallCount, SimState } from './state.js';
import { queueSummary, setSqsEndpoint } from './services/sqs.js';
import { ec2Error, ec2Response, jsonError, queryError, queryResponse, unflattenQuery } from './protocols.js';
import { s3Error } from './services/s3.js';
import { addAccount, applyFaults, serialiseState } from './sim.js';
import { closeLoop, emitCloudTrailEvent } from './loop.js';
import { startSchedules } from './schedule.js';
import { createTrail } from './services/cloudtrail.js';
import { setRecording } from './services/config.js';
import { createAssumableRole } from './services/sts.js';
import { scpCheck } from './scp.js';
import { closeSqsPolling, startSqsPolling } from './esm.js';
import { startAlarms } from './alarms.js';

export interface SimServer {
  endpoint: string;
  port: number;
  state: SimState;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;

export async function startServer(
  state: SimState,
  services: Service[],
  port = 0,
  host = '127.0.0.1',
): Promise<SimServer> {
  const byName = new Map(services.map((s) => [s.name, s]));
  let endpoint = '';
  const ctx: ServiceContext = {
    state,
    get endpoint() {
      return endpoint;
    },
    now: () => Date.now(),
  };
  startSchedules(ctx);
  startSqsPolling(ctx);
  startAlarms(ctx);
  setSqsEndpoint(state, () => endpoint);
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // a bug in the simulator: answer as AWS answers an internal error, and keep serving
      process.stderr.write(`sim: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: String((err as Error)?.message ?? err) }));
      }
    });
  });
  server.keepAliveTimeout = 65_000;

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new SimError('RequestEntityTooLarge', 'Request body too large', 413);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawBody = await readBody(req);
    if (url.pathname.startsWith('/_sim/')) return admin(req.method ?? 'GET', url, rawBody, res);

    const requestId = state.random.ids.uuid();
    const auth = parseAuthorization(req.headers.authorization, url.searchParams);
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
    const service = auth ? byName.get(auth.service) : undefined;
    const protocol: Protocol = service?.protocol ?? guessProtocol(target, rawBody);

    const send = (status: number, body: string, contentType: string, headers: Record<string, string> = {}) => {
      // Date is the service's clock, as with AWS: the simulated one (the SDK corrects its clock skew from it)
      res.writeHead(status, {
        'content-type': contentType,
        'x-amzn-requestid': requestId,
        date: state.clock.date().toUTCString(),
        ...headers,
      });
      res.end(body);
    };
    const sendError = (err: SimError) => {
      switch (protocol) {
        case 'query':
          return send(err.status, queryError(err, requestId), 'text/xml');
        case 'ec2':
          return send(err.status, ec2Error(err, requestId), 'text/xml');
        case 'json':
          return send(
            err.status,
            jsonError(err),
            `application/x-amz-json-${service?.jsonVersion ?? '1.1'}`,
            err.headers,
          );
        case 'rest-json':
          return send(
            err.status,
            JSON.stringify({
              message: err.message,
              Type: err.type === 'Sender' ? 'User' : 'Service',
              ...(err.extra ?? {}),
            }),
            'application/json',
            { 'x-amzn-errortype': err.code },
          );
        // S3: an <Error> document; a HEAD's answer has no body, only the status
        case 'rest-xml':
          return send(
            err.status,
            req.method === 'HEAD' ? '' : s3Error(err, requestId, url.pathname),
            'application/xml',
            err.headers,
          );
      }
    };

    if (!auth) {
      return sendError(
        protocol === 'ec2'
          ? new SimError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
          : protocol === 'query'
            ? new SimError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
            : new SimError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
      );
    }
    if (!service) {
      return sendError(
        new SimError('UnknownService', `The simulator does not implement the service "${auth.service}"`, 400),
      );
    }

    // decode the operation and input
    let operation: string;
    let input: Record<string, unknown>;
    try {
      if (protocol === 'json') {
        operation = target?.split('.').pop() ?? '';
        input = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
      } else if (protocol === 'query' || protocol === 'ec2') {
        const params = new URLSearchParams(rawBody || url.search);
        operation = params.get('Action') ?? '';
        params.delete('Action');
        params.delete('Version');
        input = unflattenQuery(params);
      } else if (protocol === 'rest-xml') {
        // S3: the operation from the method, the path and the subresource; the service reads the XML body itself
        const host = typeof req.headers.host === 'string' ? req.headers.host : undefined;
        operation = service.route?.(req.method ?? 'GET', url.pathname, url.searchParams, host) ?? '';
        input = {};
      } else {
        operation = service.route?.(req.method ?? 'GET', url.pathname) ?? '';
        input = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
      }
    } catch {
      return sendError(new SimError('SerializationException', 'The request body could not be parsed', 400));
    }
    if (!operation) {
      if (protocol === 'rest-xml')
        return sendError(
          new SimError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405),
        );
      return sendError(
        protocol === 'rest-json'
          ? new SimError('UnknownOperationException', `No route for ${req.method} ${url.pathname}`, 404)
          : new SimError(
              'InvalidAction',
              'The action or operation requested is invalid. Verify that the action is typed correctly.',
              400,
            ),
      );
    }

    const caller = identify(state, auth.accessKeyId);
    const count = countCall(
      state,
      service.name,
      operation,
      caller === 'expired' ? 'unknown' : caller.accountId,
      auth.region,
    );
    if (state.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, state.faults.latencyMs));

    if (caller === 'expired') {
      count.errors++;
      return sendError(
        protocol === 'json' || protocol === 'rest-json'
          ? new SimError('ExpiredTokenException', 'The security token included in the request is expired', 403)
          : new SimError('ExpiredToken', 'The security token included in the request is expired', 400),
      );
    }
    const throttled = state.faults.throttleServices?.length
      ? state.faults.throttleServices.includes(service.name)
      : true;
    if (throttled && state.faults.throttleRate > 0 && state.random.faults.next() < state.faults.throttleRate) {
      count.throttled++;
      const t = service.throttle;
      const throttle = new SimError(t.code, t.message, t.status, undefined, t.extra);
      throttle.headers = t.headers;
      return sendError(throttle);
    }

    const simReq: SimRequest = {
      service: service.name,
      region: auth.region,
      caller,
      operation,
      input,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      requestId,
    };
    // service control policies, for callers in member accounts (scp.ts)
    const denied = scpCheck(state, simReq, protocol);
    if (denied) {
      count.errors++;
      return sendError(denied);
    }
    try {
      const result = await service.handle(ctx, simReq);
      const xmlns = service.xmlns ?? '';
      switch (protocol) {
        case 'query':
          return send(200, queryResponse(operation, result, xmlns, requestId), 'text/xml');
        case 'ec2':
          return send(200, ec2Response(operation, result, xmlns, requestId), 'text/xml;charset=UTF-8');
        case 'json':
          return send(200, JSON.stringify(result ?? {}), `application/x-amz-json-${service.jsonVersion ?? '1.1'}`);
        case 'rest-json': {
          const r = (result ?? { status: 200 }) as { status: number; body?: unknown; headers?: Record<string, string> };
          return send(r.status, r.body === undefined ? '' : JSON.stringify(r.body), 'application/json', r.headers);
        }
        case 'rest-xml': {
          // an XML document (body), or an object's bytes as stored (raw, with its own content-type)
          const r = (result ?? { status: 200 }) as {
            status: number;
            body?: string;
            raw?: string;
            headers?: Record<string, string>;
          };
          return send(
            r.status,
            req.method === 'HEAD' ? '' : (r.raw ?? r.body ?? ''),
            r.raw === undefined ? 'application/xml' : (r.headers?.['content-type'] ?? 'binary/octet-stream'),
            r.headers,
          );
        }
      }
    } catch (err) {
      if (err instanceof SimError) {
        count.errors++;
        return sendError(err);
      }
      throw err;
    }
  }

  async function admin(method: string, url: URL, rawBody: string, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let body: Record<string, unknown>;
    try {
      body = rawBody ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { error: 'body is not JSON' });
    }
    const route = `${method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /_sim/state':
          return reply(200, serialiseState(state));
        case 'GET /_sim/calls': {
          const calls = [...state.calls.values()];
          const total = calls.reduce((n, c) => n + c.count, 0);
          const throttled = calls.reduce((n, c) => n + c.throttled, 0);
          return reply(200, { total, throttled, calls });
        }
        case 'DELETE /_sim/calls':
          state.calls.clear();
          return reply(200, { ok: true });
        case 'POST /_sim/accounts': {
          const acct = addAccount(
            state,
            typeof body.name === 'string' ? body.name : undefined,
            typeof body.parentId === 'string' ? body.parentId : undefined,
          );
          return reply(200, { id: acct.id, name: acct.name, status: acct.status });
        }
        case 'POST /_sim/roles': {
          const role = createAssumableRole(state, body);
          return reply(200, { arn: role.arn, roleName: role.roleName });
        }
        case 'POST /_sim/trails': {
          const str = (k: string) => (typeof body[k] === 'string' ? body[k] : undefined);
          const bool = (k: string) => (typeof body[k] === 'boolean' ? body[k] : undefined);
          const trail = createTrail(state, {
            account: str('account') ?? state.org.managementAccountId,
            region: str('region') ?? state.regions[0] ?? 'us-east-1',
            name: str('name') ?? '',
            multiRegion: bool('multiRegion'),
            organization: bool('organization'),
            logging: bool('logging'),
            bucket: str('bucket'),
          });
          return reply(200, {
            name: trail.name,
            arn: trail.arn,
            homeRegion: trail.homeRegion,
            isLogging: trail.isLogging,
            isMultiRegionTrail: trail.isMultiRegionTrail,
            isOrganizationTrail: trail.isOrganizationTrail,
          });
        }
        case 'POST /_sim/config': {
          // AWS Config's recorder for security groups, on or off, in one region or every region of an account
          const account = body.account;
          const region = typeof body.region === 'string' ? body.region : undefined;
          if (typeof account !== 'string' || !state.org.accounts.has(account))
            return reply(404, { error: `no account ${String(account)}` });
          if (region !== undefined && !state.regions.includes(region))
            return reply(404, { error: `no region ${region}` });
          if (typeof body.recording !== 'boolean') return reply(400, { error: 'recording must be true or false' });
          setRecording(state, account, body.recording, region);
          return reply(200, { account, regions: region ? [region] : state.regions, recording: body.recording });
        }
        case 'GET /_sim/invocations': {
          const account = url.searchParams.get('account');
          const region = url.searchParams.get('region');
          const invocations = [];
          for (const acct of state.accounts.values()) {
            if (account && acct.id !== account) continue;
            for (const rs of acct.regions.values()) {
              if (region && rs.region !== region) continue;
              for (const inv of rs.invocations) invocations.push({ account: acct.id, region: rs.region, ...inv });
            }
          }
          return reply(200, { invocations });
        }
        case 'POST /_sim/cloudtrail': {
          // a recorded CloudTrail record, delivered to the account-region's default bus by the same path EC2 uses
          const account = body.account;
          const region = body.region;
          let record = body.record;
          if (typeof account !== 'string' || !/^\d{12}$/.test(account))
            return reply(400, { error: 'account must be a 12-digit account id' });
          if (!state.org.accounts.has(account)) return reply(404, { error: `no account ${account}` });
          if (typeof region !== 'string' || !state.regions.includes(region)) {
            return reply(typeof region === 'string' ? 404 : 400, {
              error: `region must be one of the simulator's regions (${state.regions.join(', ')})`,
            });
          }
          if (typeof record !== 'object' || record === null || Array.isArray(record))
            return reply(400, { error: 'record must be a JSON object' });
          // a whole EventBridge envelope carries the record under detail
          const envelope = record as Record<string, unknown>;
          if (
            typeof envelope.detail === 'object' &&
            envelope.detail !== null &&
            !Array.isArray(envelope.detail) &&
            'detail-type' in envelope
          ) {
            record = envelope.detail;
          }
          const r = record as Record<string, unknown>;
          if (
            typeof r.eventSource !== 'string' ||
            !/^[a-z0-9-]+\.amazonaws\.com$/.test(r.eventSource) ||
            typeof r.eventName !== 'string'
          ) {
            return reply(400, { error: 'record must carry eventSource (SERVICE.amazonaws.com) and eventName' });
          }
          // forwardTo: the envelope lands on that account's default bus, as a cross-account bus target delivers it
          const forwardTo = body.forwardTo;
          if (forwardTo !== undefined && (typeof forwardTo !== 'string' || !state.org.accounts.has(forwardTo))) {
            return reply(404, { error: `forwardTo: no account ${String(forwardTo)}` });
          }
          const recorded = emitCloudTrailEvent(ctx, account, region, r, forwardTo ?? account);
          if (!recorded) return reply(500, { error: 'the event could not be delivered (see the simulator log)' });
          return reply(200, { id: recorded.event.id, matchedRules: recorded.matchedRules });
        }
        case 'GET /_sim/sqs': {
          // every queue's messages (body, receive count, whether in flight), and its event source mappings
          const account = url.searchParams.get('account');
          const region = url.searchParams.get('region');
          const name = url.searchParams.get('queue');
          const now = state.clock.now();
          const queues = [];
          for (const acct of state.accounts.values()) {
            if (account && acct.id !== account) continue;
            for (const rs of acct.regions.values()) {
              if (region && rs.region !== region) continue;
              for (const q of rs.queues.values()) {
                if (name && q.name !== name) continue;
                queues.push({
                  account: acct.id,
                  region: rs.region,
                  name: q.name,
                  url: q.url,
                  arn: q.arn,
                  attributes: q.attributes,
                  counts: queueSummary(q, now),
                  messages: (q.messages ?? []).map((m) => ({
                    messageId: m.messageId,
                    body: m.body,
                    sentAt: m.sentAt,
                    sentBy: m.sentBy,
                    senderId: m.senderId,
                    receiveCount: m.receiveCount,
                    state: m.visibleAt <= now ? 'visible' : m.receiveCount > 0 ? 'inFlight' : 'delayed',
                    visibleAt: new Date(m.visibleAt).toISOString(),
                    messageAttributes: m.messageAttributes,
                    systemAttributes: m.systemAttributes,
                  })),
                });
              }
            }
          }
          const mappings = [];
          const failures = [];
          for (const acct of state.accounts.values()) {
            if (account && acct.id !== account) continue;
            for (const rs of acct.regions.values()) {
              if (region && rs.region !== region) continue;
              for (const e of rs.eventSourceMappings?.values() ?? [])
                mappings.push({ account: acct.id, region: rs.region, ...e });
              for (const f of rs.targetFailures ?? []) failures.push({ account: acct.id, region: rs.region, ...f });
            }
          }
          return reply(200, { queues, eventSourceMappings: mappings, targetFailures: failures });
        }
        case 'POST /_sim/prefix-list-shares': {
          // AWS RAM sharing a customer-managed prefix list with another account ({"shared": false} stops sharing)
          const { owner, region, prefixListId, consumer } = body;
          if (typeof owner !== 'string' || !state.org.accounts.has(owner))
            return reply(404, { error: `owner: no account ${String(owner)}` });
          if (typeof region !== 'string' || !state.regions.includes(region))
            return reply(404, { error: `region must be one of the simulator's regions (${state.regions.join(', ')})` });
          if (typeof prefixListId !== 'string' || typeof consumer !== 'string')
            return reply(400, { error: 'prefixListId and consumer must be strings' });
          if (body.shared !== undefined && typeof body.shared !== 'boolean')
            return reply(400, { error: 'shared must be true or false' });
          const l = sharePrefixList(state, owner, region, prefixListId, consumer, body.shared !== false);
          return reply(200, { prefixListId: l.prefixListId, owner: l.ownerId, region, sharedWith: l.sharedWith });
        }
        case 'GET /_sim/clock':
          return reply(200, state.clock.snapshot());
        case 'POST /_sim/clock': {
          const moved = await state.clock.advance(Number(body.advanceSeconds));
          return reply(200, { ...state.clock.snapshot(), ...moved });
        }
        case 'GET /_sim/faults':
          return reply(200, state.faults);
        case 'POST /_sim/faults':
          return reply(200, applyFaults(state, body));
        default:
          return reply(404, { error: `no admin route ${route}` });
      }
    } catch (err) {
      return reply(400, { error: (err as Error).message });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  endpoint = `http://${host}:${addr.port}`;
  return {
    endpoint,
    port: addr.port,
    state,
    close: async () => {
      // terminate the functions' warm workers and pending retries first, so nothing calls back into a closed server
      closeSqsPolling(state);
      await closeLoop(state);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function guessProtocol(target: string | undefined, body: string): Protocol {
  if (target) return 'json';
  if (/(^|&)Action=/.test(body)) return /(^|&)Version=2016-11-15/.test(body) ? 'ec2' : 'query';
  return 'rest-json';
}

interface AuthScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sts/aws4_request, SignedHeaders=…, Signature=…` */
export function parseAuthorization(header: string | undefined, query: URLSearchParams): AuthScope | undefined {
  const credential = header?.match(/Credential=([^,\s]+)/)?.[1] ?? query.get('X-Amz-Credential') ?? undefined;
  if (!credential) return undefined;
  const [accessKeyId, , region, service] = credential.split('/');
  if (!accessKeyId || !region || !service) return undefined;
  return { accessKeyId, region, service };
}

/**
 * Keys issued by the simulator's AssumeRole belong to the role's account; any other key is the management account's
 * root.
 */
export function identify(state: SimState, accessKeyId: string): Caller | 'expired' {
  const creds = state.credentials.get(accessKeyId);
  if (creds) {
    if (creds.expiresAt < state.clock.now()) return 'expired';
    return {
      accessKeyId,
      accountId: creds.accountId,
      assumedRole: true,
      arn: `arn:aws:sts::${creds.accountId}:assumed-role/${creds.roleName}/${creds.sessionName}`,
      roleArn: creds.roleArn,
      roleName: creds.roleName,
      sessionName: creds.sessionName,
      userId: `${roleIdFor(creds.roleArn)}:${creds.sessionName}`,
    };
  }
  const mgmt = state.org.managementAccountId;
  return { accessKeyId, accountId: mgmt, assumedRole: false, arn: `arn:aws:iam::${mgmt}:root`, userId: mgmt };
}

/** A stable AROA… role id derived from the role ARN. */
export function roleIdFor(roleArn: string): string {
  let h = 0;
  for (const c of roleArn) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `AROA${h.toString(36).toUpperCase().padStart(8, 'X')}EXAMPLE`.slice(0, 21);
}

function countCall(state: SimState, service: string, operation: string, account: string, region: string): CallCount {
  const key = `${service}|${operation}|${account}|${region}`;
  let c = state.calls.get(key);
  if (!c) {
    c = { service, operation, account, region, count: 0, throttled: 0, errors: 0 };
    state.calls.set(key, c);
  }
  c.count++;
  return c;
}
