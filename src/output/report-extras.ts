// Sections that appear only when their data exists: protection (the SCP state per account), approvals (active
// approvals per target) and prefix lists owned by other accounts that targets' rules use. They read optional fields of
// the status rows, so work that adds those fields shows here without changes.
import type { ReportStatusRow } from '../report/gather.js';
import { html, type Html } from './html.js';
import { sharedPrefixListText } from '../stack/shared-prefix-lists.js';

/** The SCP applies to an account, not to a region: one row per account (the first row of each account says it). */
export function protectionSection(rows: ReportStatusRow[]): Html {
  const byAccount = new Map<string, ReportStatusRow>();
  for (const r of rows) if (typeof r.protection === 'string' && !byAccount.has(r.account)) byAccount.set(r.account, r);
  const accounts = [...byAccount.values()];
  if (accounts.length === 0) return html``;
  const counts = new Map<string, number>();
  for (const r of accounts) counts.set(r.protection!, (counts.get(r.protection!) ?? 0) + 1);
  const gaps = accounts.filter((r) => r.protection !== 'protected' && r.protection !== 'not-applicable');
  return html`<section id="protection"><h2>Protection</h2>
<p>${[...counts.entries()].sort().map(([k, n]) => html`<span class="pill p-${k}">${n} ${n === 1 ? 'account' : 'accounts'} ${k}</span> `)}</p>
${
  gaps.length > 0
    ? html`<table><thead><tr><th>Account</th><th>Protection</th></tr></thead><tbody>${gaps.map((r) => html`<tr><td>${r.accountName || r.account} <span class="id">${r.account}</span></td><td>${r.protection}</td></tr>`)}</tbody></table>`
    : html`<p class="ok">Every account that can be protected is.</p>`
}</section>`;
}

export function approvalsSection(rows: ReportStatusRow[]): Html {
  const withField = rows.filter((r) => typeof r.approvals === 'number');
  if (withField.length === 0) return html``;
  const active = withField.filter((r) => r.approvals! > 0);
  const total = active.reduce((n, r) => n + r.approvals!, 0);
  return html`<section id="approvals"><h2>Approvals</h2><p>${total} active approval(s) in ${active.length} target(s).</p>
${active.length > 0 ? html`<table><thead><tr><th>Account</th><th>Region</th><th>Active</th></tr></thead><tbody>${active.map((r) => html`<tr><td>${r.accountName || r.account} <span class="id">${r.account}</span></td><td>${r.region}</td><td class="num">${r.approvals}</td></tr>`)}</tbody></table>` : ''}</section>`;
}

/** Prefix lists owned by other accounts that a target's rules use: they change where guardrail here sees no event. */
export function sharedPrefixListsSection(rows: ReportStatusRow[]): Html {
  const using = rows.filter((r) => (r.sharedPrefixLists?.length ?? 0) > 0);
  if (using.length === 0) return html``;
  return html`<section id="shared-prefix-lists"><h2>Prefix lists owned by other accounts</h2>
<p>They change in their owner's account, where guardrail in these targets sees no event: watch them there.</p>
<table><thead><tr><th>Account</th><th>Region</th><th>Prefix lists</th></tr></thead><tbody>${using.map((r) => html`<tr><td>${r.accountName || r.account} <span class="id">${r.account}</span></td><td>${r.region}</td><td>${r.sharedPrefixLists!.map(sharedPrefixListText).join('; ')}</td></tr>`)}</tbody></table></section>`;
}
