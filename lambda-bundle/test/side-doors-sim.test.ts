// The side doors (issue N) in the simulator's closed loop: the built bundle behind its queue in a member account,
// the change rule's own pattern from templates/guardrail.yaml (both directions), and a member admin acting through
// the SDK. This is the function's half of the acceptance without CloudFormation: the real SDK calls of aws.ts
// against the simulator's wire protocol, the events the simulator emits in the cloudtrail-n shapes, the pattern's
// $or and its group-set filter.
import {
  AssociateSecurityGroupVpcCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupVpcAssociationsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyInstanceAttributeCommand,
  ModifyManagedPrefixListCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';
import { whenLoopIdle } from '../../test/sim/loop.js';
import { regionState } from '../../test/sim/state.js';
import type { SimServer } from '../../test/sim/server.js';
import { deployBehindQueue } from '../../test/sim/test/sim-resources.js';
import {
  assumeInto,
  clientConfig,
  memberIds,
  startTestSim,
  type TestCredentials,
} from '../../test/sim/test/helpers.js';

const region = 'us-east-1';
const NAME = 'guardrail-sides';
let sim: SimServer;
let account: string;
let admin: TestCredentials;
let ec2: EC2Client;
const outdir = mkdtempSync(join(tmpdir(), 'guardrail-sides-'));
const ids = { home: '', prot: '', subnet: '', list: '', open: '', exempt: '', eni: '', instance: '' };

/** The template's ChangeRule pattern for this account, both directions (the conditions' else branches). */
function changeRulePattern(): unknown {
  const t = parseCfnYaml(readFileSync(new URL('../../templates/guardrail.yaml', import.meta.url), 'utf8')) as {
    Resources: Record<string, { Properties: { EventPattern: unknown } }>;
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    if ('Fn::If' in o) return resolve((o['Fn::If'] as unknown[])[2]);
    if (o.Ref === 'AWS::AccountId') return account;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve(t.Resources.ChangeRule!.Properties.EventPattern);
}

async function deploy(env: Record<string, string>): Promise<void> {
  await deployBehindQueue(sim, admin, {
    account,
    region,
    name: NAME,
    code: readFileSync(join(outdir, 'index.js'), 'utf8'),
    timeout: 30,
    pattern: changeRulePattern(),
    environment: env,
  });
}

/** Every decision the function logged, in order. */
function lines(): Record<string, unknown>[] {
  return regionState(sim.state, account, region)
    .invocations.flatMap((i) => i.logs)
    .flatMap((l) => {
      try {
        const doc = JSON.parse(l) as Record<string, unknown>;
        return typeof doc.action === 'string' ? [doc] : [];
      } catch {
        return [];
      }
    });
}

const group = async (name: string, vpc: string, open: boolean): Promise<string> => {
  const id = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpc })))
    .GroupId!;
  if (open)
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: id,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
  return id;
};

beforeAll(async () => {
  execFileSync(process.execPath, [new URL('../build.mjs', import.meta.url).pathname, '--outdir', outdir], {
    stdio: 'ignore',
  });
  sim = await startTestSim({ accounts: 1, regions: [region] });
  account = memberIds(sim)[0]!;
  admin = await assumeInto(sim, account);
  ec2 = new EC2Client({ ...clientConfig(sim, region, admin), maxAttempts: 5 });
  // before the function: the groups' open rules are the past, not changes to decide
  ids.home = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }))).Vpc!.VpcId!;
  ids.prot = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  ids.subnet = (
    await ec2.send(new CreateSubnetCommand({ VpcId: ids.prot, CidrBlock: '10.20.1.0/24' }))
  ).Subnet!.SubnetId!;
  ids.list = (
    await ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'partners',
        AddressFamily: 'IPv4',
        MaxEntries: 10,
        Entries: [{ Cidr: '198.51.100.0/24' }],
      }),
    )
  ).PrefixList!.PrefixListId!;
  ids.open = await group('lab', ids.home, true);
  ids.exempt = await group('public', ids.prot, true);
  ids.eni = (
    await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: ids.subnet }))
  ).NetworkInterface!.NetworkInterfaceId!;
  ids.instance = (
    await ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, SubnetId: ids.subnet }),
    )
  ).Instances![0]!.InstanceId!;
  await whenLoopIdle(sim.state, 30_000);
  await deploy({
    GUARDRAIL_ONLY_VPCS: ids.prot,
    GUARDRAIL_EXEMPT_GROUPS: ids.exempt,
    GUARDRAIL_PREFIX_LIST_CIDRS: '10.0.0.0/8',
  });
}, 60_000);

