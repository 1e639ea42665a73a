import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetTrailStatusCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import type { SimServer } from '../server.js';
import { assumeInto, clientConfig, memberIds, startTestSim, type TestCredentials } from './helpers.js';

let sim: SimServer;
let mgmt: string;
let member: string;
let memberCreds: TestCredentials;
const clients: CloudTrailClient[] = [];

function ct(region: string, creds?: TestCredentials): CloudTrailClient {
  const c = new CloudTrailClient({ ...clientConfig(sim, region, creds), maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function adminTrail(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${sim.endpoint}/_sim/trails`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2, regions: ['us-east-1', 'eu-west-1'] });
  mgmt = sim.state.org.managementAccountId;
  member = memberIds(sim)[0]!;
  memberCreds = await assumeInto(sim, member);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim.close();
});

describe('CloudTrail', () => {
  it('POST /_sim/trails creates trails, and validates its input', async () => {
    const org = await adminTrail({
      account: mgmt,
      region: 'us-east-1',
      name: 'org-trail',
      multiRegion: true,
      organization: true,
      logging: true,
    });
    expect(org.status).toBe(200);
    expect(org.json).toMatchObject({
      arn: `arn:aws:cloudtrail:us-east-1:${mgmt}:trail/org-trail`,
      isOrganizationTrail: true,
    });
    expect(
      (await adminTrail({ account: member, region: 'eu-west-1', name: 'local', multiRegion: false, logging: false }))
        .status,
    ).toBe(200);
    expect(
      (await adminTrail({ account: member, region: 'us-east-1', name: 'bad-org', organization: true })).status,
    ).toBe(400);
    expect((await adminTrail({ account: mgmt, region: 'us-east-1', name: 'org-trail' })).status).toBe(400);
  });

  it('DescribeTrails shows home, shadow and organisation trails', async () => {
    const home = await ct('us-east-1').send(new DescribeTrailsCommand({}));
    expect(home.trailList?.map((t) => [t.Name, t.HomeRegion, t.IsOrganizationTrail])).toEqual([
      ['org-trail', 'us-east-1', true],
    ]);
    // the multi-region trail shadows into eu-west-1, unless shadow trails are excluded
    expect((await ct('eu-west-1').send(new DescribeTrailsCommand({}))).trailList?.map((t) => t.Name)).toEqual([
      'org-trail',
    ]);
    expect((await ct('eu-west-1').send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList).toEqual(
      [],
    );

    const memberEu = ct('eu-west-1', memberCreds);
    const seen = await memberEu.send(new DescribeTrailsCommand({}));
    expect(seen.trailList?.map((t) => [t.Name, t.TrailARN])).toEqual([
      ['local', `arn:aws:cloudtrail:eu-west-1:${member}:trail/local`],
      ['org-trail', `arn:aws:cloudtrail:us-east-1:${mgmt}:trail/org-trail`],
    ]);
    expect(
      (await memberEu.send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList?.map((t) => t.Name),
    ).toEqual(['local']);
    // names match home trails only; ARNs reach shadow trails
    expect((await memberEu.send(new DescribeTrailsCommand({ trailNameList: ['org-trail'] }))).trailList).toEqual([]);
    const byArn = await memberEu.send(
      new DescribeTrailsCommand({ trailNameList: [`arn:aws:cloudtrail:us-east-1:${mgmt}:trail/org-trail`] }),
    );
    expect(byArn.trailList?.[0]).toMatchObject({
      Name: 'org-trail',
      IsMultiRegionTrail: true,
      IsOrganizationTrail: true,
      HomeRegion: 'us-east-1',
    });
    // the member's single-region trail is not seen in its other region
    expect(
      (await ct('us-east-1', memberCreds).send(new DescribeTrailsCommand({}))).trailList?.map((t) => t.Name),
    ).toEqual(['org-trail']);
  });

  it('GetTrailStatus by name or ARN, the organisation trail by ARN from members', async () => {
    expect((await ct('us-east-1').send(new GetTrailStatusCommand({ Name: 'org-trail' }))).IsLogging).toBe(true);
    const orgArn = `arn:aws:cloudtrail:us-east-1:${mgmt}:trail/org-trail`;
    const memberEu = ct('eu-west-1', memberCreds);
    expect((await memberEu.send(new GetTrailStatusCommand({ Name: orgArn }))).IsLogging).toBe(true);
    expect((await memberEu.send(new GetTrailStatusCommand({ Name: 'local' }))).IsLogging).toBe(false);
    await expect(memberEu.send(new GetTrailStatusCommand({ Name: 'org-trail' }))).rejects.toMatchObject({
      name: 'TrailNotFoundException',
      message: `Unknown trail: arn:aws:cloudtrail:eu-west-1:${member}:trail/org-trail for the user: ${member}`,
    });
    await expect(memberEu.send(new GetTrailStatusCommand({ Name: 'bad name!' }))).rejects.toMatchObject({
      name: 'InvalidTrailNameException',
    });
  });

  it('StopLogging and StartLogging, only by the owner in the home region', async () => {
    const orgArn = `arn:aws:cloudtrail:us-east-1:${mgmt}:trail/org-trail`;
    await expect(ct('us-east-1', memberCreds).send(new StopLoggingCommand({ Name: orgArn }))).rejects.toMatchObject({
      name: 'NotOrganizationMasterAccountException',
    });
    await expect(ct('eu-west-1').send(new StopLoggingCommand({ Name: orgArn }))).rejects.toMatchObject({
      name: 'InvalidHomeRegionException',
    });
    const home = ct('us-east-1');
    await home.send(new StopLoggingCommand({ Name: 'org-trail' }));
    const stopped = await ct('eu-west-1', memberCreds).send(new GetTrailStatusCommand({ Name: orgArn }));
    expect(stopped.IsLogging).toBe(false);
    expect(stopped.StopLoggingTime).toBeInstanceOf(Date);
    await home.send(new StartLoggingCommand({ Name: orgArn }));
    expect((await home.send(new GetTrailStatusCommand({ Name: orgArn }))).IsLogging).toBe(true);
  });

  it('throttles with ThrottlingException', async () => {
    sim.state.faults.throttleRate = 1;
    try {
      await expect(ct('us-east-1').send(new DescribeTrailsCommand({}))).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
    } finally {
      sim.state.faults.throttleRate = 0;
    }
  });
});
