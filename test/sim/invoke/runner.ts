// Execution environments for simulated Lambda functions: one worker thread per environment, kept warm and reused for
// the next invocation of the same function, code and configuration (as Lambda reuses environments), recycled when
// the code or configuration changes or the environment's credentials near expiry, and reaped when idle.
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Credentials, LambdaFunction, SimState } from '../state.js';
import { hexId } from '../state.js';
import { WORKER_SOURCE } from './worker-source.js';
import { lambdaStreamName, type FunctionLogLine } from '../services/logs.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Lambda scales out with concurrent events; the simulator caps environments per function to protect the machine. */
const MAX_ENVIRONMENTS_PER_FUNCTION = 4;
const IDLE_REAP_MS = 5 * 60_000;
const CREDENTIALS_TTL_MS = 60 * 60_000;
const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60_000;

export interface InvokeOutcome {
  status: 'succeeded' | 'failed';
  result?: unknown;
  error?: { name: string; message: string };
  logs: string[];
  durationMs: number;
  requestId: string;
  /** false when a warm environment served the call */
  coldStart: boolean;
  /** the lines as Lambda sends them to CloudWatch Logs (console lines in its text format, START/END/REPORT) */
  logLines?: FunctionLogLine[];
  /** the environment's log stream */
  logStream?: string;
}

/** One line the function wrote: console lines carry a level, direct stdout writes do not. */
interface LogEntry {
  at: number;
  level?: string;
  text: string;
}

export interface InvokeTarget {
  fn: LambdaFunction;
  accountId: string;
  region: string;
}

interface Pending {
  requestId: string;
  logs: LogEntry[];
  started: number;
  timer: NodeJS.Timeout;
  resolve: (o: InvokeOutcome) => void;
  coldStart: boolean;
}

interface Environment {
  worker: Worker;
  key: string;
  busy: boolean;
  dead: boolean;
  credentialsExpireAt: number;
  /** YYYY/MM/DD/[$LATEST]hex, chosen when the environment starts */
  logStream: string;
  pending?: Pending;
  idleTimer?: NodeJS.Timeout;
  ready: Promise<void>;
}

interface Pool {
  envs: Environment[];
  waiters: (() => void)[];
}

/** The part of a function that, when changed, needs a fresh environment. */
export function environmentKey(fn: LambdaFunction): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        fn.functionArn,
        fn.codeSha256,
        fn.code,
        fn.codeFileName,
        fn.handler,
        fn.runtime,
        fn.role,
        fn.timeout,
        fn.memorySize,
        fn.environment,
      ]),
    )
    .digest('hex');
}

/** Temporary credentials of the function's execution role, as Lambda hands them to the runtime. */
export function issueFunctionCredentials(state: SimState, fn: LambdaFunction, accountId: string): Credentials {
  const roleName = fn.role.split('/').pop() ?? fn.role;
  const roleAccount = /^arn:aws[\w-]*:iam::(\d{12}):role\//.exec(fn.role)?.[1] ?? accountId;
  const creds: Credentials = {
    accessKeyId: `ASIA${hexId(state, 16).toUpperCase()}`,
    secretAccessKey: hexId(state, 40),
    sessionToken: `IQoJb3JpZ2luX2Vj${hexId(state, 64)}`,
    accountId: roleAccount,
    roleName,
    roleArn: fn.role,
    sessionName: fn.functionName,
    expiresAt: state.clock.now() + CREDENTIALS_TTL_MS,
    chained: false,
  };
  state.credentials.set(creds.accessKeyId, creds);
  return creds;
}

export class FunctionRunner {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(
    private readonly state: SimState,
    private readonly endpoint: () => string,
  ) {}

  /** Number of live environments (for tests and the admin view). */
  environmentCount(functionArn?: string): number {
    let n = 0;
    for (const [arn, pool] of this.pools)
      if (!functionArn || arn === functionArn) n += pool.envs.filter((e) => !e.dead).length;
    return n;
  }

  async invoke(target: InvokeTarget, event: unknown): Promise<InvokeOutcome> {
    const { fn } = target;
    const requestId = this.state.random.ids.uuid();
    if (this.closed) {
      return {
        status: 'failed',
        error: { name: 'ServiceException', message: 'The simulator is shutting down' },
        logs: [],
        durationMs: 0,
        requestId,
        coldStart: false,
      };
    }
    const key = environmentKey(fn);
    const pool = this.poolFor(fn.functionArn);
    this.recycleStale(pool, key);
    let env = this.takeIdle(pool, key);
    while (!env && pool.envs.filter((e) => !e.dead).length >= MAX_ENVIRONMENTS_PER_FUNCTION) {
      await new Promise<void>((resolve) => pool.waiters.push(resolve));
      if (this.closed) return this.invoke(target, event);
      this.recycleStale(pool, key);
      env = this.takeIdle(pool, key);
    }
    const coldStart = !env;
    if (!env) {
      env = this.spawn(target, key);
      env.busy = true;
      pool.envs.push(env);
    }
    try {
      await env.ready;
    } catch {
      // the worker died while starting: its exit handler has nothing pending; report it like Lambda's init failure
      this.retire(pool, env);
      return {
        status: 'failed',
        error: { name: 'Runtime.ExitError', message: 'RequestId: ' + requestId + ' Error: Runtime exited during init' },
        logs: [],
        durationMs: 0,
        requestId,
        coldStart,
      };
    }
    return this.run(pool, env, target, event, requestId, coldStart);
  }

