// The report's HTML: every value escaped (attacker-controlled names, ARNs, reasons), no script, sections only when
// their data exists, the matrix collapsed at scale; and activity's terminal and CSV output made safe.
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, trusted } from '../../src/output/html.js';
import { reportHtml } from '../../src/output/report-html.js';
import { activityCsv, csvCell, safeText } from '../../src/output/activity-table.js';
import { reportFixture } from './report-fixture.js';

const NASTY = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '</style><script>x</script>',
  '&lt;already&gt;',
  '`${x}`',
  'a\u0000b\u001b[31mred',
];

describe('escaping', () => {
  it('escapes the five HTML specials, backticks and control characters', () => {
    expect(escapeHtml('<a href="x">\'&`</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;&lt;/a&gt;');
    expect(escapeHtml('a\u0000b\u001bc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
  });
  it('the html tag escapes every interpolated value, arrays too, and keeps its own markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${['<', inner, 3, null, undefined, false]}</p>`.value).toBe(
      '<p title="&quot;x&quot;">&lt;<b>&lt;i&gt;</b>3</p>',
    );
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
    expect(page).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;;[^"]*script-src &#39;none&#39;/,
    );
    expect(page).not.toMatch(/https?:|<link|<script|src=|url\(/i);
    expect(page).toContain('@media print');
  });
  it('shows protection and approvals only when the status rows carry them', () => {
    const plain = reportHtml(reportFixture({ accounts: 3, lines: 3 }));
    expect(plain).not.toContain('id="protection"');
    expect(plain).not.toContain('id="approvals"');
    const rich = reportHtml(
      reportFixture({ accounts: 3, lines: 3, extraRow: { protection: 'unprotected', approvals: 2 } }),
    );
    expect(rich).toContain('id="protection"');
    // the SCP applies per account: three accounts (of several regions each) are three rows, not one per region
    expect(rich).toContain('<span class="pill p-unprotected">3 accounts unprotected</span>');
    const table = rich.slice(
      rich.indexOf('id="protection"'),
      rich.indexOf('</section>', rich.indexOf('id="protection"')),
    );
    expect(table.match(/<tr><td>/g)).toHaveLength(3);
    expect(table).not.toContain('<th>Region</th>');
    expect(rich).toContain('id="approvals"');
    expect(rich).toMatch(/\d+ active approval\(s\)/);
  });
  it('lists the prefix lists owned by other accounts that targets use, only when there are some, escaped', () => {
    expect(reportHtml(reportFixture({ accounts: 3, lines: 3 }))).not.toContain('id="shared-prefix-lists"');
    const page = reportHtml(
      reportFixture({
        accounts: 2,
        lines: 0,
        extraRow: {
          sharedPrefixLists: [
            { id: 'pl-0a1b2c3d4e5f60718', name: '<partners>', owner: '999999999999', groups: ['sg-0aaaaaaaaaaaaaaaa'] },
          ],
        },
      }),
    );
    expect(page).toContain('id="shared-prefix-lists"');
    expect(page).toContain('pl-0a1b2c3d4e5f60718 (&lt;partners&gt;, owned by 999999999999) in sg-0aaaaaaaaaaaaaaaa');
    expect(page).not.toContain('<partners>');
  });
  it('draws every account below 500, and only accounts with a problem at 500 and more', () => {
    const small = reportHtml(reportFixture({ accounts: 40, lines: 0 }));
    expect(small.match(/<th scope="row">/g)).toHaveLength(40);
    const big = reportHtml(reportFixture({ accounts: 600, lines: 0 }));
    expect(big.match(/<th scope="row">/g)).toHaveLength(1);
    expect(big).toContain('599 of 600 accounts are healthy in every region and are not drawn');
  });
  it('at 500 and more, groups the healthy accounts by OU (path, id, count) and still draws the unhealthy ones in full', () => {
    const data = reportFixture({ accounts: 600, lines: 0 });
    // a second unhealthy account, in the OU that also has healthy ones
    for (const r of data.status.targets.filter((x) => x.account === '100000000250'))
      Object.assign(r, { healthy: false, deployed: false, problems: ['not deployed'] });
    const evil = '<script>alert(1)</script>';
    const place = (i: number) =>
      i < 200
        ? { id: 'r-ab12', path: 'Root' }
        : i < 400
          ? { id: 'ou-ab12-prod', path: 'Workloads / Prod' }
          : { id: 'ou-ab12-evil', path: evil };
    // the last one is not in the map
    const byAccount = new Map(Array.from({ length: 599 }, (_, i) => [String(100000000000 + i), place(i)] as const));
    const page = reportHtml({ ...data, ous: { byAccount, error: null } });
    expect(page.match(/<th scope="row">/g)).toHaveLength(2);
    expect(page).toMatch(
      /<th scope="row">account-1 <span class="id">100000000001<\/span><\/th><td class="k-healthy"[^>]*>✓<\/td><td class="k-tampered"[^>]*>✗<\/td><\/tr>/,
    );
    expect(page).toMatch(
      /<th scope="row">account-250 <span class="id">100000000250<\/span><\/th><td class="k-missing"[^>]*>○<\/td><td class="k-missing"/,
    );
    expect(page).toContain(
      '598 of 600 accounts are healthy in every region: grouped by OU below; the 2 with an unhealthy target are drawn in full.',
    );
    const lines = [
      ...page.matchAll(
        /<tr><td>([^<]*)<\/td><td class="id">([^<]*)<\/td><td class="num k-healthy">✓ (\d+)<\/td><\/tr>/g,
      ),
    ].map((m) => [m[1], m[2], Number(m[3])]);
    expect(lines).toEqual([
      ['Root', 'r-ab12', 199],
      [escapeHtml(evil), 'ou-ab12-evil', 199],
      ['Workloads / Prod', 'ou-ab12-prod', 199],
      ['(not found in the organisation)', '', 1],
    ]);
    expect(page).not.toContain(evil);
    expect(page).not.toMatch(/<script/i);
  });
  it('at 500 and more without the OUs (an accounts: list, or no Organizations access), counts the healthy accounts and says why', () => {
    const data = reportFixture({ accounts: 500, lines: 0 });
    const page = reportHtml({
      ...data,
      ous: {
        byAccount: null,
        error: 'the accounts come from the `accounts:` list of the configuration, not from Organizations',
      },
    });
    expect(page.match(/<th scope="row">/g)).toHaveLength(1);
    expect(page).toContain(
      '499 of 500 accounts are healthy in every region and are not drawn; the 1 with an unhealthy target are. ' +
        'Not grouped by OU: the accounts come from the &#96;accounts:&#96; list of the configuration, not from Organizations.',
    );
    expect(page).not.toContain('class="ous"');
    const small = reportHtml({
      ...reportFixture({ accounts: 40, lines: 0 }),
      ous: { byAccount: new Map(), error: null },
    });
    expect(small).not.toContain('class="ous"');
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
