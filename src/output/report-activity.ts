// The report's activity: a daily bar chart of decisions by action (inline SVG, no script), the table of reverts,
// failures and approvals, the top principals and accounts, and the targets whose logs could not be read.
import type { ActivityRow } from '../activity/line.js';
import { rulesOf } from './activity-table.js';
import type { ActivityReport } from '../activity/read.js';
import { html, type Html } from './html.js';

export const ACTION_COLORS: Record<string, string> = {
  reverted: '#c0392b',
  failed: '#7b241c',
  forged: '#6c3483',
  expired: '#b9770e',
  monitored: '#d68910',
  approved: '#1e8449',
  allowed: '#2e86c1',
  ignored: '#95a5a6',
};
const ORDER = Object.keys(ACTION_COLORS);
/** Table rows drawn at most; beyond that the page says how to get the rest. */
export const MAX_TABLE_ROWS = 1000;
// restored: a modified rule or a prefix list put back to its previous version (issue M, issue N)
const NOTABLE = new Set(['reverted', 'restored', 'failed', 'approved', 'expired', 'forged', 'refused']);

function days(sinceIso: string, untilIso: string): string[] {
  const out: string[] = [];
  const end = untilIso.slice(0, 10);
  for (
    let d = new Date(`${sinceIso.slice(0, 10)}T00:00:00Z`);
    out.length < 400;
    d = new Date(d.getTime() + 86_400_000)
  ) {
    const day = d.toISOString().slice(0, 10);
    out.push(day);
    if (day >= end) break;
  }
  return out;
}

