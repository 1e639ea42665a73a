import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { resolveConfig } from '../../src/config/resolve.js';
import { KNOWN_KEYS, defaultConfig } from '../../src/config/schema.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const example = join(root, 'accounts.example.yaml');

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected the text to be rejected');
}

describe('account ids keep the text the YAML wrote', () => {
  it.each([
    { yaml: 'accounts: [{ id: 012345678901, name: a }]', id: '012345678901' },
    { yaml: 'accounts: [{ id: "012345678901", name: a }]', id: '012345678901' },
    { yaml: "accounts: [{ id: '111111111111', name: a }]", id: '111111111111' },
    { yaml: 'accounts:\n  - id: 999999999999\n    name: a', id: '999999999999' },
  ])('$yaml', ({ yaml, id }) => {
    expect(parseConfigText(yaml, 'test.yaml').accounts?.[0]?.id).toBe(id);
  });

  it('keeps leading zeros in excludeAccounts too', () => {
    expect(
      parseConfigText('organization: { excludeAccounts: [000000000042] }', 't').organization?.excludeAccounts,
    ).toEqual(['000000000042']);
  });

  it.each([
    { yaml: 'accounts:\n  - name: a\n    id: 12345678901', message: /got "12345678901" \(11 digits\)/, line: 3 },
    { yaml: 'accounts:\n  - id: 1234567890123\n    name: a', message: /\(13 digits\)/, line: 2 },
    { yaml: 'accounts:\n  - id: 1.11e11\n    name: a', message: /got "1\.11e11"/, line: 2 },
    { yaml: 'accounts:\n  - id: 0x1F\n    name: a', message: /got "0x1F"/, line: 2 },
    { yaml: 'accounts:\n  - id: 1111_1111_1111\n    name: a', message: /12 digits/, line: 2 },
  ])('rejects $yaml on line $line', ({ yaml, message, line }) => {
    const [problem] = problemsOf(yaml);
    expect(problem?.path).toMatch(/^accounts\[0\]\.id$/);
    expect(problem?.message).toMatch(message);
    expect(problem?.line).toBe(line);
  });
});

