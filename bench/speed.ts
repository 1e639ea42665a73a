// The machine's speed right now: a fixed piece of CPU work (sha256 and a JSON round trip, 300,000 times), timed in a
// child process of its own. Cloud VMs drift: on the 2-core development VM the same work took 1.16 to 1.58 s within
// one hour, and wall times moved with it. The bench prints it at the start and the end, so runs from different
// hours can be compared (a wall time over the reference's milliseconds) instead of taken at face value.
import { spawnSync } from 'node:child_process';

const WORK = `
const { createHash } = require('node:crypto');
const t0 = performance.now(); let x = 0;
for (let i = 0; i < 300000; i++) {
  x += createHash('sha256').update('abc' + i).digest()[0];
  x += JSON.parse(JSON.stringify({ a: i, b: [1, 2, 3], c: 'x'.repeat(50) })).a & 1;
}
process.stdout.write(String(performance.now() - t0) + ' ' + (x & 1));
`;

/** Milliseconds the reference work takes now (the median of `runs`). */
export function speedProbe(runs = 3): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', WORK], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`speed probe failed: ${r.stderr}`);
    times.push(Number(r.stdout.split(' ')[0]));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}
