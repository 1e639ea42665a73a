// The rendered guardrail-protect SCP: fits Organizations' limit with the default names and with the longest stack
// name, names the deploy role's exception, matches the names the stack's resources get, and compares by meaning.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { renderChecked } from '../../src/protection/attach.js';
import { directFunctionRoleArn as functionRolePattern, functionRoleArns } from '../../src/stack/names.js';
import {
  protectedResources,
  renderScp,
  samePolicy,
  SCP_CHARACTER_LIMIT,
  STACKSETS_PRINCIPALS,
} from '../../src/protection/scp-render.js';

const configWith = (file: Parameters<typeof resolveConfig>[0]) => resolveConfig(file).config;
const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

describe('renderScp', () => {
  it('fits 5,120 characters with the defaults, and with a 128-character stack name', () => {
    const defaults = renderScp(configWith(null));
    // 1,844 before issue L's statements (invoke, scope tags, trusted role names, queues), 2,906 with them, 3,124 with
    // both engines' functions exempt whichever engine is configured, 3,267 with issue O's (the alarms,
    // DeleteFunctionConcurrency; invoking moved into the first statement, where the deploy role is exempt), 3,462
    // with the event source mapping's two actions and its resource in the queues' statement
    expect(defaults.characters).toBeLessThan(3500);
    expect(defaults.content).toBe(JSON.stringify(JSON.parse(defaults.pretty)));
    const long = renderScp(configWith({ stackName: `g${'x'.repeat(127)}` }));
    expect(long.characters).toBeLessThan(SCP_CHARACTER_LIMIT);
  });

  it('exempts the deploy role, per-account roles and protection.allowPrincipals, and nothing else', () => {
    const doc = JSON.parse(
      renderScp(
        configWith({
          organization: { roleName: 'GuardrailDeployer' },
          accounts: [
            { id: '111111111111', name: 'a', roleName: 'LegacyDeployer' },
            { id: '222222222222', name: 'b' },
          ],
          protection: { allowPrincipals: ['arn:aws:iam::*:role/BreakGlass'] },
        }),
      ).content,
    ) as { Statement: { Effect: string; Condition: Record<string, Record<string, string[]>> }[] };
    expect(doc.Statement.every((st) => st.Effect === 'Deny')).toBe(true);
    expect(doc.Statement[0]!.Condition).toEqual({
      ArnNotLike: {
        'aws:PrincipalArn': [
          'arn:aws:iam::*:role/GuardrailDeployer',
          'arn:aws:iam::*:role/LegacyDeployer',
          'arn:aws:iam::*:role/BreakGlass',
        ],
      },
    });
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
    [
      'guardrail',
      'arn:aws:cloudformation:eu-west-1:111111111111:stack/guardrail/4d3b287e-54d8-44ed-a880-f0755ccf9f3c',
      true,
    ],
    ['guardrail', 'arn:aws:cloudformation:eu-west-1:111111111111:stack/guardrail-other/4d3b287e', false],
    // a 45-character stack name: CloudFormation keeps 38 of it before -FunctionRole- and a 12-character tail (37
    // before a 13-character one); a role that shares only the first 29 is somebody else's
    [
      'a-very-long-stack-name-for-guardrail-in-prod1',
      'arn:aws:iam::111111111111:role/a-very-long-stack-name-for-guardrail-i-FunctionRole-AB12CD34EF56',
      true,
    ],
    [
      'a-very-long-stack-name-for-guardrail-in-prod1',
      'arn:aws:iam::111111111111:role/a-very-long-stack-name-for-guardrail-FunctionRole-1TCLUMCY77KXG',
      true,
    ],
    [
      'a-very-long-stack-name-for-guardrail-in-prod1',
      'arn:aws:iam::111111111111:role/a-very-long-stack-name-for-gu-FunctionRo-AB12CD34EF56',
      false,
    ],
  ])('stack %s: %s is covered: %s', (stackName, arn, covered) => {
    expect(protectedResources(stackName).some((p) => wildcard(p).test(arn))).toBe(covered);
  });

  it('attack: with a long stack name, a member admin cannot create a role the approval store would trust', () => {
    const stackName = 'a-very-long-stack-name-for-guardrail-in-prod1';
    const doc = statements({ stackName });
    // the names the store's trust patterns admit (src/stack/names.ts), as an attacker would pick them: the shortest
    // that still match
    for (const pattern of functionRoleArns(stackName)) {
      const forged = pattern.replace('arn:aws:iam::*:', `arn:aws:iam::${ACCOUNT}:`).replace('*', 'FORGED');
      expect(wildcard(pattern).test(forged)).toBe(true);
      expect(denying(doc, { action: 'iam:CreateRole', resource: forged, principal: admin }), forged).not.toEqual([]);
      expect(denying(doc, { action: 'iam:CreateRole', resource: forged, principal: deployer }), forged).toEqual([]);
    }
  });

  it('covers the generated decision log group name, not the old fixed one', () => {
    const patterns = protectedResources('guardrail').map(wildcard);
    expect(
      patterns.some((p) =>
        p.test('arn:aws:logs:us-east-1:111111111111:log-group:guardrail-FunctionLogGroup-AB12CD34EF56'),
      ),
    ).toBe(true);
    expect(patterns.some((p) => p.test('arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/other-fn'))).toBe(
      false,
    );
  });

  it('with engine stacksets, also covers the instance stacks and exempts the StackSets roles; not otherwise', () => {
    const direct = JSON.parse(renderScp(configWith(null)).content) as {
      Statement: { Resource: string[]; Condition: Record<string, Record<string, string[]>> }[];
    };
    const sets = JSON.parse(renderScp(configWith({ deploy: { engine: 'stacksets' } })).content) as typeof direct;
    const covered = (doc: typeof direct, arn: string) => doc.Statement[0]!.Resource.some((p) => wildcard(p).test(arn));
    const instance =
      'arn:aws:cloudformation:us-east-1:111111111111:stack/StackSet-guardrail-4d3b287e-54d8-44ed-a880-f0755ccf9f3c/x';
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
    const allowPrincipals = Array.from(
      { length: 90 },
      (_, i) => `arn:aws:iam::*:role/break-glass-operator-number-${i}`,
    );
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

interface Stmt {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const statements = (file: Parameters<typeof resolveConfig>[0]): Stmt[] =>
  (JSON.parse(renderScp(configWith(file)).content) as { Statement: Stmt[] }).Statement;
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
/** The statements that deny this call on this resource to this principal, with these tag keys (a small evaluator). */
function denying(
  sts: Stmt[],
  call: {
    action: string;
    resource: string;
    principal: string;
    tagKeys?: string[];
    createAction?: string;
    functionArn?: string;
  },
): string[] {
  return sts
    .filter(
      (st) =>
        list(st.Action).includes(call.action) &&
        list(st.Resource).some((r) => wildcard(r).test(call.resource)) &&
        Object.entries(st.Condition ?? {}).every(([op, entries]) =>
          Object.entries(entries).every(([key, value]) => {
            const wanted = list(value);
            if (op === 'ArnNotLike') return !wanted.some((w) => wildcard(w).test(call.principal));
            if (op === 'ArnLikeIfExists' && key === 'lambda:FunctionArn')
              return call.functionArn === undefined || wanted.some((w) => wildcard(w).test(call.functionArn!));
            if (op === 'ForAnyValue:StringLike')
              return (call.tagKeys ?? []).some((k) => wanted.some((w) => wildcard(w).test(k)));
            if (op === 'Null' && key === 'aws:TagKeys') return (call.tagKeys === undefined) === (wanted[0] === 'true');
            if (op === 'Null' && key === 'ec2:CreateAction')
              return (call.createAction === undefined) === (wanted[0] === 'true');
            throw new Error(`the test's evaluator does not know ${op} ${key}`);
          }),
        ),
    )
    .map((st) => st.Sid);
}

const ACCOUNT = '111111111111';
const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const deployer = `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`;
const fnRole = `arn:aws:iam::${ACCOUNT}:role/guardrail-FunctionRole-AB12CD34EF56`;
const setFnRole = `arn:aws:iam::${ACCOUNT}:role/StackSet-guardrail-4d3b287e-54d8-44-FunctionRole-AB12CD34EF56`;
const group = `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`;
const rule = `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/sgr-0123456789abcdef0`;

describe('renderScp: the function can never be turned against its owner (issue L)', () => {
  const direct = statements({ policy: { exemptTag: 'skip=yes', onlyTag: 'env=prod' } });
  const sets = statements({ deploy: { engine: 'stacksets' } });

  it('denies invoking the function to everyone but the deploy role (guardrail retry; services invoke it, and SCPs do not bind them)', () => {
    const fn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:guardrail-revert`;
    for (const principal of [admin, fnRole])
      expect(denying(direct, { action: 'lambda:InvokeFunction', resource: fn, principal })).toEqual([
        'ProtectGuardrail',
      ]);
    expect(denying(direct, { action: 'lambda:InvokeFunction', resource: fn, principal: deployer })).toEqual([]);
    const setFn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:guardrail-set-revert`;
    expect(denying(sets, { action: 'lambda:InvokeFunction', resource: setFn, principal: admin })).toEqual([
      'ProtectGuardrail',
    ]);
    expect(denying(sets, { action: 'lambda:InvokeFunction', resource: setFn, principal: deployer })).toEqual([]);
    // the instances' function whichever engine is configured (a switch, or accounts enrolled before the protect run)
    expect(denying(direct, { action: 'lambda:InvokeFunction', resource: setFn, principal: admin })).toEqual([
      'ProtectGuardrail',
    ]);
    expect(
      denying(direct, {
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:other`,
        principal: admin,
      }),
    ).toEqual([]);
  });

  it('keeps the alarms as deployed: not deleted, silenced, rewritten or set ahead of a breach, but by the deploy role', () => {
    const alarms = [
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:guardrail-alarm-dead-letters`,
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:guardrail-alarm-errors`,
    ];
    const setAlarm = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:guardrail-set-alarm-throttles`;
    for (const action of [
      'cloudwatch:DeleteAlarms',
      'cloudwatch:DisableAlarmActions',
      'cloudwatch:PutMetricAlarm',
      'cloudwatch:SetAlarmState',
    ]) {
      for (const alarm of alarms) {
        expect(denying(direct, { action, resource: alarm, principal: admin })).toEqual(['ProtectGuardrail']);
        expect(denying(direct, { action, resource: alarm, principal: fnRole })).toEqual(['ProtectGuardrail']);
        expect(denying(direct, { action, resource: alarm, principal: deployer })).toEqual([]);
      }
      expect(denying(sets, { action, resource: setAlarm, principal: admin })).toEqual(['ProtectGuardrail']);
      expect(
        denying(direct, {
          action,
          resource: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:app-errors`,
          principal: admin,
        }),
      ).toEqual([]);
    }
    for (const action of ['lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency']) {
      expect(
        denying(direct, {
          action,
          resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:guardrail-revert`,
          principal: admin,
        }),
      ).toEqual(['ProtectGuardrail']);
    }
  });

  it.each([
    // the exempt tag (guardrail's default key, or the configured one) on a group: out of reach, so denied
    [{ action: 'ec2:CreateTags', resource: group, principal: admin, tagKeys: ['guardrail:exempt'] }, ['ScopeTags']],
    [{ action: 'ec2:CreateTags', resource: group, principal: admin, tagKeys: ['Name', 'skip'] }, ['ScopeTags']],
    [
      {
        action: 'ec2:CreateTags',
        resource: group,
        principal: admin,
        tagKeys: ['skip'],
        createAction: 'CreateSecurityGroup',
      },
      ['ScopeTags'],
    ],
    // a forged or removed approval tag on a rule
    [
      {
        action: 'ec2:CreateTags',
        resource: rule,
        principal: admin,
        tagKeys: ['guardrail:approval'],
        createAction: 'AuthorizeSecurityGroupIngress',
      },
      ['ScopeTags'],
    ],
    [{ action: 'ec2:DeleteTags', resource: rule, principal: admin, tagKeys: ['guardrail:expires'] }, ['ScopeTags']],
    // the function tags approved rules; the deploy role is exempt
    [
      {
        action: 'ec2:CreateTags',
        resource: rule,
        principal: fnRole,
        tagKeys: ['guardrail:approval', 'guardrail:expires'],
      },
      [],
    ],
    [{ action: 'ec2:CreateTags', resource: group, principal: deployer, tagKeys: ['skip'] }, []],
    // DeleteTags without keys deletes them all: denied to everyone
    [{ action: 'ec2:DeleteTags', resource: group, principal: admin }, ['NoUntagAll']],
    [{ action: 'ec2:DeleteTags', resource: group, principal: deployer }, ['NoUntagAll']],
    // onlyTag: rewriting or removing the key on a group is denied; tagging a new group with it is not
    [{ action: 'ec2:CreateTags', resource: group, principal: admin, tagKeys: ['env'] }, ['OnlyTag']],
    [{ action: 'ec2:DeleteTags', resource: group, principal: admin, tagKeys: ['env'] }, ['OnlyTag']],
    [
      {
        action: 'ec2:CreateTags',
        resource: group,
        principal: admin,
        tagKeys: ['env'],
        createAction: 'CreateSecurityGroup',
      },
      [],
    ],
    // other tags, other resources
    [{ action: 'ec2:CreateTags', resource: group, principal: admin, tagKeys: ['Name', 'owner'] }, []],
    [
      {
        action: 'ec2:CreateTags',
        resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`,
        principal: admin,
        tagKeys: ['guardrail:exempt'],
      },
      [],
    ],
  ] as const)('tags: %o → %o', (call, expected) => {
    expect(denying(direct, { ...call, tagKeys: 'tagKeys' in call ? [...call.tagKeys] : undefined })).toEqual(expected);
  });

  it('leaves onlyTag out when it is unset, and keeps the statement list compact', () => {
    expect(statements(null).map((st) => st.Sid)).toEqual(['ProtectGuardrail', 'NoUntagAll', 'ScopeTags', 'Queues']);
    expect(direct.map((st) => st.Sid)).toEqual(['ProtectGuardrail', 'NoUntagAll', 'ScopeTags', 'OnlyTag', 'Queues']);
  });

  it('lets nobody but the deploy roles create or pass a role by a name the approval store trusts', () => {
    const trusted = functionRolePattern('guardrail')
      .replace('arn:aws:iam::*:', `arn:aws:iam::${ACCOUNT}:`)
      .replace(/\*$/, 'AB12CD34EF56');
    for (const action of ['iam:CreateRole', 'iam:PassRole']) {
      expect(denying(direct, { action, resource: trusted, principal: admin })).toEqual(['ProtectGuardrail']);
      expect(denying(direct, { action, resource: setFnRole, principal: admin })).toEqual(['ProtectGuardrail']);
      expect(denying(direct, { action, resource: trusted, principal: deployer })).toEqual([]);
      expect(denying(direct, { action, resource: `arn:aws:iam::${ACCOUNT}:role/app`, principal: admin })).toEqual([]);
    }
    // with StackSets, their execution roles are exempt, so creating one is denied too
    const exec = `arn:aws:iam::${ACCOUNT}:role/stacksets-exec-0123456789abcdef`;
    expect(denying(sets, { action: 'iam:CreateRole', resource: exec, principal: admin })).toEqual(['ProtectGuardrail']);
    expect(denying(sets, { action: 'iam:CreateRole', resource: setFnRole, principal: exec })).toEqual([]);
    expect(denying(direct, { action: 'iam:CreateRole', resource: setFnRole, principal: exec })).toEqual([
      'ProtectGuardrail',
    ]);
    expect(STACKSETS_PRINCIPALS.some((p) => wildcard(p).test(exec))).toBe(true);
  });

  it('keeps the queues to the function and the deploy role', () => {
    const dlq = `arn:aws:sqs:us-east-1:${ACCOUNT}:guardrail-DeadLetterQueue-AB12CD34EF56`;
    const events = `arn:aws:sqs:us-east-1:${ACCOUNT}:guardrail-EventQueue-AB12CD34EF56`;
    for (const action of [
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
    ]) {
      for (const queue of [dlq, events]) {
        expect(denying(direct, { action, resource: queue, principal: admin })).toEqual(['Queues']);
        expect(denying(direct, { action, resource: queue, principal: fnRole })).toEqual([]);
        expect(denying(direct, { action, resource: queue, principal: deployer })).toEqual([]);
      }
    }
    for (const action of ['sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue']) {
      expect(denying(direct, { action, resource: events, principal: admin })).toEqual(['ProtectGuardrail']);
      expect(denying(direct, { action, resource: events, principal: fnRole })).toEqual(['ProtectGuardrail']);
    }
    const setQueue = `arn:aws:sqs:us-east-1:${ACCOUNT}:StackSet-guardrail-4d3b287e-54d8-44ed-a880-f0-EventQueue-AB12CD34EF56`;
    expect(denying(sets, { action: 'sqs:ReceiveMessage', resource: setQueue, principal: admin })).toEqual(['Queues']);
    expect(denying(sets, { action: 'sqs:ReceiveMessage', resource: setQueue, principal: setFnRole })).toEqual([]);
    // protected while the direct engine was configured, then switched: the instances' functions still use their
    // queues and label approved rules (a member admin still cannot)
    expect(denying(direct, { action: 'sqs:ReceiveMessage', resource: setQueue, principal: setFnRole })).toEqual([]);
    expect(denying(direct, { action: 'sqs:ReceiveMessage', resource: setQueue, principal: admin })).toEqual(['Queues']);
    const rule = `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group-rule/sgr-0123456789abcdef0`;
    expect(
      denying(direct, {
        action: 'ec2:CreateTags',
        resource: rule,
        principal: setFnRole,
        tagKeys: ['guardrail:approval'],
      }),
    ).toEqual([]);
    expect(
      denying(direct, { action: 'ec2:CreateTags', resource: rule, principal: admin, tagKeys: ['guardrail:approval'] }),
    ).toEqual(['ScopeTags']);
  });

  it('keeps the event source mapping that feeds the queue to the function: only the deploy roles may disable or delete it', () => {
    const mapping = `arn:aws:lambda:us-east-1:${ACCOUNT}:event-source-mapping:4d3b287e-54d8-44ed-a880-f0755ccf9f3c`;
    for (const action of ['lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping']) {
      for (const [doc, fn] of [
        [direct, 'guardrail-revert'],
        [sets, 'guardrail-set-4d3b287e'],
      ] as const) {
        const functionArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}`;
        expect(denying(doc, { action, resource: mapping, principal: admin, functionArn })).toEqual(['Queues']);
        expect(denying(doc, { action, resource: mapping, principal: deployer, functionArn })).toEqual([]);
      }
      // another team's mapping, to another function, stays theirs
      expect(
        denying(direct, {
          action,
          resource: mapping,
          principal: admin,
          functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`,
        }),
      ).toEqual([]);
    }
    // the SQS calls carry no lambda:FunctionArn: the queues' denial holds (…IfExists)
    const events = `arn:aws:sqs:us-east-1:${ACCOUNT}:guardrail-EventQueue-AB12CD34EF56`;
    expect(denying(direct, { action: 'sqs:ReceiveMessage', resource: events, principal: admin })).toEqual(['Queues']);
  });

  it('matches StackSets instance names by the 20 characters CloudFormation keeps', () => {
    const name = 'guardrail-production';
    const doc = statements({ stackName: name, deploy: { engine: 'stacksets' } });
    // StackSet-guardrail-production-<uuid>-FunctionRole-… cut to 64: the first 20 characters survive
    const role = `arn:aws:iam::${ACCOUNT}:role/StackSet-guardrail-p-FunctionRole-AB12CD34EF56`;
    expect(
      denying(doc, {
        action: 'sqs:SendMessage',
        resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:guardrail-production-EventQueue-AB12CD34EF56`,
        principal: role,
      }),
    ).toEqual([]);
    expect(denying(doc, { action: 'iam:DeleteRole', resource: role, principal: admin })).toEqual(['ProtectGuardrail']);
  });

  it.each<[string, Parameters<typeof resolveConfig>[0], number]>([
    ['the defaults', null, 3462],
    ['stacksets', { deploy: { engine: 'stacksets' } }, 4022],
    [
      'stacksets with an exempt tag, onlyTag and a break-glass role',
      {
        deploy: { engine: 'stacksets' },
        policy: { exemptTag: 'skip-guardrail=yes', onlyTag: 'env=prod' },
        protection: { allowPrincipals: ['arn:aws:iam::*:role/BreakGlass'] },
      },
      4610,
    ],
    // the longest stack name that fits with all of the above (docs/permissions.md: 29 characters; before the event
    // source mapping's statement, 57, the longest whose function name NAME-revert Lambda accepts)
    [
      'stacksets, all of the above and a 29-character stack name',
      {
        stackName: `g${'x'.repeat(28)}`,
        deploy: { engine: 'stacksets' },
        policy: { exemptTag: 'skip-guardrail=yes', onlyTag: 'env=prod' },
        protection: { allowPrincipals: ['arn:aws:iam::*:role/BreakGlass'] },
      },
      5117,
    ],
  ])('measures %s: a known character count, under the limit', (_, file, characters) => {
    const rendered = renderScp(configWith(file));
    expect(rendered.characters).toBe(characters);
    expect(rendered.characters).toBeLessThan(SCP_CHARACTER_LIMIT);
  });
});
