// The revert function travels inside the template (Code.ZipFile), and CloudFormation's TemplateBody is capped at
// 51,200 bytes. The bundle is therefore inlined deflated: a two-line loader that inflates it with Node's own zlib
// and runs it as the body of this very module. No bucket is involved, so there is no second place from which the
// code of every account's function could be replaced, nothing cross-account to grant, and nothing to keep or protect.
// Deflating uses fflate (pure JavaScript, pinned by the lockfile), not Node's zlib, so the same bundle gives the same
// bytes on every machine: the template version and the expected CodeSha256 must not depend on the Node release that
// renders them. The loader's first line names the bundle's SHA-256, and `unpackFunctionCode` gives the bundle back,
// so a reader can check that what is deployed is exactly lambda-bundle/dist/index.js.
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { deflateSync } from 'fflate';

const MARK = "Buffer.from('";

export function packFunctionCode(code: string): string {
  const raw = Buffer.from(code, 'utf8');
  const sha = createHash('sha256').update(raw).digest('hex');
  const packed = Buffer.from(deflateSync(raw, { level: 9, mem: 8 })).toString('base64');
  return [
    `// guardrail revert function: lambda-bundle/dist/index.js (sha256 ${sha}), deflated; see src/stack/packed-code.ts`,
    // the bundle runs as the body of this very module (its exports, require and module), under any CommonJS loader
    `new Function('exports','require','module','__filename','__dirname',require('zlib').inflateRawSync(${MARK}${packed}','base64')).toString('utf8'))(exports,require,module,__filename,__dirname);`,
  ].join('\n');
}

/** The bundle a loader carries (throws when the text is no loader of ours). */
export function unpackFunctionCode(loader: string): string {
  const at = loader.indexOf(MARK);
  const end = loader.indexOf("'", at + MARK.length);
  if (at < 0 || end < 0) throw new Error('not a packed guardrail function');
  return inflateRawSync(Buffer.from(loader.slice(at + MARK.length, end), 'base64')).toString('utf8');
}
