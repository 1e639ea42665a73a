// The summary under the rows: how many decisions of each action, per account, and who made the most changes.
import type { ActivityRow } from './line.js';

export interface ActivitySummary {
  events: number;
  byAction: Record<string, number>;
  byAccount: { account: string; accountName: string; events: number; byAction: Record<string, number> }[];
  topPrincipals: { principal: string; events: number; byAction: Record<string, number> }[];
  targets: number;
  read: number;
  notDeployed: number;
  unreadable: number;
}

const TOP = 10;

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export function summariseActivity(rows: ActivityRow[], targets: { status: string }[]): ActivitySummary {
  const byAction: Record<string, number> = {};
  const accounts = new Map<string, ActivitySummary['byAccount'][number]>();
  const principals = new Map<string, ActivitySummary['topPrincipals'][number]>();
  for (const r of rows) {
    bump(byAction, r.action);
    const a = accounts.get(r.account) ?? { account: r.account, accountName: r.accountName, events: 0, byAction: {} };
    a.events++;
    bump(a.byAction, r.action);
    accounts.set(r.account, a);
    const key = r.principal ?? 'unknown';
    const p = principals.get(key) ?? { principal: key, events: 0, byAction: {} };
    p.events++;
    bump(p.byAction, r.action);
    principals.set(key, p);
  }
  const desc = <T extends { events: number }>(x: T, y: T, kx: string, ky: string) =>
    y.events - x.events || kx.localeCompare(ky);
  return {
    events: rows.length,
    byAction,
    byAccount: [...accounts.values()].sort((x, y) => desc(x, y, x.account, y.account)),
    topPrincipals: [...principals.values()].sort((x, y) => desc(x, y, x.principal, y.principal)).slice(0, TOP),
    targets: targets.length,
    read: targets.filter((t) => t.status === 'read').length,
    notDeployed: targets.filter((t) => t.status === 'not-deployed').length,
    unreadable: targets.filter((t) => t.status === 'unreadable').length,
  };
}