export function activityChart(report: ActivityReport): Html {
  const dayList = days(report.since, report.until);
  const perDay = new Map<string, Record<string, number>>(dayList.map((d) => [d, {}]));
  for (const r of report.rows) {
    const m = perDay.get(r.time.slice(0, 10));
    if (m) m[r.action] = (m[r.action] ?? 0) + 1;
  }
  const max = Math.max(1, ...[...perDay.values()].map((m) => Object.values(m).reduce((a, b) => a + b, 0)));
  const W = 900,
    H = 220,
    left = 40,
    bottom = 30,
    top = 10;
  const slot = (W - left - 10) / dayList.length;
  const bar = Math.max(1, slot * 0.8);
  const y = (n: number) => ((H - bottom - top) * n) / max;
  const bars = dayList.map((day, i) => {
    let base = H - bottom;
    const m = perDay.get(day)!;
    const x = left + i * slot + (slot - bar) / 2;
    return ORDER.filter((a) => m[a]).map((a) => {
      const h = y(m[a]!);
      base -= h;
      return html`<rect x="${x.toFixed(1)}" y="${base.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${ACTION_COLORS[a]}"><title>${day}: ${m[a]} ${a}</title></rect>`;
    });
  });
  const step = Math.max(1, Math.ceil(dayList.length / 10));
  const labels = dayList.map((d, i) =>
    i % step === 0
      ? html`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${d.slice(5)}</text>`
      : '',
  );
  const present = ORDER.filter((a) => report.summary.byAction[a]);
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Decisions per day by action">
<line x1="${left}" y1="${H - bottom}" x2="${W - 10}" y2="${H - bottom}" stroke="#555"/>
<text x="${left - 6}" y="${top + 10}" text-anchor="end">${max}</text><text x="${left - 6}" y="${H - bottom}" text-anchor="end">0</text>
${bars}${labels}</svg>
<figcaption>Decisions per day (UTC), ${report.since.slice(0, 10)} to ${report.until.slice(0, 10)}. ${present.length === 0 ? 'No decisions in this window.' : ''}
${present.map((a) => html`<span class="swatch" style="background:${ACTION_COLORS[a]}"></span> ${a} ${report.summary.byAction[a]} `)}</figcaption></figure>`;
}

function rowHtml(r: ActivityRow): Html {
  // the same cell as activity's table: a modified rule's before and after, a prefix list's versions and entries
  const rules = rulesOf(r);
  return html`<tr class="a-${r.action}"><td>${r.time.replace('T', ' ').slice(0, 19)}</td><td>${r.accountName || r.account} <span class="id">${r.account}</span></td>
<td>${r.region}</td><td><b>${r.action}</b>${r.approvalId ? html`<br><span class="id">${r.approvalId}</span>` : ''}</td><td class="arn">${r.principal ?? '—'}</td>
<td>${r.groupId ?? r.prefixListId ?? '—'}${r.vpcId ? html`<br><span class="id">${r.vpcId}</span>` : ''}</td><td>${rules || '—'}</td><td>${r.reason}</td></tr>`;
}

export function activitySection(report: ActivityReport): Html {
  const s = report.summary;
  return html`<section id="activity"><h2>Activity</h2>
${activityChart(report)}
${notableHtml(report)}
<div class="cols"><div><h3>Top principals</h3>${topPrincipalsHtml(s)}</div>
<div><h3>By account</h3>${byAccountHtml(s)}</div></div>
<p>Logs read from ${s.read} of ${s.targets} targets; ${s.notDeployed} not deployed; ${s.unreadable} could not be read.</p>
${unreadableHtml(report)}
</section>`;
}

/** The reverts, failures and approvals (at most MAX_TABLE_ROWS drawn), and how to get the rest. */
function notableHtml(report: ActivityReport): Html {
  const notable = report.rows.filter((r) => NOTABLE.has(r.action));
  const shown = notable.slice(0, MAX_TABLE_ROWS);
  return html`<h3>Reverts, failures and approvals (${notable.length})</h3>
${
  shown.length === 0
    ? html`<p>None in this window.</p>`
    : html`<table class="events"><thead><tr><th>Time (UTC)</th><th>Account</th><th>Region</th><th>Action</th><th>Principal</th><th>Group</th><th>Rules</th><th>Reason</th></tr></thead>
<tbody>${shown.map(rowHtml)}</tbody></table>`
}
${notable.length > shown.length ? html`<p class="note">${notable.length - shown.length} more not shown; the full list: <code>guardrail activity --since ${report.since} --until ${report.until} --action reverted,failed,approved,expired,forged --output csv</code></p>` : ''}`;
}

/** The top principals, each with its decisions by action. */
function topPrincipalsHtml(s: ActivityReport['summary']): Html {
  return s.topPrincipals.length === 0
    ? html`<p>None.</p>`
    : html`<table><tbody>${s.topPrincipals.map(
        (p) =>
          html`<tr><td class="num">${p.events}</td><td class="arn">${p.principal}</td><td>${Object.entries(p.byAction)
            .map(([a, n]) => `${n} ${a}`)
            .join(', ')}</td></tr>`,
      )}</tbody></table>`;
}

/** The first 20 accounts of the summary's list, each with its decisions by action. */
function byAccountHtml(s: ActivityReport['summary']): Html {
  return s.byAccount.length === 0
    ? html`<p>None.</p>`
    : html`<table><tbody>${s.byAccount.slice(0, 20).map(
        (a) =>
          html`<tr><td class="num">${a.events}</td><td>${a.accountName || a.account} <span class="id">${a.account}</span></td><td>${Object.entries(
            a.byAction,
          )
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')}</td></tr>`,
      )}</tbody></table>`;
}

/** The targets whose logs could not be read, each with its error; nothing when every log was read. */
function unreadableHtml(report: ActivityReport): Html | '' {
  const unreadable = report.targets.filter((t) => t.status === 'unreadable');
  return unreadable.length > 0
    ? html`<h3 class="bad">Logs that could not be read</h3><ul>${unreadable.map((t) => html`<li>${t.accountName || t.account} <span class="id">${t.account}</span> / ${t.region}: ${t.error ?? 'unknown error'}</li>`)}</ul>`
    : '';
}
