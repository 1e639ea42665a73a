// Issue N's acceptance, with the built bin/guardrail and a member admin acting through the SDK: access widened
// without a rule change. A customer-managed prefix list referenced by a rule gets 0.0.0.0/0 (restored to the version
// before, same list id, `restored`) and an allowed entry (kept); a group open to the world from a VPC outside
// onlyVpcs is associated into a protected one (disassociated); an open exempt group is put on an interface (reported
// and notified, nothing changed). Then onAssociate report and monitor mode: kept and reported. One account, one
// deploy and two updates; the simulator's clock runs the loop, nothing sleeps.
import {
  AssociateSecurityGroupVpcCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupVpcAssociationsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
  ModifyNetworkInterfaceAttributeCommand,
  DisassociateSecurityGroupVpcCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { startE2E, type E2E } from './harness.js';

const REGION = 'us-east-1';
let e: E2E;
let account: string;
let ec2: EC2Client;
const ids = { home: '', protectedVpc: '', list: '', referencing: '', openOutside: '', exemptOpen: '', eni: '' };

interface Line {
  action: string;
  eventName: string | null;
  reason: string;
  groupId: string | null;
  vpcId: string | null;
  prefixListId?: string;
  versionBefore?: number;
  versionAfter?: number;
  entriesAdded?: string[];
  networkInterfaceId?: string;
}
async function decisions(): Promise<Line[]> {
  const r = await e.run(['activity', '--since', '1h', '--account', account, '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (r.json as unknown as { events: Line[] }).events;
}

async function snsMessages(): Promise<{ subject?: string; message: string }[]> {
  const state = (await (await fetch(`${e.sim.endpoint}/_sim/state`)).json()) as {
    accounts: Record<string, { regions: Record<string, { snsMessages: { subject?: string; message: string }[] }> }>;
  };
  return state.accounts[account]?.regions[REGION]?.snsMessages ?? [];
}

async function entries(version?: number): Promise<string[]> {
  const out = await ec2.send(
    new GetManagedPrefixListEntriesCommand({ PrefixListId: ids.list, TargetVersion: version }),
  );
  return (out.Entries ?? []).map((x) => x.Cidr!).sort();
}
async function listVersion(): Promise<number> {
  const out = await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [ids.list] }));
  return out.PrefixLists![0]!.Version!;
}
async function addEntry(cidr: string): Promise<void> {
  await ec2.send(
    new ModifyManagedPrefixListCommand({
      PrefixListId: ids.list,
      CurrentVersion: await listVersion(),
      AddEntries: [{ Cidr: cidr, Description: 'test' }],
    }),
  );
}
async function associations(groupId: string): Promise<string[]> {
  const out = await ec2.send(
    new DescribeSecurityGroupVpcAssociationsCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (out.SecurityGroupVpcAssociations ?? [])
    .filter((a) => a.State === 'associated' || a.State === 'associating')
    .map((a) => a.VpcId!);
}

async function deploy(policy: string): Promise<void> {
  e.config(
    [
      `regions: [${REGION}]`,
      'deploy: { pollSeconds: 1 }',
      'notifications: { email: secops@example.com }',
      `policy: { ${policy}onlyVpcs: [${ids.protectedVpc}], exemptGroups: [${ids.exemptOpen}], prefixLists: { cidrs: [10.0.0.0/8] } }`,
      '',
    ].join('\n'),
  );
  const r = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  e = await startE2E({ accounts: 1, regions: [REGION], stackMs: 40 });
  [account] = memberIds(e.sim) as [string];
  ec2 = new EC2Client({
    ...clientConfig(e.sim, REGION, await assumeInto(e.sim, account, { sessionName: 'netadmin' })),
    maxAttempts: 1,
  });
  // before guardrail: two VPCs, a list referenced by a rule, a group open to the world in the VPC outside onlyVpcs,
  // an open group in the protected VPC that policy exempts, and an interface there
  ids.home = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }))).Vpc!.VpcId!;
  ids.protectedVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: ids.protectedVpc, CidrBlock: '10.20.1.0/24' })))
    .Subnet!.SubnetId!;
  ids.list = (
    await ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'partners',
        AddressFamily: 'IPv4',
        MaxEntries: 10,
        Entries: [{ Cidr: '198.51.100.0/24', Description: 'partner A' }],
      }),
    )
  ).PrefixList!.PrefixListId!;
  const group = async (name: string, vpc: string) =>
    (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpc }))).GroupId!;
  ids.referencing = await group('partners-https', ids.protectedVpc);
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: ids.referencing,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: ids.list }] }],
    }),
  );
  ids.openOutside = await group('lab-ssh', ids.home);
  ids.exemptOpen = await group('public-web', ids.protectedVpc);
  for (const g of [ids.openOutside, ids.exemptOpen]) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: g,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
  }
  ids.eni = (
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnet }))
  ).NetworkInterface!.NetworkInterfaceId!;
  await deploy('');
}, 120_000);

