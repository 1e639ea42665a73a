// The auditors' page: one self-contained HTML document. No script (and a Content-Security-Policy that forbids any),
// no network fetch (inline CSS and SVG only), printable. Every value goes through the `html` tag's escaping.
import type { ReportData } from '../report/gather.js';
import { html, trusted, type Html } from './html.js';
import { activitySection } from './report-activity.js';
import { approvalsSection, sharedPrefixListsSection, protectionSection } from './report-extras.js';
import { matrixSection, unhealthySection } from './report-matrix.js';

const CSS = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2833;font-size:14px}
body{margin:24px auto;max-width:1200px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;border-bottom:2px solid #d5d8dc;padding-bottom:4px;margin-top:28px}
h3{font-size:15px;margin:16px 0 6px} .id{color:#5d6d7e;font-size:12px;font-family:ui-monospace,monospace}
table{border-collapse:collapse;margin:6px 0} th,td{border:1px solid #d5d8dc;padding:3px 6px;text-align:left;vertical-align:top}
thead th{background:#f4f6f7} .matrix td{text-align:center;font-size:15px;min-width:72px} .num{text-align:right}
.k-healthy{color:#1e8449} .k-tampered,.k-pending{color:#c0392b;font-weight:bold} .k-outdated{color:#b9770e} .k-missing{color:#b9770e}
.k-error{color:#c0392b} .k-none{color:#aab7b8} td.k-tampered,td.k-pending,td.k-error{background:#fdedec} td.k-outdated,td.k-missing{background:#fef5e7}
.legend span{font-weight:bold;margin-left:10px} .note{color:#5d6d7e} .ok{color:#1e8449} .bad{color:#c0392b}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0} .meta dt{color:#5d6d7e}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0} .card{border:1px solid #d5d8dc;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px} article.target{border-left:4px solid #c0392b;padding:2px 12px;margin:10px 0;break-inside:avoid}
article.target dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px} article.target dt{color:#5d6d7e}
.chart svg{width:100%;max-width:900px;height:auto;font-size:11px;fill:#1c2833} .swatch{display:inline-block;width:10px;height:10px;margin-left:8px}
.events td{font-size:12px} .arn{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.cols{display:flex;gap:24px;flex-wrap:wrap} code{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.pill{border:1px solid #d5d8dc;border-radius:10px;padding:1px 8px} footer{margin-top:32px;color:#5d6d7e;font-size:12px}
@media print{body{margin:0;max-width:none;font-size:11px} h2{break-after:avoid} tr,article{break-inside:avoid} a{color:inherit}}
`;

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'none'; base-uri 'none'; form-action 'none'";

function summaryCards(d: ReportData): Html {
  const s = d.status.summary;
  const a = d.activity.summary.byAction;
  const card = (n: number, label: string, cls = '') => html`<div class="card ${cls}"><b>${n}</b>${label}</div>`;
  return html`<div class="cards">${card(s.targets, 'targets')}${card(s.healthy, 'healthy', 'k-healthy')}${card(s.unhealthy, 'unhealthy', s.unhealthy ? 'k-tampered' : '')}
${card(a.reverted ?? 0, 'reverted')}${card(a.failed ?? 0, 'failed reverts', a.failed ? 'k-tampered' : '')}
${card(s.pendingReverts, 'not undone (dead-letter queues)', s.pendingReverts ? 'k-pending' : '')}${card(d.activity.summary.events, 'decisions in window')}</div>`;
}

export function reportHtml(d: ReportData): string {
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>guardrail report ${d.generatedAt.slice(0, 10)}</title>
<style>${trusted(CSS)}</style></head>
<body><header><h1>guardrail report</h1>
<dl class="meta"><dt>Organisation</dt><dd>management account ${d.caller.account} <span class="id">(read as ${d.caller.arn})</span></dd>
<dt>Generated</dt><dd>${d.generatedAt}</dd><dt>guardrail</dt><dd>${d.version}, template ${d.status.version}, code ${d.status.codeSha256} (${d.status.codeReference})</dd>
<dt>Configuration</dt><dd><code>${d.configDigest}</code></dd><dt>Activity window</dt><dd>${d.activity.since} to ${d.activity.until}</dd>
${d.status.excluded.length > 0 ? html`<dt>Left out</dt><dd>${d.status.excluded.map((e) => `${e.name} (${e.account}): ${e.reason}`).join('; ')}</dd>` : ''}</dl>
${summaryCards(d)}</header>
<main>${matrixSection(d.status.targets, d.ous)}
${unhealthySection(d.status.targets)}
${protectionSection(d.status.targets)}
${approvalsSection(d.status.targets)}
${sharedPrefixListsSection(d.status.targets)}
${activitySection(d.activity)}</main>
<footer>Written by guardrail ${d.version}. This page runs no script and loads nothing from the network.</footer>
</body></html>
`;
  return page.value;
}
