// Discovery announces each targeted account as its page arrives (deploy and status start on it early), and the
// announced accounts are exactly those the run targets: never a suspended, excluded or excluded-OU account.
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverAccounts, type OrgAccount } from '../../src/org/discover.js';
import type { SimServer } from '../sim/server.js';
import { clientConfig, memberIds, startTestSim } from '../sim/test/helpers.js';

describe('discoverAccounts: announcing accounts early', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startTestSim({ accounts: 60 });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** Discovers with `opts`, counting the ListAccounts pages asked for by the time each account is announced. */
  async function discover(opts: { excludeOUs: string[]; excludeAccounts: string[] }) {
    const announced: OrgAccount[] = [];
    let pages = 0;
    const pagesAtAnnounce: number[] = [];
    const client = new OrganizationsClient(clientConfig(sim));
    const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
    (client as unknown as { send: (c: { constructor: { name: string } }) => Promise<unknown> }).send = (c) => {
      if (c.constructor.name === 'ListAccountsCommand') pages++;
      return send(c);
    };
    const d = await discoverAccounts(client, {
      includeOUs: [],
      ...opts,
      includeManagementAccount: false,
      onAccount: (a) => {
        announced.push(a);
        pagesAtAnnounce.push(pages);
      },
    });
    client.destroy();
    return { d, ids: announced.map((a) => a.id), pages, pagesAtAnnounce };
  }

  it('announces the accounts of each page while the later pages are still being listed', async () => {
    const { d, ids, pages, pagesAtAnnounce } = await discover({ excludeOUs: [], excludeAccounts: [] });
    // 61 accounts are 4 pages of 20
    expect(pages).toBe(4);
    expect([...ids].sort()).toEqual(d.accounts.map((a) => a.id).sort());
    // the first accounts are out by the time the second page is asked for (not after the fourth), and the
    // announcements follow the pages
    expect(pagesAtAnnounce[0]).toBeLessThanOrEqual(2);
    expect(new Set(pagesAtAnnounce).size).toBeGreaterThanOrEqual(3);
    expect(pagesAtAnnounce.at(-1)).toBe(4);
  });

  it('announces exactly the targeted accounts, once each: never a suspended, excluded or excluded-OU one', async () => {
    const members = memberIds(sim);
    const workloads = [...sim.state.org.ous.values()].find((ou) => ou.name === 'Workloads')!.id;
    sim.state.org.accounts.get(members[5]!)!.status = 'SUSPENDED';
    const { d, ids } = await discover({ excludeOUs: [workloads], excludeAccounts: [members[7]!] });
    expect(d.excluded.length).toBeGreaterThan(3);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(d.accounts.map((a) => a.id).sort());
    for (const x of d.excluded) expect(ids).not.toContain(x.account.id);
  });
});