  private poolFor(arn: string): Pool {
    let pool = this.pools.get(arn);
    if (!pool) {
      pool = { envs: [], waiters: [] };
      this.pools.set(arn, pool);
    }
    return pool;
  }

  /** Environments built for other code or configuration are retired: idle ones now, busy ones when they finish. */
  private recycleStale(pool: Pool, key: string): void {
    const now = this.state.clock.now();
    for (const env of [...pool.envs]) {
      const stale = env.key !== key || env.credentialsExpireAt - now < CREDENTIALS_REFRESH_MARGIN_MS;
      if (stale && !env.busy) this.retire(pool, env);
    }
  }

  private takeIdle(pool: Pool, key: string): Environment | undefined {
    const env = pool.envs.find((e) => !e.busy && !e.dead && e.key === key);
    if (env) {
      env.busy = true;
      if (env.idleTimer) clearTimeout(env.idleTimer);
    }
    return env;
  }

  private spawn(target: InvokeTarget, key: string): Environment {
    const { fn, accountId, region } = target;
    const creds = issueFunctionCredentials(this.state, fn, accountId);
    const [moduleName, handlerName] = splitHandler(fn.handler);
    const fileBase = fn.codeFileName.replace(/\.(c?js|mjs)$/, '');
    const workerEnv: Record<string, string> = {
      ...fn.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup ?? `/aws/lambda/${fn.functionName}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      LAMBDA_TASK_ROOT: '/var/task',
      _HANDLER: fn.handler,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
      AWS_ENDPOINT_URL: this.endpoint(),
      NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
      TZ: ':UTC',
    };
    if (process.env.PATH) workerEnv.PATH = process.env.PATH;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      env: workerEnv,
      stdout: true,
      stderr: true,
      workerData: {
        projectRoot: PROJECT_ROOT,
        code: fn.code,
        fileName: fn.codeFileName || 'index.js',
        moduleName,
        handlerName,
        missingModule: !fn.code || fileBase !== moduleName,
      },
    });
    worker.unref();
    let markReady: () => void = () => undefined;
    let markFailed: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => undefined);
    const env: Environment = {
      worker,
      key,
      busy: false,
      dead: false,
      credentialsExpireAt: creds.expiresAt,
      ready,
      logStream: lambdaStreamName(this.state),
    };
    const capture = (chunk: Buffer) => {
      const text = chunk.toString('utf8').replace(/\n$/, '');
      if (env.pending && text) env.pending.logs.push(...text.split('\n').map((t) => ({ at: Date.now(), text: t })));
    };
    worker.stdout.on('data', capture);
    worker.stderr.on('data', capture);
    worker.on(
      'message',
      (msg: {
        type: string;
        requestId?: string;
        ok?: boolean;
        result?: unknown;
        error?: { name: string; message: string };
        logs?: LogEntry[];
      }) => {
        if (msg.type === 'ready') return markReady();
        if (msg.type !== 'result' || !env.pending || msg.requestId !== env.pending.requestId) return;
        const p = env.pending;
        env.pending = undefined;
        clearTimeout(p.timer);
        p.logs.unshift(...(msg.logs ?? []));
        p.resolve({
          status: msg.ok ? 'succeeded' : 'failed',
          ...(msg.ok ? { result: msg.result } : { error: msg.error ?? { name: 'Error', message: 'unknown error' } }),
          ...this.outputs(env, p, fn.memorySize),
          durationMs: Date.now() - p.started,
          requestId: p.requestId,
          coldStart: p.coldStart,
        });
      },
    );
    const onDeath = (reason: string) => {
      if (env.dead) return;
      env.dead = true;
      markFailed(new Error(reason));
      if (env.idleTimer) clearTimeout(env.idleTimer);
      const p = env.pending;
      if (p) {
        env.pending = undefined;
        clearTimeout(p.timer);
        p.resolve({
          status: 'failed',
          error: {
            name: 'Runtime.ExitError',
            message: `RequestId: ${p.requestId} Error: Runtime exited with error: ${reason}`,
          },
          ...this.outputs(env, p, fn.memorySize),
          durationMs: Date.now() - p.started,
          requestId: p.requestId,
          coldStart: p.coldStart,
        });
      }
    };
    worker.on('error', (err) => onDeath(`${err.name}: ${err.message}`));
    worker.on('exit', (code) => onDeath(`exit status ${code}`));
    return env;
  }

  private run(
    pool: Pool,
    env: Environment,
    target: InvokeTarget,
    event: unknown,
    requestId: string,
    coldStart: boolean,
  ): Promise<InvokeOutcome> {
    const { fn, region, accountId } = target;
    const timeoutMs = Math.max(1, fn.timeout) * 1000;
    const started = Date.now();
    return new Promise<InvokeOutcome>((resolve) => {
      const finish = (o: InvokeOutcome) => {
        env.busy = false;
        if (env.dead || this.closed) this.retire(pool, env);
        else this.park(pool, env);
        resolve(o);
      };
      const timer = setTimeout(() => {
        const p = env.pending;
        if (!p) return;
        env.pending = undefined;
        // Lambda stops the environment on a timeout; the next event gets a fresh one
        env.dead = true;
        void env.worker.terminate();
        finish({
          status: 'failed',
          error: {
            name: 'Sandbox.Timedout',
            message: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          },
          ...this.outputs(env, p, fn.memorySize),
          durationMs: Date.now() - started,
          requestId,
          coldStart,
        });
      }, timeoutMs);
      env.pending = { requestId, logs: [], started, timer, resolve: finish, coldStart };
      env.worker.postMessage({
        type: 'invoke',
        requestId,
        event,
        deadline: started + timeoutMs,
        // the simulated clock's lead over real time: the worker's Date follows it (worker-source.ts)
        clockOffsetMs: this.state.clock.now() - Date.now(),
        context: {
          functionName: fn.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: fn.functionArn,
          memoryLimitInMB: String(fn.memorySize),
          awsRequestId: requestId,
          logGroupName: fn.logGroup ?? `/aws/lambda/${fn.functionName}`,
          logStreamName: env.logStream,
          region,
          accountId,
        },
      });
    });
  }

  /**
   * The invocation's lines: as the code wrote them (Invocation.logs), and as Lambda's text format sends them to
   * CloudWatch Logs, on the simulator's clock: START, each console line as `time\trequestId\tLEVEL\ttext`, lines
   * written straight to stdout unchanged, END and REPORT.
   */
  private outputs(
    env: Environment,
    p: Pending,
    memorySize: number,
  ): Pick<InvokeOutcome, 'logs' | 'logLines' | 'logStream'> {
    const offset = this.state.clock.now() - Date.now();
    const end = Date.now();
    const ms = end - p.started;
    const lines: FunctionLogLine[] = [
      { timestamp: p.started + offset, message: `START RequestId: ${p.requestId} Version: $LATEST` },
    ];
    for (const e of p.logs) {
      const timestamp = e.at + offset;
      const message = e.level ? `${new Date(timestamp).toISOString()}\t${p.requestId}\t${e.level}\t${e.text}` : e.text;
      lines.push({ timestamp, message });
    }
    lines.push({ timestamp: end + offset, message: `END RequestId: ${p.requestId}` });
    lines.push({
      timestamp: end + offset,
      message:
        `REPORT RequestId: ${p.requestId}\tDuration: ${ms.toFixed(2)} ms\t` +
        `Billed Duration: ${Math.max(1, Math.ceil(ms))} ms\tMemory Size: ${memorySize} MB\tMax Memory Used: ${Math.min(memorySize, 80)} MB`,
    });
    return { logs: p.logs.map((e) => e.text), logLines: lines, logStream: env.logStream };
  }

  /** An idle environment waits for the next event, and is reaped after a while, as Lambda does. */
  private park(pool: Pool, env: Environment): void {
    env.idleTimer = setTimeout(() => this.retire(pool, env), IDLE_REAP_MS);
    env.idleTimer.unref();
    pool.waiters.shift()?.();
  }

  private retire(pool: Pool, env: Environment): void {
    const i = pool.envs.indexOf(env);
    if (i >= 0) pool.envs.splice(i, 1);
    if (env.idleTimer) clearTimeout(env.idleTimer);
    if (!env.dead) {
      env.dead = true;
      void env.worker.terminate();
    }
    pool.waiters.shift()?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all: Promise<number>[] = [];
    for (const pool of this.pools.values()) {
      for (const env of [...pool.envs]) {
        if (env.idleTimer) clearTimeout(env.idleTimer);
        env.dead = true;
        if (env.pending) {
          const p = env.pending;
          env.pending = undefined;
          clearTimeout(p.timer);
          p.resolve({
            status: 'failed',
            error: { name: 'ServiceException', message: 'The simulator is shutting down' },
            ...this.outputs(env, p, 128),
            durationMs: Date.now() - p.started,
            requestId: p.requestId,
            coldStart: p.coldStart,
          });
        }
        all.push(env.worker.terminate());
      }
      pool.envs = [];
      for (const w of pool.waiters.splice(0)) w();
    }
    await Promise.allSettled(all);
  }
}

/** "index.handler" → ["index", "handler"]; "src/app.main" → ["src/app", "main"]. */
export function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return [handler, 'handler'];
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
