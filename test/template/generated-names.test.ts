// The names CloudFormation generates for resources a template leaves unnamed, and the patterns guardrail matches
// them with (src/stack/names.ts): the approval store trusts the function role by such a pattern, and the SCP protects
// every generated name by one. AWS does not document how a long name is shortened, so the rule is checked against
// names real stacks were given, as public sources printed them:
//  - KensioSoftware/yulin issue #1113 (three names one real stack was given, and the rule inferred from them);
//  - role and function names in public repositories' test data and Terraform imports of StackSets instance stacks
//    (a 12-, 13- and 14-character random tail each).
import { describe, expect, it } from 'vitest';
import {
  directFunctionRoleArn,
  functionRoleArns,
  generatedNamePattern,
  instanceFunctionRoleArn,
} from '../../src/stack/names.js';

/** an IAM-style pattern (only `*`) as a regular expression */
const matches = (pattern: string, name: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(name);

const uuid = '5e1837a6-0c1d-4e2f-9a3b-4c5d6e7f8a9b';

describe('generatedNamePattern', () => {
  // [stack name, logical id, the type's maximum, the name CloudFormation gave]
  it.each([
    // yulin #1113: one stack's IAM role (64), S3 bucket (63, lower case) and log group (512, not shortened)
    [
      'ChineseboostAnalyticsStack',
      'RainlyticsSummariesJobFunctionServiceRole4E2A1C3B',
      64,
      'ChineseboostAnalyticsStac-RainlyticsSummariesJobFun-UjecjFhpdr1d',
    ],
    [
      'chineseboostanalyticsstack',
      'rainlyticslogsbucket8df4a2c1',
      63,
      'chineseboostanalyticsstac-rainlyticslogsbucket8df4-hdst4ohfvdif',
    ],
    [
      'ChineseboostAnalyticsStack',
      'RainlyticsSummariesJobLogs1C6CB09C',
      512,
      'ChineseboostAnalyticsStack-RainlyticsSummariesJobLogs1C6CB09C-UJ5n2NwuSPZB',
    ],
    // StackSets instance stacks (StackSet-<set>-<uuid>): a 13-character tail, then 12, then 14
    [
      `StackSet-StackSetPasswordPolicy-${uuid}`,
      'LambdaRole',
      64,
      'StackSet-StackSetPasswordPolicy-5e1837a-LambdaRole-1TCLUMCY77KXG',
    ],
    [
      `StackSet-StackSetPasswordPolicy-${uuid}`,
      'LambdaFunctionV2',
      64,
      'StackSet-StackSetPasswordPolicy-5-LambdaFunctionV2-0S9vD8e4SOH0',
    ],
    [
      'StackSet-PrismAccess-890ffec2-14g5-44cf-8d1e-2f3a4b5c6d7e',
      'PrismRole',
      64,
      'StackSet-PrismAccess-890ffec2-14g5-44cf-PrismRole-17JA3GHYD8TOPS',
    ],
    [
      `StackSet-AWS-Landing-Zone-Baseline-CentralizedLogging-${uuid}`,
      'ForwardSnsNotificationLambdaRole',
      64,
      'StackSet-AWS-Landing-Zone-ForwardSnsNotificationLa-1XDDEMJLM5D3V',
    ],
    [
      `StackSet-StackSet-BackupVault-${uuid}`,
      'EbsEncryptionByDefaultLambdaRole',
      64,
      'StackSet-StackSet-BackupV-EbsEncryptionByDefaultLa-2Z28MSOPYGG2',
    ],
  ])('%s / %s (at most %i): matches %s', (stackName, logicalId, max, real) => {
    expect(matches(generatedNamePattern(stackName, logicalId, max), real)).toBe(true);
  });

  it('a name that fits is matched whole, with its hyphens: no other stack or resource shares it', () => {
    expect(generatedNamePattern('guardrail', 'FunctionRole', 64)).toBe('guardrail-FunctionRole-*');
    expect(matches(directFunctionRoleArn('guardrail'), 'arn:aws:iam::*:role/guardrail-FunctionRole-AB12CD34EF56')).toBe(
      true,
    );
    for (const other of ['guardrail2-FunctionRole-AB12CD34EF56', 'guardrail-FunctionRoleX-AB12CD34EF56']) {
      expect(matches(generatedNamePattern('guardrail', 'FunctionRole', 64), other)).toBe(false);
    }
  });

  it('a long stack name keeps what survives whatever the tail: the function role of a 45-character stack name', () => {
    const stack = 'a-very-long-stack-name-for-guardrail-in-prod1';
    const pattern = generatedNamePattern(stack, 'FunctionRole', 64);
    expect(pattern).toBe(`${stack.slice(0, 36)}*`);
    // what CloudFormation gives it: 38 characters before a 12-character tail, 37 before a 13-character one
    expect(matches(pattern, `${stack.slice(0, 38)}-FunctionRole-AB12CD34EF56`)).toBe(true);
    expect(matches(pattern, `${stack.slice(0, 37)}-FunctionRole-1TCLUMCY77KXG`)).toBe(true);
    // the old pattern (`<stack>-FunctionRole-*`) matched neither: with a stack name this long the approval store
    // trusted no role at all
    expect(matches(`${stack}-FunctionRole-*`, `${stack.slice(0, 38)}-FunctionRole-AB12CD34EF56`)).toBe(false);
  });

  it('the longest stack name kept whole is 36 characters for the function role, at every tail length', () => {
    const fits = 'x'.repeat(36);
    expect(generatedNamePattern(fits, 'FunctionRole', 64)).toBe(`${fits}-FunctionRole-*`);
    expect(`${fits}-FunctionRole-`.length + 14).toBe(64);
    expect(generatedNamePattern(`${fits}y`, 'FunctionRole', 64)).toBe(`${fits}*`);
  });
});

describe('the roles the approval store trusts', () => {
  it('are the direct stack function role and the instance stacks function role, for a long stack name too', () => {
    const stack = 'guardrail-security-baseline-production-eu';
    const [direct, instance] = functionRoleArns(stack);
    expect(direct).toBe(directFunctionRoleArn(stack));
    expect(instance).toBe(instanceFunctionRoleArn(stack));
    expect(matches(direct!, `arn:aws:iam::111111111111:role/${stack.slice(0, 38)}-FunctionRole-AB12CD34EF56`)).toBe(
      true,
    );
    // StackSet-<set>-<uuid>-FunctionRole-… shortened to 64
    const instanceRole = `StackSet-${stack}-${uuid}`.slice(0, 37) + '-FunctionRole-1TCLUMCY77KXG';
    expect(matches(instance!, `arn:aws:iam::111111111111:role/${instanceRole}`)).toBe(true);
  });
});
