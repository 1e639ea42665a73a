// `npm run --silent sim -- [--port N] [--accounts N] [--regions LIST] [--seed N] [--latency-ms N] [--stack-ms N]
//   [--throttle-rate F] [--deny-assume ID,…] [--fail-stack ID[:REGION],…] [--fail-revoke ID,…] [--suspended ID,…]`
// Prints one JSON ready line to stdout, runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startSim } from './sim.js';

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const int = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`sim: --${name} must be a non-negative number, got "${v}"\n`);
    process.exit(2);
  }
  return n;
};

/** A seed is a whole number (the generator takes 32 bits; account ids are derived from it with BigInt). */
const seedOf = (v: string | undefined) => {
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) {
    process.stderr.write(`sim: --seed must be a whole number from 0 to 4294967295, got "${v}"\n`);
    process.exit(2);
  }
  return Number(v);
};

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' }, accounts: { type: 'string' }, regions: { type: 'string' }, seed: { type: 'string' },
      'latency-ms': { type: 'string' }, 'stack-ms': { type: 'string' }, 'throttle-rate': { type: 'string' },
      'deny-assume': { type: 'string' }, 'fail-stack': { type: 'string' }, 'fail-drift': { type: 'string' },
      'fail-revoke': { type: 'string' },
      suspended: { type: 'string' },
    },
    strict: true,
  }));
} catch (err) {
  process.stderr.write(`sim: ${(err as Error).message}\n`);
  process.exit(2);
}

const sim = await startSim({
  port: int(values.port, 'port'),
  accounts: int(values.accounts, 'accounts'),
  regions: list(values.regions),
  seed: seedOf(values.seed),
  latencyMs: int(values['latency-ms'], 'latency-ms'),
  stackMs: int(values['stack-ms'], 'stack-ms'),
  throttleRate: int(values['throttle-rate'], 'throttle-rate'),
  denyAssume: list(values['deny-assume']),
  failStack: list(values['fail-stack']),
  failDrift: list(values['fail-drift']),
  failRevoke: list(values['fail-revoke']),
  suspended: list(values.suspended),
});
const { org } = sim.state;
process.stdout.write(JSON.stringify({
  endpoint: sim.endpoint,
  managementAccountId: org.managementAccountId,
  accounts: [...org.accounts.values()].map((a) => ({ id: a.id, name: a.name, status: a.status })),
  regions: sim.state.regions,
}) + '\n');

const stop = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
