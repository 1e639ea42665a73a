// The stack set's template (src/engines/stacksets/template.ts): the direct engine's template with its resources named
// from `<stackName>-set`, no Sub left without a variable, and within the same size budget.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { renderForConfig } from '../../src/engines/render.js';
import { namePrefix, renderForStackSet } from '../../src/engines/stacksets/template.js';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';
import { TEMPLATE_BUDGET, TEMPLATE_URL_OBJECT_LIMIT, type RenderedTemplate } from '../../src/stack/template.js';

const config = defaultConfig();
let stackSet: RenderedTemplate;
let direct: RenderedTemplate;
beforeAll(async () => {
  [stackSet, direct] = await Promise.all([renderForStackSet(config), renderForConfig(config)]);
});

/** Every Fn::Sub string of a parsed template (short and list form). */
function subs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => subs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, inner] of Object.entries(v)) {
      if (k === 'Fn::Sub')
        out.push(
          typeof inner === 'string' ? inner : Array.isArray(inner) && typeof inner[0] === 'string' ? inner[0] : '?',
        );
      subs(inner, out);
    }
  }
  return out;
}

// cfn-lint itself runs outside the suite (`npm run lint:cfn`, docs/development.md): it is a Python tool that this
// project's machines do not install. This is its rule W1020, checked on what each engine sends.
describe('no Sub without a variable (cfn-lint W1020)', () => {
  it("in the stack set's template or the direct one", () => {
    for (const t of [stackSet, direct]) {
      const all = subs(parseCfnYaml(t.body));
      expect(all.length).toBeGreaterThan(0);
      expect(all.filter((sub) => !/\$\{[^!]/.test(sub))).toEqual([]);
    }
  });
});

describe("the stack set's template", () => {
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
    type T = {
      Parameters: Record<string, { Default?: unknown }>;
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
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

  it("stays within the template budget and TemplateURL's 1 MB, like the direct one", () => {
    expect(stackSet.bytes).toBe(Buffer.byteLength(stackSet.body, 'utf8'));
    expect(stackSet.bytes).toBeLessThanOrEqual(TEMPLATE_BUDGET);
    expect(stackSet.bytes).toBeLessThanOrEqual(TEMPLATE_URL_OBJECT_LIMIT);
  });
});