afterAll(async () => {
  ec2?.destroy();
  await e?.close();
});

describe('the side doors (issue N)', () => {
  it('0.0.0.0/0 added to a referenced prefix list is restored to the version before: same list id, restored in activity', async () => {
    await addEntry('0.0.0.0/0');
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await listVersion()).toBe(3);
    expect(await entries()).toEqual(['198.51.100.0/24']);
    const line = (await decisions()).find((d) => d.action === 'restored');
    expect(line, JSON.stringify(await decisions())).toMatchObject({
      eventName: 'ModifyManagedPrefixList',
      prefixListId: ids.list,
      versionBefore: 1,
      versionAfter: 2,
      entriesAdded: ['0.0.0.0/0'],
    });
    // guardrail's own restore made version 3, and its event was not acted on again
    expect((await decisions()).filter((d) => d.prefixListId === ids.list && d.action === 'restored')).toHaveLength(1);
  });

  it('an entry within policy.prefixLists.cidrs is kept', async () => {
    await addEntry('10.30.0.0/16');
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await entries()).toEqual(['10.30.0.0/16', '198.51.100.0/24']);
    expect((await decisions()).find((d) => d.action === 'allowed' && d.versionAfter === 4)).toMatchObject({
      entriesAdded: ['10.30.0.0/16'],
    });
  });

  it('a group open to the world, from a VPC outside onlyVpcs, associated into a protected VPC is disassociated', async () => {
    await ec2.send(new AssociateSecurityGroupVpcCommand({ GroupId: ids.openOutside, VpcId: ids.protectedVpc }));
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await associations(ids.openOutside)).toEqual([]);
    expect((await decisions()).find((d) => d.eventName === 'AssociateSecurityGroupVpc')).toMatchObject({
      action: 'reverted',
      groupId: ids.openOutside,
      vpcId: ids.protectedVpc,
    });
  });

  it('an open exempt group put on an interface is reported and notified; nothing is changed', async () => {
    const before = (await snsMessages()).length;
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.eni, Groups: [ids.exemptOpen] }),
    );
    await whenLoopIdle(e.sim.state, 30_000);
    const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ids.eni] })))
      .NetworkInterfaces![0]!;
    expect(eni.Groups!.map((g) => g.GroupId)).toEqual([ids.exemptOpen]);
    expect((await decisions()).find((d) => d.eventName === 'ModifyNetworkInterfaceAttribute')).toMatchObject({
      action: 'monitored',
      groupId: ids.exemptOpen,
      networkInterfaceId: ids.eni,
      vpcId: ids.protectedVpc,
    });
    const fresh = (await snsMessages()).slice(before);
    expect(
      fresh.some((m) => m.message.includes(ids.eni) && m.message.includes(ids.exemptOpen)),
      JSON.stringify(fresh),
    ).toBe(true);
  });

  it("with onAssociate report, the open group's association is kept and reported", async () => {
    await deploy('onAssociate: report, ');
    await ec2.send(new AssociateSecurityGroupVpcCommand({ GroupId: ids.openOutside, VpcId: ids.protectedVpc }));
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await associations(ids.openOutside)).toEqual([ids.protectedVpc]);
    const line = (await decisions()).find(
      (d) => d.eventName === 'AssociateSecurityGroupVpc' && d.action === 'monitored',
    );
    expect(line?.reason).toMatch(/^onAssociate=report: /);
    await ec2.send(new DisassociateSecurityGroupVpcCommand({ GroupId: ids.openOutside, VpcId: ids.protectedVpc }));
  });

  it('in monitor mode, 0.0.0.0/0 added to the list is kept and reported', async () => {
    await deploy('mode: monitor, ');
    await addEntry('0.0.0.0/0');
    await whenLoopIdle(e.sim.state, 30_000);
    expect(await entries()).toContain('0.0.0.0/0');
    expect((await decisions()).find((d) => d.action === 'monitored' && d.prefixListId === ids.list)).toMatchObject({
      entriesAdded: ['0.0.0.0/0'],
    });
  });
});
