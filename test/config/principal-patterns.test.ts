// allowPrincipals may not name only what a caller chooses (a session name, a federated name): validate, and every
// command that loads the file, refuses such a pattern with its file, line and key path (exit 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';
import { captureRun } from '../cli/capture.js';

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, 'accounts.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the text to be rejected');
}

const file = (key: 'policy' | 'protection', pattern: string): string =>
  `regions: [us-east-1]\n${key}:\n  allowPrincipals:\n    - arn:aws:iam::*:role/Ok\n    - "${pattern}"\n`;

describe('principal patterns that name only what the caller chooses', () => {
  it.each([
    {
      key: 'policy',
      pattern: 'arn:aws:sts::*:assumed-role/*/ci-pipeline',
      message: /names only a session, whose name the caller chooses \(RoleSessionName\)/,
      hint: 'arn:aws:iam::123456789012:role/ci-pipeline or arn:aws:sts::123456789012:assumed-role/ci-pipeline/*',
    },
    {
      key: 'policy',
      pattern: 'arn:aws:sts::111111111111:assumed-role/**/ci-*',
      message: /names only a session/,
      hint: 'arn:aws:iam::111111111111:role/ci-',
    },
    {
      key: 'policy',
      pattern: 'arn:aws:sts::111111111111:federated-user/netadmin',
      message: /federated user, whose name the caller chooses \(GetFederationToken\)/,
      hint: 'arn:aws:iam::111111111111:user/NAME',
    },
    { key: 'protection', pattern: 'arn:aws:sts::*:federated-user/*', message: /federated user/, hint: 'user/NAME' },
    {
      key: 'protection',
      pattern: 'arn:aws:sts::*:assumed-role/*/breakglass',
      message: /names only a session/,
      hint: 'arn:aws:iam::123456789012:role/breakglass',
    },
    // the SCP compares aws:PrincipalArn, a session's role ARN: an assumed-role pattern never matches there
    {
      key: 'protection',
      pattern: 'arn:aws:sts::111111111111:assumed-role/BreakGlass/*',
      message: /aws:PrincipalArn, which for a role session is the role's ARN/,
      hint: 'arn:aws:iam::111111111111:role/BreakGlass',
    },
  ] as const)('$key: $pattern', ({ key, pattern, message, hint }) => {
    const problems = problemsOf(file(key, pattern));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'accounts.yaml', line: 5, path: `${key}.allowPrincipals[1]` });
    expect(problems[0]!.message).toMatch(message);
    expect(problems[0]!.message).toContain(hint);
  });

  it.each([
    'arn:aws:sts::111111111111:assumed-role/ci-pipeline/*',
    'arn:aws:sts::*:assumed-role/ci-pipeline/build-*',
    'arn:aws:sts::*:assumed-role/*/*',
    'arn:aws:iam::*:role/ci-pipeline',
    'arn:aws:iam::111111111111:user/mallory',
  ])('policy accepts %s', (pattern) => {
    expect(() => parseConfigText(file('policy', pattern), 't')).not.toThrow();
  });

  it('still refuses what is no ARN pattern, with the old message', () => {
    expect(problemsOf(file('policy', 'role/Admin'))[0]!.message).toMatch(/expected an IAM\/STS ARN pattern/);
  });

  it('guardrail validate exits 2 naming the file, line and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guardrail-principals-'));
    const path = join(dir, 'accounts.yaml');
    writeFileSync(path, file('policy', 'arn:aws:sts::*:assumed-role/*/ci-pipeline'));
    const result = await captureRun(['validate', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}:5:7  policy.allowPrincipals[1]`);
    expect(result.stderr).toMatch(/names only a session/);
  });
});
