// The confirmation questions: each says what will happen before it asks, so "y" is an informed answer.

import type { PlanCounts } from '../engines/direct/deploy.js';

/**
 * "create 120 · update 2 · unchanged 1 · cannot plan 0 — deploy to 41 accounts?", and with approvals, when the store
 * would change: "… — create the approval store guardrail-approvals (111111111111/us-east-1) and deploy to 41
 * accounts?"; the template buckets the apply would create come first: "… — create the template bucket
 * guardrail-templates-…, create the approval store … and deploy to 41 accounts?"
 */
export function deployQuestion(c: PlanCounts): string {
  const parts = [
    ...(c.buckets?.length ? [`create ${bucketNames(c.buckets)}`] : []),
    ...(c.store
      ? [`${c.store.action} the approval store ${c.store.stackName} (${c.store.account}/${c.store.region})`]
      : []),
    `deploy to ${c.accounts} ${c.accounts === 1 ? 'account' : 'accounts'}`,
  ];
  const what = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `create ${c.create} · update ${c.update} · unchanged ${c.unchanged} · cannot plan ${c.cannotPlan} — ${what}?`;
}

/**
 * The template buckets by name, every one: "the template bucket guardrail-templates-111111111111-us-east-1", or for
 * several "the template buckets guardrail-templates-111111111111-{eu-west-1,us-east-1}" (they differ only by region).
 */
export function bucketNames(names: readonly string[]): string {
  if (names.length === 1) return `the template bucket ${names[0]}`;
  const prefix = /^(guardrail-templates-\d{12}-)/.exec(names[0] ?? '')?.[1];
  if (prefix && names.every((n) => n.startsWith(prefix))) {
    return `the template buckets ${prefix}{${names.map((n) => n.slice(prefix.length)).join(',')}}`;
  }
  return `the template buckets ${names.join(', ')}`;
}

type Accounts = readonly { id: string; name: string }[];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The accounts by name (up to `shown`, then a count of the others). */
function accountList(accounts: Accounts, shown: number): string {
  const names = accounts.slice(0, shown).map((a) => (a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id));
  const more = accounts.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

const inRegions = (regions: readonly string[]) =>
  `in ${plural(regions.length, 'region', 'regions')}: ${[...regions].sort().join(', ')}`;

/** The accounts by name (up to `shown`, then a count of the others) and the regions of the stacks to delete. */
export function removeQuestion(accounts: Accounts, regions: readonly string[], stacks: number, shown = 10): string {
  return (
    `Remove guardrail (${plural(stacks, 'stack', 'stacks')}) from ${plural(accounts.length, 'account', 'accounts')}: ` +
    `${accountList(accounts, shown)} — ${inRegions(regions)}?`
  );
}

/** "Retry 3 events waiting in 2 dead-letter queues of 2 accounts: … — in 1 region: us-east-1?" */
export function retryQuestion(
  accounts: Accounts,
  regions: readonly string[],
  queues: number,
  events: number,
  shown = 10,
): string {
  return (
    `Retry ${plural(events, 'event', 'events')} waiting in ${plural(queues, 'dead-letter queue', 'dead-letter queues')}` +
    ` of ${plural(accounts.length, 'account', 'accounts')}: ${accountList(accounts, shown)} — ${inRegions(regions)}?`
  );
}

/**
 * "Record the current rules of every security group of 3 accounts: … — in 2 regions: … into guardrail-approvals-rules
 * (…)?"
 */
export function baselineQuestion(
  accounts: Accounts,
  regions: readonly string[],
  table: string,
  where: string,
  shown = 10,
): string {
  return (
    `Record the current rules of every security group of ${plural(accounts.length, 'account', 'accounts')}: ` +
    `${accountList(accounts, shown)} — ${inRegions(regions)} — into ${table} (${where}) as the definitions a modified rule is restored to?`
  );
}
