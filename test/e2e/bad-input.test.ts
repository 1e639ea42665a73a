// The bad-input suite: every flag and configuration key with wrong values (unknown, wrong type, out of range),
// conflicting flags, zero regions, a 5 MB file, a YAML alias bomb, an empty organisation. Each exits 2 with a message
// that names the problem, and none prints a stack trace. Most rows run in-process through run() (what bin/ calls);
// a few spawn the built bin against the simulator, as a user would.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureRun, type Captured } from '../cli/capture.js';
import { startE2E } from './harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'guardrail-bad-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Result = Captured;

let dirs = 0;
/** Runs the CLI in-process in a fresh directory holding `yaml` as accounts.yaml. No AWS is reachable. */
async function cli(argv: string[], yaml = 'regions: [us-east-1]\n'): Promise<Result> {
  const cwd = join(tmp, `case-${++dirs}`);
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'accounts.yaml'), yaml);
  // nowhere to go: a row that got past validation would fail on reaching AWS, not with exit 2
  return captureRun(argv, { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_EC2_METADATA_DISABLED: 'true' }, cwd });
}

function expectUsageError(result: Result, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/--debug/);
}

// ---- configuration keys ---------------------------------------------------------------------------------------

/** [yaml, the key path the message must name, what it must say] */
const KEY_ROWS: [string, string, RegExp][] = [
  // unknown keys, at every level
  ['stackname: x\n', 'stackname', /unknown key "stackname" \(did you mean "stackName"\?\)/],
  ['organisation: {}\n', 'organisation', /unknown key "organisation" \(did you mean "organization"\?\)/],
  ['organization:\n  role: x\n', 'organization.role', /unknown key "role"/],
  [
    'accounts:\n  - id: "111111111111"\n    name: a\n    region: [us-east-1]\n',
    'accounts[0].region',
    /unknown key "region" \(did you mean "regions"\?\)/,
  ],
  ['trail:\n  bucket: x\n', 'trail.bucket', /unknown key "bucket"/],
  [
    'policy:\n  allowPrincipal: []\n',
    'policy.allowPrincipal',
    /unknown key "allowPrincipal" \(did you mean "allowPrincipals"\?\)/,
  ],
  ['notifications:\n  emails: a@b.co\n', 'notifications.emails', /unknown key "emails" \(did you mean "email"\?\)/],
  ['deploy:\n  parallel: 4\n', 'deploy.parallel', /unknown key "parallel"/],
  // stackName
  ['stackName: 1guardrail\n', 'stackName', /stack name must start with a letter/],
  ['stackName: [a]\n', 'stackName', /expected a string, got a list/],
  [`stackName: ${'a'.repeat(129)}\n`, 'stackName', /128 at most/],
  // regions
  ['regions: []\n', 'regions', /at least 1/],
  ['regions: 5\n', 'regions', /expected "all" or a list of region names/],
  ['regions: [us-east-1, mars-1]\n', 'regions[1]', /unknown region "mars-1"/],
  ['regions: [us-east-1, us-east-1]\n', 'regions[1]', /duplicate region "us-east-1"/],
  ['regions: everywhere\n', 'regions', /expected "all" or a list of region names/],
  // organization
  ['organization:\n  roleName: "bad role"\n', 'organization.roleName', /role name must be 1-64/],
  ['organization:\n  externalId: "x"\n', 'organization.externalId', /external id must be 2-1224/],
  ['organization:\n  sessionName: "a b"\n', 'organization.sessionName', /session name must be 2-64/],
  ['organization:\n  includeOUs: [ou-1]\n', 'organization.includeOUs[0]', /expected an OU id/],
  ['organization:\n  excludeOUs: ou-abcd-12345678\n', 'organization.excludeOUs', /expected a list/],
  [
    'organization:\n  excludeAccounts: ["12345"]\n',
    'organization.excludeAccounts[0]',
    /exactly 12 digits, got "12345" \(5 digits\)/,
  ],
  [
    'organization:\n  includeManagementAccount: "yes"\n',
    'organization.includeManagementAccount',
    /expected true or false, got "yes"/,
  ],
  ['organization: [a]\n', 'organization', /expected a mapping, got a list/],
  // accounts
  ['accounts:\n  id: "111111111111"\n', 'accounts', /expected a list, got a mapping/],
  [
    'accounts:\n  - id: "11111111111"\n    name: a\n',
    'accounts[0].id',
    /exactly 12 digits, got "11111111111" \(11 digits\)/,
  ],
  ['accounts:\n  - id: "111111111111"\n', 'accounts[0].name', /expected a string, got nothing/],
  ['accounts:\n  - id: "111111111111"\n    name: a\n    regions: []\n', 'accounts[0].regions', /at least 1/],
  [
    'accounts:\n  - id: "111111111111"\n    name: a\n    roleName: "r/x"\n',
    'accounts[0].roleName',
    /role name must be 1-64/,
  ],
  [
    'accounts:\n  - id: "111111111111"\n    name: a\n  - id: "111111111111"\n    name: b\n',
    'accounts[1].id',
    /duplicate account id "111111111111"/,
  ],
  // trail
  ['trail:\n  mode: sometimes\n', 'trail.mode', /expected one of "auto", "create", "existing", got "sometimes"/],
  ['trail:\n  homeRegion: mars-1\n', 'trail.homeRegion', /unknown region "mars-1"/],
  ['trail:\n  retentionDays: 0\n', 'trail.retentionDays', /at least 1, got 0/],
  ['trail:\n  retentionDays: 4000\n', 'trail.retentionDays', /at most 3653, got 4000/],
  ['trail:\n  retentionDays: "a year"\n', 'trail.retentionDays', /expected a number, got "a year"/],
  // policy
  ['policy:\n  mode: block\n', 'policy.mode', /expected one of "enforce", "monitor", got "block"/],
  ['policy:\n  directions: []\n', 'policy.directions', /at least 1/],
  ['policy:\n  directions: [inbound]\n', 'policy.directions[0]', /expected one of "ingress", "egress", got "inbound"/],
  ['policy:\n  onModify: ignore\n', 'policy.onModify', /expected one of "restore", "revoke", "alert", got "ignore"/],
  [
    'policy:\n  onModifyUnknown: revoke\n',
    'policy.onModifyUnknown',
    /expected one of "alert", "revoke-if-wider-than-before-unknown", got "revoke"/,
  ],
  ['policy:\n  allowPrincipals: [admin]\n', 'policy.allowPrincipals[0]', /expected an IAM\/STS ARN pattern/],
  ['policy:\n  exemptTag: exempt\n', 'policy.exemptTag', /expected "key=value"/],
  ['policy:\n  exemptGroups: [sg-12]\n', 'policy.exemptGroups[0]', /expected a security group id/],
  ['policy:\n  onlyVpcs: [vpc-xyz]\n', 'policy.onlyVpcs[0]', /expected a VPC id/],
  ['policy:\n  onlyTag: 5\n', 'policy.onlyTag', /expected a string, got 5/],
  // notifications
  [
    'notifications:\n  email: not-an-address\n',
    'notifications.email',
    /expected an email address, got "not-an-address"/,
  ],
  [
    'notifications:\n  topicArn: arn:aws:sqs:us-east-1:111111111111:q\n',
    'notifications.topicArn',
    /expected an SNS topic ARN/,
  ],
  [
    'notifications:\n  topicArn: arn:aws:sns:mars-1:111111111111:t\n',
    'notifications.topicArn',
    /unknown region "mars-1"/,
  ],
  // deploy
  ['deploy:\n  concurrency: 0\n', 'deploy.concurrency', /at least 1, got 0/],
  ['deploy:\n  concurrency: 1001\n', 'deploy.concurrency', /at most 1000, got 1001/],
  ['deploy:\n  concurrency: 2.5\n', 'deploy.concurrency', /whole number, got 2.5/],
  ['deploy:\n  concurrency: many\n', 'deploy.concurrency', /expected a number, got "many"/],
  ['deploy:\n  canary: -1\n', 'deploy.canary', /at least 0, got -1/],
  ['deploy:\n  failureTolerance: "150%"\n', 'deploy.failureTolerance', /a share such as "10%" \(0-100%\)/],
  ['deploy:\n  failureTolerance: -1\n', 'deploy.failureTolerance', /at least 0, got -1/],
  ['deploy:\n  pollSeconds: 0\n', 'deploy.pollSeconds', /at least 1, got 0/],
  ['deploy:\n  pollSeconds: 301\n', 'deploy.pollSeconds', /at most 300, got 301/],
  ['deploy: fast\n', 'deploy', /expected a mapping, got "fast"/],
];

