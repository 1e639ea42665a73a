// `guardrail template`: the rendered template exactly as deploy sends it, for review and for other linters.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureRun } from './capture.js';
import { renderForConfig } from '../../src/engines/render.js';
import { renderForStackSet } from '../../src/engines/stacksets/template.js';
import { defaultConfig } from '../../src/config/schema.js';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';

const tmp = mkdtempSync(join(tmpdir(), 'guardrail-template-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (argv: string[]) => captureRun(argv, { cwd: tmp });

describe('guardrail template', () => {
  it('prints exactly the body deploy would send, and its version and size on stderr', async () => {
    writeFileSync(join(tmp, 'accounts.yaml'), 'regions: [us-east-1]\n');
    const out = await cli(['template']);
    expect(out.code).toBe(0);
    const expected = await renderForConfig(defaultConfig());
    expect(out.stdout.trimEnd()).toBe(expected.body.trimEnd());
    expect(out.stderr).toContain(`template version ${expected.version}`);
    expect(out.stderr).toContain(`${expected.bytes} bytes`);
    const t = parseCfnYaml(out.stdout) as { Parameters: Record<string, { Default: unknown }> };
    expect(t.Parameters.GuardrailVersion!.Default).toBe(expected.version);
  });

  it("--engine stacksets prints exactly the stack set's template, and stderr names the engine", async () => {
    writeFileSync(join(tmp, 'accounts.yaml'), 'regions: [us-east-1]\n');
    const out = await cli(['template', '--engine', 'stacksets']);
    expect(out.code, out.stderr).toBe(0);
    const config = defaultConfig();
    const expected = await renderForStackSet({ ...config, deploy: { ...config.deploy, engine: 'stacksets' } });
    expect(out.stdout).toBe(expected.body.endsWith('\n') ? expected.body : `${expected.body}\n`);
    expect(out.stderr).toMatch(
      new RegExp(`^stacksets engine: template version ${expected.version}, ${expected.bytes} bytes`),
    );
    const direct = await cli(['template']);
    expect(direct.stderr).toMatch(/^direct engine: template version [0-9a-f]{16},/);
    expect(direct.stdout).not.toBe(out.stdout);
  });

  it('carries the configuration into the parameter defaults, so a policy change is a new version', async () => {
    writeFileSync(
      join(tmp, 'monitor.yaml'),
      'policy: { mode: monitor, allowPrincipals: ["arn:aws:iam::*:role/NetAdmin"] }\n',
    );
    const base = await cli(['template']);
    const monitor = await cli(['template', '--config', 'monitor.yaml']);
    const t = parseCfnYaml(monitor.stdout) as { Parameters: Record<string, { Default: unknown }> };
    expect(t.Parameters.Mode!.Default).toBe('monitor');
    expect(t.Parameters.AllowPrincipals!.Default).toBe('arn:aws:iam::*:role/NetAdmin');
    expect(t.Parameters.GuardrailVersion!.Default).not.toBe(
      (parseCfnYaml(base.stdout) as typeof t).Parameters.GuardrailVersion!.Default,
    );
  });

  it('--region says what deploy passes there for the trail', async () => {
    const home = await cli(['template', '--region', 'us-east-1']);
    expect(home.stderr).toMatch(/home region.*CreateTrail=true only for accounts without a logging multi-region trail/);
    const other = await cli(['template', '--region', 'eu-west-1']);
    expect(other.stderr).toContain('in eu-west-1 deploy passes CreateTrail=false');
  });
});
