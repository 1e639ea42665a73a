import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureRun } from './capture.js';
import { COMMANDS } from '../../src/commands/index.js';

const root = new URL('../../', import.meta.url).pathname;
const fixture = (name: string) => join(root, 'test/fixtures/config', name);
const example = join(root, 'accounts.example.yaml');
const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const cli = captureRun;

const tmp = mkdtempSync(join(tmpdir(), 'guardrail-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the command shell', () => {
  it('prints the package version', async () => {
    const result = await cli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkgVersion);
  });

  it('lists the commands that exist, one line each', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    const commandsSection = result.stdout.split('Commands:')[1] ?? '';
    const lines = commandsSection.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(COMMANDS.length);
    for (const spec of COMMANDS) {
      const line = lines.find((candidate) => candidate.trimStart().startsWith(`${spec.name} `));
      expect(line, spec.name).toBeDefined();
      expect(line).toContain(spec.summary);
    }
    expect(lines.find((line) => line.trimStart().startsWith('validate '))).toMatch(/check the configuration/);
    expect(result.stdout).toMatch(/--profile <name>/);
    expect(result.stdout).toMatch(/--no-color/);
    expect(result.stdout).toMatch(/--debug/);
  });

  it('shows help for a command', async () => {
    const result = await cli(['validate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/--config <file>/);
    expect(result.stdout).toMatch(/--output <format>.*choices: "table", "json"/s);
  });

  it.each([
    { argv: ['valdate'], message: /unknown command 'valdate'[\s\S]*Did you mean validate\?/ },
    { argv: ['validate', '--confg', 'x.yaml'], message: /unknown option '--confg'[\s\S]*Did you mean --config\?/ },
    { argv: ['--debgu'], message: /unknown option '--debgu'[\s\S]*Did you mean --debug\?/ },
    { argv: ['validate', '--output', 'xml'], message: /argument 'xml' is invalid/ },
    { argv: ['validate', '--config'], message: /option '--config <file>' argument missing/ },
    { argv: ['validate', 'extra'], message: /too many arguments/ },
    { argv: [], message: /Usage: guardrail/ },
  ])('usage error $argv exits 2', async ({ argv, message }) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('guardrail validate', () => {
  it('accepts accounts.example.yaml', async () => {
    const result = await cli(['validate', '--config', example]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/is valid/);
    expect(result.stdout).toMatch(/^deploy\.concurrency\s+16\s+file$/m);
  });

  it('names the unknown key, the 11-digit id and eu-west-9, each with its line, and no stack trace', async () => {
    const file = fixture('acceptance-bad.yaml');
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n');
    const find = (re: RegExp) => lines.find((line) => re.test(line));
    expect(find(/:2:1 {2}stackname {2}unknown key "stackname" \(did you mean "stackName"\?\)$/)).toBeDefined();
    expect(find(/:3:22 {2}regions\[1\] {2}unknown region "eu-west-9" \(did you mean "eu-west-1"\?\)$/)).toBeDefined();
    expect(
      find(/:5:9 {2}accounts\[0\]\.id {2}account id must be exactly 12 digits, got "12345678901" \(11 digits\)$/),
    ).toBeDefined();
    expect(result.stderr).toContain(`${file}:`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a file that is not YAML with its name and the parser line and column', async () => {
    const file = fixture('not-yaml.yaml');
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not-yaml\.yaml is not valid YAML \(line \d+, column \d+\)/);
    expect(result.stderr).toMatch(new RegExp(`${file.replaceAll('.', '\\.')}:\\d+:\\d+ {2}\\S`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    { name: 'a missing file', file: join(tmp, 'nope.yaml'), message: /Cannot read .*nope\.yaml: no such file/ },
    { name: 'a directory', file: tmp, message: /Cannot read .*: it is a directory/ },
    { name: 'an empty file', file: fixture('empty.yaml'), message: /empty\.yaml is empty/ },
    { name: 'only comments', file: fixture('comments-only.yaml'), message: /has no settings/ },
    { name: 'an alias bomb', file: fixture('alias-bomb.yaml'), message: /too many YAML aliases/ },
    { name: 'bytes that are not UTF-8', file: fixture('not-utf8.yaml'), message: /is not UTF-8 text/ },
    {
      name: 'duplicate account ids',
      file: fixture('duplicate-ids.yaml'),
      message: /:6:9 {2}accounts\[2\]\.id {2}duplicate account id "111111111111" \(first on line 2\)/,
    },
  ])('exits 2 on $name', async ({ file, message }) => {
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a file over 1 MB', async () => {
    const big = join(tmp, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\nregions: all\n`);
    const result = await cli(['validate', '--config', big]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/big\.yaml is too large \(\d+ bytes; the limit is 1 MB\)/);
  });

  it('uses ./accounts.yaml when --config is absent, and the defaults (said once on stderr) when it is missing', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    const missing = await cli(['validate'], { cwd: empty });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toBe('no accounts.yaml: using the defaults (guardrail validate shows them)\n');
    expect(missing.stdout).toMatch(/no accounts\.yaml: every setting takes its default/);

    const present = mkdtempSync(join(tmp, 'present-'));
    copyFileSync(fixture('leading-zero.yaml'), join(present, 'accounts.yaml'));
    const found = await cli(['validate', '--output', 'json'], { cwd: present });
    expect(found.code).toBe(0);
    const doc = JSON.parse(found.stdout) as { file: string; settings: { accounts: { id: string }[] } };
    expect(doc.file).toBe(join(present, 'accounts.yaml'));
    expect(doc.settings.accounts.map((account) => account.id)).toEqual(['012345678901', '098765432109']);
  });

  it('writes one JSON document with settings and sources', async () => {
    const result = await cli([
      'validate',
      '--config',
      fixture('leading-zero.yaml'),
      '--output',
      'json',
      '--concurrency',
      '32',
    ]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      command: string;
      version: string;
      valid: boolean;
      settings: { regions: unknown; deploy: { concurrency: number; failureTolerance: unknown; pollSeconds: number } };
      sources: Record<string, string>;
    };
    expect(doc).toMatchObject({ command: 'validate', version: pkgVersion, valid: true });
    expect(doc.settings.regions).toBe('all');
    expect(doc.settings.deploy).toMatchObject({ concurrency: 32, failureTolerance: '10%', pollSeconds: 5 });
    expect(doc.sources).toMatchObject({
      regions: 'file',
      'deploy.concurrency': 'flag',
      'deploy.failureTolerance': 'file',
      'deploy.pollSeconds': 'default',
    });
  });

  it('with --output json, still writes a JSON document when the file is invalid', async () => {
    const result = await cli(['validate', '--config', fixture('acceptance-bad.yaml'), '--output', 'json']);
    expect(result.code).toBe(2);
    const doc = JSON.parse(result.stdout) as { valid: boolean; problems: { line: number; path: string }[] };
    expect(doc.valid).toBe(false);
    expect(doc.problems.map((problem) => [problem.line, problem.path])).toEqual([
      [2, 'stackname'],
      [3, 'regions[1]'],
      [5, 'accounts[0].id'],
    ]);
  });

  it('gathers every problem of a file with many', async () => {
    const result = await cli(['validate', '--config', fixture('many-problems.yaml')]);
    expect(result.code).toBe(2);
    const problemLines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('  ') && line.includes('many-problems.yaml:'));
    const paths = problemLines.map((line) => line.split(/ {2}/)[2]);
    expect(paths).toEqual([
      'stackName',
      'regions[1]',
      'organization.rolename',
      'organization.includeOUs[0]',
      'trail.mode',
      'trail.retentionDays',
      'policy.directions',
      'policy.allowPrincipals[0]',
      'policy.exemptGroups[1]',
      'policy.onlyTag',
      'notifications.email',
      'notifications.topicArn',
      'deploy.concurrency',
      'deploy.canary',
      'deploy.failureTolerance',
      'deploy.pollSeconds',
    ]);
    expect(result.stderr).toMatch(/error: .*many-problems\.yaml has 16 problems/);
    expect(result.stderr).toMatch(/organization\.rolename {2}unknown key "rolename" \(did you mean "roleName"\?\)/);
  });

  it('names the flag in a bad flag value', async () => {
    const result = await cli([
      'validate',
      '--config',
      example,
      '--regions',
      'us-east-1,eu-wset-1',
      '--failure-tolerance',
      'lots',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--regions {2}unknown region "eu-wset-1" \(did you mean "eu-west-1"\?\)/);
    expect(result.stderr).toMatch(
      /--failure-tolerance {2}expected a count such as 3 or a share such as 10%, got "lots"/,
    );
  });

  it("validate accepts approvals with the stacksets engine (both engines' instances read the store)", async () => {
    const file = join(tmp, 'approvals-stacksets.yaml');
    writeFileSync(file, 'approvals: { enabled: true }\ndeploy: { engine: stacksets }\n');
    const result = await cli(['validate', '--config', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/direct engine only/);
    // what validate (and deploy) still refuse with approvals: a stack name too long for the roles' generated names
    writeFileSync(file, `approvals: { enabled: true }\ndeploy: { engine: stacksets }\nstackName: ${'g'.repeat(33)}\n`);
    const long = await cli(['validate', '--config', file]);
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/stackName/);
  });

  it('accepts the global options before or after the command', async () => {
    const before = await cli(['--no-color', '--profile', 'dev', 'validate', '--config', example]);
    const after = await cli(['validate', '--config', example, '--no-color', '--debug']);
    expect(before.code).toBe(0);
    expect(after.code).toBe(0);
  });

  it('colours only on a TTY without --no-color or NO_COLOR', async () => {
    const plain = await cli(['validate', '--config', example]);
    const tty = await cli(['validate', '--config', example], { isTTY: true });
    const noColor = await cli(['validate', '--config', example, '--no-color'], { isTTY: true });
    const noColorEnv = await cli(['validate', '--config', example], { isTTY: true, env: { NO_COLOR: '1' } });
    const ansi = new RegExp(`${String.fromCharCode(27)}\\[`);
    expect(plain.stdout).not.toMatch(ansi);
    expect(tty.stdout).toMatch(ansi);
    expect(noColor.stdout).not.toMatch(ansi);
    expect(noColorEnv.stdout).not.toMatch(ansi);
  });
});
