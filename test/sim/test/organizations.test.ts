import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeAccountCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  OrganizationsClient,
  paginateListAccounts,
  type Account,
} from '@aws-sdk/client-organizations';
import type { SimServer } from '../server.js';
import { errorOf, assumeInto, clientConfig, memberIds, startTestSim } from './helpers.js';

let sim: SimServer;
let org: OrganizationsClient;
let mgmt: string;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 250, suspended: [] });
  mgmt = sim.state.org.managementAccountId;
  org = new OrganizationsClient({ ...clientConfig(sim), maxAttempts: 1 });
});
afterAll(async () => {
  org.destroy();
  await sim.close();
});

describe('Organizations', () => {
  it('DescribeOrganization', async () => {
    const { Organization: o } = await org.send(new DescribeOrganizationCommand({}));
    expect(o?.Id).toBe(sim.state.org.id);
    expect(o?.MasterAccountId).toBe(mgmt);
    expect(o?.Arn).toBe(`arn:aws:organizations::${mgmt}:organization/${sim.state.org.id}`);
    expect(o?.FeatureSet).toBe('ALL');
  });

  it('paginates ListAccounts over 251 accounts with the SDK paginator, at most 20 a page', async () => {
    const pages: number[] = [];
    const all: Account[] = [];
    for await (const page of paginateListAccounts({ client: org }, {})) {
      pages.push(page.Accounts?.length ?? 0);
      all.push(...(page.Accounts ?? []));
    }
    expect(all).toHaveLength(251);
    expect(new Set(all.map((a) => a.Id)).size).toBe(251);
    expect(Math.max(...pages)).toBeLessThanOrEqual(20);
    expect(pages.length).toBe(13);
    const first = all.find((a) => a.Id === mgmt)!;
    expect(first.Arn).toBe(`arn:aws:organizations::${mgmt}:account/${sim.state.org.id}/${mgmt}`);
    expect(first.Status).toBe('ACTIVE');
    expect(first.State).toBe('ACTIVE');
    expect(first.JoinedMethod).toBe('CREATED');
    expect(first.JoinedTimestamp).toEqual(new Date('2020-01-01T00:00:00.000Z'));
    expect(first.Email).toContain('@');
  });

  it('honours MaxResults and rejects values over 20 and invalid tokens', async () => {
    const page = await org.send(new ListAccountsCommand({ MaxResults: 7 }));
    expect(page.Accounts).toHaveLength(7);
    expect(page.NextToken).toBeTruthy();
    const next = await org.send(new ListAccountsCommand({ MaxResults: 7, NextToken: page.NextToken }));
    expect(next.Accounts![0]!.Id).not.toBe(page.Accounts![0]!.Id);

    const tooMany = await errorOf(org.send(new ListAccountsCommand({ MaxResults: 21 })));
    expect(tooMany.name).toBe('InvalidInputException');
    for (const token of ['garbage', Buffer.from('5.abc').toString('base64url')]) {
      const bad = await errorOf(org.send(new ListAccountsCommand({ NextToken: token })));
      expect(bad.name).toBe('InvalidInputException');
      expect(bad.message).toContain('invalid value for nextToken');
      expect(bad.Reason).toBe('INVALID_NEXT_TOKEN');
    }
    // a token is tied to its operation
    const roots = await org.send(new ListRootsCommand({}));
    const bad = await errorOf(
      org.send(new ListAccountsForParentCommand({ ParentId: roots.Roots![0]!.Id, NextToken: page.NextToken })),
    );
    expect(bad.name).toBe('InvalidInputException');
  });

  it('walks the OU tree: roots, OUs, accounts for each parent, parents', async () => {
    const { Roots } = await org.send(new ListRootsCommand({}));
    expect(Roots).toHaveLength(1);
    const root = Roots![0]!;
    expect(root.Id).toBe(sim.state.org.rootId);
    expect(root.Arn).toBe(`arn:aws:organizations::${mgmt}:root/${sim.state.org.id}/${root.Id}`);

    const top = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root.Id }));
    expect(top.OrganizationalUnits!.map((o) => o.Name).sort()).toEqual(['Sandbox', 'Security', 'Workloads']);
    const workloads = top.OrganizationalUnits!.find((o) => o.Name === 'Workloads')!;
    const nested = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: workloads.Id }));
    expect(nested.OrganizationalUnits!.map((o) => o.Name).sort()).toEqual(['Dev', 'Prod']);
    const prod = nested.OrganizationalUnits!.find((o) => o.Name === 'Prod')!;
    expect(prod.Arn).toBe(`arn:aws:organizations::${mgmt}:ou/${sim.state.org.id}/${prod.Id}`);

    // every account sits under exactly one parent: the union over all parents is the whole organisation
    const parents = [
      root.Id!,
      ...top.OrganizationalUnits!.map((o) => o.Id!),
      ...nested.OrganizationalUnits!.map((o) => o.Id!),
    ];
    const seen = new Set<string>();
    for (const ParentId of parents) {
      let NextToken: string | undefined;
      do {
        const out = await org.send(new ListAccountsForParentCommand({ ParentId, NextToken }));
        expect(out.Accounts!.length).toBeLessThanOrEqual(20);
        for (const a of out.Accounts!) seen.add(a.Id!);
        NextToken = out.NextToken;
      } while (NextToken);
    }
    expect(seen.size).toBe(251);

    const inProd = await org.send(new ListAccountsForParentCommand({ ParentId: prod.Id }));
    const child = inProd.Accounts![0]!.Id!;
    const { Parents } = await org.send(new ListParentsCommand({ ChildId: child }));
    expect(Parents).toEqual([{ Id: prod.Id, Type: 'ORGANIZATIONAL_UNIT' }]);
    const ouParents = await org.send(new ListParentsCommand({ ChildId: prod.Id }));
    expect(ouParents.Parents).toEqual([{ Id: workloads.Id, Type: 'ORGANIZATIONAL_UNIT' }]);
    const topParents = await org.send(new ListParentsCommand({ ChildId: workloads.Id }));
    expect(topParents.Parents).toEqual([{ Id: root.Id, Type: 'ROOT' }]);
  });

  it('reports SUSPENDED accounts, and DescribeAccount', async () => {
    const victim = memberIds(sim)[10]!;
    await fetch(`${sim.endpoint}/_sim/faults`, { method: 'POST', body: JSON.stringify({ suspended: [victim] }) });
    const { Account: a } = await org.send(new DescribeAccountCommand({ AccountId: victim }));
    expect(a?.Status).toBe('SUSPENDED');
    expect(a?.State).toBe('SUSPENDED');
    await fetch(`${sim.endpoint}/_sim/faults`, { method: 'POST', body: JSON.stringify({ suspended: [] }) });
    const missing = await errorOf(org.send(new DescribeAccountCommand({ AccountId: '999999999999' })));
    expect(missing.name).toBe('AccountNotFoundException');
  });

  it('raises ParentNotFoundException and ChildNotFoundException', async () => {
    const p = await errorOf(org.send(new ListAccountsForParentCommand({ ParentId: 'ou-zzzz-zzzzzzzz' })));
    expect(p.name).toBe('ParentNotFoundException');
    const o = await errorOf(org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-zzzz' })));
    expect(o.name).toBe('ParentNotFoundException');
    const c = await errorOf(org.send(new ListParentsCommand({ ChildId: '999999999999' })));
    expect(c.name).toBe('ChildNotFoundException');
  });

  it("denies a member account's credentials, except DescribeOrganization", async () => {
    const creds = await assumeInto(sim, memberIds(sim)[0]!);
    const member = new OrganizationsClient({ ...clientConfig(sim, 'us-east-1', creds), maxAttempts: 1 });
    try {
      const err = await errorOf(member.send(new ListAccountsCommand({})));
      expect(err.name).toBe('AccessDeniedException');
      expect(err.message).toBe("You don't have permissions to access this resource.");
      expect(err.$metadata?.httpStatusCode).toBe(403);
      const { Organization } = await member.send(new DescribeOrganizationCommand({}));
      expect(Organization?.MasterAccountId).toBe(mgmt);
    } finally {
      member.destroy();
    }
  });

  it('shows an account added through /_sim/accounts', async () => {
    const res = await fetch(`${sim.endpoint}/_sim/accounts`, {
      method: 'POST',
      body: JSON.stringify({ name: 'newcomer' }),
    });
    const { id } = (await res.json()) as { id: string };
    const { Account: a } = await org.send(new DescribeAccountCommand({ AccountId: id }));
    expect(a?.Name).toBe('newcomer');
    expect(a?.Status).toBe('ACTIVE');
  });
});
