// The CodeSha256 that Lambda reports for the function CloudFormation builds from inline code: CloudFormation puts
// the ZipFile text into a zip archive as index.js (for Node.js runtimes), and Lambda reports base64(sha256(zip)).
// We build the same single-entry archive deterministically (fixed timestamp and attributes), so the same code
// always gives the same hash. Where an endpoint builds its archive differently, status falls back to the hash that
// the current-version functions agree on (see engines/code-reference.ts).
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { parseCfnYaml } from './cfn-yaml.js';

function zipOneFile(fileName: string, text: string): Buffer {
  const data = Buffer.from(text, 'utf8');
  const name = Buffer.from(fileName, 'utf8');
  const body = deflateRawSync(data, { level: 9 });
  const crc = crc32(data);
  const dosDate = (1 << 5) | 1; // 1980-01-01, time 00:00

  const header = (central: boolean) => {
    const b = Buffer.alloc(central ? 46 : 30);
    let o = 0;
    b.writeUInt32LE(central ? 0x02014b50 : 0x04034b50, o);
    o += 4;
    if (central) {
      b.writeUInt16LE((3 << 8) | 20, o);
      o += 2;
    } // made by: unix, 2.0
    b.writeUInt16LE(20, o);
    o += 2; // needed: 2.0
    b.writeUInt16LE(0, o);
    o += 2; // flags
    b.writeUInt16LE(8, o);
    o += 2; // deflate
    b.writeUInt16LE(0, o);
    o += 2; // time
    b.writeUInt16LE(dosDate, o);
    o += 2;
    b.writeUInt32LE(crc, o);
    o += 4;
    b.writeUInt32LE(body.length, o);
    o += 4;
    b.writeUInt32LE(data.length, o);
    o += 4;
    b.writeUInt16LE(name.length, o);
    o += 2;
    b.writeUInt16LE(0, o);
    o += 2; // extra
    if (central) {
      b.writeUInt16LE(0, o);
      o += 2; // comment
      b.writeUInt16LE(0, o);
      o += 2; // disk
      b.writeUInt16LE(0, o);
      o += 2; // internal attributes
      b.writeUInt32LE((0o100644 << 16) >>> 0, o);
      o += 4; // external attributes: a regular file, rw-r--r--
      b.writeUInt32LE(0, o); // local header offset
    }
    return b;
  };
  const local = Buffer.concat([header(false), name, body]);
  const central = Buffer.concat([header(true), name]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length, 16);
  return Buffer.concat([local, central, end]);
}

export function codeSha256(inlineCode: string, fileName = 'index.js'): string {
  return createHash('sha256').update(zipOneFile(fileName, inlineCode)).digest('base64');
}

/** The hash of the function code exactly as the rendered template passes it to CloudFormation. */
export function expectedCodeSha256(renderedTemplate: string): string {
  const t = parseCfnYaml(renderedTemplate) as {
    Resources?: Record<string, { Properties?: { Code?: { ZipFile?: string } } }>;
  };
  const code = t.Resources?.RevertFunction?.Properties?.Code?.ZipFile;
  if (typeof code !== 'string') throw new Error('the rendered template has no inline function code');
  return codeSha256(code);
}
