// `npm run --silent sim -- [--port N] [--accounts N] [--regions LIST] [--seed N] [--latency-ms N] [--stack-ms N]
//   [--throttle-rate F] [--deny-assume ID,…] [--fail-stack ID[:REGION],…] [--fail-revoke ID,…] [--suspended ID,…]`
// Prints one JSON ready line to stdout, runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startSim, type SimOptions } from './sim.js';

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
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

const HELP = `npm run --silent sim -- [flags]: the simulated AWS on one local port; prints one JSON line when ready
(endpoint, managementAccountId, accounts, regions) and runs until Ctrl-C (SIGINT) or SIGTERM.

  --port N              listen on N (default 0: any free port, named in the JSON line)
  --accounts N          member accounts besides the management account (default 5)
  --regions LIST        comma-separated regions (default us-east-1,us-west-2)
  --seed N              every random draw seeded (default 1; 0 to 4294967295)
  --latency-ms N        added to every call (default 0)
  --stack-ms N          how long a stack operation takes (default 500)
  --throttle-rate F     fraction of calls answered with the service's throttling error (default 0)
  --deny-assume ID,…    AssumeRole into these accounts is denied
  --fail-stack ID[:REGION],…   stack operations there fail and roll back
  --fail-drift ID[:REGION],…   drift detection there fails
  --fail-revoke ID,…    the revert function's revokes fail there (503 RequestLimitExceeded)
  --fail-revoke-error InternalError   …with EC2's 500 InternalError instead
  --suspended ID,…      these accounts are SUSPENDED
  -h, --help            this text

Point a client at it with AWS_ENDPOINT_URL=<endpoint>; the access key names the caller (test/sim/README.md).
Example: AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=AKIDMGMT AWS_SECRET_ACCESS_KEY=simulated aws sts get-caller-identity
`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      accounts: { type: 'string' },
      regions: { type: 'string' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string' },
      'stack-ms': { type: 'string' },
      'throttle-rate': { type: 'string' },
      'deny-assume': { type: 'string' },
      'fail-stack': { type: 'string' },
      'fail-drift': { type: 'string' },
      'fail-revoke': { type: 'string' },
      'fail-revoke-error': { type: 'string' },
      suspended: { type: 'string' },
    },
    strict: true,
  }));
} catch (err) {
  process.stderr.write(`sim: ${(err as Error).message} (npm run sim -- --help lists the flags)\n`);
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
  failRevokeError: values['fail-revoke-error'] as SimOptions['failRevokeError'],
  suspended: list(values.suspended),
});
const { org } = sim.state;
process.stdout.write(
  JSON.stringify({
    endpoint: sim.endpoint,
    managementAccountId: org.managementAccountId,
    accounts: [...org.accounts.values()].map((a) => ({ id: a.id, name: a.name, status: a.status })),
    regions: sim.state.regions,
  }) + '\n',
);

const stop = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
