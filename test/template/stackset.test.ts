// The stack set's template (src/engines/stacksets/template.ts): the direct engine's template with its resources named
// from `<stackName>-set`, linted by cfn-lint as CloudFormation will see it, and within the same size budget.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { renderForConfig } from '../../src/engines/render.js';
import { namePrefix, renderForStackSet } from '../../src/engines/stacksets/template.js';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';
import { TEMPLATE_BUDGET, TEMPLATE_BODY_LIMIT, type RenderedTemplate } from '../../src/stack/template.js';

const tmp = mkdtempSync(join(tmpdir(), 'guardrail-stackset-template-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = defaultConfig();
let stackSet: RenderedTemplate;
let direct: RenderedTemplate;
beforeAll(async () => {
  [stackSet, direct] = await Promise.all([renderForStackSet(config), renderForConfig(config)]);
});

/** cfn-lint on PATH, or where pyenv puts it */
function cfnLint(): string | null {
  const candidates = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'cfn-lint'));
  return [...candidates, '/root/.pyenv/shims/cfn-lint'].find((p) => existsSync(p)) ?? null;
}

interface Finding { Level: string; Message: string; Rule: { Id: string }; Location: { Start: { LineNumber: number } } }

async function lint(name: string, body: string): Promise<Finding[]> {
  const file = join(tmp, name);
  writeFileSync(file, body);
  // cfn-lint's exit status is a bit mask of what it found (2 error, 4 warning, 8 informational); the JSON says what
  const run = promisify(execFile)(cfnLint()!, ['--format', 'json', file], { maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run.catch((err: { code?: unknown; stdout?: string }) => {
    if (typeof err.code === 'number' && err.code > 1 && err.stdout) return { stdout: err.stdout };
    throw err;
  });
  return JSON.parse(stdout) as Finding[];
}

const show = (findings: Finding[]) => findings.map((f) => `${f.Rule.Id} line ${f.Location.Start.LineNumber}: ${f.Message}`).join('\n');

describe('cfn-lint on the stack set\'s template', () => {
  it.skipIf(cfnLint() === null)('finds no error and no Sub without a variable (W1020), and nothing the direct template does not have', async () => {
    const [forSet, forDirect] = await Promise.all([lint('stackset.yaml', stackSet.body), lint('direct.yaml', direct.body)]);
    for (const [name, findings] of [['stack set', forSet], ['direct', forDirect]] as const) {
      expect(findings.filter((f) => f.Level === 'Error'), `${name}:\n${show(findings)}`).toEqual([]);
      expect(findings.filter((f) => f.Rule.Id === 'W1020'), `${name}:\n${show(findings)}`).toEqual([]);
    }
    const ids = (findings: Finding[]) => [...new Set(findings.map((f) => f.Rule.Id))].sort();
    expect(ids(forSet), show(forSet)).toEqual(ids(forDirect));
  });
});

describe('the stack set\'s template', () => {
  it('is the direct template with the stack name substituted, and a Sub left without a variable the plain string', () => {
    const prefix = namePrefix(config.stackName);
    const expected = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(expected);
      if (!v || typeof v !== 'object') return v;
      const entries = Object.entries(v);
      if (entries.length === 1 && entries[0]![0] === 'Fn::Sub' && typeof entries[0]![1] === 'string') {
        const s = entries[0]![1].split('${AWS::StackName}').join(prefix);
        return s.includes('${') ? { 'Fn::Sub': s } : s;
      }
      return Object.fromEntries(entries.map(([k, inner]) => [k, expected(inner)]));
    };
    type T = { Parameters: Record<string, { Default?: unknown }>; Resources: Record<string, { Properties: Record<string, unknown> }> };
    const want = expected(parseCfnYaml(direct.body)) as T;
    const got = parseCfnYaml(stackSet.body) as T;
    expect(got.Parameters.GuardrailVersion!.Default).toBe(stackSet.version);
    want.Parameters.GuardrailVersion!.Default = stackSet.version;
    expect(got).toEqual(want);
    // the names that must fit EventBridge's and Lambda's 64 characters are fixed strings now
    expect(got.Resources.ChangeRule!.Properties.Name).toBe(`${prefix}-sg-changes`);
    expect(got.Resources.TagRule!.Properties.Name).toBe(`${prefix}-scope-tags`);
    expect(got.Resources.RevertFunction!.Properties.FunctionName).toBe(`${prefix}-revert`);
    expect(stackSet.body).not.toContain('AWS::StackName');
    expect(stackSet.version).not.toBe(direct.version);
  });

  it('stays within the 44,000-byte budget and CloudFormation\'s limit, like the direct one', () => {
    expect(stackSet.bytes).toBe(Buffer.byteLength(stackSet.body, 'utf8'));
    expect(stackSet.bytes).toBeLessThanOrEqual(TEMPLATE_BUDGET);
    expect(stackSet.bytes).toBeLessThanOrEqual(TEMPLATE_BODY_LIMIT);
  });
});
