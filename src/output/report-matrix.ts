// The report's health matrix (accounts × regions, the symbols and legend of `guardrail status`) and the details of
// every unhealthy target. At 500 accounts and more (COLLAPSE_AT), every account with an unhealthy target is drawn in
// full and the accounts healthy everywhere are grouped by OU, one line per OU with its count (only counted when the
// OUs could not be read). OU names are attacker-controlled text, escaped like every other value.
import { COLLAPSE_AT, type ReportOus, type ReportStatusRow } from '../report/gather.js';
import { html, type Html } from './html.js';

type Kind = 'healthy' | 'tampered' | 'pending' | 'outdated' | 'missing' | 'error' | 'none';

/** The same classification as status's matrix (output/status-matrix.ts). */
export function healthKind(r: ReportStatusRow | undefined): Kind {
  if (!r) return 'none';
  if (r.healthy) return 'healthy';
  if (r.error) return 'error';
  if (!r.deployed) return 'missing';
  if (r.drift === 'DRIFTED' || r.rule !== 'ENABLED') return 'tampered';
  if (r.pendingReverts) return 'pending';
  return 'outdated';
}

const SYMBOL: Record<Kind, string> = {
  healthy: '✓',
  tampered: '✗',
  pending: '↺',
  outdated: '~',
  missing: '○',
  error: '!',
  none: '·',
};
const LABEL: Record<Kind, string> = {
  healthy: 'healthy',
  tampered: 'tampered (drift or rule)',
  pending: 'reverts failed (guardrail retry)',
  outdated: 'outdated',
  missing: 'not deployed',
  error: 'could not check',
  none: 'not a target',
};
export { COLLAPSE_AT };

function legend(): Html {
  return html`<p class="legend">${(Object.keys(SYMBOL) as Kind[]).map((k) => html`<span class="k-${k}">${SYMBOL[k]}</span> ${LABEL[k]} `)}</p>`;
}

const NOT_FOUND = '(not found in the organisation)';

/** One line per OU: its path and id, and how many of its accounts are healthy in every region. */
function ouGroups(healthyIds: string[], ous: ReportOus | undefined, total: number, unhealthy: number): Html {
  if (!ous?.byAccount) {
    return html`<p class="note">${healthyIds.length} of ${total} accounts are healthy in every region and are not drawn; the ${unhealthy} with an unhealthy target are.${
      ous?.error ? ` Not grouped by OU: ${ous.error}.` : ''
    }</p>`;
  }
  const groups = new Map<string, { path: string; id: string; count: number }>();
  for (const id of healthyIds) {
    const place = ous.byAccount.get(id) ?? { id: '', path: NOT_FOUND };
    const key = `${place.path}\u0000${place.id}`;
    const g = groups.get(key) ?? { ...place, count: 0 };
    g.count++;
    groups.set(key, g);
  }
  // the root first, accounts the walk did not find last, OUs by path between them
  const rank = (g: { path: string; id: string }) => (g.path === 'Root' ? 0 : !g.id ? 2 : 1);
  const lines = [...groups.values()].sort(
    (a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path) || a.id.localeCompare(b.id),
  );
  return html`<p class="note">${healthyIds.length} of ${total} accounts are healthy in every region: grouped by OU below; the ${unhealthy} with an unhealthy target are drawn in full.</p>
<table class="ous"><thead><tr><th scope="col">OU</th><th scope="col">Id</th><th scope="col">Accounts healthy in every region</th></tr></thead>
<tbody>${lines.map((g) => html`<tr><td>${g.path}</td><td class="id">${g.id}</td><td class="num k-healthy">${SYMBOL.healthy} ${g.count}</td></tr>`)}</tbody></table>`;
}

