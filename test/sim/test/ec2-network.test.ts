// The simulator's EC2 networking (issue N) through the real @aws-sdk/client-ec2: managed prefix lists and their
// versions, lists shared from another account, security groups associated with other VPCs, and the interfaces and
// instances whose groups the attribute calls replace. Each mutating call guardrail watches must put on the bus an
// event of exactly the shape of its fixture in test/fixtures/cloudtrail-n/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssociateSecurityGroupVpcCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteManagedPrefixListCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupVpcAssociationsCommand,
  DescribeSubnetsCommand,
  DisassociateSecurityGroupVpcCommand,
  EC2Client,
  GetManagedPrefixListAssociationsCommand,
  GetManagedPrefixListEntriesCommand,
  ModifyInstanceAttributeCommand,
  ModifyManagedPrefixListCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ModifySecurityGroupRulesCommand,
  RestoreManagedPrefixListVersionCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { SimServer } from '../server.js';
import { assumeInto, clientConfig, errorOf, memberIds, startTestSim, type TestCredentials } from './helpers.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/cloudtrail-n');
const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

/** The structure of a JSON value: keys and value types, recursively (lists by their first item). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, shape(x)]),
    );
  return typeof v;
}

interface BusEvent {
  account: string;
  detail: { eventName: string; requestParameters: Record<string, unknown>; responseElements: Record<string, unknown> };
}

let sim: SimServer;
let owner: string;
let consumer: string;
let third: string;
let ownerEc2: EC2Client;
let consumerEc2: EC2Client;
let thirdEc2: EC2Client;
const clients: EC2Client[] = [];
const REGION = 'us-east-1';

function ec2As(creds: TestCredentials): EC2Client {
  const c = new EC2Client({ ...clientConfig(sim, REGION, creds), maxAttempts: 1 });
  clients.push(c);
  return c;
}

/** The events the account's default bus received since `from` (an index into them). */
function busEvents(account: string, from = 0): BusEvent[] {
  const rs = sim.state.accounts.get(account)?.regions.get(REGION);
  return (rs?.events ?? []).slice(from).map((e) => e.event as unknown as BusEvent);
}
const eventCount = (account: string) => sim.state.accounts.get(account)?.regions.get(REGION)?.events.length ?? 0;

async function share(prefixListId: string, to: string, shared = true): Promise<Response> {
  return fetch(`${sim.endpoint}/_sim/prefix-list-shares`, {
    method: 'POST',
    body: JSON.stringify({ owner, region: REGION, prefixListId, consumer: to, shared }),
  });
}

async function newList(client: EC2Client, name: string, cidrs: string[], maxEntries = 5): Promise<string> {
  const out = await client.send(
    new CreateManagedPrefixListCommand({
      PrefixListName: name,
      MaxEntries: maxEntries,
      AddressFamily: 'IPv4',
      Entries: cidrs.map((Cidr) => ({ Cidr, Description: `entry ${Cidr}` })),
    }),
  );
  return out.PrefixList!.PrefixListId!;
}

async function newGroup(client: EC2Client, name: string, vpcId?: string): Promise<string> {
  return (await client.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId })))
    .GroupId!;
}

beforeAll(async () => {
  sim = await startTestSim({ accounts: 4, regions: [REGION] });
  [owner, consumer, third] = memberIds(sim) as [string, string, string];
  ownerEc2 = ec2As(await assumeInto(sim, owner, { sessionName: 'alice' }));
  consumerEc2 = ec2As(await assumeInto(sim, consumer, { sessionName: 'bob' }));
  thirdEc2 = ec2As(await assumeInto(sim, third, { sessionName: 'carol' }));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sim.close();
});

