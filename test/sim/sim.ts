// Building the simulated organisation, and the admin operations on it.
import type { Faults, OrgAccount, SimState, SqsQueue } from './state.js';
import { queueSummary } from './services/sqs.js';
import { startServer, type SimServer } from './server.js';
import { allServices } from './services/index.js';
import { seededRandom } from './random.js';
import { SimClock } from './clock.js';
import { autoDeploy } from './stacksets/auto-deploy.js';
import { stackSetsOf } from './stacksets/model.js';

export interface SimOptions {
  port?: number;
  accounts?: number;
  regions?: string[];
  seed?: number;
  latencyMs?: number;
  stackMs?: number;
  throttleRate?: number;
  denyAssume?: string[];
  failStack?: string[];
  failDrift?: string[];
  failRevoke?: string[];
  failRevokeError?: 'RequestLimitExceeded' | 'InternalError';
  suspended?: string[];
  /** StackSets timing (test/sim/README.md): operation start latency and per-instance overhead; default from stackMs */
  stackSetStartMs?: number;
  stackSetInstanceMs?: number;
}

export const DEFAULT_REGIONS = ['us-east-1', 'us-west-2'];

/** Every commercial region the simulator knows (DescribeRegions with AllRegions). */
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'sa-east-1',
  'af-south-1',
  'me-south-1',
];

export function createState(opts: SimOptions = {}): SimState {
  const seed = opts.seed ?? 1;
  const regions = opts.regions?.length ? opts.regions : DEFAULT_REGIONS;
  const state: SimState = {
    partition: 'aws',
    regions,
    stackMs: opts.stackMs ?? 500,
    seed,
    org: {
      id: `o-${base36(seed * 7919 + 17, 10)}`,
      rootId: `r-${base36(seed * 31 + 5, 4)}`,
      managementAccountId: accountIdFor(seed, 0),
      ous: new Map(),
      accounts: new Map(),
    },
    accounts: new Map(),
    buckets: new Map(),
    credentials: new Map(),
    faults: { latencyMs: 0, throttleRate: 0, denyAssume: [], failStack: [], failDrift: [], suspended: [] },
    calls: new Map(),
    random: seededRandom(seed),
    clock: new SimClock(),
  };
  // a nested OU tree: Root → Workloads → {Prod, Dev}, Root → Security, Root → Sandbox
  const root = state.org.rootId;
  const ou = (name: string, parentId: string) => {
    const id = `ou-${root.slice(2)}-${base36(seed * 1000 + state.org.ous.size * 97 + 11, 8)}`;
    state.org.ous.set(id, { id, name, parentId });
    return id;
  };
  const workloads = ou('Workloads', root);
  const prod = ou('Prod', workloads);
  const dev = ou('Dev', workloads);
  const security = ou('Security', root);
  const sandbox = ou('Sandbox', root);
  const placement = [prod, dev, security, sandbox, root];

  const mgmt: OrgAccount = {
    id: state.org.managementAccountId,
    name: 'management',
    email: 'aws-management@example.com',
    status: 'ACTIVE',
    parentId: root,
    joinedMethod: 'CREATED',
    joinedTimestamp: '2020-01-01T00:00:00.000Z',
    enabledRegions: [...regions],
  };
  state.org.accounts.set(mgmt.id, mgmt);
  const members = opts.accounts ?? 5;
  for (let i = 1; i <= members; i++) {
    const id = accountIdFor(seed, i);
    const parentId = placement[(i - 1) % placement.length]!;
    state.org.accounts.set(id, {
      id,
      name: `member-${String(i).padStart(3, '0')}`,
      email: `aws-member-${i}@example.com`,
      status: 'ACTIVE',
      parentId,
      joinedMethod: 'CREATED',
      joinedTimestamp: '2021-06-01T00:00:00.000Z',
      enabledRegions: [...regions],
    });
  }
  applyFaults(state, {
    latencyMs: opts.latencyMs,
    throttleRate: opts.throttleRate,
    denyAssume: opts.denyAssume,
    failStack: opts.failStack,
    failDrift: opts.failDrift,
    failRevoke: opts.failRevoke,
    suspended: opts.suspended,
    failRevokeError: opts.failRevokeError,
  });
  const timing = stackSetsOf(state).timing;
  if (opts.stackSetStartMs !== undefined) timing.startMs = opts.stackSetStartMs;
  if (opts.stackSetInstanceMs !== undefined) timing.instanceMs = opts.stackSetInstanceMs;
  return state;
}

/** 12-digit account ids, distinct for each index, stable for a seed. */
export function accountIdFor(seed: number, index: number): string {
  const n =
    ((BigInt(seed) * 7_777_777n + BigInt(index) * 1_000_003n + 100_000_000_000n) % 900_000_000_000n) + 100_000_000_000n;
  return n.toString();
}

