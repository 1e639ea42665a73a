// The report reads the OUs only from Organizations: an `accounts:` list never calls it, and a denied walk becomes the
// reason the page gives for counting instead of grouping; a readable organisation gives the map.
import { ListAccountsForParentCommand, ListRootsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import type { GuardrailConfig } from '../../src/config/index.js';
import { readOus } from '../../src/report/gather.js';
import type { Session } from '../../src/fleet/session.js';

function orgClient(send: (cmd: object) => Promise<unknown>): OrganizationsClient {
  const client = new OrganizationsClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
  });
  client.send = send;
  return client;
}
const sessionWith = (org: () => OrganizationsClient) => ({ organizations: org }) as unknown as Session;
const config = (accounts: number) =>
  ({
    accounts: Array.from({ length: accounts }, (_, i) => ({ id: String(100000000000 + i), name: `a${i}` })),
  }) as unknown as GuardrailConfig;

describe('readOus', () => {
  it('with an accounts: list, does not call Organizations and says why', async () => {
    let called = 0;
    const ous = await readOus(
      sessionWith(() => {
        called++;
        return orgClient(async () => ({}));
      }),
      config(3),
    );
    expect(called).toBe(0);
    expect(ous).toEqual({
      byAccount: null,
      error: 'the accounts come from the `accounts:` list of the configuration, not from Organizations',
    });
  });
  it('without Organizations access, gives the error instead of a map', async () => {
    const denied = Object.assign(new Error("You don't have permissions to access this resource."), {
      name: 'AccessDeniedException',
    });
    const ous = await readOus(
      sessionWith(() =>
        orgClient(async () => {
          throw denied;
        }),
      ),
      config(0),
    );
    expect(ous.byAccount).toBeNull();
    expect(ous.error).toMatch(/^the organisation's OUs could not be read \(.*AccessDenied.*\)$/);
  });
  it('with Organizations, gives every account its place', async () => {
    const ous = await readOus(
      sessionWith(() =>
        orgClient(async (cmd) =>
          cmd instanceof ListRootsCommand
            ? { Roots: [{ Id: 'r-1' }] }
            : cmd instanceof ListAccountsForParentCommand
              ? { Accounts: [{ Id: '100000000000' }] }
              : { OrganizationalUnits: [] },
        ),
      ),
      config(0),
    );
    expect(ous).toEqual({ byAccount: new Map([['100000000000', { id: 'r-1', path: 'Root' }]]), error: null });
  });
});