describe('managed prefix lists', () => {
  it('creates a list at version 1 and lists it with the region\'s AWS-managed lists, owned by "AWS"', async () => {
    const id = await newList(ownerEc2, 'office', ['203.0.113.0/24']);
    const { PrefixLists } = await ownerEc2.send(new DescribeManagedPrefixListsCommand({}));
    const mine = PrefixLists!.find((l) => l.PrefixListId === id);
    expect(mine).toMatchObject({
      PrefixListName: 'office',
      AddressFamily: 'IPv4',
      MaxEntries: 5,
      Version: 1,
      State: 'create-complete',
      OwnerId: owner,
      PrefixListArn: `arn:aws:ec2:${REGION}:${owner}:prefix-list/${id}`,
    });
    const aws = PrefixLists!.filter((l) => l.OwnerId === 'AWS').map((l) => l.PrefixListName);
    expect(aws).toEqual(expect.arrayContaining([`com.amazonaws.${REGION}.s3`, `com.amazonaws.${REGION}.dynamodb`]));
    // every account sees the same AWS-managed ids, as in a real region
    const other = await consumerEc2.send(
      new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'owner-id', Values: ['AWS'] }] }),
    );
    expect(other.PrefixLists!.map((l) => l.PrefixListId).sort()).toEqual(
      PrefixLists!
        .filter((l) => l.OwnerId === 'AWS')
        .map((l) => l.PrefixListId)
        .sort(),
    );
    expect(other.PrefixLists!.some((l) => l.PrefixListId === id)).toBe(false);
  });

  it('makes a new version per change of the entries, keeps every version, and restores an old one as the next', async () => {
    const id = await newList(ownerEc2, 'versions', ['10.1.0.0/16']);
    const added = await ownerEc2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 1,
        AddEntries: [{ Cidr: '0.0.0.0/0', Description: 'oops' }],
      }),
    );
    // EC2 answers with the list as it was when the change was accepted (aws ec2 modify-managed-prefix-list example)
    expect(added.PrefixList).toMatchObject({ State: 'modify-in-progress', Version: 1 });
    const now = (await ownerEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }))).PrefixLists![0]!;
    expect(now).toMatchObject({ State: 'modify-complete', Version: 2 });
    const entries = async (v?: number) =>
      (await ownerEc2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, TargetVersion: v })))
        .Entries!.map((e) => e.Cidr)
        .sort();
    expect(await entries()).toEqual(['0.0.0.0/0', '10.1.0.0/16']);
    expect(await entries(1)).toEqual(['10.1.0.0/16']);

    // a stale CurrentVersion is refused, as EC2 refuses it
    const stale = await errorOf(
      ownerEc2.send(
        new ModifyManagedPrefixListCommand({
          PrefixListId: id,
          CurrentVersion: 1,
          RemoveEntries: [{ Cidr: '0.0.0.0/0' }],
        }),
      ),
    );
    expect(stale.name).toBe('PrefixListVersionMismatch');
    expect(stale.message).toBe('The prefix list has the incorrect version number.');

    const restored = await ownerEc2.send(
      new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 1, CurrentVersion: 2 }),
    );
    expect(restored.PrefixList).toMatchObject({ PrefixListId: id, State: 'restore-in-progress', Version: 2 });
    const after = (await ownerEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] })))
      .PrefixLists![0]!;
    expect(after).toMatchObject({ PrefixListId: id, State: 'restore-complete', Version: 3 });
    expect(await entries()).toEqual(['10.1.0.0/16']);
    expect(await entries(2)).toEqual(['0.0.0.0/0', '10.1.0.0/16']);
    expect(
      (
        await errorOf(
          ownerEc2.send(
            new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 3, CurrentVersion: 3 }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterValue');
    expect(
      (await errorOf(ownerEc2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, TargetVersion: 9 }))))
        .name,
    ).toBe('InvalidParameterValue');

    // a new name or size is not a new version; entries and size never change in one request
    await ownerEc2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, PrefixListName: 'renamed' }));
    await ownerEc2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, MaxEntries: 2 }));
    expect(
      (await ownerEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] }))).PrefixLists![0],
    ).toMatchObject({ PrefixListName: 'renamed', MaxEntries: 2, Version: 3 });
    const both = await errorOf(
      ownerEc2.send(
        new ModifyManagedPrefixListCommand({ PrefixListId: id, MaxEntries: 4, AddEntries: [{ Cidr: '10.9.0.0/16' }] }),
      ),
    );
    expect(both.name).toBe('InvalidParameterCombination');
    const full = await errorOf(
      ownerEc2.send(
        new ModifyManagedPrefixListCommand({
          PrefixListId: id,
          AddEntries: [{ Cidr: '10.8.0.0/16' }, { Cidr: '10.9.0.0/16' }],
        }),
      ),
    );
    expect(full.name).toBe('InvalidParameterValue');
    const dup = await errorOf(
      ownerEc2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '10.1.0.0/16' }] })),
    );
    expect(dup.name).toBe('InvalidPrefixListModification');
    // nothing a refused call asked for happened
    expect(await entries()).toEqual(['10.1.0.0/16']);
  });

  it('checks what a list may hold: its family, its size, 100 entries a request, no com.amazonaws names', async () => {
    const bad = (input: Partial<ConstructorParameters<typeof CreateManagedPrefixListCommand>[0]>) =>
      errorOf(
        ownerEc2.send(
          new CreateManagedPrefixListCommand({ PrefixListName: 'x', MaxEntries: 5, AddressFamily: 'IPv4', ...input }),
        ),
      );
    expect((await bad({ MaxEntries: 1001 })).message).toBe('Must specify a max size between 1 and 1000');
    expect((await bad({ Entries: [{ Cidr: '2001:db8::/32' }] })).name).toBe('InvalidParameterValue');
    expect((await bad({ MaxEntries: 1, Entries: [{ Cidr: '10.0.0.0/8' }, { Cidr: '10.1.0.0/16' }] })).name).toBe(
      'InvalidParameterValue',
    );
    expect(
      (await bad({ MaxEntries: 200, Entries: Array.from({ length: 101 }, (_, i) => ({ Cidr: `10.${i}.0.0/16` })) }))
        .message,
    ).toBe('The number of entries per request cannot exceeds limit (100).');
    expect((await bad({ PrefixListName: 'com.amazonaws.mine' })).name).toBe('InvalidParameterValue');
    const v6 = await ownerEc2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'v6',
        MaxEntries: 2,
        AddressFamily: 'IPv6',
        Entries: [{ Cidr: '2001:DB8::/32' }],
      }),
    );
    const e = await ownerEc2.send(
      new GetManagedPrefixListEntriesCommand({ PrefixListId: v6.PrefixList!.PrefixListId! }),
    );
    expect(e.Entries).toEqual([{ Cidr: '2001:db8::/32' }]);
  });

  it('keeps AWS-managed lists read-only, and refuses rules naming a list that does not exist', async () => {
    const { PrefixLists } = await ownerEc2.send(
      new DescribeManagedPrefixListsCommand({
        Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${REGION}.s3`] }],
      }),
    );
    const s3 = PrefixLists![0]!;
    expect(s3.PrefixListArn).toBe(`arn:aws:ec2:${REGION}:aws:prefix-list/${s3.PrefixListId}`);
    expect(
      (await ownerEc2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: s3.PrefixListId }))).Entries!.length,
    ).toBeGreaterThan(0);
    const change = await errorOf(
      ownerEc2.send(
        new ModifyManagedPrefixListCommand({ PrefixListId: s3.PrefixListId, AddEntries: [{ Cidr: '0.0.0.0/0' }] }),
      ),
    );
    expect(change.name).toBe('InvalidPrefixListModification');
    const sg = await newGroup(ownerEc2, 'uses-s3');
    await ownerEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: s3.PrefixListId }] },
        ],
      }),
    );
    const missingList = await errorOf(
      ownerEc2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sg,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: 'pl-0123456789abcdef0' }] },
          ],
        }),
      ),
    );
    expect(missingList.name).toBe('InvalidPrefixListID.NotFound');
    expect(missingList.message).toBe("The prefix list ID 'pl-0123456789abcdef0' does not exist");
  });

  it('answers which groups reference a list, and refuses to delete a list that is referenced', async () => {
    const id = await newList(ownerEc2, 'referenced', ['198.51.100.0/24']);
    const a = await newGroup(ownerEc2, 'ref-a');
    const b = await newGroup(ownerEc2, 'ref-b');
    await ownerEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: a,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId: id }] }],
      }),
    );
    const rule = await ownerEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: b,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    );
    // a rule modified to the list references it too
    await ownerEc2.send(
      new ModifySecurityGroupRulesCommand({
        GroupId: b,
        SecurityGroupRules: [
          {
            SecurityGroupRuleId: rule.SecurityGroupRules![0]!.SecurityGroupRuleId,
            SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, PrefixListId: id },
          },
        ],
      }),
    );
    const assoc = await ownerEc2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id }));
    expect(assoc.PrefixListAssociations!.map((x) => x.ResourceId).sort()).toEqual([a, b].sort());
    expect(assoc.PrefixListAssociations!.every((x) => x.ResourceOwner === owner)).toBe(true);
    expect((await errorOf(ownerEc2.send(new DeleteManagedPrefixListCommand({ PrefixListId: id })))).name).toBe(
      'DependencyViolation',
    );
    const lone = await newList(ownerEc2, 'unreferenced', []);
    const gone = await ownerEc2.send(new DeleteManagedPrefixListCommand({ PrefixListId: lone }));
    expect(gone.PrefixList).toMatchObject({ PrefixListId: lone, State: 'delete-in-progress' });
    expect((await errorOf(ownerEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [lone] })))).name).toBe(
      'InvalidPrefixListID.NotFound',
    );
  });

  it("emits each change to the owner's bus in the shape of its fixture", async () => {
    const from = eventCount(owner);
    const id = await newList(ownerEc2, 'trail', ['10.2.0.0/16']);
    await ownerEc2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 1,
        AddEntries: [{ Cidr: '0.0.0.0/0', Description: 'temporary' }],
      }),
    );
    await ownerEc2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 2,
        AddEntries: [{ Cidr: '203.0.113.0/24', Description: 'branch office' }, { Cidr: '198.51.100.0/24' }],
      }),
    );
    await ownerEc2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: id,
        CurrentVersion: 3,
        RemoveEntries: [{ Cidr: '198.51.100.0/24' }],
      }),
    );
    await ownerEc2.send(
      new RestoreManagedPrefixListVersionCommand({ PrefixListId: id, PreviousVersion: 1, CurrentVersion: 4 }),
    );
    const events = busEvents(owner, from);
    expect(events.map((e) => e.detail.eventName)).toEqual([
      'CreateManagedPrefixList',
      'ModifyManagedPrefixList',
      'ModifyManagedPrefixList',
      'ModifyManagedPrefixList',
      'RestoreManagedPrefixListVersion',
    ]);
    const [, add, addTwo, remove, restore] = events;
    expect(shape(add)).toEqual(shape(fixture('modify-managed-prefix-list.add.event.json')));
    expect(shape(addTwo)).toEqual(shape(fixture('modify-managed-prefix-list.add-two.event.json')));
    expect(shape(remove)).toEqual(shape(fixture('modify-managed-prefix-list.remove.event.json')));
    expect(shape(restore)).toEqual(shape(fixture('restore-managed-prefix-list-version.event.json')));
    expect(add!.detail.requestParameters).toEqual({
      ModifyManagedPrefixListRequest: {
        CurrentVersion: 1,
        AddEntry: { Description: 'temporary', cidr: '0.0.0.0/0', tag: '1' },
        PrefixListId: id,
      },
    });
    expect(restore!.detail.requestParameters).toEqual({
      RestoreManagedPrefixListVersionRequest: { PrefixListId: id, PreviousVersion: 1, CurrentVersion: 4 },
    });
    expect(restore!.detail.responseElements).toMatchObject({
      RestoreManagedPrefixListVersionResponse: {
        prefixList: { prefixListId: id, state: 'restore-in-progress', version: 4 },
      },
    });
  });
});

describe('a prefix list shared from another account', () => {
  it("appears in the consumer's account with its owner, can be read and referenced there, and changes only in the owner's", async () => {
    const id = await newList(ownerEc2, 'partners', ['192.0.2.0/24']);
    // not shared yet: it does not exist for the consumer
    expect((await errorOf(consumerEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] })))).name).toBe(
      'InvalidPrefixListID.NotFound',
    );
    const res = await share(id, consumer);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ prefixListId: id, owner, sharedWith: [consumer] });

    const seen = (await consumerEc2.send(new DescribeManagedPrefixListsCommand({}))).PrefixLists!.find(
      (l) => l.PrefixListId === id,
    );
    expect(seen).toMatchObject({ OwnerId: owner, PrefixListName: 'partners', Version: 1 });
    expect(
      (await consumerEc2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id }))).Entries!.map(
        (e) => e.Cidr,
      ),
    ).toEqual(['192.0.2.0/24']);
    // an account it is not shared with still cannot see it
    expect((await errorOf(thirdEc2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [id] })))).name).toBe(
      'InvalidPrefixListID.NotFound',
    );

    const sg = await newGroup(consumerEc2, 'from-partners');
    await consumerEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: id }] }],
      }),
    );
    const refused = await errorOf(
      consumerEc2.send(new ModifyManagedPrefixListCommand({ PrefixListId: id, AddEntries: [{ Cidr: '0.0.0.0/0' }] })),
    );
    expect(refused.name).toBe('UnauthorizedOperation');

    // the owner changes it: the event is the owner's; the consumer's bus gets nothing, yet its rule now admits more
    const ownerFrom = eventCount(owner);
    const consumerFrom = eventCount(consumer);
    await ownerEc2.send(
      new ModifyManagedPrefixListCommand({ PrefixListId: id, CurrentVersion: 1, AddEntries: [{ Cidr: '0.0.0.0/0' }] }),
    );
    expect(busEvents(owner, ownerFrom).map((e) => e.detail.eventName)).toEqual(['ModifyManagedPrefixList']);
    expect(busEvents(consumer, consumerFrom)).toEqual([]);
    expect(
      (await consumerEc2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id })))
        .Entries!.map((e) => e.Cidr)
        .sort(),
    ).toEqual(['0.0.0.0/0', '192.0.2.0/24']);

    // the owner sees its consumers' references; the consumer sees its own
    const ownerView = await ownerEc2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id }));
    expect(ownerView.PrefixListAssociations).toEqual([{ ResourceId: sg, ResourceOwner: consumer }]);
    const consumerView = await consumerEc2.send(new GetManagedPrefixListAssociationsCommand({ PrefixListId: id }));
    expect(consumerView.PrefixListAssociations).toEqual([{ ResourceId: sg, ResourceOwner: consumer }]);
    expect((await errorOf(ownerEc2.send(new DeleteManagedPrefixListCommand({ PrefixListId: id })))).name).toBe(
      'DependencyViolation',
    );

    // sharing stops: the list is gone from the consumer's view
    expect((await share(id, consumer, false)).status).toBe(200);
    expect(
      (await consumerEc2.send(new DescribeManagedPrefixListsCommand({}))).PrefixLists!.some(
        (l) => l.PrefixListId === id,
      ),
    ).toBe(false);
  });

  it('refuses shares it cannot make, naming what is wrong', async () => {
    const id = await newList(ownerEc2, 'not-shareable', []);
    const post = (body: unknown) =>
      fetch(`${sim.endpoint}/_sim/prefix-list-shares`, { method: 'POST', body: JSON.stringify(body) });
    const nope = await post({ owner, region: REGION, prefixListId: 'pl-0000000000000000a', consumer });
    expect(nope.status).toBe(400);
    expect(((await nope.json()) as { error: string }).error).toMatch(/no prefix list pl-0000000000000000a/);
    expect((await post({ owner, region: REGION, prefixListId: id, consumer: owner })).status).toBe(400);
    expect((await post({ owner: '000000000000', region: REGION, prefixListId: id, consumer })).status).toBe(404);
  });
});

describe('security groups associated with other VPCs', () => {
  it('associates a group with a VPC of its account, lets interfaces there use it, and disassociates it when none does', async () => {
    const vpc = (await ownerEc2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }))).Vpc!;
    expect(vpc).toMatchObject({ State: 'available', CidrBlock: '10.50.0.0/16', IsDefault: false, OwnerId: owner });
    const subnet = (await ownerEc2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.50.1.0/24' })))
      .Subnet!;
    expect(subnet).toMatchObject({ VpcId: vpc.VpcId, AvailabilityZone: `${REGION}a` });
    const open = await newGroup(ownerEc2, 'open-elsewhere');
    await ownerEc2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: open,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );

    // not associated: an interface in the other VPC cannot carry it
    const before = await errorOf(
      ownerEc2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, Groups: [open] })),
    );
    expect(before.name).toBe('InvalidParameter');

    const from = eventCount(owner);
    const out = await ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: open, VpcId: vpc.VpcId }));
    expect(out.State).toBe('associating');
    const listed = await ownerEc2.send(
      new DescribeSecurityGroupVpcAssociationsCommand({ Filters: [{ Name: 'group-id', Values: [open] }] }),
    );
    expect(listed.SecurityGroupVpcAssociations).toEqual([
      { GroupId: open, VpcId: vpc.VpcId, VpcOwnerId: owner, GroupOwnerId: owner, State: 'associated' },
    ]);
    const ni = (await ownerEc2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, Groups: [open] })))
      .NetworkInterface!;
    expect(ni.Groups).toEqual([{ GroupId: open, GroupName: 'open-elsewhere' }]);

    expect(
      (await errorOf(ownerEc2.send(new DisassociateSecurityGroupVpcCommand({ GroupId: open, VpcId: vpc.VpcId })))).name,
    ).toBe('DependencyViolation');
    expect((await errorOf(ownerEc2.send(new DeleteSecurityGroupCommand({ GroupId: open })))).name).toBe(
      'DependencyViolation',
    );
    // the interface moves to the VPC's default group; then the association can go
    const vpcDefault = await ownerEc2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ni.NetworkInterfaceId!] }),
    );
    expect(vpcDefault.NetworkInterfaces![0]!.VpcId).toBe(vpc.VpcId);
    const plain = await newGroup(ownerEc2, 'plain-in-vpc', vpc.VpcId);
    await ownerEc2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ni.NetworkInterfaceId, Groups: [plain] }),
    );
    const gone = await ownerEc2.send(new DisassociateSecurityGroupVpcCommand({ GroupId: open, VpcId: vpc.VpcId }));
    expect(gone.State).toBe('disassociating');
    expect(
      (
        await ownerEc2.send(
          new DescribeSecurityGroupVpcAssociationsCommand({ Filters: [{ Name: 'group-id', Values: [open] }] }),
        )
      ).SecurityGroupVpcAssociations,
    ).toEqual([]);

    const events = busEvents(owner, from).filter((e) => e.detail.eventName.endsWith('SecurityGroupVpc'));
    expect(events.map((e) => e.detail.eventName)).toEqual([
      'AssociateSecurityGroupVpc',
      'DisassociateSecurityGroupVpc',
    ]);
    expect(shape(events[0])).toEqual(shape(fixture('associate-security-group-vpc.event.json')));
    expect(shape(events[1])).toEqual(shape(fixture('disassociate-security-group-vpc.event.json')));
    expect(events[0]!.detail.requestParameters).toEqual({
      AssociateSecurityGroupVpcRequest: { GroupId: open, VpcId: vpc.VpcId },
    });
  });

  it("refuses what EC2 refuses: a VPC that does not exist or is another account's, the group's own VPC, a default group, twice", async () => {
    const sg = await newGroup(ownerEc2, 'assoc-errors');
    const vpc = (await ownerEc2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!;
    expect(
      (
        await errorOf(
          ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: 'vpc-0123456789abcdef0' })),
        )
      ).name,
    ).toBe('InvalidVpcID.NotFound');
    const theirs = (await consumerEc2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }))).Vpc!;
    expect(
      (await errorOf(ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: theirs.VpcId })))).name,
    ).toBe('InvalidVpcID.NotFound');
    const defaultVpc = sim.state.accounts.get(owner)!.regions.get(REGION)!.securityGroups.get(sg)!.vpcId;
    expect(
      (await errorOf(ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: defaultVpc })))).name,
    ).toBe('InvalidParameterValue');
    const dflt = [...sim.state.accounts.get(owner)!.regions.get(REGION)!.securityGroups.values()].find(
      (g) => g.groupName === 'default' && g.vpcId === defaultVpc,
    )!;
    expect(
      (await errorOf(ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: dflt.groupId, VpcId: vpc.VpcId }))))
        .name,
    ).toBe('InvalidParameterValue');
    await ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: vpc.VpcId }));
    expect(
      (await errorOf(ownerEc2.send(new AssociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: vpc.VpcId })))).name,
    ).toBe('InvalidParameterValue');
    expect(
      (await errorOf(consumerEc2.send(new DisassociateSecurityGroupVpcCommand({ GroupId: sg, VpcId: vpc.VpcId }))))
        .name,
    ).toBe('InvalidGroup.NotFound');
  });
});

describe('network interfaces and instances', () => {
  it("replaces an interface's groups with ModifyNetworkInterfaceAttribute, only with groups of its VPC, five at most", async () => {
    const { Subnets } = await ownerEc2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
    );
    const subnet = Subnets![0]!;
    const ni = (
      await ownerEc2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet.SubnetId, Description: 'app' }))
    ).NetworkInterface!;
    expect(ni).toMatchObject({
      SubnetId: subnet.SubnetId,
      VpcId: subnet.VpcId,
      Status: 'available',
      Description: 'app',
    });
    expect(ni.Groups!.map((g) => g.GroupName)).toEqual(['default']);
    expect(ni.PrivateIpAddress).toMatch(/^172\.31\.\d+\.\d+$/);
    const exempt = await newGroup(ownerEc2, 'exempt-open');
    const from = eventCount(owner);
    await ownerEc2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: ni.NetworkInterfaceId,
        Groups: [exempt, ni.Groups![0]!.GroupId!],
      }),
    );
    const now = (
      await ownerEc2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [exempt] }] }))
    ).NetworkInterfaces!;
    expect(now.map((n) => n.NetworkInterfaceId)).toEqual([ni.NetworkInterfaceId]);
    expect(now[0]!.Groups!.map((g) => g.GroupId)).toEqual([exempt, ni.Groups![0]!.GroupId]);
    const [event] = busEvents(owner, from);
    expect(shape(event)).toEqual(shape(fixture('modify-network-interface-attribute.groups.event.json')));
    expect(event!.detail.requestParameters).toEqual({
      networkInterfaceId: ni.NetworkInterfaceId,
      groupSet: { items: [{ groupId: exempt }, { groupId: ni.Groups![0]!.GroupId }] },
    });

    const elsewhere = await newGroup(
      ownerEc2,
      'other-vpc',
      (await ownerEc2.send(new CreateVpcCommand({ CidrBlock: '10.80.0.0/16' }))).Vpc!.VpcId,
    );
    expect(
      (
        await errorOf(
          ownerEc2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: ni.NetworkInterfaceId,
              Groups: [elsewhere],
            }),
          ),
        )
      ).name,
    ).toBe('InvalidParameter');
    const six = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => newGroup(ownerEc2, `six-${i}`)));
    expect(
      (
        await errorOf(
          ownerEc2.send(
            new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ni.NetworkInterfaceId, Groups: six }),
          ),
        )
      ).name,
    ).toBe('SecurityGroupsPerInterfaceLimitExceeded');
    expect(
      (
        await errorOf(
          ownerEc2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: ni.NetworkInterfaceId,
              Groups: [exempt],
              SourceDestCheck: { Value: false },
            }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterCombination');
    expect(
      (
        await errorOf(
          ownerEc2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: 'eni-0123456789abcdef0',
              Groups: [exempt],
            }),
          ),
        )
      ).name,
    ).toBe('InvalidNetworkInterfaceID.NotFound');
    // what a refused call asked for did not happen
    expect(
      (
        await ownerEc2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ni.NetworkInterfaceId!] }))
      ).NetworkInterfaces![0]!.Groups!.map((g) => g.GroupId),
    ).toEqual([exempt, ni.Groups![0]!.GroupId]);
  });

  it('launches an instance with its primary interface, whose groups ModifyInstanceAttribute replaces; other attributes change no group', async () => {
    const sg = await newGroup(ownerEc2, 'instance-start');
    const run = await ownerEc2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        SecurityGroupIds: [sg],
      }),
    );
    const launched = run.Instances![0]!;
    expect(launched.State).toEqual({ Code: 0, Name: 'pending' });
    const id = launched.InstanceId!;
    const described = (await ownerEc2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!
      .Instances![0]!;
    expect(described).toMatchObject({ InstanceId: id, InstanceType: 't3.micro', State: { Code: 16, Name: 'running' } });
    const primary = described.NetworkInterfaces![0]!;
    expect(primary).toMatchObject({
      Attachment: { DeviceIndex: 0, Status: 'attached' },
      Groups: [{ GroupId: sg, GroupName: 'instance-start' }],
    });
    const eni = (
      await ownerEc2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }),
      )
    ).NetworkInterfaces!;
    expect(eni.map((n) => [n.NetworkInterfaceId, n.Status])).toEqual([[primary.NetworkInterfaceId, 'in-use']]);

    const open = await newGroup(ownerEc2, 'instance-open');
    const from = eventCount(owner);
    await ownerEc2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, Groups: [open] }));
    await ownerEc2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.large' } }));
    await ownerEc2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: id, Attribute: 'disableApiTermination', Value: 'true' }),
    );
    const after = (
      await ownerEc2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance.group-id', Values: [open] }] }))
    ).Reservations!.flatMap((r) => r.Instances!);
    expect(after.map((i) => i.InstanceId)).toEqual([id]);
    expect(after[0]!.NetworkInterfaces![0]!.Groups!.map((g) => g.GroupId)).toEqual([open]);
    const [groups, type, attr] = busEvents(owner, from);
    expect(shape(groups)).toEqual(shape(fixture('modify-instance-attribute.groups.event.json')));
    expect(shape(type)).toEqual(shape(fixture('modify-instance-attribute.instance-type.event.json')));
    expect(shape(attr)).toEqual(shape(fixture('modify-instance-attribute.attribute-value.event.json')));
    expect(groups!.detail.requestParameters).toEqual({ instanceId: id, groupSet: { items: [{ groupId: open }] } });
    expect(type!.detail.requestParameters).toEqual({ instanceId: id, instanceType: { value: 't3.large' } });
    expect(attr!.detail.requestParameters).toEqual({
      instanceId: id,
      attribute: 'disableApiTermination',
      value: '<sensitiveDataRemoved>',
    });
    expect(
      (
        await errorOf(
          ownerEc2.send(new ModifyInstanceAttributeCommand({ InstanceId: 'i-0123456789abcdef0', Groups: [open] })),
        )
      ).name,
    ).toBe('InvalidInstanceID.NotFound');
  });

  it("launches into a subnet given by a network interface specification, with the VPC's default group when none is named", async () => {
    const vpc = (await ownerEc2.send(new CreateVpcCommand({ CidrBlock: '10.90.0.0/16' }))).Vpc!;
    const subnet = (await ownerEc2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.90.0.0/24' })))
      .Subnet!;
    const run = await ownerEc2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 2,
        MaxCount: 2,
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet.SubnetId }],
      }),
    );
    expect(run.Instances!.map((i) => i.VpcId)).toEqual([vpc.VpcId, vpc.VpcId]);
    expect(run.Instances!.map((i) => i.PrivateIpAddress)).toEqual(['10.90.0.4', '10.90.0.5']);
    expect(run.Instances![0]!.SecurityGroups!.map((g) => g.GroupName)).toEqual(['default']);
    expect(
      (await errorOf(ownerEc2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.91.0.0/24' })))).name,
    ).toBe('InvalidSubnet.Range');
  });
});
