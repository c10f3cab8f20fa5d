import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AsnInfo } from '@telemetry/contracts';
import { GeoDataError } from './enrichment.errors';
import type { AsnSource } from './geo-lookup.port';
import { parseIpv4, parseIpv6Range, parsePublicIpInto } from './ip-address';

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const COMMA = 44;
const QUOTE = 34;
const HASH = 35;
const COLON = 58;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** CSV text or bytes; a file is read as bytes so org names decode without retaining the whole text. */
export type CsvInput = string | Uint8Array;

/**
 * Rows sorted by start. IPv4 bounds are one uint32 per row; IPv6 bounds four big-endian uint32
 * words per row (row i at [4i, 4i+4)). `orgs` index into the table's organization names.
 */
interface Ranges {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly asns: Uint32Array;
  readonly orgs: Uint32Array;
}

/** Organization names, deduplicated (the ~500k rows name ~80k organizations). */
class OrgNames {
  readonly names: string[] = [''];
  private readonly index = new Map<string, number>([['', 0]]);

  intern(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    return i;
  }
}

/**
 * ASN lookup from the ip-location-db range CSVs that ship in `@ip-location-db/asn`:
 * `asn-ipv4-num.csv` (`start_num,end_num,asn,"org"`) and `asn-ipv6.csv` (`start_ip,end_ip,asn,org`).
 * Bounds may be decimal numbers or address text in either file; the org is the rest of the line,
 * optionally quoted (it may contain commas).
 *
 * Rows are held in sorted typed arrays and found by binary search, with no allocation besides the
 * answer. Ranges must not overlap (the ip-location-db files do not); rows out of order are sorted.
 * The text is scanned by hand rather than with a CSV library: ~500k rows load in well under a second.
 */
export class AsnRangeTable implements AsnSource {
  private readonly scratch = new Uint32Array(4);

  private constructor(
    private readonly v4: Ranges,
    private readonly v6: Ranges,
    private readonly orgNames: readonly string[],
    private readonly name: string,
  ) {}

  /** Builds a table from CSV contents. Throws {@link GeoDataError} naming the line of a malformed row. */
  static fromCsv(input: { ipv4?: CsvInput | null; ipv6?: CsvInput | null; name?: string }): AsnRangeTable {
    const orgs = new OrgNames();
    const name = input.name ?? 'asn csv';
    const v4 = input.ipv4 != null ? parseV4(toBuffer(input.ipv4), `${name} (ipv4)`, orgs) : emptyRanges();
    const v6 = input.ipv6 != null ? parseV6(toBuffer(input.ipv6), `${name} (ipv6)`, orgs) : emptyRanges();
    return new AsnRangeTable(v4, v6, orgs.names, name);
  }

  static async fromFiles(paths: { ipv4Path?: string | null; ipv6Path?: string | null }): Promise<AsnRangeTable> {
    const read = async (path: string | null | undefined): Promise<Buffer | null> => {
      if (!path) return null;
      try {
        return await readFile(path);
      } catch (error) {
        throw new GeoDataError(path, 'cannot read the file', { cause: error });
      }
    };
    const [ipv4, ipv6] = await Promise.all([read(paths.ipv4Path), read(paths.ipv6Path)]);
    const name = [paths.ipv4Path, paths.ipv6Path]
      .filter((p): p is string => !!p)
      .map((p) => basename(p))
      .join(', ');
    return AsnRangeTable.fromCsv({ ipv4, ipv6, name });
  }

  /** Number of ranges per family. */
  get size(): { ipv4: number; ipv6: number } {
    return { ipv4: this.v4.asns.length, ipv6: this.v6.asns.length };
  }

  asn(ip: string): AsnInfo | null {
    if (typeof ip !== 'string') return null;
    const family = parsePublicIpInto(ip, this.scratch);
    if (family === 0) return null;
    const row = family === 4 ? findV4(this.v4, this.scratch[0]) : findV6(this.v6, this.scratch);
    if (row < 0) return null;
    const ranges = family === 4 ? this.v4 : this.v6;
    const number = ranges.asns[row];
    // AS0 marks unrouted space in some feeds: no ASN, not "ASN zero".
    if (number === 0) return null;
    return { number, organization: this.orgNames[ranges.orgs[row]] || null };
  }

  describe(): string {
    return this.name;
  }
}

