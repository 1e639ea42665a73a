// The code that runs inside each function's worker thread (an "execution environment"). It is plain CommonJS run by
// `new Worker(WORKER_SOURCE, { eval: true })`, so it works the same under tsx, vitest and plain node.
//
// Init phase (once per environment): compile the function's own file as a CommonJS module whose `require` resolves
// from the project's node_modules (so `require('@aws-sdk/client-ec2')` works, as the Lambda runtime provides the SDK),
// and look up the handler export. Invoke phase (per message): call the handler with the event and a Lambda-like
// context, await its promise (or its callback), and post back the result or the error with the console lines.
export const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const path = require('node:path');
const util = require('node:util');
const vm = require('node:vm');

const { projectRoot, code, fileName, moduleName, handlerName, missingModule } = workerData;

// The simulated clock: Date.now() and new Date() follow the simulator's clock (its offset arrives with each invoke),
// so the function's own expiry checks see simulated time. Date(…) with arguments, Date.parse and the prototype are
// the real ones; real AWS runs the same code with an offset of zero.
const RealDate = Date;
let clockOffsetMs = 0;
globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [RealDate.now() + clockOffsetMs] : args, newTarget);
  },
  apply() {
    return new RealDate(RealDate.now() + clockOffsetMs).toString();
  },
  get(target, prop, receiver) {
    if (prop === 'now') return () => RealDate.now() + clockOffsetMs;
    return Reflect.get(target, prop, receiver);
  },
});
let current = { logs: [] };
const initLogs = current.logs;
// console lines carry their level (Lambda's text format prefixes them); lines written to process.stdout directly
// are kept as written, as Lambda forwards them. Both are captured synchronously, in order, with the real time written
// (the runner moves it onto the simulated clock, as it does for START and END).
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  const level = method === 'log' ? 'INFO' : method.toUpperCase();
  console[method] = (...args) => {
    const text = util.format(...args);
    if (current) current.logs.push({ at: RealDate.now(), level, text });
  };
}
const rawWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, encoding, callback) => {
  if (!current) return rawWrite(chunk, encoding, callback);
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  for (const line of text.replace(/\n$/, '').split('\n')) if (line) current.logs.push({ at: RealDate.now(), text: line });
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') done();
  return true;
};

function describeError(err, fallbackName) {
  if (err && typeof err === 'object') {
    const name = typeof err.name === 'string' && err.name !== 'Error' ? err.name
      : (err.constructor && err.constructor.name && err.constructor.name !== 'Object' ? err.constructor.name : fallbackName);
    return { name, message: typeof err.message === 'string' ? err.message : String(err) };
  }
  return { name: fallbackName, message: String(err) };
}

let handler;
let initError;
if (missingModule) {
  initError = { name: 'Runtime.ImportModuleError', message: "Error: Cannot find module '" + moduleName + "'\nRequire stack:\n- /var/runtime/index.mjs" };
} else {
  try {
    const taskRoot = '/var/task';
    const filename = path.posix.join(taskRoot, fileName);
    const requireFromProject = createRequire(path.join(projectRoot, 'package.json'));
    const mod = { exports: {}, filename, id: filename, loaded: false };
    const wrapper = vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
    wrapper.call(mod.exports, mod.exports, requireFromProject, mod, filename, taskRoot);
    mod.loaded = true;
    const h = mod.exports ? mod.exports[handlerName] : undefined;
    if (typeof h === 'function') handler = h;
    else initError = { name: 'Runtime.HandlerNotFound', message: moduleName + '.' + handlerName + ' is undefined or not exported' };
  } catch (err) {
    const d = describeError(err, 'Error');
    initError = d.name === 'SyntaxError' ? { name: 'Runtime.UserCodeSyntaxError', message: 'SyntaxError: ' + d.message } : d;
  }
}
current = null;

function jsonSafe(value) {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (err) {
    return { unserialisable: String(err && err.message ? err.message : err) };
  }
}

parentPort.on('message', (msg) => {
  if (!msg || msg.type !== 'invoke') return;
  clockOffsetMs = Number(msg.clockOffsetMs) || 0;
  const logs = initLogs.splice(0);
  current = { requestId: msg.requestId, logs };
  const finish = (payload) => {
    current = null;
    parentPort.postMessage({ type: 'result', requestId: msg.requestId, logs, ...payload });
  };
  if (initError) return finish({ ok: false, error: initError });
  const context = {
    ...msg.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - RealDate.now()),
  };
  let settled = false;
  const done = (ok, value) => {
    if (settled) return;
    settled = true;
    finish(ok ? { ok: true, result: jsonSafe(value) } : { ok: false, error: describeError(value, 'Error') });
  };
  try {
    if (handler.length >= 3) {
      const r = handler(msg.event, context, (err, value) => (err ? done(false, err) : done(true, value)));
      if (r && typeof r.then === 'function') r.then((v) => done(true, v), (e) => done(false, e));
    } else {
      Promise.resolve(handler(msg.event, context)).then((v) => done(true, v), (e) => done(false, e));
    }
  } catch (err) {
    done(false, err);
  }
});
parentPort.postMessage({ type: 'ready' });
`;
