// Development aid: starts the scale simulator, runs the first deploy, sets the latency, and holds the simulator
// open so guardrail can be run against it by hand (with --cpu-prof, --heap-prof). Prints the workspace.
import { ExitCode } from '../src/errors.js';
import { SCALE, setLatency, startScale } from './scale.js';

const setup = await startScale();
const skipDeploy = process.argv.includes('--no-deploy');
if (!skipDeploy) {
  const m = await setup.ws.run([
    'deploy',
    '--all-accounts',
    '--yes',
    '--concurrency',
    String(SCALE.concurrency),
    '--output',
    'json',
  ]);
  process.stderr.write(
    `first deploy: exit ${m.code}, ${(m.wallMs / 1000).toFixed(1)} s, ${(m.peakRssBytes / 1e6).toFixed(0)} MB, cpu ${m.cpuSeconds}\n`,
  );
}
await setLatency(setup.sim, SCALE.latencyMs);
process.stdout.write(JSON.stringify({ dir: setup.ws.dir, env: setup.ws.env, simPid: setup.sim.pid }) + '\n');
process.on('SIGTERM', () => {
  void setup.close().then(() => process.exit(ExitCode.ok));
});
setInterval(() => {}, 1 << 30);
