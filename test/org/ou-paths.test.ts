// accountOuPaths: one walk of the OU tree gives every account its parent OU and the path of names down to it,
// following NextToken on every list call.
import {
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import { accountOuPaths } from '../../src/org/ou-paths.js';

/**
 * root r-1 → Workloads (ou-w) → Prod (ou-p, 45 accounts), root → an OU named `<script>` (ou-x); 2 accounts at the root.
 */
function fakeOrg() {
  const ous: Record<string, { Id: string; Name: string }[]> = {
    'r-1': [
      { Id: 'ou-w', Name: 'Workloads' },
      { Id: 'ou-x', Name: '<script>alert(1)</script>' },
    ],
    'ou-w': [{ Id: 'ou-p', Name: 'Prod' }],
  };
  const accounts: Record<string, { Id: string; Name: string }[]> = {
    'r-1': [
      { Id: '100000000000', Name: 'mgmt' },
      { Id: '100000000001', Name: 'audit' },
    ],
    'ou-p': Array.from({ length: 45 }, (_, i) => ({ Id: String(200000000000 + i), Name: `prod-${i}` })),
    'ou-x': [{ Id: '300000000000', Name: 'x' }],
  };
  const calls: string[] = [];
  const client = new OrganizationsClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
  });
  const page = <T>(all: T[], input: { NextToken?: string; MaxResults?: number }) => {
    const start = Number(input.NextToken ?? 0);
    const end = start + (input.MaxResults ?? 20);
    return { items: all.slice(start, end), NextToken: end < all.length ? String(end) : undefined };
  };
  client.send = async (cmd: { input: { ParentId?: string; NextToken?: string; MaxResults?: number } }) => {
    calls.push(`${cmd.constructor.name} ${cmd.input.ParentId ?? ''} ${cmd.input.NextToken ?? ''}`.trim());
    if (cmd instanceof ListRootsCommand) return { Roots: [{ Id: 'r-1', Name: 'Root' }] };
    if (cmd instanceof ListOrganizationalUnitsForParentCommand) {
      const p = page(ous[cmd.input.ParentId!] ?? [], cmd.input);
      return { OrganizationalUnits: p.items, NextToken: p.NextToken };
    }
    if (cmd instanceof ListAccountsForParentCommand) {
      const p = page(accounts[cmd.input.ParentId!] ?? [], cmd.input);
      return { Accounts: p.items, NextToken: p.NextToken };
    }
    throw new Error(`unexpected ${cmd.constructor.name}`);
  };
  return { client, calls };
}

describe('accountOuPaths', () => {
  it('maps every account to its parent OU and the path of OU names, paginating each list', async () => {
    const { client, calls } = fakeOrg();
    const map = await accountOuPaths(client);
    expect(map.size).toBe(2 + 45 + 1);
    expect(map.get('100000000001')).toEqual({ id: 'r-1', path: 'Root' });
    expect(map.get('200000000044')).toEqual({ id: 'ou-p', path: 'Workloads / Prod' });
    expect(map.get('300000000000')).toEqual({ id: 'ou-x', path: '<script>alert(1)</script>' });
    expect(map.has('ou-w')).toBe(false);
    // Prod's 45 accounts take three pages of 20; the tree is walked once
    expect(calls.filter((c) => c.startsWith('ListAccountsForParentCommand ou-p'))).toHaveLength(3);
    expect(calls.filter((c) => c.startsWith('ListRootsCommand'))).toHaveLength(1);
  });
});
