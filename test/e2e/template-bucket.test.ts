// End to end, the template bucket from the attacker's side and from the credentials' side: another account holding
// guardrail's bucket name gets no template sent and no object written, and the run says which bucket and what to do;
// a session token long enough to push the presigned URL past CloudFormation's 5,120 characters is refused before
// any stack call; and a normal run sends every stack's template from the caller's bucket in the target's region.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeInto, memberIds } from '../sim/test/helpers.js';
import { countCalls, liveStacks, startE2E, type E2E } from './harness.js';

interface Row {
  account: string;
  region: string;
  result: string;
  error: string | null;
}

describe('the template bucket', () => {
  let e: E2E;
  let mgmt: string;
  const rows = (json: unknown) => (json as { targets: Row[] }).targets;

  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], stackMs: 40 });
    e.config(
      'regions: [us-east-1, eu-west-1]\ntrail: { mode: existing }\npolicy: { onModify: alert }\ndeploy:\n  pollSeconds: 1\n',
    );
    mgmt = e.sim.state.org.managementAccountId;
  });
  afterAll(async () => {
    await e?.close();
  });

  it("a name another account took first: that region's targets fail naming the bucket, nothing is sent or written there", async () => {
    // a member account's admin claims guardrail's name for eu-west-1 before guardrail's first deploy
    const member = memberIds(e.sim)[0]!;
    const creds = await assumeInto(e.sim, member);
    const s3 = new S3Client({
      endpoint: e.sim.endpoint,
      region: 'eu-west-1',
      credentials: creds,
      forcePathStyle: true,
    });
    await s3.send(
      new CreateBucketCommand({
        Bucket: `guardrail-templates-${mgmt}-eu-west-1`,
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    s3.destroy();
    await e.resetCalls();

    const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const west = rows(r.json).filter((t) => t.region === 'eu-west-1');
    expect(west).toHaveLength(3);
    for (const t of west) {
      expect(t.result).toBe('failed');
      expect(t.error).toContain(
        `The template bucket guardrail-templates-${mgmt}-eu-west-1 exists but is not account ${mgmt}'s`,
      );
      expect(t.error).toMatch(/delete it from that account, or leave this region out \(regions: in accounts\.yaml\)/);
    }
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // us-east-1 went ahead through the caller's own bucket; eu-west-1 got no stack, and the sniped bucket no object
    expect(
      rows(r.json)
        .filter((t) => t.region === 'us-east-1')
        .every((t) => t.result === 'succeeded'),
    ).toBe(true);
    expect([...liveStacks(e).keys()].filter((k) => k.endsWith('/eu-west-1'))).toEqual([]);
    expect(e.sim.state.buckets.get(`guardrail-templates-${mgmt}-eu-west-1`)!.objects!.size).toBe(0);
    expect(countCalls(await e.calls(), ['s3.PutObject'])).toBe(1);
    // one CreateBucket, us-east-1's: the plan's HeadBucket found the taken name, and no creation was tried on it
    expect(countCalls(await e.calls(), ['s3.CreateBucket'])).toBe(1);
    const east = e.sim.state.buckets.get(`guardrail-templates-${mgmt}-us-east-1`)!;
    expect(east.owner).toBe(mgmt);
    expect([...east.objects!.keys()]).toEqual([
      `guardrail/${(r.json as unknown as { templateVersion: string }).templateVersion}.yaml`,
    ]);
  });

  it('a session token that makes the URL too long for CloudFormation: refused before any stack call, saying what to do', async () => {
    await e.resetCalls();
    const r = await e.run(['deploy', '--account', mgmt, '--regions', 'us-east-1', '--yes', '--output', 'json'], {
      env: { AWS_SESSION_TOKEN: 'T'.repeat(5_200) },
    });
    // the stack is current, so nothing is sent; a policy change makes it send
    expect(r.code, r.stderr).toBe(0);
    e.config(
      'regions: [us-east-1, eu-west-1]\ntrail: { mode: existing }\npolicy: { onModify: alert, mode: monitor }\ndeploy:\n  pollSeconds: 1\n',
    );
    const changed = await e.run(['deploy', '--account', mgmt, '--regions', 'us-east-1', '--yes', '--output', 'json'], {
      env: { AWS_SESSION_TOKEN: 'T'.repeat(5_200) },
    });
    expect(changed.code, changed.stderr).toBe(1);
    const [row] = rows(changed.json);
    expect(row!.error).toMatch(
      /characters, over CloudFormation's TemplateURL limit of 5120 .*Run guardrail with credentials whose session token is shorter/,
    );
    expect(countCalls(await e.calls(), ['cloudformation.CreateChangeSet', 'cloudformation.CreateStack'])).toBe(0);
  });
});
