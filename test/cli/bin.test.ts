/**
 * End to end: spawn the built bin/guardrail as a user would. test/global-setup.ts builds dist/ when it is stale.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin', 'guardrail');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), 'guardrail-bin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function guardrail(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bin/guardrail', () => {
  it('prints the version', () => {
    const result = guardrail(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('validates accounts.example.yaml', () => {
    const result = guardrail(['validate', '--config', join(root, 'accounts.example.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/accounts\.example\.yaml is valid/);
  });

  it('exits 2 on the bad configuration, naming all three problems with line numbers and no stack', () => {
    const result = guardrail(['validate', '--config', join(root, 'test/fixtures/config/acceptance-bad.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/acceptance-bad\.yaml:2:1 {2}stackname {2}unknown key/);
    expect(result.stderr).toMatch(/acceptance-bad\.yaml:3:22 {2}regions\[1\] {2}unknown region "eu-west-9"/);
    expect(result.stderr).toMatch(
      /acceptance-bad\.yaml:5:9 {2}accounts\[0\]\.id {2}account id must be exactly 12 digits/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 with a suggestion on an unknown command', () => {
    const result = guardrail(['validat']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Did you mean validate\?/);
  });

  it('with no ./accounts.yaml, validate prints the defaults (every source "default"), says so once, and exits 0', () => {
    const result = guardrail(['validate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('no accounts.yaml: using the defaults (guardrail validate shows them)\n');
    expect(result.stdout).toMatch(/no accounts\.yaml: every setting takes its default/);
    const json = guardrail(['validate', '--output', 'json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      valid: boolean;
      file: string | null;
      sources: Record<string, string>;
      settings: { stackName: string };
    };
    expect(doc).toMatchObject({ valid: true, file: null, settings: { stackName: 'guardrail' } });
    expect(Object.keys(doc.sources).length).toBeGreaterThan(10);
    expect(new Set(Object.values(doc.sources))).toEqual(new Set(['default']));
  });

  it('an explicit --config naming a missing file still exits 2, naming the file', () => {
    const result = guardrail(['validate', '--config', 'nowhere.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Cannot read nowhere\.yaml: no such file/);
    expect(result.stderr).not.toMatch(/using the defaults/);
  });

  it('a clone installed but not built: one line saying to run npm run build, exit 2, no stack', () => {
    // bin/guardrail as it is, in a folder with no dist/ (what `npm ci` alone leaves)
    const clone = mkdtempSync(join(tmpdir(), 'guardrail-unbuilt-'));
    try {
      mkdirSync(join(clone, 'bin'));
      copyFileSync(bin, join(clone, 'bin', 'guardrail'));
      const unbuilt = spawnSync(process.execPath, [join(clone, 'bin', 'guardrail'), 'status'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(unbuilt.status).toBe(2);
      expect(unbuilt.stderr).toBe(
        `error: guardrail is not built (${join(clone, 'dist', 'cli.js')} is missing): run npm run build in ${clone}/\n`,
      );
      // built, but a dependency was never installed: the other step
      mkdirSync(join(clone, 'dist'));
      writeFileSync(join(clone, 'dist', 'cli.js'), "import 'guardrail-no-such-package';\n");
      const uninstalled = spawnSync(process.execPath, [join(clone, 'bin', 'guardrail'), 'status'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(uninstalled.status).toBe(2);
      expect(uninstalled.stderr).toBe(
        `error: a dependency is missing (guardrail-no-such-package): run npm ci in ${clone}/, then npm run build\n`,
      );
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('--help loads no AWS SDK module and none of the validation libraries', () => {
    // A module hook records every module the process resolves; it runs in Node's hooks thread.
    const log = join(tmp, 'imports.log');
    const hooks = join(tmp, 'hooks.mjs');
    const register = join(tmp, 'register.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function resolve(specifier, context, next) {\n` +
        `  const result = await next(specifier, context);\n` +
        `  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');\n` +
        `  return result;\n}\n`,
    );
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const result = guardrail(['--help'], ['--import', pathToFileURL(register).href]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Commands:/);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // The hook saw the CLI itself, so an empty list cannot pass by accident.
    expect(loaded.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
    expect(loaded.some((url) => url.includes('/commander/'))).toBe(true);
    const heavy = loaded.filter((url) => /\/node_modules\/(@aws-sdk|@smithy|zod|yaml|chalk|ora)\//.test(url));
    expect(heavy).toEqual([]);
    expect(loaded.filter((url) => /\/dist\/(config|commands\/(?!index\.js))/.test(url))).toEqual([]);
  });
});
