// The fault suite: AWS's own faults from the simulator, through the built bin/guardrail. Each row checks that every
// target is reported once, that the exit code matches the results, and that the simulator holds no orphaned stacks
// or half-made resources afterwards.
import { CloudFormationClient, GetTemplateCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { advance } from '../sim/cfn/engine.js';
import { cfnRegion, type Stack } from '../sim/cfn/model.js';
import { applyFaults } from '../sim/sim.js';
import { countCalls, startE2E, type E2E } from './harness.js';
import {
  activeAccounts,
  expectEveryTarget,
  expectNoStackTrace,
  expectSeededThrottling,
  expectedExit,
  key,
  onStderr,
  orphanProblems,
  stackCounts,
} from './faults-helpers.js';
import { templateUrl } from '../sim/test/helpers.js';
import { callsToSeeThrottling } from '../sim/test/stats.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const CONFIG = `regions: [${REGIONS.join(', ')}]\ndeploy:\n  concurrency: 8\n  pollSeconds: 1\n`;
const DEPLOY = ['deploy', '--all-accounts', '--yes', '--output', 'json'];

let e2e: E2E | undefined;

/** Another actor's stack operation finishes now: its remaining steps fall due at once (in their order). */
function finishOperationNow(stack: Stack): void {
  const op = stack.op;
  if (!op) return;
  const elapsed = Date.now() - op.startedAt;
  for (const step of op.steps.slice(op.next)) step.at = Math.min(step.at, elapsed);
  advance(stack, Date.now());
}
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

async function start(opts: Parameters<typeof startE2E>[0] = {}, config = CONFIG): Promise<E2E> {
  e2e = await startE2E({ accounts: 3, regions: REGIONS, stackMs: 100, ...opts });
  e2e.config(config);
  return e2e;
}

describe('fault suite', () => {
  // 25%, not 50%: guardrail gives a throttled call 15 attempts, and at 50% one of a run's ~40 calls is throttled 15
  // times in a row about once in 800 runs (40 × 2^-15), failing its target by chance. At 25% that is 0.25^15 ≈ 1e-9
  // per call: below one in a million for up to 1,073 calls, which expectSeededThrottling checks.
  it('throttling at 25% on every service: every target still succeeds', async () => {
    const rate = 0.25;
    const t = await start({ throttleRate: rate });
    const accounts = activeAccounts(t.sim);
    const run = await t.run(DEPLOY);
    const targets = expectEveryTarget(run, accounts, REGIONS);
    expect(
      targets.filter((x) => x.result !== 'succeeded'),
      run.stderr.slice(-1500),
    ).toEqual([]);
    expect(run.code).toBe(0);
    const calls = await t.calls();
    // the fault was real: the throttled count is exactly the seed's, and a large enough share for any seed
    expectSeededThrottling(t.sim, calls, rate);
    // every service that saw enough calls for the rate to show was throttled: its first 53 calls all pass with
    // probability 0.75^53 ≈ 2.4e-7, and four services share the one-in-a-million budget
    const enough = callsToSeeThrottling(rate, 4);
    for (const service of ['sts', 'cloudformation', 'cloudtrail', 'organizations']) {
      const mine = calls.calls.filter((c) => c.service === service);
      if (mine.reduce((n, c) => n + c.count, 0) < enough) continue;
      expect(
        mine.reduce((n, c) => n + c.throttled, 0),
        service,
      ).toBeGreaterThan(0);
    }
    expect(orphanProblems(t.sim, targets)).toEqual([]);
    expectNoStackTrace(run.stderr);
    // The timeout: throttling backs off from 300 ms, doubling, capped at 10 s, with full jitter (src/aws/retry.ts), so
    // the backoff on the run's critical path is random. A bound on it: each of the 8 targets waits on a chain of at
    // most ~40 calls (discovery, canary, its own); summing the backoff of every throttled attempt on the slowest chain,
    // a Chernoff bound on that sum (moment generating function of the capped geometric backoff at 25%, union over
    // the 8 chains) puts more than 90 s of backoff below 1.5e-8. 180 s leaves 90 s for the run itself on a loaded
    // machine.
  }, 180_000);

  it('200 ms latency on every call: every target succeeds', async () => {
    const t = await start({ latencyMs: 200 });
    const accounts = activeAccounts(t.sim);
    const started = Date.now();
    const run = await t.run(DEPLOY);
    const targets = expectEveryTarget(run, accounts, REGIONS);
    expect(
      targets.every((x) => x.result === 'succeeded'),
      run.stderr.slice(-1500),
    ).toBe(true);
    expect(run.code).toBe(0);
    // each call really waited: the canary alone needs several sequential calls
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(orphanProblems(t.sim, targets)).toEqual([]);
  });

  it('AssumeRole denied in two accounts: their targets fail naming the role and AccessDenied, the rest succeed', async () => {
    const t = await start();
    const accounts = activeAccounts(t.sim);
    const mgmt = t.sim.state.org.managementAccountId;
    const denied = accounts.filter((a) => a !== mgmt).slice(0, 2);
    await t.faults({ denyAssume: denied });
    const run = await t.run(DEPLOY);
    const targets = expectEveryTarget(run, accounts, REGIONS);
    for (const x of targets) {
      if (denied.includes(x.account)) {
        expect(x.result).toBe('failed');
        expect(x.error).toMatch(new RegExp(`arn:aws:iam::${x.account}:role/OrganizationAccountAccessRole`));
        expect(x.error).toMatch(/AccessDenied/);
      } else {
        expect(x.result, key(x.account, x.region)).toBe('succeeded');
      }
    }
    expect(run.code).toBe(1);
    expect(run.code).toBe(expectedExit(targets));
    // nothing was created where the role could not be assumed
    for (const a of denied) expect(countCalls(await t.calls(), ['cloudformation.CreateStack'], a)).toBe(0);
    expect(orphanProblems(t.sim, targets)).toEqual([]);
    expectNoStackTrace(run.stderr);
  });

  it('stacks that fail and roll back: the failed targets name the first failed resource, nothing half-made is left', async () => {
    const t = await start();
    const accounts = activeAccounts(t.sim);
    const mgmt = t.sim.state.org.managementAccountId;
    const failing = accounts.filter((a) => a !== mgmt);
    const failAccount = failing[0]!;
    const failTarget = `${failing[1]!}:us-west-2`;
    await t.faults({ failStack: [failAccount, failTarget] });
    const run = await t.run(DEPLOY);
    const targets = expectEveryTarget(run, accounts, REGIONS);
    const shouldFail = (x: { account: string; region: string }) =>
      x.account === failAccount || `${x.account}:${x.region}` === failTarget;
    for (const x of targets) {
      if (shouldFail(x)) {
        expect(x.result, key(x.account, x.region)).toBe('failed');
        expect(x.stackStatus).toBe('ROLLBACK_COMPLETE');
        expect(x.error).toMatch(/\(AWS::[A-Za-z]+::[A-Za-z]+\) CREATE_FAILED: \S/);
      } else {
        expect(x.result, key(x.account, x.region)).toBe('succeeded');
      }
    }
    expect(targets.filter(shouldFail)).toHaveLength(3);
    expect(run.code).toBe(1);
    expect(orphanProblems(t.sim, targets)).toEqual([]);
    expect(stackCounts(t.sim)).toEqual({ CREATE_COMPLETE: targets.length - 3, ROLLBACK_COMPLETE: 3 });
  });

  it('an account suspended in the middle of a run: its targets fail with AccessDenied, the others succeed', async () => {
    // 200 ms per call and one target at a time: planning reaches the last account well after discovery
    const t = await start({ latencyMs: 200 }, CONFIG.replace('concurrency: 8', 'concurrency: 1'));
    const accounts = activeAccounts(t.sim);
    const mgmt = t.sim.state.org.managementAccountId;
    const victim = accounts.filter((a) => a !== mgmt).at(-1)!;
    let suspendedAt = 0;
    const run = await t.run(DEPLOY, {
      onSpawn: (child) => {
        void onStderr(child, /account\(s\) to target/).then((seen) => {
          expect(seen).toBe(true);
          // in-process, at once: no round trip between the line and the fault
          applyFaults(t.sim.state, { suspended: [victim] });
          suspendedAt = Date.now();
        });
      },
    });
    expect(suspendedAt).toBeGreaterThan(0);
    expect(t.sim.state.org.accounts.get(victim)?.status).toBe('SUSPENDED');
    // the account was ACTIVE when the run discovered its targets, so it is reported
    const targets = expectEveryTarget(run, accounts, REGIONS);
    for (const x of targets) {
      if (x.account === victim) {
        expect(x.result).toBe('failed');
        expect(x.error).toMatch(/AccessDenied/);
      } else {
        expect(x.result, key(x.account, x.region)).toBe('succeeded');
      }
    }
    expect(run.code).toBe(1);
    expect(orphanProblems(t.sim, targets)).toEqual([]);
    expectNoStackTrace(run.stderr);
  });

  it('an account added in the middle of a run is not a target of that run, and the next run deploys it', async () => {
    const t = await start({ stackMs: 300 });
    const accounts = activeAccounts(t.sim);
    let added: string | undefined;
    const run = await t.run(DEPLOY, {
      onSpawn: (child) => {
        void onStderr(child, /rollout: \d+ target/).then(async () => {
          const res = await fetch(`${t.sim.endpoint}/_sim/accounts`, {
            method: 'POST',
            body: JSON.stringify({ name: 'late' }),
          });
          added = ((await res.json()) as { id: string }).id;
        });
      },
    });
    expect(added).toMatch(/^\d{12}$/);
    expect(accounts).not.toContain(added);
    const targets = expectEveryTarget(run, accounts, REGIONS);
    expect(targets.every((x) => x.result === 'succeeded')).toBe(true);
    expect(run.code).toBe(0);
    expect(
      countCalls(
        await t.calls(),
        ['sts.AssumeRole', 'cloudformation.CreateStack', 'cloudformation.DescribeStacks'],
        added,
      ),
    ).toBe(0);
    expect(orphanProblems(t.sim, targets)).toEqual([]);

    const next = await t.run(DEPLOY);
    const nextTargets = expectEveryTarget(next, [...accounts, added!].sort(), REGIONS);
    expect(nextTargets.filter((x) => x.account === added).map((x) => x.result)).toEqual(['succeeded', 'succeeded']);
    expect(nextTargets.filter((x) => x.account !== added).every((x) => x.result === 'unchanged')).toBe(true);
    expect(next.code).toBe(0);
  });

  it('a stack left in UPDATE_IN_PROGRESS by another actor: guardrail waits for it, then deploys', async () => {
    const t = await start();
    const accounts = activeAccounts(t.sim);
    const first = await t.run(DEPLOY);
    expect(first.code).toBe(0);

    // another actor starts a slow update of one member stack, with that account's own (assumed) credentials
    const mgmt = t.sim.state.org.managementAccountId;
    const busy = accounts.filter((a) => a !== mgmt)[0]!;
    const region = 'us-west-2';
    const sts = new STSClient({
      endpoint: t.sim.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 's' },
    });
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${busy}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'another-actor',
      }),
    );
    const c = assumed.Credentials!;
    const cfn = new CloudFormationClient({
      endpoint: t.sim.endpoint,
      region,
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    });
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: 'guardrail' }));
    // the other actor's update must still be running when guardrail plans this target, however long a loaded machine
    // takes to start the CLI and get there (a run under heavy load took over 8 s): it would run for ten minutes, and
    // the test ends it once guardrail has looked at the stack
    await t.faults({ stackMs: 600_000 });
    await cfn.send(
      new UpdateStackCommand({
        StackName: 'guardrail',
        TemplateURL: await templateUrl(
          t.sim,
          region,
          { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
          TemplateBody!,
        ),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'ExemptGroups', ParameterValue: 'sg-0123456789abcdef0' },
          { ParameterKey: 'CreateTrail', UsePreviousValue: true },
        ],
      }),
    );
    await t.faults({ stackMs: 100 });
    sts.destroy();
    cfn.destroy();
    const busyStack = cfnRegion(t.sim.state.accounts.get(busy)!.regions.get(region)!).live.get('guardrail')!;
    expect(busyStack.status).toBe('UPDATE_IN_PROGRESS');

    // a configuration change makes every stack need an update
    t.config(`${CONFIG}policy:\n  mode: monitor\n`);
    await t.resetCalls();
    const running = t.run(DEPLOY);
    let ended = false;
    void running.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    // once guardrail has read the busy stack (the simulator answers a call in the tick it counts it), the other
    // actor's update finishes; until then guardrail must not have touched the stack
    const described = `cloudformation|DescribeStacks|${busy}|${region}`;
    while (!ended && !t.sim.state.calls.get(described)?.count) await new Promise((r) => setTimeout(r, 20));
    const changesDuringUpdate = countCalls(
      await t.calls(),
      ['cloudformation.CreateChangeSet', 'cloudformation.ExecuteChangeSet', 'cloudformation.UpdateStack'],
      busy,
    );
    finishOperationNow(busyStack);
    const run = await running;
    const targets = expectEveryTarget(run, accounts, REGIONS);
    expect(
      targets.filter((x) => x.result !== 'succeeded'),
      run.stderr.slice(-1500),
    ).toEqual([]);
    expect(run.code).toBe(0);
    const waited = targets.find((x) => x.account === busy && x.region === region)!;
    expect(waited.action).toBe('update');
    expect(waited.reason).toMatch(/UPDATE_IN_PROGRESS: wait/);
    // it changed the stack only after the other actor's update had finished
    expect(changesDuringUpdate).toBe(0);
    const stack = cfnRegion(t.sim.state.accounts.get(busy)!.regions.get(region)!).live.get('guardrail')!;
    expect(stack.status).toBe('UPDATE_COMPLETE');
    const version = (run.json as { templateVersion?: string }).templateVersion;
    expect(stack.tags.find((tag) => tag.Key === 'guardrail:version')?.Value).toBe(version);
    expect(countCalls(await t.calls(), ['cloudformation.ExecuteChangeSet'], busy)).toBe(2);
    expect(orphanProblems(t.sim, targets)).toEqual([]);
  });
});
