// `npx tsx bench/report.ts [--lines 10000] [--accounts 100]`: the report for a window of that many decision lines —
// its size, and how long headless Chromium takes to open it (median of 5 loads, load event, fresh tab each time).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExitCode } from '../src/errors.js';
import { reportHtml } from '../src/output/report-html.js';
import { launchChromium } from '../test/browser/chromium.js';
import { reportFixture } from '../test/output/report-fixture.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main(): Promise<void> {
  const lines = arg('lines', 10_000);
  const accounts = arg('accounts', 100);
  const t0 = performance.now();
  const page = reportHtml(reportFixture({ accounts, lines }));
  const renderMs = performance.now() - t0;
  const dir = mkdtempSync(join(tmpdir(), 'guardrail-report-bench-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, page);
  const { browser, close } = await launchChromium();
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const tab = await browser.newPage();
      const started = performance.now();
      await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      times.push(performance.now() - started);
      await tab.close();
    }
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const mb = Buffer.byteLength(page) / 1024 / 1024;
  process.stdout.write(
    `report, ${lines} decision lines, ${accounts} accounts × 2 regions: ${mb.toFixed(2)} MB (limit 5 MB), ` +
      `rendered in ${renderMs.toFixed(0)} ms; opens in headless Chromium in ${times[2]!.toFixed(0)} ms median ` +
      `(min ${times[0]!.toFixed(0)}, max ${times[4]!.toFixed(0)}; limit 2000 ms)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).message}\n`);
  process.exitCode = ExitCode.failed;
});