/** The CSVs that ship with the dependencies (`@ip-location-db/asn`). */
export function embeddedAsnCsvPaths(): { ipv4Path: string; ipv6Path: string } {
  const dir = dirname(require.resolve('@ip-location-db/asn/package.json'));
  return { ipv4Path: join(dir, 'asn-ipv4-num.csv'), ipv6Path: join(dir, 'asn-ipv6.csv') };
}

function findV4(ranges: Ranges, address: number): number {
  const starts = ranges.starts;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] <= address) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && ranges.ends[found] >= address ? found : -1;
}

/** Compares row `row` of `table` with `key`: negative, zero or positive. */
function compareRow(table: Uint32Array, row: number, key: Uint32Array): number {
  const base = row * 4;
  for (let w = 0; w < 4; w++) {
    const a = table[base + w];
    const b = key[w];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

function findV6(ranges: Ranges, key: Uint32Array): number {
  let lo = 0;
  let hi = ranges.asns.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRow(ranges.starts, mid, key) <= 0) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && compareRow(ranges.ends, found, key) >= 0 ? found : -1;
}

function toBuffer(input: CsvInput): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function emptyRanges(): Ranges {
  return { starts: new Uint32Array(0), ends: new Uint32Array(0), asns: new Uint32Array(0), orgs: new Uint32Array(0) };
}

function countLines(data: Buffer): number {
  let lines = 1;
  for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) lines++;
  return lines;
}

/** Decimal digits in [from, to) as a number; -1 when empty, not all digits, or beyond 2^53. */
function decimalField(data: Buffer, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = data[i];
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    n = n * 10 + (c - DIGIT_0);
  }
  return n;
}

function isAllDigits(data: Buffer, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (data[i] < DIGIT_0 || data[i] > DIGIT_9) return false;
  return true;
}

/** One CSV row: the byte offsets of its first three commas and its end (CR excluded). */
interface Row {
  line: number;
  start: number;
  comma1: number;
  comma2: number;
  comma3: number;
  end: number;
}

/**
 * A header names its columns: its first field has neither digits nor colons, which every bound
 * (decimal, dotted or IPv6 text, even `::`) has.
 */
function isHeader(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = data[i];
    if ((c >= DIGIT_0 && c <= DIGIT_9) || c === COLON) return false;
  }
  return true;
}

/**
 * Calls `onRow` for each data row, skipping blank and `#` lines and a header line. A row `onRow`
 * refuses (returns false) rejects the file, naming the line.
 */
function scanRows(data: Buffer, source: string, onRow: (row: Row) => boolean): void {
  const row: Row = { line: 0, start: 0, comma1: 0, comma2: 0, comma3: 0, end: 0 };
  let first = true;
  let position = 0;
  while (position < data.length) {
    row.line++;
    let newline = data.indexOf(NEWLINE, position);
    if (newline < 0) newline = data.length;
    let end = newline;
    if (end > position && data[end - 1] === CARRIAGE_RETURN) end--;
    const start = position;
    position = newline + 1;
    if (end === start || data[start] === HASH) continue;
    const comma1 = data.indexOf(COMMA, start);
    const comma2 = comma1 < 0 ? -1 : data.indexOf(COMMA, comma1 + 1);
    const comma3 = comma2 < 0 ? -1 : data.indexOf(COMMA, comma2 + 1);
    if (first && isHeader(data, start, comma1 < 0 || comma1 > end ? end : comma1)) {
      first = false;
      continue;
    }
    first = false;
    if (comma3 < 0 || comma3 >= end) {
      throw new GeoDataError(`${source} line ${row.line}`, 'expected start,end,asn,org');
    }
    row.start = start;
    row.comma1 = comma1;
    row.comma2 = comma2;
    row.comma3 = comma3;
    row.end = end;
    if (!onRow(row)) throw new GeoDataError(`${source} line ${row.line}`, 'expected start,end,asn,org');
  }
}

function orgField(data: Buffer, from: number, to: number): string {
  if (to - from >= 2 && data[from] === QUOTE && data[to - 1] === QUOTE) {
    const inner = data.toString('utf8', from + 1, to - 1);
    return inner.includes('"') ? inner.replace(/""/g, '"') : inner;
  }
  return data.toString('utf8', from, to).trim();
}

function ipv4Field(data: Buffer, from: number, to: number): number {
  const n = decimalField(data, from, to);
  if (n >= 0) return n <= 0xffffffff ? n : -1;
  return parseIpv4(data.toString('latin1', from, to));
}

