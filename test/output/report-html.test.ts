// The report's HTML: every value escaped (attacker-controlled names, ARNs, reasons), no script, sections only when
// their data exists, the matrix collapsed at scale; and activity's terminal and CSV output made safe.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, trusted } from '../../src/output/html.js';
import { reportHtml } from '../../src/output/report-html.js';
import { activityCsv, csvCell, safeText } from '../../src/output/activity-table.js';
import { reportFixture } from './report-fixture.js';

const NASTY = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", '</style><script>x</script>',
  '&lt;already&gt;', '`${x}`', 'a\u0000b\u001b[31mred'];

describe('escaping', () => {
  it('escapes the five HTML specials, backticks and control characters', () => {
    expect(escapeHtml('<a href="x">\'&`</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;&lt;/a&gt;');
    expect(escapeHtml('a\u0000b\u001bc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
  });
  it('the html tag escapes every interpolated value, arrays too, and keeps its own markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${['<', inner, 3, null, undefined, false]}</p>`.value).toBe('<p title="&quot;x&quot;">&lt;<b>&lt;i&gt;</b>3</p>');
    expect(html`${trusted('<hr>')}`.value).toBe('<hr>');
  });
  it.each(NASTY)('a report with account name, principal and reason %j contains it only escaped', (evil) => {
    const data = reportFixture({ accounts: 3, lines: 6, names: () => evil });
    for (const r of data.activity.rows) {
      r.action = 'reverted';
      r.principal = evil;
      r.reason = evil;
      r.groupId = evil;
    }
    const page = reportHtml(data);
    // eslint-disable-next-line no-control-regex -- the hostile names include control characters
    if (/[<>"'&`\u0000\u001b]/.test(evil)) expect(page).not.toContain(evil);
    expect(page).toContain(escapeHtml(evil));
    expect(page).not.toMatch(/<script|<img|<[^>]*\son(error|mouseover)=/i);
    expect(page.match(/<style>/g)).toHaveLength(1);
  });
});

describe('the page', () => {
  it('has a CSP that forbids scripts, and no external reference', () => {
    const page = reportHtml(reportFixture({ accounts: 5, lines: 20 }));
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;;[^"]*script-src &#39;none&#39;/);
    expect(page).not.toMatch(/https?:|<link|<script|src=|url\(/i);
    expect(page).toContain('@media print');
  });
  it('shows protection and approvals only when the status rows carry them', () => {
    const plain = reportHtml(reportFixture({ accounts: 3, lines: 3 }));
    expect(plain).not.toContain('id="protection"');
    expect(plain).not.toContain('id="approvals"');
    const rich = reportHtml(reportFixture({ accounts: 3, lines: 3, extraRow: { protection: 'unprotected', approvals: 2 } }));
    expect(rich).toContain('id="protection"');
    expect(rich).toMatch(/<span class="pill p-unprotected">\d+ unprotected<\/span>/);
    expect(rich).toContain('id="approvals"');
    expect(rich).toMatch(/\d+ active approval\(s\)/);
  });
  it('draws every account below 500, and only accounts with a problem at 500 and more', () => {
    const small = reportHtml(reportFixture({ accounts: 40, lines: 0 }));
    expect(small.match(/<th scope="row">/g)).toHaveLength(40);
    const big = reportHtml(reportFixture({ accounts: 600, lines: 0 }));
    expect(big.match(/<th scope="row">/g)).toHaveLength(1);
    expect(big).toContain('599 of 600 accounts are healthy in every region and are not drawn');
  });
  it('lists unhealthy details with each drift difference, and caps the events table', () => {
    const page = reportHtml(reportFixture({ accounts: 4, lines: 10_000 }));
    expect(page).toContain('<code>State</code></td><td><code>ENABLED</code></td><td><code>DISABLED</code>');
    expect((page.match(/<tr class="a-/g) ?? []).length).toBe(1000);
    expect(page).toMatch(/\d+ more not shown; the full list: <code>guardrail activity/);
    expect(Buffer.byteLength(page)).toBeLessThan(5 * 1024 * 1024);
  });
});

describe('activity output', () => {
  it('shows control characters escaped on the terminal', () => {
    expect(safeText('a\u001b[31mb\u0007\u009b')).toBe('a\\x1b[31mb\\x07\\x9b');
  });
  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(null)).toBe('');
    const csv = activityCsv(reportFixture({ accounts: 2, lines: 3, names: () => '@evil,"name"' }).activity);
    expect(csv.split('\r\n')[1]).toContain(`"'@evil,""name"""`);
  });
});