describe('problems carry the YAML path, line and column', () => {
  it.each([
    { yaml: 'regoins: all', path: 'regoins', line: 1, col: 1, didYouMean: 'regions' },
    { yaml: 'deploy:\n  concurency: 3', path: 'deploy.concurency', line: 2, col: 3, didYouMean: 'concurrency' },
    {
      yaml: 'accounts:\n  - id: "111111111111"\n    nmae: x',
      path: 'accounts[0].nmae',
      line: 3,
      col: 5,
      didYouMean: 'name',
    },
    { yaml: 'regions:\n  - us-east-1\n  - us-wst-2', path: 'regions[1]', line: 3, col: 5, didYouMean: 'us-west-2' },
    { yaml: 'trail: { homeRegion: eu-west-9 }', path: 'trail.homeRegion', line: 1, col: 22, didYouMean: 'eu-west-1' },
    { yaml: 'policy:\n  somethingElse: 1', path: 'policy.somethingElse', line: 2, col: 3, didYouMean: undefined },
  ])('$path', ({ yaml, path, line, col, didYouMean }) => {
    const problem = problemsOf(yaml).find((candidate) => candidate.path === path);
    expect(problem).toMatchObject({ file: 'test.yaml', path, line, col });
    expect(problem?.didYouMean).toBe(didYouMean);
  });

  it('points at the key when a value is empty', () => {
    const [problem] = problemsOf('stackName: guardrail\norganization:\n');
    expect(problem).toMatchObject({ path: 'organization', line: 2, col: 1, message: 'expected a mapping, got null' });
  });

  it('names the account in a missing key of an account entry', () => {
    const [problem] = problemsOf('accounts:\n  - id: "111111111111"\n');
    expect(problem).toMatchObject({ path: 'accounts[0].name', line: 2 });
  });

  it.each([
    { yaml: 'regions: []', message: /at least 1 item/ },
    { yaml: 'regions: some', message: /expected "all" or a list of region names/ },
    { yaml: 'regions: 3', message: /expected "all" or a list of region names/ },
    { yaml: 'policy: { directions: [ingress, sideways] }', message: /expected one of "ingress", "egress"/ },
    { yaml: 'policy: { directions: [ingress, ingress] }', message: /duplicate direction "ingress"/ },
    { yaml: 'policy: { allowPrincipals: ["arn:aws:iam::*:role/a,b"] }', message: /ARN pattern/ },
    { yaml: 'policy: { allowPrincipals: ["arn:aws:iam::1234:role/x"] }', message: /ARN pattern/ },
    { yaml: 'policy: { onlyVpcs: [vpc-123] }', message: /VPC id/ },
    { yaml: 'policy: { exemptTag: "=x" }', message: /key=value/ },
    { yaml: 'organization: { excludeOUs: [ou-ab12-abcdefg] }', message: /OU id/ },
    { yaml: 'organization: { includeManagementAccount: yes }', message: /expected true or false, got "yes"/ },
    { yaml: 'notifications: { topicArn: "arn:aws:sqs:us-east-1:111111111111:q" }', message: /SNS topic ARN/ },
    { yaml: 'deploy: { concurrency: 2.5 }', message: /expected a whole number, got 2\.5/ },
    { yaml: 'deploy: { failureTolerance: "ten" }', message: /a share such as "10%"/ },
    { yaml: 'deploy: { pollSeconds: 301 }', message: /at most 300/ },
    { yaml: 'stackName: "-x"', message: /stack name/ },
    { yaml: '- a\n- b', message: /expected a mapping, got a list/ },
  ])('$yaml', ({ yaml, message }) => {
    const problems = problemsOf(yaml);
    expect(problems.map((problem) => problem.message).join('\n')).toMatch(message);
  });

  it.each([
    'policy: { allowPrincipals: ["arn:aws:iam::*:role/Admin*", "arn:*:sts::123456789012:assumed-role/ci/*", "arn:aws-cn:iam::123456789012:root"] }',
    'policy: { exemptGroups: [sg-12345678, sg-0123456789abcdef0], onlyVpcs: [vpc-0123456789abcdef0], onlyTag: "team=net" }',
    'organization: { includeOUs: [ou-ab12-abcdefgh, r-ab12] }',
    'notifications: { email: ops@example.com, topicArn: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo" }',
    'deploy: { failureTolerance: 0, pollSeconds: 1.5 }',
    'regions: all',
    'accounts: []',
  ])('accepts %s', (yaml) => {
    expect(() => parseConfigText(yaml, 't')).not.toThrow();
  });

  it('reports YAML syntax errors with the parser line and column', () => {
    const problems = problemsOf('a: 1\nb: [1, 2\nc: 3\n');
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
    expect(problems[0]?.col).toBeGreaterThanOrEqual(1);
    expect(problems[0]?.message).not.toMatch(/\n/);
  });

  it('reports duplicate keys', () => {
    expect(problemsOf('regions: all\nregions: all\n')[0]).toMatchObject({
      line: 2,
      message: 'Map keys must be unique',
    });
  });
});

describe('accounts.example.yaml', () => {
  it('validates and spells out exactly the defaults', async () => {
    const loaded = await loadConfigFile(example);
    expect(resolveConfig(loaded.data).config).toEqual(defaultConfig());
  });

  it('documents every key', () => {
    const text = readFileSync(example, 'utf8');
    const doc = parseDocument(text).toJS() as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual([...(KNOWN_KEYS[''] ?? [])].sort());
    for (const [section, keys] of Object.entries(KNOWN_KEYS)) {
      if (section === '' || section === 'accounts[]') continue;
      const at = section.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc);
      expect(Object.keys(at as object).sort(), section).toEqual([...keys].sort());
    }
    // Account entries are shown in comments: every key of an entry must appear there.
    for (const key of KNOWN_KEYS['accounts[]'] ?? []) expect(text).toMatch(new RegExp(`#\\s+(- )?${key}:`));
  });
});

