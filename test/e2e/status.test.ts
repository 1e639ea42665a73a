// End to end, through the built bin/guardrail: `status` finds every kind of tampering an attacker with admin rights
// in a member account would try first (rule disabled, function environment edited, function code replaced), finds
// accounts that joined since the deploy, and tells drift detection it could not run apart from drift.
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { zipSingleFile } from '../sim/zip.js';
import { countCalls, progressVerdicts, startE2E, type CliRun, type E2E } from './harness.js';

const REGIONS = ['us-east-1', 'us-west-2'];
const FUNCTION = 'guardrail-revert';
const RULE = 'guardrail-sg-changes';

interface StatusTarget {
  account: string;
  region: string;
  deployed: boolean;
  stackStatus: string | null;
  version: string;
  code: string;
  rule: string;
  drift: string;
  driftReason?: string;
  driftedResources: {
    logicalId: string;
    type: string;
    status: string;
    differences: { path: string; expected: string; actual: string }[];
  }[];
  healthy: boolean;
  problems: string[];
  error: string | null;
}

const key = (t: { account: string; region: string }) => `${t.account}/${t.region}`;
const targetsOf = (r: CliRun) => (r.json?.targets ?? []) as unknown as StatusTarget[];

function config(mode = 'enforce'): string {
  return [
    `regions: [${REGIONS.join(', ')}]`,
    'deploy:',
    '  concurrency: 16',
    '  pollSeconds: 1',
    'policy:',
    `  mode: ${mode}`,
    '',
  ].join('\n');
}

