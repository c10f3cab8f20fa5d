import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GeoDownloadError } from '../geo.errors';

/**
 * A reader of the tar archives MaxMind serves (`GeoLite2-City_20261201/GeoLite2-City.mmdb` plus
 * licence texts, gzip-compressed), on Node's zlib.
 *
 * Why not a library: no tar package is among the dependencies, and reading regular files out of
 * an archive held in memory needs little: 512-byte ustar headers (checksummed), the pax extended
 * header's `path` and `size`, GNU long names. Nothing is ever written to disk by name, so the
 * path-traversal concerns of an extractor do not arise: the caller picks the one `.mmdb` entry
 * and writes its bytes to a path of its own.
 */
export interface TarEntry {
  readonly name: string;
  /** ustar typeflag: '0' regular file, '5' directory, … */
  readonly type: string;
  readonly data: Buffer;
}

const BLOCK = 512;
const gunzipAsync = promisify(gunzip);

function text(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0] & 0x80) {
    // GNU base-256 for sizes over 8 GiB: far beyond anything accepted here, but read exactly.
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const digits = text(block, offset, length).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === octal(header, 148, 8);
}

/** `len key=value\n` records of a pax extended header. */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = parseInt(data.subarray(at, space).toString('ascii'), 10);
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
    at += length;
  }
  return records;
}

/** The entries of an uncompressed tar archive; GeoDownloadError `archive_invalid` on a damaged one. */
export function readTarEntries(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end of archive
    if (!checksumOk(header)) throw new GeoDownloadError('archive_invalid', `tar header at byte ${at} has a bad checksum`, false);
    const type = String.fromCharCode(header[156] || 0x30);
    const size = pax.size !== undefined ? Number(pax.size) : octal(header, 124, 12);
    const start = at + BLOCK;
    if (!Number.isSafeInteger(size) || size < 0 || start + size > archive.length) {
      throw new GeoDownloadError('archive_invalid', `tar entry at byte ${at} runs past the end of the archive`, false);
    }
    const data = archive.subarray(start, start + size);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = text(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'g') continue; // global pax header: nothing here needs it
    const prefix = text(header, 345, 155);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    entries.push({ name, type: type === '\0' ? '0' : type, data });
    longName = undefined;
    pax = {};
  }
  return entries;
}

/**
 * The `.mmdb` file of a `.tar.gz`, unpacked to at most `maxBytes` (a decompression bomb stops
 * there). GeoDownloadError `archive_invalid`, `archive_too_large` or `no_mmdb_in_archive`.
 */
export async function extractMmdb(tarGz: Buffer, maxBytes: number): Promise<{ name: string; data: Buffer }> {
  let archive: Buffer;
  try {
    // Tar headers and the licence texts come on top of the database itself.
    archive = await gunzipAsync(tarGz, { maxOutputLength: maxBytes + 1024 * 1024 });
  } catch (error) {
    const tooLarge = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError;
    throw tooLarge
      ? new GeoDownloadError('archive_too_large', `the archive unpacks to more than ${maxBytes} bytes (GEOIP_MAX_BYTES)`, false, { cause: error })
      : new GeoDownloadError('archive_invalid', `not a gzip archive: ${(error as Error).message}`, false, { cause: error });
  }
  const mmdb = readTarEntries(archive).find((entry) => entry.type === '0' && entry.name.endsWith('.mmdb'));
  if (!mmdb) throw new GeoDownloadError('no_mmdb_in_archive', 'the archive holds no .mmdb file', false);
  if (mmdb.data.length > maxBytes) throw new GeoDownloadError('archive_too_large', `${mmdb.name} is larger than ${maxBytes} bytes (GEOIP_MAX_BYTES)`, false);
  return { name: mmdb.name, data: Buffer.from(mmdb.data) };
}