describe('function.reservedConcurrency', () => {
  it.each([
    [0, true],
    [2, true],
    [5, true],
    [1000, true],
    [1, false],
    [1001, false],
    [-1, false],
    [2.5, false],
  ])('%s: valid %s', (n, valid) => {
    const text = `function:\n  reservedConcurrency: ${n}\n`;
    if (valid) expect(parseConfigText(text, 'test.yaml')).toEqual({ function: { reservedConcurrency: n } });
    else
      expect(problemsOf(text)[0]).toMatchObject({
        path: 'function.reservedConcurrency',
        line: 2,
        message: expect.stringMatching(/whole number/),
      });
  });
});

describe('what the function can carry', () => {
  it("rejects policy lists that would overflow the function's 4 KB environment, and accepts a realistic one", () => {
    const many = Array.from(
      { length: 100 },
      (_, i) => `"arn:aws:iam::${String(i).padStart(12, '0')}:role/NetworkAdministrators"`,
    );
    const [problem] = problemsOf(`policy:\n  allowPrincipals: [${many.join(', ')}]\n`);
    expect(problem).toMatchObject({ path: 'policy', line: 2 });
    expect(problem?.message).toMatch(/take \d+ bytes; the function's environment holds 3500/);
    const few = many.slice(0, 20).join(', ');
    expect(() => parseConfigText(`policy:\n  allowPrincipals: [${few}]\n`, 'test.yaml')).not.toThrow();
  });
});

describe('policy.prefixLists and policy.onAssociate (issue N)', () => {
  it('accepts principals, CIDRs and exempt lists, and onAssociate report; merges with the defaults', () => {
    const file = parseConfigText(
      [
        'policy:',
        '  onAssociate: report',
        '  prefixLists:',
        '    principals: ["arn:aws:iam::*:role/Network*"]',
        '    cidrs: [10.0.0.0/8, "fd00::/8"]',
      ].join('\n'),
      't.yaml',
    );
    const { config } = resolveConfig(file);
    expect(config.policy.prefixLists).toEqual({
      principals: ['arn:aws:iam::*:role/Network*'],
      cidrs: ['10.0.0.0/8', 'fd00::/8'],
      exempt: [],
    });
    expect(config.policy.onAssociate).toBe('report');
    expect(resolveConfig(null).config.policy).toMatchObject({
      onAssociate: 'revert',
      prefixLists: { principals: [], cidrs: [], exempt: [] },
    });
  });

  it.each([
    {
      yaml: 'policy:\n  prefixLists:\n    cidrs: [10.0.0.0/33]',
      path: 'policy.prefixLists.cidrs[0]',
      line: 3,
      message: /\/33 is more than 32/,
    },
    {
      yaml: 'policy:\n  prefixLists:\n    cidrs: [0.0.0.0/0]',
      path: 'policy.prefixLists.cidrs[0]',
      line: 3,
      message: /whole internet/,
    },
    {
      yaml: 'policy:\n  prefixLists:\n    cidrs: [office]',
      path: 'policy.prefixLists.cidrs[0]',
      line: 3,
      message: /expected a CIDR/,
    },
    {
      yaml: 'policy:\n  prefixLists:\n    exempt: [sg-12345678]',
      path: 'policy.prefixLists.exempt[0]',
      line: 3,
      message: /prefix list id/,
    },
    {
      yaml: 'policy:\n  prefixLists:\n    principals: ["arn:aws:sts::*:assumed-role/*/net"]',
      path: 'policy.prefixLists.principals[0]',
      line: 3,
      message: /names only a session/,
    },
    { yaml: 'policy:\n  onAssociate: detach', path: 'policy.onAssociate', line: 2, message: /revert|report/ },
  ])('rejects $path on line $line', ({ yaml, path, line, message }) => {
    const [problem] = problemsOf(yaml);
    expect(problem?.path).toBe(path);
    expect(problem?.line).toBe(line);
    expect(problem?.message).toMatch(message);
  });

  it('suggests the key meant', () => {
    const [problem] = problemsOf('policy:\n  prefixLists:\n    cidr: [10.0.0.0/8]');
    expect(problem).toMatchObject({ path: 'policy.prefixLists.cidr', line: 3, col: 5, didYouMean: 'cidrs' });
  });
});