describe('status after tampering (20 accounts × 2 regions)', () => {
  let e: E2E;
  let members: string[];
  let ruleTarget: { account: string; region: string };
  let envTarget: { account: string; region: string };
  let codeTarget: { account: string; region: string };
  let newAccount: string;

  beforeAll(async () => {
    // 19 members and the management account: 20 accounts
    e = await startE2E({ accounts: 19, regions: REGIONS, stackMs: 80 });
    e.config(config());
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.json?.summary).toMatchObject({ targets: 40, succeeded: 40, failed: 0 });

    members = memberIds(e.sim);
    ruleTarget = { account: members[0]!, region: 'us-east-1' };
    envTarget = { account: members[1]!, region: 'us-west-2' };
    codeTarget = { account: members[2]!, region: 'us-east-1' };

    // the attacker works inside the member accounts, with that account's own admin role
    const asMember = async (t: { account: string; region: string }) =>
      clientConfig(e.sim, t.region, await assumeInto(e.sim, t.account));

    const events = new EventBridgeClient(await asMember(ruleTarget));
    await events.send(new DisableRuleCommand({ Name: RULE }));
    events.destroy();

    const lambda = new LambdaClient(await asMember(envTarget));
    const current = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: FUNCTION }));
    expect(current.Environment?.Variables?.GUARDRAIL_MODE).toBe('enforce');
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: FUNCTION,
        Environment: { Variables: { ...current.Environment?.Variables, GUARDRAIL_MODE: 'monitor' } },
      }),
    );
    lambda.destroy();

    const lambda2 = new LambdaClient(await asMember(codeTarget));
    await lambda2.send(
      new UpdateFunctionCodeCommand({
        FunctionName: FUNCTION,
        ZipFile: zipSingleFile('index.js', 'exports.handler = async () => ({ decisions: [] });\n'),
      }),
    );
    lambda2.destroy();

    const res = await fetch(`${e.sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'joined-later' }),
    });
    newAccount = ((await res.json()) as { id: string }).id;
    expect(newAccount).toMatch(/^\d{12}$/);
  });

  afterAll(async () => {
    await e?.close();
  });

  it('marks exactly the tampered targets and the new account unhealthy, the rest healthy, and exits 1', async () => {
    await e.resetCalls();
    const r = await e.run(['status', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json?.command).toBe('status');
    const targets = targetsOf(r);
    expect(targets).toHaveLength(42);

    const expectedUnhealthy = [
      ruleTarget,
      envTarget,
      codeTarget,
      ...REGIONS.map((region) => ({ account: newAccount, region })),
    ]
      .map(key)
      .sort();
    expect(
      targets
        .filter((t) => !t.healthy)
        .map(key)
        .sort(),
    ).toEqual(expectedUnhealthy);
    for (const t of targets.filter((x) => x.healthy)) {
      expect(t, key(t)).toMatchObject({
        deployed: true,
        stackStatus: 'CREATE_COMPLETE',
        version: 'current',
        code: 'current',
        rule: 'ENABLED',
        drift: 'IN_SYNC',
        error: null,
        problems: [],
      });
    }
    const byKey = new Map(targets.map((t) => [key(t), t]));

    const rule = byKey.get(key(ruleTarget))!;
    expect(rule).toMatchObject({ deployed: true, version: 'current', code: 'current', rule: 'DISABLED' });
    expect(rule.problems).toContain('rule DISABLED');
    // the rule's State is a declared property, so drift detection sees the change too
    expect(rule.drift).toBe('DRIFTED');
    expect(
      rule.driftedResources.map((d) => [d.type, d.differences.map((x) => [x.path, x.expected, x.actual])]),
    ).toEqual([['AWS::Events::Rule', [['/State', 'ENABLED', 'DISABLED']]]]);

    const env = byKey.get(key(envTarget))!;
    expect(env).toMatchObject({
      deployed: true,
      version: 'current',
      code: 'current',
      rule: 'ENABLED',
      drift: 'DRIFTED',
    });
    const fn = env.driftedResources.find((d) => d.type === 'AWS::Lambda::Function');
    expect(fn?.status).toBe('MODIFIED');
    const envDiff = fn?.differences.find((d) => d.path.startsWith('/Environment'));
    expect(envDiff, JSON.stringify(fn)).toBeDefined();
    expect(`${envDiff!.expected} ${envDiff!.actual}`).toContain('monitor');
    expect(env.driftedResources.every((d) => d.type === 'AWS::Lambda::Function')).toBe(true);

    const code = byKey.get(key(codeTarget))!;
    expect(code).toMatchObject({ deployed: true, version: 'current', code: 'outdated', rule: 'ENABLED' });
    expect(code.problems.join('; ')).toMatch(/code differs/);

    for (const region of REGIONS) {
      const missing = byKey.get(key({ account: newAccount, region }))!;
      expect(missing).toMatchObject({ deployed: false, version: 'missing', error: null, healthy: false });
    }

    expect(r.json?.summary).toMatchObject({
      targets: 42,
      healthy: 37,
      unhealthy: 5,
      drifted: 2,
      missing: 2,
      failed: 0,
    });
    // each row was judged once: the live progress line said what the table says
    expect(progressVerdicts(r.stderr)).toEqual(
      new Map(targets.map((t) => [key(t), t.healthy ? 'healthy' : 'unhealthy'])),
    );
    // drift detection ran once for every deployed stack, and never for the missing ones
    const calls = await e.calls();
    expect(countCalls(calls, ['cloudformation.DetectStackDrift'])).toBe(40);
    expect(countCalls(calls, ['cloudformation.DetectStackDrift'], newAccount)).toBe(0);
  });

  it('against an endpoint that archives code its own way, the progress lines and the table agree on every row', async () => {
    // what another emulator does: every function reports one hash that is not the local bundle's (the replaced
    // code of codeTarget keeps its own); the reference is then the agreement of the current stacks
    const functions = [...e.sim.state.accounts.values()]
      .flatMap((a) => [...a.regions.values()])
      .flatMap((rs) => [...rs.functions.values()]);
    const original = new Map(functions.map((f) => [f, f.codeSha256]));
    const common = [...original.values()].sort(
      (x, y) => functions.filter((f) => f.codeSha256 === y).length - functions.filter((f) => f.codeSha256 === x).length,
    )[0];
    for (const f of functions)
      if (f.codeSha256 === common) f.codeSha256 = 'AnotherEmulatorsArchive0000000000000000000=';
    try {
      const r = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(r.json?.codeReference).toBe('agreement of current stacks');
      const targets = targetsOf(r);
      expect(targets.find((t) => key(t) === key(codeTarget))).toMatchObject({ code: 'outdated' });
      expect(targets.filter((t) => t.deployed && key(t) !== key(codeTarget)).every((t) => t.code === 'current')).toBe(
        true,
      );
      const live = progressVerdicts(r.stderr);
      expect(live.size).toBe(targets.length);
      expect(live).toEqual(new Map(targets.map((t) => [key(t), t.healthy ? 'healthy' : 'unhealthy'])));
    } finally {
      for (const [f, sha] of original) f.codeSha256 = sha;
    }
  });

  it('--no-drift makes no drift calls, and still catches the disabled rule and the replaced code', async () => {
    await e.resetCalls();
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const calls = await e.calls();
    expect(
      countCalls(calls, [
        'cloudformation.DetectStackDrift',
        'cloudformation.DescribeStackDriftDetectionStatus',
        'cloudformation.DescribeStackResourceDrifts',
      ]),
    ).toBe(0);
    expect(countCalls(calls, ['cloudformation.DescribeStacks'])).toBeGreaterThanOrEqual(42);
    const targets = targetsOf(r);
    expect(targets).toHaveLength(42);
    expect(targets.every((t) => t.drift === 'NOT_CHECKED')).toBe(true);
    const byKey = new Map(targets.map((t) => [key(t), t]));
    expect(byKey.get(key(ruleTarget))).toMatchObject({ rule: 'DISABLED', healthy: false });
    expect(byKey.get(key(codeTarget))).toMatchObject({ code: 'outdated', healthy: false });
    // the edited environment is visible only to drift detection: a fast survey cannot see it
    expect(byKey.get(key(envTarget))).toMatchObject({ healthy: true, code: 'current' });
  });

  it('shows drift UNKNOWN with the reason when drift detection fails, and completes the run', async () => {
    const failing = members[5]!;
    await e.faults({ failDrift: [failing] });
    try {
      const r = await e.run(['status', '--output', 'json']);
      expect(r.code, r.stderr).toBe(1);
      const targets = targetsOf(r);
      expect(targets).toHaveLength(42);
      for (const t of targets.filter((x) => x.account === failing)) {
        expect(t).toMatchObject({
          deployed: true,
          drift: 'UNKNOWN',
          healthy: false,
          error: null,
          rule: 'ENABLED',
          code: 'current',
        });
        expect(t.driftReason).toMatch(/drift detection failed: .*Rate exceeded/);
        expect(t.problems).toContain('drift unknown');
      }
      // everyone else is judged as before: the failure of one account's drift detection hides nothing
      const unhealthy = targets
        .filter((t) => !t.healthy)
        .map(key)
        .sort();
      const expected = [
        ruleTarget,
        envTarget,
        codeTarget,
        ...REGIONS.flatMap((region) => [
          { account: newAccount, region },
          { account: failing, region },
        ]),
      ]
        .map(key)
        .sort();
      expect(unhealthy).toEqual(expected);
      expect(targets.filter((t) => t.drift === 'UNKNOWN').map((t) => t.account)).toEqual([failing, failing]);
    } finally {
      await e.faults({ failDrift: [] });
    }
  });

  // Past a hundred targets, inspections and deploy's DescribeStacks run in worker threads too (src/fleet/offload.ts).
  // This organisation is smaller, so GUARDRAIL_WORKERS makes them from the first target: whichever thread reads a
  // target, the row is the same, and a failure in one account reads the same.
  it('gives the same rows with worker threads as on one thread, for status and a deploy plan', async () => {
    const denied = members[7]!;
    await e.faults({ denyAssume: [denied] });
    try {
      const rowsOf = (r: CliRun) => (r.json?.targets ?? []).map(({ durationMs: _d, ...row }) => row);
      for (const args of [
        ['status', '--output', 'json'],
        ['status', '--no-drift', '--output', 'json'],
        ['deploy', '--all-accounts', '--plan', '--output', 'json'],
      ]) {
        const one = await e.run(args, { env: { GUARDRAIL_WORKERS: '0' } });
        const two = await e.run(args, { env: { GUARDRAIL_WORKERS: '2' } });
        expect(one.code, one.stderr).toBe(1);
        expect(two.code, two.stderr).toBe(one.code);
        expect(one.json?.offload).toMatchObject({ workers: 0, offloaded: 0 });
        // every target but the management account's (its credentials stay on the main thread) may go to a worker
        expect(two.json?.offload).toMatchObject({ workers: 2 });
        expect((two.json?.offload as { offloaded: number }).offloaded, args.join(' ')).toBeGreaterThan(0);
        expect(rowsOf(two), args.join(' ')).toEqual(rowsOf(one));
        expect(two.json?.summary).toEqual(one.json?.summary);
        const failed = rowsOf(two).filter((t) => t.account === denied);
        expect(failed).toHaveLength(2);
        for (const t of failed) expect(String(t.error)).toMatch(/AccessDenied/);
      }
    } finally {
      await e.faults({ denyAssume: [] });
    }
  });

  it('refuses a GUARDRAIL_WORKERS that is not a number of threads, naming it (exit 2)', async () => {
    const r = await e.run(['status', '--no-drift'], { env: { GUARDRAIL_WORKERS: 'lots' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GUARDRAIL_WORKERS=lots/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an account outside the organisation with exit 2', async () => {
    const r = await e.run(['status', '--account', '999999999999', '--output', 'json']);
    expect(r.code).toBe(2);
    expect(r.json?.error).toMatchObject({ exitCode: 2 });
    expect(r.json?.targets).toEqual([]);
    expect(r.stderr).toMatch(/999999999999 is not an account of this organisation/);
  });
});

describe('status after a configuration change', () => {
  let e: E2E;

  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: REGIONS, stackMs: 60 });
  });

  afterAll(async () => {
    await e?.close();
  });

  it('shows every target outdated after policy.mode changes, until the next deploy', async () => {
    e.config(config('enforce'));
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    const before = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(before.code, before.stderr).toBe(0);
    expect(targetsOf(before)).toHaveLength(8);
    expect(targetsOf(before).every((t) => t.healthy && t.version === 'current')).toBe(true);

    e.config(config('monitor'));
    const changed = await e.run(['status', '--output', 'json']);
    expect(changed.code, changed.stderr).toBe(1);
    const targets = targetsOf(changed);
    expect(targets).toHaveLength(8);
    for (const t of targets) {
      expect(t, key(t)).toMatchObject({
        deployed: true,
        version: 'outdated',
        healthy: false,
        rule: 'ENABLED',
        drift: 'IN_SYNC',
      });
      // deployed with other settings than this configuration's: said as such, not as older code
      expect(t).toMatchObject({ configuration: 'differs' });
      expect(t.problems).toContainEqual(
        expect.stringMatching(/^configuration differs \(deployed digest [0-9a-f]{16}\)$/),
      );
    }
    expect(changed.json?.summary).toMatchObject({ targets: 8, healthy: 0, outdated: 0, configurationDiffers: 8 });
    expect(changed.json?.templateVersion).not.toBe(before.json?.templateVersion);

    const redeploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(redeploy.code, redeploy.stderr).toBe(0);
    expect(redeploy.json?.summary).toMatchObject({ targets: 8, succeeded: 8 });
    const after = await e.run(['status', '--output', 'json']);
    expect(after.code, after.stderr).toBe(0);
    expect(targetsOf(after).every((t) => t.healthy && t.version === 'current' && t.drift === 'IN_SYNC')).toBe(true);
  });

  it('shows why an account cannot be checked, and leaves suspended accounts out', async () => {
    const [denied, suspended] = memberIds(e.sim);
    await e.faults({ denyAssume: [denied!], suspended: [suspended!] });
    try {
      const r = await e.run(['status', '--no-drift', '--output', 'json']);
      expect(r.code, r.stderr).toBe(1);
      const targets = targetsOf(r);
      expect(targets.some((t) => t.account === suspended)).toBe(false);
      expect(r.json?.excluded).toEqual([expect.objectContaining({ account: suspended })]);
      expect(targets).toHaveLength(6);
      const unhealthy = targets.filter((t) => !t.healthy);
      expect(unhealthy.map(key).sort()).toEqual(REGIONS.map((region) => `${denied!}/${region}`));
      for (const t of unhealthy) {
        expect(t.error).toMatch(
          new RegExp(
            `AccessDenied.*arn:aws:iam::${denied!}:role/OrganizationAccountAccessRole|arn:aws:iam::${denied!}:role/OrganizationAccountAccessRole.*AccessDenied`,
          ),
        );
      }
      expect(r.json?.summary).toMatchObject({ targets: 6, healthy: 4, failed: 2, excludedAccounts: 1 });
    } finally {
      await e.faults({ denyAssume: [], suspended: [] });
    }
  });
});