export function matrixSection(rows: ReportStatusRow[], ous?: ReportOus): Html {
  const regions = [...new Set(rows.map((r) => r.region))].sort();
  const accounts = [...new Map(rows.map((r) => [r.account, r.accountName])).entries()].sort((a, b) =>
    a[0].localeCompare(b[0]),
  );
  const cell = new Map(rows.map((r) => [`${r.account}|${r.region}`, r]));
  const healthyEverywhere = (id: string) =>
    regions.every((g) => {
      const r = cell.get(`${id}|${g}`);
      return !r || r.healthy;
    });
  const collapse = accounts.length >= COLLAPSE_AT;
  const shown = collapse ? accounts.filter(([id]) => !healthyEverywhere(id)) : accounts;
  const healthyIds = collapse ? accounts.filter(([id]) => healthyEverywhere(id)).map(([id]) => id) : [];
  const body = shown.map(
    ([id, name]) =>
      html`<tr><th scope="row">${name || id} <span class="id">${id}</span></th>${regions.map((g) => {
        const r = cell.get(`${id}|${g}`);
        const k = healthKind(r);
        return html`<td class="k-${k}" title="${LABEL[k]}${r && r.problems.length ? `: ${r.problems.join('; ')}` : ''}">${SYMBOL[k]}</td>`;
      })}</tr>`,
  );
  return html`<section id="matrix"><h2>Health: accounts × regions</h2>
${legend()}
${collapse ? ouGroups(healthyIds, ous, accounts.length, shown.length) : ''}
<table class="matrix"><thead><tr><th scope="col">Account</th>${regions.map((g) => html`<th scope="col">${g}</th>`)}</tr></thead>
<tbody>${body}</tbody></table></section>`;
}

export function unhealthySection(rows: ReportStatusRow[]): Html {
  const bad = rows.filter((r) => !r.healthy);
  if (bad.length === 0)
    return html`<section id="unhealthy"><h2>Unhealthy targets</h2><p class="ok">Every target is healthy.</p></section>`;
  const item = (r: ReportStatusRow) => html`<article class="target">
<h3 class="k-${healthKind(r)}">${SYMBOL[healthKind(r)]} ${r.accountName || r.account} <span class="id">${r.account}</span> / ${r.region}</h3>
<ul>${r.problems.map((p) => html`<li>${p}</li>`)}</ul>
<dl><dt>Stack</dt><dd>${r.deployed ? `${r.stackName} ${r.stackStatus ?? ''}` : 'not deployed'}</dd>
<dt>Template version</dt><dd>${r.version}</dd><dt>Function code</dt><dd>${r.code}${typeof r.codeError === 'string' ? ` (${r.codeError})` : ''}</dd>
<dt>Rule</dt><dd>${r.rule}${typeof r.ruleError === 'string' ? ` (${r.ruleError})` : ''}</dd>
<dt>Pending reverts</dt><dd>${r.pendingReverts === null ? `unknown${typeof r.pendingRevertsError === 'string' ? ` (${r.pendingRevertsError})` : ''}` : r.pendingReverts}</dd>
<dt>Drift</dt><dd>${r.drift}${typeof r.driftReason === 'string' ? ` (${r.driftReason})` : ''}</dd></dl>
${
  r.driftedResources.length > 0
    ? html`<table class="diff"><thead><tr><th>Resource</th><th>Property</th><th>Expected</th><th>Actual</th></tr></thead><tbody>${r.driftedResources.flatMap(
        (d) =>
          (d.differences.length > 0 ? d.differences : [{ path: '(resource)', expected: '', actual: d.status }]).map(
            (x) =>
              html`<tr><td>${d.logicalId} <span class="id">${d.type}</span></td><td><code>${x.path}</code></td><td><code>${String(x.expected)}</code></td><td><code>${String(x.actual)}</code></td></tr>`,
          ),
      )}</tbody></table>`
    : ''
}
</article>`;
  // a missing stack has nothing more to show than its name: listed together, compactly
  const missing = bad.filter((r) => !r.deployed && !r.error);
  const detailed = bad.filter((r) => r.deployed || r.error);
  return html`<section id="unhealthy"><h2>Unhealthy targets (${bad.length})</h2>${detailed.map(item)}
${missing.length > 0 ? html`<article class="target"><h3 class="k-missing">${SYMBOL.missing} Not deployed (${missing.length})</h3><p>${missing.map((r, i) => html`${i > 0 ? ', ' : ''}${r.accountName || r.account} <span class="id">${r.account}</span> / ${r.region}`)}</p></article>` : ''}</section>`;
}
