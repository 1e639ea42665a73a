// The revert function travels inside the template (Code.ZipFile), and CloudFormation's TemplateBody is capped at
// 51,200 bytes. The bundle is therefore inlined deflated: a two-line loader that inflates it with Node's own zlib
// and runs it as the body of this very module. No bucket is involved, so there is no second place from which the
// code of every account's function could be replaced, nothing cross-account to grant, and nothing to keep or protect.
// Deflating uses fflate (pure JavaScript, pinned by the lockfile), not Node's zlib, so the same bundle gives the same
// bytes on every machine: the template version and the expected CodeSha256 must not depend on the Node release that
// renders them. The loader's first line names the bundle's SHA-256, and `unpackFunctionCode` gives the bundle back,
// so a reader can check that what is deployed is exactly lambda-bundle/dist/index.js.
// The deflated bytes are written in base 85 (five characters for four bytes, where base64 takes 5⅓), with the
// printable characters from `(` to `~` but the backslash and the backtick for digits: no quote, backslash or backtick,
// so the text sits in a JavaScript string and a YAML block as it is, and the loader needs no alphabet to decode it,
// only the arithmetic (issue M: 1.7 KB of the template budget).
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { deflateSync } from 'fflate';

/** The 85 digits, in order. */
export const DIGITS = Array.from({ length: 87 }, (_, i) => String.fromCharCode(40 + i))
  .filter((c) => c !== '\\' && c !== '`')
  .join('');
const MARK =
  '(s=>{const b=Buffer.alloc(s.length/5*4);for(let i=0;i<s.length;i+=5){let v=0;for(let k=0;k<5;k++){const c=s.charCodeAt(i+k);' +
  "v=v*85+c-40-(c>92)-(c>96)}b.writeUInt32BE(v,i/5*4)}return b})('";

/** Four bytes at a time, most significant digit first; the last group padded with zeros (the loader cuts them off). */
export function base85(bytes: Uint8Array): string {
  const padded = Buffer.alloc(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let v = padded.readUInt32BE(i);
    let group = '';
    for (let k = 0; k < 5; k++) {
      group = DIGITS[v % 85]! + group;
      v = Math.floor(v / 85);
    }
    out += group;
  }
  return out;
}

export function unbase85(text: string, length: number): Buffer {
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let v = 0;
    for (let k = 0; k < 5; k++) v = v * 85 + DIGITS.indexOf(text[i + k]!);
    out.writeUInt32BE(v, (i / 5) * 4);
  }
  return out.subarray(0, length);
}

export function packFunctionCode(code: string): string {
  const raw = Buffer.from(code, 'utf8');
  const sha = createHash('sha256').update(raw).digest('hex');
  const deflated = deflateSync(raw, { level: 9, mem: 8 });
  return [
    `// guardrail revert function: lambda-bundle/dist/index.js (sha256 ${sha}), deflated; see src/stack/packed-code.ts`,
    // the bundle runs as the body of this very module (its exports, require and module), under any CommonJS loader
    `new Function('exports','require','module','__filename','__dirname',require('zlib').inflateRawSync(${MARK}${base85(deflated)}').subarray(0,${deflated.length})).toString('utf8'))(exports,require,module,__filename,__dirname);`,
  ].join('\n');
}

/** The bundle a loader carries (throws when the text is no loader of ours). */
export function unpackFunctionCode(loader: string): string {
  const at = loader.indexOf(MARK);
  const end = loader.indexOf("'", at + MARK.length);
  const length = /^'\)\.subarray\(0,(\d+)\)/.exec(loader.slice(end));
  if (at < 0 || end < 0 || !length) throw new Error('not a packed guardrail function');
  return inflateRawSync(unbase85(loader.slice(at + MARK.length, end), Number(length[1]))).toString('utf8');
}