describe('configuration keys with wrong values', () => {
  it.each(KEY_ROWS)('%j names %s', async (yaml, path, message) => {
    for (const argv of [['validate'], ['deploy', '--all-accounts', '--yes']]) {
      const result = await cli(argv, yaml);
      expectUsageError(result, message);
      // the problem line: file:line:col, the key path, the message
      const line = result.stderr.split('\n').find((l) => l.includes(`  ${path}  `));
      expect(line, result.stderr).toMatch(
        new RegExp(`accounts\\.yaml:\\d+:\\d+ {2}${path.replace(/[[\].]/g, '\\$&')} {2}`),
      );
      expect(line).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('gathers several problems into one message, each with its own line', async () => {
    const result = await cli(
      ['validate'],
      'regions: []\ndeploy:\n  concurrency: 0\n  pollSeconds: 0\npolicy:\n  mode: x\n',
    );
    expectUsageError(result, /has 4 problems/);
    for (const path of ['regions', 'deploy.concurrency', 'deploy.pollSeconds', 'policy.mode']) {
      expect(result.stderr).toMatch(new RegExp(`:\\d+:\\d+ {2}${path.replace('.', '\\.')} {2}`));
    }
  });

  it.each([
    ['a list', '- regions\n- deploy\n', /must be a mapping of settings[\s\S]*expected a mapping, got a list/],
    ['a scalar', 'hello\n', /must be a mapping of settings[\s\S]*expected a mapping, got "hello"/],
    ['an empty file', '', /accounts\.yaml is empty/],
    ['only comments', '# nothing\n', /has no settings/],
    ['not YAML', 'regions: [us-east-1\n', /is not valid YAML \(line \d+, column \d+\)/],
    ['a duplicate key', 'regions: all\nregions: all\n', /not valid YAML[\s\S]*(duplicate|unique)/i],
  ])('a file that is %s', async (_name, yaml, message) => {
    expectUsageError(await cli(['validate'], yaml), message);
  });

  it('a 5 MB configuration file is refused before it is parsed', async () => {
    const yaml = `regions: [us-east-1]\n# ${'x'.repeat(5 * 1024 * 1024)}\n`;
    for (const argv of [['validate'], ['deploy', '--all-accounts', '--yes'], ['status']]) {
      expectUsageError(await cli(argv, yaml), /accounts\.yaml is too large \(524\d{4} bytes; the limit is 1 MB\)/);
    }
  });

  it('a YAML alias bomb is refused, quickly, without expanding it', async () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const lines = [`a: &a [${Array(9).fill('"lol"').join(', ')}]`];
    for (let i = 1; i < levels.length; i++)
      lines.push(
        `${levels[i]}: &${levels[i]} [${Array(9)
          .fill(`*${levels[i - 1]}`)
          .join(', ')}]`,
      );
    // 9^9 ≈ 387 million strings if it were expanded
    const yaml = `${lines.join('\n')}\npolicy:\n  allowPrincipals: *i\n`;
    const started = Date.now();
    for (const argv of [['validate'], ['deploy', '--all-accounts', '--yes']]) {
      expectUsageError(await cli(argv, yaml), /too many YAML aliases/);
    }
    // refused at the alias count, in milliseconds; expanding 387 million strings would take minutes or exhaust memory,
    // so 15 s tells the two apart even on a loaded machine
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

// ---- flags -------------------------------------------------------------------------------------------------------

/** [argv, what the message must say] */
const FLAG_ROWS: [string[], RegExp][] = [
  // conflicting or missing account choice
  [['deploy', '--all-accounts', '--account', '111111111111'], /--account and --all-accounts cannot be used together/],
  [
    ['remove', '--all-accounts', '--account', '111111111111', '--yes'],
    /--account and --all-accounts cannot be used together/,
  ],
  [['deploy', '--yes'], /say which accounts: --all-accounts or --account/],
  [['remove', '--yes'], /say which accounts: --all-accounts or --account/],
  // --concurrency
  [
    ['deploy', '--all-accounts', '--concurrency', '0'],
    /--concurrency {2}must be a whole number from 1 to 1000, got "0"/,
  ],
  [
    ['deploy', '--all-accounts', '--concurrency', '1001'],
    /--concurrency {2}must be a whole number from 1 to 1000, got "1001"/,
  ],
  [
    ['deploy', '--all-accounts', '--concurrency', '-4'],
    /--concurrency {2}must be a whole number from 1 to 1000, got "-4"/,
  ],
  [
    ['deploy', '--all-accounts', '--concurrency', 'lots'],
    /--concurrency {2}must be a whole number from 1 to 1000, got "lots"/,
  ],
  [
    ['deploy', '--all-accounts', '--concurrency', '2.5'],
    /--concurrency {2}must be a whole number from 1 to 1000, got "2\.5"/,
  ],
  [['status', '--concurrency', '0'], /--concurrency {2}must be a whole number from 1 to 1000, got "0"/],
  [['remove', '--all-accounts', '--concurrency', '0', '--yes'], /--concurrency {2}must be a whole number/],
  // --regions: zero regions, unknown, duplicate, mixed with all
  [['deploy', '--all-accounts', '--regions', ''], /--regions {2}expected "all" or a comma-separated list of regions/],
  [['deploy', '--all-accounts', '--regions', ',,'], /--regions {2}expected "all" or a comma-separated list of regions/],
  [
    ['deploy', '--all-accounts', '--regions', 'us-east-1,eu-wset-1'],
    /--regions {2}unknown region "eu-wset-1" \(did you mean "eu-west-1"\?\)/,
  ],
  [['status', '--regions', 'us-east-1,us-east-1'], /--regions {2}duplicate region "us-east-1"/],
  [['remove', '--all-accounts', '--regions', 'all,us-east-1', '--yes'], /--regions {2}"all" stands alone/],
  // --failure-tolerance
  [
    ['deploy', '--all-accounts', '--failure-tolerance', '-1'],
    /--failure-tolerance {2}expected a count such as 3 or a share such as 10%, got "-1"/,
  ],
  [['deploy', '--all-accounts', '--failure-tolerance', '101%'], /--failure-tolerance {2}.*got "101%"/],
  [['deploy', '--all-accounts', '--failure-tolerance', 'some'], /--failure-tolerance {2}.*got "some"/],
  [['status', '--failure-tolerance', '3'], /unknown option '--failure-tolerance'/],
  // --role-name, --external-id, --account
  [['deploy', '--all-accounts', '--role-name', 'bad role'], /--role-name {2}role name must be 1-64 letters/],
  [['deploy', '--all-accounts', '--role-name', 'r'.repeat(65)], /--role-name {2}role name must be 1-64 letters/],
  [['deploy', '--all-accounts', '--external-id', 'x'], /--external-id {2}external id must be 2-1224/],
  [['deploy', '--account', '12345'], /--account {2}account id must be exactly 12 digits, got "12345" \(5 digits\)/],
  [['deploy', '--account', '111111111111,abc'], /--account {2}account id must be exactly 12 digits, got "abc"/],
  [['status', '--account', ','], /--account {2}expected one or more 12-digit account ids/],
  // several bad flags at once: all named
  [
    ['deploy', '--all-accounts', '--concurrency', '0', '--regions', 'mars-1'],
    /Invalid value for --regions, --concurrency|Invalid value for --concurrency, --regions/,
  ],
  // --output, unknown options and commands, missing values
  [['deploy', '--all-accounts', '--output', 'yaml'], /argument 'yaml' is invalid\. Allowed choices are table, json/],
  [['status', '--output', 'xml'], /argument 'xml' is invalid/],
  [['deploy', '--all-accounts', '--fast'], /unknown option '--fast'/],
  [['deploy', '--all-acounts'], /unknown option '--all-acounts'[\s\S]*Did you mean --all-accounts\?/],
  [['deploy', '--all-accounts', '--concurrency'], /option '--concurrency <n>' argument missing/],
  [['deploy', '--all-accounts', 'extra'], /too many arguments/],
  [['deplyo'], /unknown command 'deplyo'[\s\S]*Did you mean deploy\?/],
  [['template', '--region', 'mars-1'], /--region {2}unknown region "mars-1"/],
  [
    ['deploy', '--all-accounts', '--config', join(tmpdir(), 'guardrail-no-such-dir', 'nope.yaml')],
    /Cannot read .*nope\.yaml: no such file/,
  ],
];

describe('flags with wrong values', () => {
  it.each(FLAG_ROWS)('%j', async (argv, message) => {
    const result = await cli(argv);
    expectUsageError(result, message);
    expect(result.stdout).toBe('');
  });

  it('a bad flag is reported even when the file is fine, and with --output json stdout holds only the error document', async () => {
    const result = await cli(['deploy', '--all-accounts', '--concurrency', '0', '--output', 'json']);
    expectUsageError(result, /--concurrency/);
    const doc = JSON.parse(result.stdout) as { error: { exitCode: number; message: string }; targets: unknown[] };
    expect(doc.error.exitCode).toBe(2);
    expect(doc.error.message).toMatch(/--concurrency/);
    expect(doc.targets).toEqual([]);
  });
});

// ---- through the built bin, against the simulator -----------------------------------------------------------------

describe('through bin/guardrail', () => {
  it('an empty organisation (no members, management account left out): "no accounts to target", exit 2, nothing made', async () => {
    const e2e = await startE2E({ accounts: 0, regions: ['us-east-1'] });
    try {
      e2e.config('regions: [us-east-1]\norganization:\n  includeManagementAccount: false\n');
      for (const args of [
        ['deploy', '--all-accounts', '--yes', '--output', 'json'],
        ['status'],
        ['remove', '--all-accounts', '--yes'],
      ]) {
        const result = await e2e.run(args);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(/No accounts to target: every account of the organisation is left out \(1\)/);
        expect(result.stderr).toMatch(/management account \(organization\.includeManagementAccount is false\)/);
        expect(result.stderr).not.toMatch(/^\s+at /m);
        // with --output json, stdout holds the error document; otherwise nothing
        if (args.includes('json')) expect(result.json?.error).toMatchObject({ exitCode: 2 });
        else expect(result.stdout).toBe('');
      }
      const calls = await e2e.calls();
      expect(calls.calls.filter((c) => c.service === 'cloudformation')).toEqual([]);
    } finally {
      await e2e.close();
    }
  });

  it('conflicting flags, zero regions, --concurrency 0, a 5 MB file and a YAML bomb: exit 2, no AWS call, no stack trace', async () => {
    const e2e = await startE2E({ accounts: 1, regions: ['us-east-1'] });
    try {
      const big = `regions: [us-east-1]\n# ${'x'.repeat(5 * 1024 * 1024)}\n`;
      const bomb =
        `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n` +
        `d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n` +
        `f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n` +
        `h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\npolicy:\n  allowPrincipals: *h\n`;
      const rows: [string, string[], RegExp][] = [
        [
          'regions: [us-east-1]\n',
          ['deploy', '--all-accounts', '--account', '111111111111', '--yes'],
          /--account and --all-accounts cannot be used together/,
        ],
        ['regions: []\n', ['deploy', '--all-accounts', '--yes'], /regions {2}needs at least 1 item/],
        [
          'regions: [us-east-1]\n',
          ['deploy', '--all-accounts', '--yes', '--concurrency', '0'],
          /--concurrency {2}must be a whole number from 1 to 1000, got "0"/,
        ],
        [big, ['deploy', '--all-accounts', '--yes'], /accounts\.yaml is too large \(\d+ bytes; the limit is 1 MB\)/],
        [bomb, ['deploy', '--all-accounts', '--yes'], /too many YAML aliases/],
      ];
      await e2e.resetCalls();
      for (const [yaml, args, message] of rows) {
        e2e.config(yaml);
        const result = await e2e.run(args);
        expect(result.stderr).toMatch(message);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).not.toMatch(/^\s+at /m);
        // with --output json, stdout holds the error document; otherwise nothing
        if (args.includes('json')) expect(result.json?.error).toMatchObject({ exitCode: 2 });
        else expect(result.stdout).toBe('');
      }
      expect((await e2e.calls()).total).toBe(0);
    } finally {
      await e2e.close();
    }
  });
});
