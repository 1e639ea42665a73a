// `npm run lint:cfn`: cfn-lint on both engines' templates, exactly as deploy sends them (default configuration).
// Fails on any error, and on a warning the other engine's rendering does not have too. cfn-lint is a Python tool
// (pip install cfn-lint); this script says so when it is missing, and is not part of `npm test`.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultConfig } from '../src/config/schema.js';
import { ENGINE_NAMES, engineFor } from '../src/engines/index.js';
import { ExitCode } from '../src/errors.js';

interface Finding {
  Level: string;
  Message: string;
  Rule: { Id: string };
  Location: { Start: { LineNumber: number } };
}

async function lint(file: string): Promise<Finding[]> {
  // cfn-lint's exit status is a bit mask of what it found (2 error, 4 warning, 8 informational); the JSON says what
  const { stdout } = await promisify(execFile)('cfn-lint', ['--format', 'json', file], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { code?: unknown; stdout?: string }) => {
    if (err.code === 'ENOENT') {
      process.stderr.write('cfn-lint is not installed: pip install cfn-lint, then rerun npm run lint:cfn\n');
      process.exit(ExitCode.usage);
    }
    if (typeof err.code === 'number' && err.code > 1 && err.stdout) return { stdout: err.stdout };
    throw err as Error;
  });
  return JSON.parse(stdout) as Finding[];
}

const dir = mkdtempSync(join(tmpdir(), 'guardrail-cfn-lint-'));
let failed = false;
try {
  for (const name of ENGINE_NAMES) {
    const config = defaultConfig();
    config.deploy.engine = name;
    const rendered = await engineFor(config).template(config);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, rendered.body);
    const findings = await lint(file);
    for (const f of findings)
      process.stdout.write(`${name}: ${f.Rule.Id} line ${f.Location.Start.LineNumber}: ${f.Message}\n`);
    if (findings.some((f) => f.Level === 'Error' || f.Rule.Id === 'W1020')) failed = true;
    process.stdout.write(`${name}: ${findings.length} finding(s)\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? ExitCode.failed : ExitCode.ok);
