// A small zip reader for UpdateFunctionCode's ZipFile: reads the central directory, then each entry's data
// (stored or deflated). Enough for the deployment packages Lambda accepts; no zip64, no encryption.
import { inflateRawSync } from 'node:zlib';

export class ZipError extends Error {}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

/** Entries of a zip archive by path; directories are left out. */
export function unzip(zip: Buffer): Map<string, Buffer> {
  // the end-of-central-directory record sits within the last 22 + 65535 bytes
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('Could not unzip uploaded file. Please check your file, then try to upload again.');
  const count = zip.readUInt16LE(eocd + 10);
  let pos = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (pos + 46 > zip.length || zip.readUInt32LE(pos) !== CEN_SIG)
      throw new ZipError('Corrupt zip: bad central directory');
    const method = zip.readUInt16LE(pos + 10);
    const compressedSize = zip.readUInt32LE(pos + 20);
    const size = zip.readUInt32LE(pos + 24);
    const nameLen = zip.readUInt16LE(pos + 28);
    const extraLen = zip.readUInt16LE(pos + 30);
    const commentLen = zip.readUInt16LE(pos + 32);
    const localOffset = zip.readUInt32LE(pos + 42);
    const name = zip.subarray(pos + 46, pos + 46 + nameLen).toString('utf8');
    pos += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOC_SIG)
      throw new ZipError(`Corrupt zip: bad local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new ZipError(`Unsupported zip compression method ${method} for ${name}`);
    if (data.length !== size) throw new ZipError(`Corrupt zip: ${name} is ${data.length} bytes, expected ${size}`);
    out.set(name.replace(/^\.\//, ''), data);
  }
  return out;
}
