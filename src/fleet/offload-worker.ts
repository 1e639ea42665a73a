// A worker thread of `Offload` (offload.ts): runs read-only jobs with the credentials it is given, on its own
// clients and connection pool, and answers with plain data, or with the error's one-line description.
import { parentPort } from 'node:worker_threads';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ClientShare, targetClients } from '../aws/clients.js';
import { PollTimer } from '../aws/poll-timer.js';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { describeStack } from '../stack/deploy-stack.js';
import { inspectStack, type Inspection } from '../stack/inspect-stack.js';
import { describeError } from '../aws/describe-error.js';

/** Where a job reads: the target's region, with its account's credentials. */
interface TargetJob {
  region: string;
  /** assumed on the main thread: one AssumeRole per account, whichever thread reads its targets */
  credentials: AwsCredentialIdentity;
  stackName: string;
}

export interface InspectJob extends TargetJob {
  drift: boolean;
  driftDeadlineMs: number;
  /** deploy.pollSeconds, in ms: the longest wait between two drift-status polls */
  pollMaxDelayMs: number;
}

/** Each kind of job, with what it answers. */
export interface OffloadJobs {
  /** status: the target's stack, function, rule, dead-letter queue and drift (inspect-stack.ts) */
  inspect: { job: InspectJob; result: Inspection };
  /** deploy's plan: the target's stack, as DescribeStacks has it, or undefined when there is none */
  describeStack: { job: TargetJob; result: Stack | undefined };
}

const share = new ClientShare();
const timers = new Map<number, PollTimer>();

const clientsFor = (job: TargetJob) =>
  targetClients({ region: job.region, share, credentials: () => Promise.resolve(job.credentials) });

const handlers: { [K in keyof OffloadJobs]: (job: OffloadJobs[K]['job']) => Promise<OffloadJobs[K]['result']> } = {
  describeStack: (job) => describeStack(clientsFor(job).cloudformation, job.stackName),
  async inspect(job) {
    const c = clientsFor(job);
    let timer = timers.get(job.pollMaxDelayMs);
    if (!timer) timers.set(job.pollMaxDelayMs, (timer = new PollTimer({ maxDelayMs: job.pollMaxDelayMs })));
    return inspectStack(
      {
        cfn: c.cloudformation,
        lambda: () => c.lambda(),
        events: () => c.events(),
        sqs: () => c.sqs(),
        timer,
        drift: job.drift,
        driftDeadlineMs: job.driftDeadlineMs,
      },
      job.stackName,
    );
  },
};

const port = parentPort;
if (port) {
  port.on('message', (m: { id: number; kind: keyof OffloadJobs; job: InspectJob }) => {
    // (the job is of the kind's type: `Offload.run` types the pair)
    handlers[m.kind](m.job).then(
      (result) => port.postMessage({ id: m.id, result }),
      (err: unknown) => port.postMessage({ id: m.id, error: describeError(err) }),
    );
  });
}
