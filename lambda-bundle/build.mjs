// Bundles the revert function: lambda-bundle/src/handler.ts → lambda-bundle/dist/index.js (CommonJS, minified,
// @aws-sdk/* left to the Lambda runtime). Prints the size, and fails when it exceeds the budget: the bundle is
// inlined into the template's Code.ZipFile, which must stay well under CloudFormation's 51,200-byte limit.
import { build } from 'esbuild';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// `--outdir DIR` builds elsewhere (tests use a temporary directory, so parallel runs never share a file).
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 && process.argv[at + 1] ? process.argv[at + 1] : join(here, 'dist');
const outfile = join(outdir, 'index.js');
// 24 KB before approvals; 29 KB with them, 30 KB once the decision log line (issue 14) grew, 43 KB with provenance,
// the record-keeping sweep and guarded scope tags (issue L). The template inlines the bundle deflated (about 36% of
// its size, src/stack/packed-code.ts), so the template budget stays the binding limit; this one catches a bundle
// that pulled in a dependency by mistake. 64 KB was reached at 65,184 bytes (issue M's restore, issue O's retry);
// 76 KB with the side doors (issue N: prefix lists, VPC associations, attachments), so 96 KB. CloudFormation's old
// 4 KB limit on Code.ZipFile is gone (aws-cdk #20624); what bounds the inline code is the template that carries it
// (51,200 bytes as TemplateBody, 1 MB from S3 as TemplateURL) and Lambda's 4 KB environment, not this number.
const LIMIT = 96 * 1024;

await build({
  entryPoints: [join(here, 'src', 'handler.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  logLevel: 'warning',
});

// The repository is an ESM package; mark dist/ as CommonJS so local tools (tests, the simulator) can require
// index.js as Lambda does. Only index.js goes into the template.
writeFileSync(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');

const bytes = statSync(outfile).size;
const kb = (bytes / 1024).toFixed(1);
console.log(`lambda bundle: ${outfile} ${bytes} bytes (${kb} KB, limit ${LIMIT / 1024} KB)`);
if (bytes > LIMIT) {
  console.error(`lambda bundle is over ${LIMIT} bytes`);
  process.exitCode = 1;
}
