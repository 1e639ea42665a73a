// End to end, through the built bin/guardrail: a prefix list that account A shares into account B (AWS RAM) and that
// a rule in B names changes only in A, where guardrail in B sees no event. `status` names it for B, with owner A and
// the group that uses it, in the JSON and in the table, and leaves B healthy: it is outside what guardrail can see,
// not tampering. It costs one call a target, and two more only where another account's list is visible.
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { countCalls, startE2E, type CliRun, type E2E } from './harness.js';

const REGION = 'us-east-1';

interface Row {
  account: string;
  region: string;
  healthy: boolean;
  problems: string[];
  sharedPrefixLists: { id: string; name: string; owner: string; groups: string[] }[] | null;
  sharedPrefixListsError?: string;
}
const rows = (r: CliRun) => (r.json?.targets ?? []) as unknown as Row[];

describe('status names the prefix lists other accounts share into a target', () => {
  let e: E2E;
  let a: string;
  let b: string;
  let listId: string;
  let groupId: string;
  const clients: EC2Client[] = [];

  beforeAll(async () => {
    e = await startE2E({ accounts: 2, regions: [REGION], stackMs: 60 });
    [a, b] = memberIds(e.sim) as [string, string];
    const ec2A = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, a)));
    const ec2B = new EC2Client(clientConfig(e.sim, REGION, await assumeInto(e.sim, b)));
    clients.push(ec2A, ec2B);
    listId = (
      await ec2A.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: 'partner-offices',
          MaxEntries: 5,
          AddressFamily: 'IPv4',
          Entries: [{ Cidr: '198.51.100.0/24' }],
        }),
      )
    ).PrefixList!.PrefixListId!;
    const shared = await fetch(`${e.sim.endpoint}/_sim/prefix-list-shares`, {
      method: 'POST',
      body: JSON.stringify({ owner: a, region: REGION, prefixListId: listId, consumer: b }),
    });
    expect(shared.status).toBe(200);
    groupId = (
      await ec2B.send(new CreateSecurityGroupCommand({ GroupName: 'from-partners', Description: 'partner offices' }))
    ).GroupId!;
    await ec2B.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: listId }] }],
      }),
    );
    // deployed after the rule was made: the function judges changes from now on, and this one is already there
    e.config(`regions: [${REGION}]\ndeploy:\n  pollSeconds: 1\n`);
    const deploy = await e.run(['deploy', '--all-accounts', '--yes', '--output', 'json']);
    expect(deploy.code, deploy.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await e?.close();
  });

  it('JSON: B carries the list with owner A and its group, A and the management account carry none; all healthy', async () => {
    await e.resetCalls();
    // the deep check (status's default, with drift) looks for them
    const r = await e.run(['status', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const byAccount = new Map(rows(r).map((t) => [t.account, t]));
    expect(byAccount.get(b)).toMatchObject({
      healthy: true,
      problems: [],
      sharedPrefixLists: [{ id: listId, name: 'partner-offices', owner: a, groups: [groupId] }],
    });
    expect(byAccount.get(a)?.sharedPrefixLists).toEqual([]);
    expect(rows(r).every((t) => t.healthy)).toBe(true);
    expect(r.json?.summary).toMatchObject({
      targets: 3,
      healthy: 3,
      targetsWithSharedPrefixLists: 1,
      sharedPrefixLists: 1,
    });
    const calls = await e.calls();
    // one DescribeManagedPrefixLists a target; the groups are read only where another account's list is visible
    expect(countCalls(calls, ['ec2.DescribeManagedPrefixLists'])).toBe(3);
    expect(countCalls(calls, ['ec2.DescribeSecurityGroups'])).toBe(2);
    expect(countCalls(calls, ['ec2.DescribeSecurityGroups'], b)).toBe(2);
  });

  it('--no-drift, the quick check, leaves them out: no DescribeManagedPrefixLists, the field null without an error', async () => {
    await e.resetCalls();
    const r = await e.run(['status', '--no-drift', '--output', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(rows(r).map((t) => [t.sharedPrefixLists, t.sharedPrefixListsError])).toEqual([
      [null, undefined],
      [null, undefined],
      [null, undefined],
    ]);
    expect(countCalls(await e.calls(), ['ec2.DescribeManagedPrefixLists'])).toBe(0);
  });

  it('table: the details name the list, its owner and the group, and the summary counts them', async () => {
    const r = await e.run(['status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Prefix lists owned by other accounts');
    expect(r.stdout).toMatch(
      new RegExp(`\\(${b}\\)/${REGION}: ${listId} \\(partner-offices, owned by ${a}\\) in ${groupId}`),
    );
    expect(r.stdout).toContain('1 target(s) use 1 prefix list(s) owned by other accounts');
    expect(r.stdout).not.toContain('Unhealthy:');
  });
});
