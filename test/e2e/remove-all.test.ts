// End to end, through the built bin/guardrail: remove --all-accounts as the last step of an uninstall. The retained
// trail buckets are one line (every one in --output json), it says what is left, and --include-approvals deletes the
// approval store's stack last, after its own confirmation, keeping its tables.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

describe('remove --all-accounts', () => {
  let e: E2E;

  const storeStack = async () => {
    const cfn = new CloudFormationClient(clientConfig(e.sim));
    try {
      return (await cfn.send(new DescribeStacksCommand({ StackName: 'guardrail-approvals' }))).Stacks?.[0];
    } catch (err) {
      if (/does not exist/.test((err as Error).message)) return undefined;
      throw err;
    } finally {
      cfn.destroy();
    }
  };

  beforeAll(async () => {
    e = await startE2E({ accounts: 6, regions: ['us-east-1'], stackMs: 40 });
    e.config('regions: [us-east-1]\ndeploy:\n  pollSeconds: 1\napprovals: { enabled: true }\n');
    const deploy = await e.run(['deploy', '--all-accounts', '--yes']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await storeStack()).toBeDefined();
  });

  afterAll(async () => {
    await e?.close();
  });

  it('--include-approvals needs --all-accounts (exit 2, nothing removed)', async () => {
    const r = await e.run(['remove', '--account', e.sim.state.org.managementAccountId, '--include-approvals', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--include-approvals goes with --all-accounts only/);
    expect(await storeStack()).toBeDefined();
  });

  it("one line for the retained buckets, the list in JSON; the store's stack deleted last, its tables kept", async () => {
    const r = await e.run(['remove', '--all-accounts', '--yes', '--include-approvals', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const buckets = r.json?.retainedBuckets as { bucket: string }[];
    expect(buckets).toHaveLength(7);
    const notes = (r.json as unknown as { notes: string[] }).notes;
    expect(notes.filter((n) => n.startsWith('Retained'))).toEqual([
      expect.stringMatching(
        /^Retained 7 trail buckets \(audit logs kept\) in 7 account\(s\), e\.g\. s3:\/\/\S+: every one in --output json/,
      ),
    ]);
    expect(notes.some((n) => n.startsWith('Still there: the approval store'))).toBe(true);
    expect(r.json?.approvalStore).toMatchObject({ stackName: 'guardrail-approvals', result: 'succeeded' });
    expect((r.json?.approvalStore as { kept: string[] }).kept.sort()).toEqual([
      'guardrail-approvals',
      'guardrail-approvals-rules',
    ]);
    expect(await storeStack()).toBeUndefined();
  });
});
