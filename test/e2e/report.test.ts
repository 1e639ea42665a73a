// guardrail report end to end, checked in headless Chromium: a simulated organisation of 40 accounts (one of them
// named `<script>alert(1)</script>`), a reverted change and a tampered target; bin/guardrail writes the page; the
// browser shows the matrix, the unhealthy details and the chart, runs no script, fetches nothing, and a screenshot
// is saved under test-output/.
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenLoopIdle } from '../sim/loop.js';
import { assumeInto, clientConfig, memberIds } from '../sim/test/helpers.js';
import { launchChromium } from '../browser/chromium.js';
import { startE2E, type E2E } from './harness.js';

const REGIONS = ['us-east-1', 'eu-west-1'];
const EVIL = '<script>alert(1)</script>';
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
let e: E2E;
let victim: string;
let tampered: string;
let evil: string;

beforeAll(async () => {
  e = await startE2E({ accounts: 38, regions: REGIONS, stackMs: 50 });
  const added = await fetch(`${e.sim.endpoint}/_sim/accounts`, {
    method: 'POST',
    body: JSON.stringify({ name: EVIL }),
  });
  evil = ((await added.json()) as { id: string }).id;
  [victim, tampered] = memberIds(e.sim) as [string, string];
  e.config(
    [
      `regions: [${REGIONS.join(', ')}]`,
      'trail: { mode: existing }',
      'deploy: { concurrency: 80, pollSeconds: 1 }',
      '',
    ].join('\n'),
  );
  const deploy = await e.run(['deploy', '--all-accounts', '--yes']);
  expect(deploy.code, deploy.stderr).toBe(0);

  const ec2 = new EC2Client(
    clientConfig(e.sim, REGIONS[0], await assumeInto(e.sim, victim, { sessionName: 'intern' })),
  );
  const groups = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groups.SecurityGroups![0]!.GroupId!,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  ec2.destroy();
  const events = new EventBridgeClient(
    clientConfig(e.sim, REGIONS[0], await assumeInto(e.sim, tampered, { sessionName: 'mallory' })),
  );
  await events.send(new DisableRuleCommand({ Name: 'guardrail-sg-changes' }));
  events.destroy();
  await whenLoopIdle(e.sim.state);
}, 120_000);

afterAll(async () => {
  await e?.close();
});

describe('guardrail report', () => {
  it('writes one page that Chromium renders with the matrix, the unhealthy details and the chart, and no script', async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'report.html');
    const r = await e.run(['report', '--out', file, '--no-drift']);
    expect(r.code, r.stderr).toBe(1); // a tampered target: unhealthy
    expect(r.stdout).toContain(`report: ${file}`);
    const page = readFileSync(file, 'utf8');
    expect(page).not.toContain(EVIL);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/<script|https?:\/\/|<link|<img|@import/i);
    expect(statSync(file).size).toBeLessThan(1024 * 1024);

    const { browser, close } = await launchChromium();
    try {
      const tab = await browser.newPage();
      const dialogs: string[] = [];
      const requests: string[] = [];
      tab.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      tab.on('request', (q) => {
        requests.push(q.url());
      });
      await tab.setViewport({ width: 1280, height: 900 });
      await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // runs in the page (a string: this project's TypeScript has no DOM library)
      const seen = (await tab.evaluate(`(() => {
        const visible = (sel) => {
          const el = document.querySelector(sel);
          if (!el) return false;
          const box = el.getBoundingClientRect();
          return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
        };
        return {
          matrix: visible('#matrix table.matrix'), matrixRows: document.querySelectorAll('#matrix tbody tr').length,
          unhealthy: visible('#unhealthy article.target'), unhealthyText: document.querySelector('#unhealthy')?.textContent ?? '',
          chart: visible('#activity figure.chart svg'), bars: document.querySelectorAll('#activity svg rect').length,
          events: document.querySelector('#activity table.events')?.textContent ?? '',
          scripts: document.scripts.length, evilAsText: document.body.innerText.includes(${JSON.stringify(EVIL)}),
          csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
        };
      })()`)) as {
        matrix: boolean;
        matrixRows: number;
        unhealthy: boolean;
        unhealthyText: string;
        chart: boolean;
        bars: number;
        events: string;
        scripts: number;
        evilAsText: boolean;
        csp: string;
      };
      expect(seen).toMatchObject({
        matrix: true,
        matrixRows: 40,
        unhealthy: true,
        chart: true,
        scripts: 0,
        evilAsText: true,
      });
      expect(seen.bars).toBeGreaterThan(0);
      expect(seen.unhealthyText).toContain(tampered);
      expect(seen.unhealthyText).toContain('rule DISABLED');
      expect(seen.events).toContain('reverted');
      expect(seen.events).toContain('tcp/22 0.0.0.0/0');
      expect(seen.events).toContain(`assumed-role/OrganizationAccountAccessRole/intern`);
      expect(seen.csp).toContain("script-src 'none'");
      expect(dialogs).toEqual([]);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(
        await tab.evaluate(`document.querySelector('#matrix').textContent.includes(${JSON.stringify(evil)})`),
      ).toBe(true);
      await tab.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      expect(statSync(join(OUT, 'report.png')).size).toBeGreaterThan(10_000);
    } finally {
      await close();
    }
  }, 60_000);

  it('--out - writes the page to stdout', async () => {
    const r = await e.run(['report', '--out', '-', '--no-drift', '--since', '1h', '--account', victim]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(r.stdout).toContain(victim);
    expect(r.stdout).not.toContain(tampered);
  });
});