function parseV4(data: Buffer, source: string, orgs: OrgNames): Ranges {
  const capacity = countLines(data);
  const starts = new Uint32Array(capacity);
  const ends = new Uint32Array(capacity);
  const asns = new Uint32Array(capacity);
  const orgIndexes = new Uint32Array(capacity);
  let count = 0;
  let sorted = true;
  scanRows(data, source, (row) => {
    const start = ipv4Field(data, row.start, row.comma1);
    const end = ipv4Field(data, row.comma1 + 1, row.comma2);
    const asn = decimalField(data, row.comma2 + 1, row.comma3);
    if (start < 0 || end < start || asn < 0 || asn > 0xffffffff) return false;
    if (count > 0 && start < starts[count - 1]) sorted = false;
    starts[count] = start;
    ends[count] = end;
    asns[count] = asn;
    orgIndexes[count] = orgs.intern(orgField(data, row.comma3 + 1, row.end));
    count++;
    return true;
  });
  const ranges = { starts: starts.slice(0, count), ends: ends.slice(0, count), asns: asns.slice(0, count), orgs: orgIndexes.slice(0, count) };
  return sorted ? ranges : sortRanges(ranges, 1);
}

/** Parses an IPv6 bound (address text or a decimal up to 2^128-1) into `out` at word offset `at`. */
function ipv6Field(data: Buffer, from: number, to: number, out: Uint32Array, at: number, scratch: Uint32Array): boolean {
  if (isAllDigits(data, from, to)) {
    let n = BigInt(data.toString('latin1', from, to));
    if (n >> 128n !== 0n) return false;
    for (let w = 3; w >= 0; w--) {
      out[at + w] = Number(n & 0xffffffffn);
      n >>= 32n;
    }
    return true;
  }
  if (!parseIpv6Range(data.toString('latin1', from, to), 0, to - from, scratch)) return false;
  out.set(scratch, at);
  return true;
}

function parseV6(data: Buffer, source: string, orgs: OrgNames): Ranges {
  const capacity = countLines(data);
  const starts = new Uint32Array(capacity * 4);
  const ends = new Uint32Array(capacity * 4);
  const asns = new Uint32Array(capacity);
  const orgIndexes = new Uint32Array(capacity);
  const scratch = new Uint32Array(4);
  let count = 0;
  let sorted = true;
  scanRows(data, source, (row) => {
    const at = count * 4;
    if (!ipv6Field(data, row.start, row.comma1, starts, at, scratch)) return false;
    if (!ipv6Field(data, row.comma1 + 1, row.comma2, ends, at, scratch)) return false;
    const asn = decimalField(data, row.comma2 + 1, row.comma3);
    if (asn < 0 || asn > 0xffffffff) return false;
    if (compareRow(ends, count, starts.subarray(at, at + 4)) < 0) return false;
    if (count > 0 && compareRow(starts, count - 1, starts.subarray(at, at + 4)) > 0) sorted = false;
    asns[count] = asn;
    orgIndexes[count] = orgs.intern(orgField(data, row.comma3 + 1, row.end));
    count++;
    return true;
  });
  const ranges = {
    starts: starts.slice(0, count * 4),
    ends: ends.slice(0, count * 4),
    asns: asns.slice(0, count),
    orgs: orgIndexes.slice(0, count),
  };
  return sorted ? ranges : sortRanges(ranges, 4);
}

/** Reorders rows by start (`width` words per bound). Only for hand-made files: the shipped ones are sorted. */
function sortRanges(ranges: Ranges, width: 1 | 4): Ranges {
  const count = ranges.asns.length;
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => {
    for (let w = 0; w < width; w++) {
      const x = ranges.starts[a * width + w];
      const y = ranges.starts[b * width + w];
      if (x !== y) return x - y;
    }
    return 0;
  });
  const sorted = {
    starts: new Uint32Array(count * width),
    ends: new Uint32Array(count * width),
    asns: new Uint32Array(count),
    orgs: new Uint32Array(count),
  };
  order.forEach((from, to) => {
    sorted.starts.set(ranges.starts.subarray(from * width, from * width + width), to * width);
    sorted.ends.set(ranges.ends.subarray(from * width, from * width + width), to * width);
    sorted.asns[to] = ranges.asns[from];
    sorted.orgs[to] = ranges.orgs[from];
  });
  return sorted;
}
