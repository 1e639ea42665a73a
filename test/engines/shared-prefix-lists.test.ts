// status's report of prefix lists owned by other accounts that a target's rules reference, against the simulator
// through the real @aws-sdk/client-ec2: a list shared from account A into B and referenced in B is reported for B
// with owner A; lists the target owns, AWS-managed lists and shared lists no rule names are not; one call a target
// when nothing is shared in, three when something is; an unreadable answer is a reason, never a throw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  DescribeManagedPrefixListsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { TargetClients } from '../../src/aws/clients.js';
import { sharedPrefixLists, sharedPrefixListText } from '../../src/stack/shared-prefix-lists.js';
import type { SimServer } from '../sim/server.js';
import { assumeInto, clientConfig, memberIds, startTestSim } from '../sim/test/helpers.js';

const REGION = 'us-east-1';
let sim: SimServer;
let a: string;
let b: string;
let c: string;
const ec2: Record<string, EC2Client> = {};

const clientsOf = (account: string) => ({ ec2: () => Promise.resolve(ec2[account]!) }) as unknown as TargetClients;

async function callsBy(account: string): Promise<Record<string, number>> {
  const res = await fetch(`${sim.endpoint}/_sim/calls`);
  const { calls } = (await res.json()) as {
    calls: { service: string; operation: string; account: string; count: number }[];
  };
  return Object.fromEntries(
    calls.filter((x) => x.account === account && x.service === 'ec2').map((x) => [x.operation, x.count]),
  );
}

async function list(account: string, name: string): Promise<string> {
  const out = await ec2[account]!.send(
    new CreateManagedPrefixListCommand({
      PrefixListName: name,
      MaxEntries: 5,
      AddressFamily: 'IPv4',
      Entries: [{ Cidr: '192.0.2.0/24' }],
    }),
  );
  return out.PrefixList!.PrefixListId!;
}

async function group(account: string, name: string): Promise<string> {
  return (await ec2[account]!.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name }))).GroupId!;
}

async function share(prefixListId: string, consumer: string): Promise<void> {
  const res = await fetch(`${sim.endpoint}/_sim/prefix-list-shares`, {
    method: 'POST',
    body: JSON.stringify({ owner: a, region: REGION, prefixListId, consumer }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 4, regions: [REGION] });
  [a, b, c] = memberIds(sim) as [string, string, string];
  for (const id of [a, b, c])
    ec2[id] = new EC2Client({ ...clientConfig(sim, REGION, await assumeInto(sim, id)), maxAttempts: 1 });
});
afterAll(async () => {
  for (const client of Object.values(ec2)) client.destroy();
  await sim.close();
});

describe('prefix lists owned by other accounts, per target', () => {
  it('reports a list shared from A and referenced in B for B, with owner A and the groups naming it; nothing else', async () => {
    const partners = await list(a, 'partners');
    const unused = await list(a, 'shared-but-unused');
    const own = await list(b, 'b-own');
    await share(partners, b);
    await share(unused, b);
    const ingress = await group(b, 'from-partners');
    const egress = await group(b, 'to-partners');
    const mixed = await group(b, 'own-and-aws');
    await ec2[b]!.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: ingress,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: partners }] }],
      }),
    );
    await ec2[b]!.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: egress,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, PrefixListIds: [{ PrefixListId: partners }] },
        ],
      }),
    );
    const s3 = (
      await ec2[b]!.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }))
    ).PrefixLists![0]!.PrefixListId!;
    await ec2[b]!.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: mixed,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, PrefixListIds: [{ PrefixListId: own }, { PrefixListId: s3 }] },
        ],
      }),
    );

    await fetch(`${sim.endpoint}/_sim/calls`, { method: 'DELETE' });
    const found = await sharedPrefixLists(clientsOf(b), b);
    expect(found).toEqual({
      sharedPrefixLists: [{ id: partners, name: 'partners', owner: a, groups: [ingress, egress].sort() }],
    });
    // the list, then one filtered read of the groups per direction
    expect(await callsBy(b)).toEqual({ DescribeManagedPrefixLists: 1, DescribeSecurityGroups: 2 });
    if ('sharedPrefixLists' in found && found.sharedPrefixLists) {
      expect(sharedPrefixListText(found.sharedPrefixLists[0]!)).toBe(
        `${partners} (partners, owned by ${a}) in ${[ingress, egress].sort().join(', ')}`,
      );
    }

    // the owner's own view: its lists are its own, nothing to report; an account nothing is shared with: one call
    await fetch(`${sim.endpoint}/_sim/calls`, { method: 'DELETE' });
    expect(await sharedPrefixLists(clientsOf(a), a)).toEqual({ sharedPrefixLists: [] });
    expect(await sharedPrefixLists(clientsOf(c), c)).toEqual({ sharedPrefixLists: [] });
    expect(await callsBy(a)).toEqual({ DescribeManagedPrefixLists: 1 });
    expect(await callsBy(c)).toEqual({ DescribeManagedPrefixLists: 1 });
  });

  it('reports shared lists no rule names as nothing, at three calls', async () => {
    const lone = await list(a, 'lone');
    await share(lone, c);
    await fetch(`${sim.endpoint}/_sim/calls`, { method: 'DELETE' });
    expect(await sharedPrefixLists(clientsOf(c), c)).toEqual({ sharedPrefixLists: [] });
    expect(await callsBy(c)).toEqual({ DescribeManagedPrefixLists: 1, DescribeSecurityGroups: 2 });
  });

  it('says why when the lists cannot be read, and does not throw', async () => {
    const refusing = {
      ec2: () =>
        Promise.resolve({
          send: () =>
            Promise.reject(
              Object.assign(new Error('not authorized'), {
                name: 'UnauthorizedOperation',
                $metadata: { httpStatusCode: 403 },
              }),
            ),
        }),
    } as unknown as TargetClients;
    const out = await sharedPrefixLists(refusing, b);
    expect(out.sharedPrefixLists).toBeNull();
    expect('sharedPrefixListsError' in out && out.sharedPrefixListsError).toMatch(/UnauthorizedOperation/);
  });
});