afterAll(async () => {
  ec2?.destroy();
  await sim?.close();
  rmSync(outdir, { recursive: true, force: true });
});

const version = async () =>
  (await ec2.send(new DescribeManagedPrefixListsCommand({ PrefixListIds: [ids.list] }))).PrefixLists![0]!.Version!;
const entries = async () =>
  ((await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: ids.list }))).Entries ?? [])
    .map((e) => e.Cidr!)
    .sort();

describe("the side doors against the simulator, with the template's pattern", () => {
  it('0.0.0.0/0 added: restored through the real SDK (same list, a new version with the old entries); a private entry allowed by policy stays', async () => {
    await ec2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: ids.list,
        CurrentVersion: 1,
        AddEntries: [{ Cidr: '0.0.0.0/0' }],
      }),
    );
    await whenLoopIdle(sim.state, 30_000);
    expect(await entries()).toEqual(['198.51.100.0/24']);
    expect(await version()).toBe(3);
    expect(
      lines()
        .filter((l) => l.prefixListId === ids.list)
        .map((l) => [l.action, l.versionBefore, l.versionAfter]),
    ).toEqual([['restored', 1, 2]]);
    await ec2.send(
      new ModifyManagedPrefixListCommand({
        PrefixListId: ids.list,
        CurrentVersion: 3,
        AddEntries: [{ Cidr: '10.30.0.0/16' }],
      }),
    );
    await whenLoopIdle(sim.state, 30_000);
    expect(await entries()).toEqual(['10.30.0.0/16', '198.51.100.0/24']);
    expect(lines().at(-1)).toMatchObject({ action: 'allowed', versionAfter: 4, entriesAdded: ['10.30.0.0/16'] });
  });

  it('an open group from outside onlyVpcs associated into the protected VPC: disassociated', async () => {
    await ec2.send(new AssociateSecurityGroupVpcCommand({ GroupId: ids.open, VpcId: ids.prot }));
    await whenLoopIdle(sim.state, 30_000);
    const out = await ec2.send(
      new DescribeSecurityGroupVpcAssociationsCommand({ Filters: [{ Name: 'group-id', Values: [ids.open] }] }),
    );
    expect((out.SecurityGroupVpcAssociations ?? []).filter((a) => a.State === 'associated')).toEqual([]);
    expect(lines().at(-1)).toMatchObject({
      eventName: 'AssociateSecurityGroupVpc',
      action: 'reverted',
      groupId: ids.open,
      vpcId: ids.prot,
    });
  });

  it('an open exempt group put on an interface and on an instance: reported with the interface; other attributes are never delivered', async () => {
    const before = lines().length;
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.eni, Groups: [ids.exempt] }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ids.instance, Groups: [ids.exempt] }));
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: ids.instance, InstanceType: { Value: 't3.large' } }),
    );
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.eni, SourceDestCheck: { Value: false } }),
    );
    await whenLoopIdle(sim.state, 30_000);
    const fresh = lines().slice(before);
    expect(fresh.map((l) => [l.eventName, l.action, l.groupId, l.networkInterfaceId !== undefined])).toEqual([
      ['ModifyNetworkInterfaceAttribute', 'monitored', ids.exempt, true],
      ['ModifyInstanceAttribute', 'monitored', ids.exempt, true],
    ]);
    expect(fresh[0]).toMatchObject({ networkInterfaceId: ids.eni, vpcId: ids.prot });
    expect(fresh[1]).toMatchObject({ instanceId: ids.instance });
  });
});