function base36(n: number, len: number): string {
  let x = Math.abs(Math.floor(n)) + 36 ** (len - 1);
  let s = '';
  while (s.length < len) {
    x = (x * 48271) % 2147483647;
    s += (x % 36).toString(36);
  }
  return s;
}

/** POST /_sim/accounts: a newly created account appears in the root, ACTIVE, with the simulator's regions. */
export function addAccount(state: SimState, name?: string, parentId?: string): OrgAccount {
  let index = state.org.accounts.size;
  let id = accountIdFor(state.seed, index);
  while (state.org.accounts.has(id)) id = accountIdFor(state.seed, ++index);
  if (parentId && parentId !== state.org.rootId && !state.org.ous.has(parentId)) {
    throw new Error(`no such parent ${parentId}`);
  }
  const acct: OrgAccount = {
    id,
    name: name ?? `member-${String(index).padStart(3, '0')}`,
    email: `aws-member-${index}@example.com`,
    status: 'ACTIVE',
    parentId: parentId ?? state.org.rootId,
    joinedMethod: 'CREATED',
    joinedTimestamp: state.clock.date().toISOString(),
    enabledRegions: [...state.regions],
  };
  state.org.accounts.set(id, acct);
  autoDeploy(state, id);
  return acct;
}

/** POST /_sim/faults and the start flags: camelCase names, each optional. */
export function applyFaults(state: SimState, input: Record<string, unknown>): Faults {
  const f = state.faults;
  const num = (v: unknown, name: string, max = Infinity) => {
    if (v === undefined || v === null) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > max) throw new Error(`${name} must be a number between 0 and ${max}`);
    return n;
  };
  const list = (v: unknown, name: string) => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${name} must be a list of strings`);
    return v as string[];
  };
  f.latencyMs = num(input.latencyMs, 'latencyMs') ?? f.latencyMs;
  f.throttleRate = num(input.throttleRate, 'throttleRate', 1) ?? f.throttleRate;
  f.denyAssume = list(input.denyAssume, 'denyAssume') ?? f.denyAssume;
  f.unavailableAssume = list(input.unavailableAssume, 'unavailableAssume') ?? f.unavailableAssume;
  f.throttleServices = list(input.throttleServices, 'throttleServices') ?? f.throttleServices;
  f.failStack = list(input.failStack, 'failStack') ?? f.failStack;
  f.failDrift = list(input.failDrift, 'failDrift') ?? f.failDrift;
  f.failRevoke = list(input.failRevoke, 'failRevoke') ?? f.failRevoke;
  if (input.failRevokeError !== undefined) {
    if (input.failRevokeError !== 'RequestLimitExceeded' && input.failRevokeError !== 'InternalError') {
      throw new Error('failRevokeError must be RequestLimitExceeded or InternalError');
    }
    f.failRevokeError = input.failRevokeError;
  }
  const suspended = list(input.suspended, 'suspended');
  if (suspended) {
    f.suspended = suspended;
    for (const acct of state.org.accounts.values()) {
      if (suspended.includes(acct.id)) acct.status = 'SUSPENDED';
      else if (acct.status === 'SUSPENDED') acct.status = 'ACTIVE';
    }
  }
  const stackMs = num(input.stackMs, 'stackMs');
  if (stackMs !== undefined) state.stackMs = stackMs;
  return f;
}

/** GET /_sim/state: Maps become objects, code bodies are left out (their hash stays). */
export function serialiseState(state: SimState): unknown {
  const now = state.clock.now();
  return JSON.parse(
    JSON.stringify(state, function (this: unknown, key, value: unknown) {
      // a queue's messages as counts, and never its receipt handles (GET /_sim/sqs lists the messages)
      if (key === 'handles' && value instanceof Map) return undefined;
      if (
        key === 'messages' &&
        Array.isArray(value) &&
        typeof (this as { arn?: unknown }).arn === 'string' &&
        String((this as { arn: string }).arn).startsWith('arn:aws:sqs:')
      ) {
        return queueSummary(this as SqsQueue, now);
      }
      if (value instanceof Map) return Object.fromEntries(value as Map<PropertyKey, unknown>);
      if (key === 'code' && typeof value === 'string') return `<${value.length} bytes>`;
      // an S3 object's body (a template) as its length too
      if (key === 'body' && typeof value === 'string' && typeof (this as { etag?: unknown }).etag === 'string')
        return `<${value.length} bytes>`;
      if (key === 'credentials' || key === 'secretAccessKey' || key === 'sessionToken') return undefined;
      if (typeof value === 'bigint') return value.toString();
      return value;
    }),
  );
}

export async function startSim(opts: SimOptions = {}): Promise<SimServer> {
  const state = createState(opts);
  return startServer(state, allServices(), opts.port ?? 0);
}
