// The rendered guardrail-protect SCP: fits Organizations' limit with the default names and with the longest stack
// name, names the deploy role's exception, matches the names the stack's resources get, and compares by meaning.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { renderChecked } from '../../src/engine/protect.js';
import { protectedResources, renderScp, samePolicy, SCP_CHARACTER_LIMIT } from '../../src/org/scp-render.js';

const configWith = (file: Parameters<typeof resolveConfig>[0]) => resolveConfig(file).config;
const wildcard = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

describe('renderScp', () => {
  it('fits 5,120 characters with the defaults, and with a 128-character stack name', () => {
    const defaults = renderScp(configWith(null));
    expect(defaults.characters).toBeLessThan(2000);
    expect(defaults.content).toBe(JSON.stringify(JSON.parse(defaults.pretty)));
    const long = renderScp(configWith({ stackName: `g${'x'.repeat(127)}` }));
    expect(long.characters).toBeLessThan(SCP_CHARACTER_LIMIT);
  });

  it('exempts the deploy role, per-account roles and protection.allowPrincipals, and nothing else', () => {
    const doc = JSON.parse(renderScp(configWith({
      organization: { roleName: 'GuardrailDeployer' },
      accounts: [{ id: '111111111111', name: 'a', roleName: 'LegacyDeployer' }, { id: '222222222222', name: 'b' }],
      protection: { allowPrincipals: ['arn:aws:iam::*:role/BreakGlass'] },
    })).content) as { Statement: { Effect: string; Condition: Record<string, Record<string, string[]>> }[] };
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0]!.Effect).toBe('Deny');
    expect(doc.Statement[0]!.Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [
      'arn:aws:iam::*:role/GuardrailDeployer', 'arn:aws:iam::*:role/LegacyDeployer', 'arn:aws:iam::*:role/BreakGlass',
    ] } });
  });

  it.each([
    ['guardrail', 'arn:aws:iam::111111111111:role/guardrail-FunctionRole-AB12CD34EF56', true],
    ['guardrail', 'arn:aws:iam::111111111111:role/guardrailFunctionRole-AB12CD34EF56', false],
    ['guardrail', 'arn:aws:s3:::guardrail-trailbucket-ab12cd34ef56/AWSLogs/111111111111/x.json.gz', true],
    ['guardrail', 'arn:aws:events:eu-west-1:111111111111:rule/guardrail-sg-changes', true],
    ['guardrail', 'arn:aws:events:eu-west-1:111111111111:rule/guardrail-sg-changes-2', false],
    ['guardrail', 'arn:aws:events:eu-west-1:111111111111:rule/guardrail-SweepRule-AB12CD34EF56', true],
    ['guardrail', 'arn:aws:events:eu-west-1:111111111111:rule/other-SweepRule-AB12CD34EF56', false],
    ['guardrail', 'arn:aws:lambda:eu-west-1:111111111111:function:guardrail-revert', true],
    ['guardrail', 'arn:aws:cloudformation:eu-west-1:111111111111:stack/guardrail/4d3b287e-54d8-44ed-a880-f0755ccf9f3c', true],
    ['guardrail', 'arn:aws:cloudformation:eu-west-1:111111111111:stack/guardrail-other/4d3b287e', false],
    ['a-very-long-stack-name-for-guardrail-in-prod1', 'arn:aws:iam::111111111111:role/a-very-long-stack-name-for-gu-FunctionRo-AB12CD34EF56', true],
  ])('stack %s: %s is covered: %s', (stackName, arn, covered) => {
    expect(protectedResources(stackName).some((p) => wildcard(p).test(arn))).toBe(covered);
  });

  it('covers the generated decision log group name, not the old fixed one', () => {
    const patterns = protectedResources('guardrail').map(wildcard);
    expect(patterns.some((p) => p.test('arn:aws:logs:us-east-1:111111111111:log-group:guardrail-FunctionLogGroup-AB12CD34EF56'))).toBe(true);
    expect(patterns.some((p) => p.test('arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/other-fn'))).toBe(false);
  });

  it('with engine stacksets, also covers the instance stacks and exempts the StackSets roles; not otherwise', () => {
    const direct = JSON.parse(renderScp(configWith(null)).content) as { Statement: { Resource: string[]; Condition: Record<string, Record<string, string[]>> }[] };
    const sets = JSON.parse(renderScp(configWith({ deploy: { engine: 'stacksets' } })).content) as typeof direct;
    const covered = (doc: typeof direct, arn: string) => doc.Statement[0]!.Resource.some((p) => wildcard(p).test(arn));
    const instance = 'arn:aws:cloudformation:us-east-1:111111111111:stack/StackSet-guardrail-4d3b287e-54d8-44ed-a880-f0755ccf9f3c/x';
    expect(covered(sets, instance)).toBe(true);
    expect(covered(direct, instance)).toBe(false);
    expect(covered(sets, 'arn:aws:lambda:us-east-1:111111111111:function:guardrail-set-revert')).toBe(true);
    expect(covered(sets, 'arn:aws:s3:::stackset-guardrail-trailbucket-ab12cd34ef56')).toBe(true);
    const exempt = (doc: typeof direct) => doc.Statement[0]!.Condition.ArnNotLike!['aws:PrincipalArn']!;
    expect(exempt(sets)).toContain('arn:aws:iam::*:role/stacksets-exec-*');
    expect(exempt(direct)).not.toContain('arn:aws:iam::*:role/stacksets-exec-*');
    expect(renderScp(configWith({ deploy: { engine: 'stacksets' } })).characters).toBeLessThan(SCP_CHARACTER_LIMIT);
  });

  it('compares documents by meaning: whitespace and key order do not count', () => {
    const { content, pretty } = renderScp(configWith(null));
    expect(samePolicy(content, pretty)).toBe(true);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(content) as object).reverse()));
    expect(samePolicy(content, reordered)).toBe(true);
    expect(samePolicy(content, renderScp(configWith({ stackName: 'other' })).content)).toBe(false);
    expect(samePolicy(content, 'not json')).toBe(false);
  });

  it('refuses a policy over the limit with a reason and what to do, exit 2', () => {
    const allowPrincipals = Array.from({ length: 90 }, (_, i) => `arn:aws:iam::*:role/break-glass-operator-number-${i}`);
    try {
      renderChecked(configWith({ protection: { allowPrincipals } }));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ exitCode: 2, code: 'PROTECT' });
      expect((err as Error).message).toMatch(/Organizations allows 5120 per SCP/);
      expect((err as { suggestion: string }).suggestion).toMatch(/Nothing was attached/);
    }
  });
});
