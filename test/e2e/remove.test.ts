// End to end, through the built bin/guardrail: `remove` deletes the stacks of the chosen accounts and only theirs,
// keeps the trail bucket (the audit logs), the decision log group and the dead-letter queue and names them, is a
// no-op the second time, never deletes without --yes when there is no terminal to ask on, and refuses accounts that
// are not in the organisation.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionState } from '../sim/state.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { countCalls, startE2E, type E2E } from './harness.js';

const REGIONS = ['us-east-1', 'us-west-2'];

interface RemoveTarget {
  account: string;
  region: string;
  action: string;
  result: string;
  stackStatus: string | null;
  error: string | null;
}

describe('remove', () => {
  let e: E2E;
  let accounts: string[];
  const clients = new Map<string, CloudFormationClient>();

  /** The guardrail stack of one target as CloudFormation describes it to the account itself; undefined when gone. */
  async function stack(account: string, region: string) {
    const k = `${account}/${region}`;
    let cfn = clients.get(k);
    if (!cfn) {
      const creds = account === e.sim.state.org.managementAccountId ? undefined : await assumeInto(e.sim, account);
      cfn = new CloudFormationClient(clientConfig(e.sim, region, creds));
      clients.set(k, cfn);
    }
    try {
      const out = await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail' }));
      return out.Stacks?.[0];
    } catch (err) {
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  async function liveStacks(): Promise<string[]> {
    const found: string[] = [];
    for (const account of accounts) {
      for (const region of REGIONS) {
        if (await stack(account, region)) found.push(`${account}/${region}`);
      }
    }
    return found.sort();
  }

  const all = () => accounts.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort();

  async function simBuckets(): Promise<Record<string, { name: string; region: string }>> {
    const res = await fetch(`${e.sim.endpoint}/_sim/state`);
    return ((await res.json()) as { buckets: Record<string, { name: string; region: string }> }).buckets;
  }

  beforeAll(async () => {
    e = await startE2E({ accounts: 3, regions: REGIONS, stackMs: 60 });
    e.config(`regions: [${REGIONS.join(', ')}]\ndeploy:\n  pollSeconds: 1\n`);
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    accounts = [e.sim.state.org.managementAccountId, ...memberIds(e.sim)];
    expect(deploy.json?.summary).toMatchObject({ targets: 8, succeeded: 8 });
    expect(await liveStacks()).toEqual(all());
  });

  afterAll(async () => {
    for (const c of clients.values()) c.destroy();
    await e?.close();
  });

  it('without --yes and without a terminal, exits 2 and changes nothing', async () => {
    await e.resetCalls();
    const r = await e.run(['remove', '--all-accounts']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--yes/);
    expect(countCalls(await e.calls(), ['cloudformation.DeleteStack'])).toBe(0);
    expect(await liveStacks()).toEqual(all());
  });

  it('refuses an account outside the organisation with exit 2 and a clear message', async () => {
    await e.resetCalls();
    const r = await e.run(['remove', '--account', '999999999999', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/account 999999999999 is not an account of this organisation/);
    expect(countCalls(await e.calls(), ['cloudformation.DeleteStack'])).toBe(0);
    expect(await liveStacks()).toEqual(all());
  });

  it("--account A --yes deletes A's stacks in every region and only A's, and names the retained trail bucket", async () => {
    const a = accounts[2]!;
    const home = await stack(a, 'us-east-1');
    const bucket = home?.Outputs?.find((o) => o.OutputKey === 'TrailBucket')?.OutputValue;
    expect(bucket, 'the home-region stack created a trail bucket').toBeTruthy();
    expect((await simBuckets())[bucket!]).toBeDefined();

    await e.resetCalls();
    const r = await e.run(['remove', '--account', a, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`s3://${bucket!}`);
    expect(r.stdout).toMatch(/Retained trail bucket/);

    const calls = await e.calls();
    expect(countCalls(calls, ['cloudformation.DeleteStack'])).toBe(2);
    expect(countCalls(calls, ['cloudformation.DeleteStack'], a)).toBe(2);
    expect(await liveStacks()).toEqual(all().filter((k) => !k.startsWith(`${a}/`)));
    // the audit logs' bucket outlives the stack
    expect((await simBuckets())[bucket!]).toMatchObject({ name: bucket, region: 'us-east-1' });
  });

  it('a second remove of the same account is a clean no-op', async () => {
    const a = accounts[2]!;
    await e.resetCalls();
    const r = await e.run(['remove', '--account', a, '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.command).toBe('remove');
    const targets = r.json?.targets as unknown as RemoveTarget[];
    expect(targets.map((t) => `${t.account}/${t.region}`).sort()).toEqual(REGIONS.map((region) => `${a}/${region}`));
    for (const t of targets) expect(t).toMatchObject({ action: 'none', result: 'unchanged', error: null });
    expect(r.json?.summary).toMatchObject({ targets: 2, succeeded: 0, unchanged: 2, failed: 0 });
    expect(r.json?.retainedBuckets).toEqual([]);
    expect(countCalls(await e.calls(), ['cloudformation.DeleteStack'])).toBe(0);
  });

  it('--regions limits the removal to those regions, in JSON with the retained buckets listed', async () => {
    const b = accounts[1]!;
    await e.resetCalls();
    const r = await e.run(['remove', '--account', b, '--regions', 'us-west-2', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const targets = r.json?.targets as unknown as RemoveTarget[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      account: b,
      region: 'us-west-2',
      action: 'delete',
      result: 'succeeded',
      stackStatus: 'DELETE_COMPLETE',
    });
    // only the home region holds a trail, so there is no bucket to retain here
    expect(r.json?.retainedBuckets).toEqual([]);
    expect(countCalls(await e.calls(), ['cloudformation.DeleteStack'], b)).toBe(1);
    expect(await stack(b, 'us-east-1')).toBeDefined();
    expect(await stack(b, 'us-west-2')).toBeUndefined();
  });

  it('keeps the decision log group and the dead-letter queue (DeletionPolicy), names them, and a later deploy makes new ones', async () => {
    const b = accounts[1]!;
    const rs = regionState(e.sim.state, b, 'us-east-1');
    const before = await stack(b, 'us-east-1');
    const output = (key: string) => before?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    const logGroup = output('DecisionLogGroup')!;
    const queueUrl = output('DeadLetterQueueUrl')!;
    expect(rs.logGroups.has(logGroup), "the function logs to the stack's own log group").toBe(true);

    const r = await e.run(['remove', '--account', b, '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const kept = (r.json?.kept as { account: string; region: string; type: string; physicalId: string }[])
      .map((k) => `${k.account}/${k.region} ${k.type} ${k.physicalId}`)
      .sort();
    const bucket = (r.json?.retainedBuckets as { bucket: string }[])[0]!.bucket;
    expect(kept).toEqual([
      `${b}/us-east-1 AWS::Logs::LogGroup ${logGroup}`,
      `${b}/us-east-1 AWS::S3::Bucket ${bucket}`,
      `${b}/us-east-1 AWS::SQS::Queue ${queueUrl}`,
    ]);
    expect(await stack(b, 'us-east-1')).toBeUndefined();
    // the decision log and the undelivered reverts outlive the stack
    expect(rs.logGroups.has(logGroup)).toBe(true);
    expect([...rs.queues.values()].some((q) => q.url === queueUrl)).toBe(true);

    // CloudFormation names them, so deploying again does not collide with what was kept
    const again = await e.run(['deploy', '--account', b, '--regions', 'us-east-1', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    const newLogGroup = (await stack(b, 'us-east-1'))?.Outputs?.find(
      (o) => o.OutputKey === 'DecisionLogGroup',
    )?.OutputValue;
    expect(newLogGroup).toBeTruthy();
    expect(newLogGroup).not.toBe(logGroup);
    expect(rs.logGroups.has(logGroup) && rs.logGroups.has(newLogGroup!)).toBe(true);
  });
});
