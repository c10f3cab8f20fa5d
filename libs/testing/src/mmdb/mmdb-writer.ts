/**
 * A small MaxMind DB (format 2.0) writer, so tests can build their own GeoIP fixtures instead of
 * depending on MaxMind's licensed downloads.
 *
 * Spec: https://maxmind.github.io/MaxMind-DB/
 *
 * File layout:
 *   [binary search tree][16 zero bytes][data section]["\xAB\xCD\xEFMaxMind.com"][metadata map]
 *
 * The tree is a binary trie over the address bits (32 for IPv4 databases, 128 for IPv6). Every node
 * holds two records (bit 0 = left, bit 1 = right); a record is one of:
 *   - a node number (< node_count): keep walking;
 *   - exactly node_count: "no data" for this network;
 *   - node_count + 16 + offset: the value at `offset` in the data section (the 16 skips the
 *     separator, which is why readers subtract node_count and add the tree size).
 *
 * Deliberately not a general-purpose tool: everything is built in memory and the focus is on
 * producing files that the real `maxmind`/`mmdb-lib` reader decodes exactly as expected.
 */

import { isIP } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Data types that cannot be inferred from a plain JS value; wrap with the `mmdb.*` helpers. */
export type MmdbExplicitType = 'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128';

/** A number pinned to a specific MaxMind DB type (e.g. `mmdb.uint16(443)`). */
export class MmdbTypedValue {
  constructor(
    readonly type: MmdbExplicitType,
    readonly value: number | bigint,
  ) {}
}

/**
 * What can be stored. The plain-JS forms are mapped as follows:
 *   string -> utf8_string, boolean -> boolean, array -> array, plain object -> map,
 *   Uint8Array/Buffer -> bytes, bigint -> uint64 (or uint128 when >= 2^64),
 *   number -> uint32 for integers in [0, 2^32), uint64 for larger integers below 2^64,
 *             int32 for negative integers >= -2^31, double otherwise.
 * Use MmdbTypedValue (via `mmdb.*`) for uint16, float, or to force a specific type.
 */
export type MmdbValue = string | number | boolean | bigint | Uint8Array | MmdbTypedValue | MmdbValue[] | { [key: string]: MmdbValue };

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;
const UINT128_MAX = (1n << 128n) - 1n;

function checkInteger(type: string, n: number, min: number, max: number): number {
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`mmdb: ${n} is not a valid ${type}`);
  }
  return n;
}

function checkBigInt(type: string, n: number | bigint, max: bigint): bigint {
  if (typeof n === 'number' && !Number.isInteger(n)) {
    throw new RangeError(`mmdb: ${n} is not a valid ${type}`);
  }
  const big = BigInt(n);
  if (big < 0n || big > max) throw new RangeError(`mmdb: ${n} is not a valid ${type}`);
  return big;
}

/** Helpers to store a value with an explicit MaxMind DB type. */
export const mmdb = {
  double: (n: number) => new MmdbTypedValue('double', n),
  float: (n: number) => new MmdbTypedValue('float', n),
  uint16: (n: number) => new MmdbTypedValue('uint16', checkInteger('uint16', n, 0, UINT16_MAX)),
  uint32: (n: number) => new MmdbTypedValue('uint32', checkInteger('uint32', n, 0, UINT32_MAX)),
  int32: (n: number) => new MmdbTypedValue('int32', checkInteger('int32', n, INT32_MIN, INT32_MAX)),
  uint64: (n: number | bigint) => new MmdbTypedValue('uint64', checkBigInt('uint64', n, UINT64_MAX)),
  uint128: (n: number | bigint) => new MmdbTypedValue('uint128', checkBigInt('uint128', n, UINT128_MAX)),
};

/**
 * A value resolved to its exact on-disk type, plus a canonical `key` that is equal for exactly
 * the values that encode identically. The key drives deduplication in both the tree (identical
 * records share one data-section entry) and the data section (repeated sub-values become pointers).
 */
type Normalized = { key: string } & (
  | { type: 'utf8_string'; value: string }
  | { type: 'double' | 'float'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'uint16' | 'uint32' | 'int32'; value: number }
  | { type: 'uint64' | 'uint128'; value: bigint }
  | { type: 'boolean'; value: boolean }
  | { type: 'array'; value: Normalized[] }
  | { type: 'map'; value: Array<[Normalized, Normalized]> }
);

function normalizeString(s: string): Normalized {
  return { type: 'utf8_string', value: s, key: `s${JSON.stringify(s)}` };
}

function normalizeNumber(n: number): Normalized {
  if (Number.isInteger(n) && n >= 0 && n <= UINT32_MAX) {
    return { type: 'uint32', value: n, key: `u32:${n}` };
  }
  if (Number.isInteger(n) && n > UINT32_MAX && n < 2 ** 64) {
    // Any integral double is exact, so BigInt() loses nothing (precision, if any, was lost
    // when the number was created; pass a bigint for exact values above 2^53).
    const big = BigInt(n);
    return { type: 'uint64', value: big, key: `u64:${big}` };
  }
  if (Number.isInteger(n) && n < 0 && n >= INT32_MIN) {
    return { type: 'int32', value: n, key: `i32:${n}` };
  }
  // Everything else (fractions, huge or very negative integers, NaN, ±Infinity) is only
  // representable without loss as a double. Object.is keeps -0 distinct from 0.
  return { type: 'double', value: n, key: `d:${Object.is(n, -0) ? '-0' : String(n)}` };
}

function normalizeBigInt(n: bigint): Normalized {
  if (n >= 0n && n <= UINT64_MAX) return { type: 'uint64', value: n, key: `u64:${n}` };
  if (n >= 0n && n <= UINT128_MAX) return { type: 'uint128', value: n, key: `u128:${n}` };
  throw new RangeError(`mmdb: bigint ${n} does not fit uint128`);
}

function normalizeTyped(t: MmdbTypedValue): Normalized {
  switch (t.type) {
    case 'double':
      return {
        type: 'double',
        value: Number(t.value),
        key: `d:${Object.is(t.value, -0) ? '-0' : String(t.value)}`,
      };
    case 'float': {
      // Key on the value as it will round-trip through 32 bits.
      const f = Math.fround(Number(t.value));
      return { type: 'float', value: f, key: `f:${Object.is(f, -0) ? '-0' : String(f)}` };
    }
    case 'uint16':
      return { type: 'uint16', value: Number(t.value), key: `u16:${t.value}` };
    case 'uint32':
      return { type: 'uint32', value: Number(t.value), key: `u32:${t.value}` };
    case 'int32':
      return { type: 'int32', value: Number(t.value), key: `i32:${t.value}` };
    case 'uint64':
      return { type: 'uint64', value: BigInt(t.value), key: `u64:${t.value}` };
    case 'uint128':
      return { type: 'uint128', value: BigInt(t.value), key: `u128:${t.value}` };
  }
}

/** Only plain objects are maps; a Date, Map, class instance, ... is almost certainly a mistake. */
function isPlainObject(value: unknown): value is { [key: string]: MmdbValue } {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function normalize(value: MmdbValue, path = '$'): Normalized {
  if (typeof value === 'string') return normalizeString(value);
  if (typeof value === 'number') return normalizeNumber(value);
  if (typeof value === 'boolean') return { type: 'boolean', value, key: value ? 'T' : 'F' };
  if (typeof value === 'bigint') return normalizeBigInt(value);
  if (value instanceof MmdbTypedValue) return normalizeTyped(value);
  if (value instanceof Uint8Array) {
    return { type: 'bytes', value, key: `x:${Buffer.from(value).toString('hex')}` };
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => normalize(item, `${path}[${i}]`));
    return { type: 'array', value: items, key: `[${items.map((i) => i.key).join(',')}]` };
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([k, v]): [Normalized, Normalized] => [normalizeString(k), normalize(v, `${path}.${k}`)]);
    // Key order is kept as given (readers don't care; keeping it keeps output predictable).
    const key = `{${entries.map(([k, v]) => `${k.key}:${v.key}`).join(',')}}`;
    return { type: 'map', value: entries, key };
  }
  throw new TypeError(`mmdb: unsupported value at ${path}: ${String(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Data section encoding
// ---------------------------------------------------------------------------------------------

/**
 * Type numbers from the spec. 1-7 fit in the control byte; 8 and up are "extended": the control
 * byte says 0 and a second byte holds type - 7.
 */
const TYPE_NUMBER = {
  pointer: 1,
  utf8_string: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/**
 * Control byte(s): 3 type bits + 5 size bits, then the extended-type byte (if any), then extra
 * size bytes when the size does not fit in 5 bits (29/30/31 mean "1/2/3 more bytes follow").
 * For maps and arrays "size" is the entry count; for booleans it is the value itself.
 */
function controlBytes(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  let sizeExtra: number[] = [];
  if (size < 29) {
    sizeBits = size;
  } else if (size < 29 + 0x100) {
    sizeBits = 29;
    sizeExtra = [size - 29];
  } else if (size < 285 + 0x1_0000) {
    sizeBits = 30;
    const n = size - 285;
    sizeExtra = [n >> 8, n & 0xff];
  } else if (size < 65_821 + 0x100_0000) {
    sizeBits = 31;
    const n = size - 65_821;
    sizeExtra = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  } else {
    throw new RangeError(`mmdb: field of size ${size} is too large`);
  }
  if (type <= 7) {
    head.push((type << 5) | sizeBits);
  } else {
    head.push(sizeBits, type - 7);
  }
  return Buffer.from([...head, ...sizeExtra]);
}

/**
 * Pointer to a data-section offset, using the shortest of the four forms. Forms 1 and 2 store
 * the value minus the range covered by the smaller forms, so every offset has one encoding.
 */
function pointerBytes(offset: number): Buffer {
  const ptr = TYPE_NUMBER.pointer << 5;
  if (offset < 2048) {
    return Buffer.from([ptr | (offset >> 8), offset & 0xff]);
  }
  if (offset < 2048 + (1 << 19)) {
    const n = offset - 2048;
    return Buffer.from([ptr | (1 << 3) | (n >> 16), (n >> 8) & 0xff, n & 0xff]);
  }
  if (offset < 526_336 + (1 << 27)) {
    const n = offset - 526_336;
    return Buffer.from([ptr | (2 << 3) | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  }
  const b = Buffer.alloc(5);
  b[0] = ptr | (3 << 3);
  b.writeUInt32BE(offset, 1);
  return b;
}

/** Big-endian bytes without leading zeros (unsigned ints are stored in as few bytes as needed). */
function minimalUnsigned(n: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

/**
 * Appends values to a data section. Each value is written inline the first time; later
 * occurrences of an identical value (a whole record, or any nested string/map/array) become a
 * pointer to the first copy when that is shorter. This is what MaxMind's own writers do and keeps
 * e.g. repeated map keys like "names" or "en" to a few bytes each.
 */
class DataSectionWriter {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private readonly written = new Map<string, { offset: number; size: number }>();

  /**
   * @param usePointers false for the metadata: readers resolve its pointers against a different
   * base, and it is tiny anyway.
   */
  constructor(private readonly usePointers: boolean) {}

  /**
   * Returns the offset of `value`, writing it if it is new. The offset always addresses an inline
   * encoding, never a pointer, so the tree (and other pointers) never point at a pointer.
   */
  store(value: Normalized): number {
    return this.written.get(value.key)?.offset ?? this.writeInline(value);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  private push(bytes: Buffer): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private writeNested(value: Normalized): void {
    const prior = this.usePointers ? this.written.get(value.key) : undefined;
    if (prior) {
      const pointer = pointerBytes(prior.offset);
      if (pointer.length < prior.size) {
        this.push(pointer);
        return;
      }
    }
    this.writeInline(value);
  }

  private writeInline(value: Normalized): number {
    const offset = this.length;
    switch (value.type) {
      case 'utf8_string': {
        const bytes = Buffer.from(value.value, 'utf8');
        this.push(controlBytes(TYPE_NUMBER.utf8_string, bytes.length));
        this.push(bytes);
        break;
      }
      case 'bytes':
        this.push(controlBytes(TYPE_NUMBER.bytes, value.value.length));
        this.push(Buffer.from(value.value));
        break;
      case 'double': {
        const bytes = Buffer.alloc(8);
        bytes.writeDoubleBE(value.value);
        this.push(controlBytes(TYPE_NUMBER.double, 8));
        this.push(bytes);
        break;
      }
      case 'float': {
        const bytes = Buffer.alloc(4);
        bytes.writeFloatBE(value.value);
        this.push(controlBytes(TYPE_NUMBER.float, 4));
        this.push(bytes);
        break;
      }
      case 'uint16':
      case 'uint32':
      case 'uint64':
      case 'uint128': {
        const bytes = minimalUnsigned(BigInt(value.value));
        this.push(controlBytes(TYPE_NUMBER[value.type], bytes.length));
        this.push(bytes);
        break;
      }
      case 'int32': {
        // Readers treat an int32 shorter than 4 bytes as zero-padded (i.e. non-negative), so
        // negative numbers need all 4 bytes of two's complement; non-negative ones can be short.
        let bytes: Buffer;
        if (value.value < 0) {
          bytes = Buffer.alloc(4);
          bytes.writeInt32BE(value.value);
        } else {
          bytes = minimalUnsigned(BigInt(value.value));
        }
        this.push(controlBytes(TYPE_NUMBER.int32, bytes.length));
        this.push(bytes);
        break;
      }
      case 'boolean':
        // The value lives in the size bits; there is no payload.
        this.push(controlBytes(TYPE_NUMBER.boolean, value.value ? 1 : 0));
        break;
      case 'array':
        this.push(controlBytes(TYPE_NUMBER.array, value.value.length));
        for (const item of value.value) this.writeNested(item);
        break;
      case 'map':
        this.push(controlBytes(TYPE_NUMBER.map, value.value.length));
        for (const [k, v] of value.value) {
          this.writeNested(k); // keys may be pointers to strings, per the spec
          this.writeNested(v);
        }
        break;
    }
    // Keep the first copy: any copy works, and the first one has the smallest offset.
    if (this.usePointers && !this.written.has(value.key)) {
      this.written.set(value.key, { offset, size: this.length - offset });
    }
    return offset;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

interface Network {
  /** Address bytes: 4 for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  prefixLength: number;
}

function parseIpv4(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function parseIpv6(address: string): Uint8Array {
  let text = address;
  // A dotted IPv4 tail ("::ffff:1.2.3.4") stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    const g1 = ((v4[0] << 8) | v4[1]).toString(16);
    const g2 = ((v4[2] << 8) | v4[3]).toString(16);
    text = `${text.slice(0, lastColon + 1)}${g1}:${g2}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // isIP() already validated the syntax, so "::" (if present) fills exactly the missing groups.
  const zeros = new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...(tail === undefined ? [] : zeros), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  return bytes;
}

function bitAt(bytes: Uint8Array, index: number): 0 | 1 {
  return ((bytes[index >> 3] >> (7 - (index & 7))) & 1) as 0 | 1;
}

/** Parses "a.b.c.d/n", "x:y::z/n" or a bare address (a host route). Host bits must be zero. */
function parseCidr(cidr: string): Network {
  const [address, prefix, ...rest] = cidr.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0 || address.includes('%')) {
    throw new Error(`mmdb: invalid network "${cidr}"`);
  }
  const bytes = version === 4 ? parseIpv4(address) : parseIpv6(address);
  const maxLength = bytes.length * 8;
  const prefixLength = prefix === undefined ? maxLength : Number(prefix);
  if (!/^\d+$/.test(prefix ?? String(maxLength)) || prefixLength > maxLength) {
    throw new Error(`mmdb: invalid prefix length in "${cidr}"`);
  }
  for (let i = prefixLength; i < maxLength; i++) {
    // Almost always a typo in a fixture, so refuse instead of silently masking.
    if (bitAt(bytes, i)) throw new Error(`mmdb: "${cidr}" has host bits set`);
  }
  return { bytes, prefixLength };
}

/** IPv4 networks live at ::a.b.c.d/(96+n) in an IPv6 tree; that is where readers look for them. */
function ipv4InIpv6(network: Network): Network {
  const bytes = new Uint8Array(16);
  bytes.set(network.bytes, 12);
  return { bytes, prefixLength: network.prefixLength + 96 };
}

// ---------------------------------------------------------------------------------------------
// Search tree
// ---------------------------------------------------------------------------------------------

type TreeRecord = { kind: 'empty' } | { kind: 'data'; value: Normalized } | { kind: 'node'; node: TreeNode };

const EMPTY: TreeRecord = { kind: 'empty' };

class TreeNode {
  constructor(public records: [TreeRecord, TreeRecord] = [EMPTY, EMPTY]) {}
}

/**
 * Points the record for `network` at `record`, replacing whatever was there (including any
 * more specific networks below it). A data or empty record crossed on the way down is split into
 * a node whose two halves both keep the old record, so the rest of the old network keeps its value.
 */
function setRecord(root: TreeNode, network: Network, record: TreeRecord): void {
  if (network.prefixLength === 0) {
    // The root is always a node, so "everything" means both of its records.
    root.records = [record, record];
    return;
  }
  let node = root;
  for (let depth = 0; depth < network.prefixLength - 1; depth++) {
    const bit = bitAt(network.bytes, depth);
    const current = node.records[bit];
    if (current.kind === 'node') {
      node = current.node;
    } else {
      const split = new TreeNode([current, current]);
      node.records[bit] = { kind: 'node', node: split };
      node = split;
    }
  }
  node.records[bitAt(network.bytes, network.prefixLength - 1)] = record;
}

/** The record governing `network`: the deepest one on its path, at most prefixLength deep. */
function getRecord(root: TreeNode, network: Network): TreeRecord {
  let record: TreeRecord = { kind: 'node', node: root };
  for (let depth = 0; depth < network.prefixLength && record.kind === 'node'; depth++) {
    record = record.node.records[bitAt(network.bytes, depth)];
  }
  return record;
}

function cloneRecord(record: TreeRecord): TreeRecord {
  return record.kind === 'node' ? { kind: 'node', node: cloneNode(record.node) } : record;
}

function cloneNode(node: TreeNode): TreeNode {
  return new TreeNode([cloneRecord(node.records[0]), cloneRecord(node.records[1])]);
}

/**
 * IPv6 ranges that embed an IPv4 address and that MaxMind's IPv6 databases alias to the IPv4
 * subtree: IPv4-mapped (::ffff:a.b.c.d, what dual-stack sockets report) and 6to4
 * (2002:aabb:ccdd::/48 embeds aa.bb.cc.dd).
 */
const IPV4_ALIASES: readonly string[] = ['::ffff:0:0/96', '2002::/16'];
const IPV4_SUBTREE = parseCidr('::/96');

/** Marks the start of the metadata; readers search for its last occurrence in the file. */
const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com', 'ascii')]);

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

export interface MmdbWriterOptions {
  /** Free-form, e.g. "GeoLite2-City"; readers use it to pick a response shape. */
  databaseType: string;
  /** 4: only IPv4 networks. 6: both; IPv4 networks go under ::/96. */
  ipVersion: 4 | 6;
  /** Bits per tree record; node count + data size must stay below 2^recordSize. Default 28. */
  recordSize?: 24 | 28 | 32;
  /** Stored as the English entry of the metadata's `description` map. */
  description?: string;
  /** Locale codes the data's `names` maps provide. */
  languages?: string[];
  /** Seconds since the epoch; default now. Fix it for byte-identical output. */
  buildEpoch?: number;
  /**
   * IPv6 databases only (default true): also answer IPv4-mapped (::ffff:0:0/96) and 6to4
   * (2002::/16) lookups from the IPv4 data, like MaxMind's databases do. Inside those ranges the
   * alias replaces anything inserted there directly.
   */
  aliasIpv4?: boolean;
}

export class MmdbWriter {
  private readonly root = new TreeNode();
  /** Identical values inserted for different networks share one Normalized (and one data entry). */
  private readonly values = new Map<string, Normalized>();
  private readonly recordSize: 24 | 28 | 32;

  constructor(private readonly opts: MmdbWriterOptions) {
    this.recordSize = opts.recordSize ?? 28;
    if (![24, 28, 32].includes(this.recordSize)) {
      throw new Error(`mmdb: unsupported record size ${this.recordSize}`);
    }
    if (opts.ipVersion !== 4 && opts.ipVersion !== 6) {
      throw new Error(`mmdb: unsupported ip version ${String(opts.ipVersion)}`);
    }
  }

  /**
   * Maps every address in `cidr` to `data`. Inserts apply in order and the later one wins where
   * they overlap: a more specific network inserted after a broader one carves out its range; a
   * broader one inserted later replaces the specifics inside it.
   */
  insert(cidr: string, data: MmdbValue): this {
    let network = parseCidr(cidr);
    if (network.bytes.length === 16 && this.opts.ipVersion === 4) {
      throw new Error(`mmdb: cannot insert IPv6 network "${cidr}" into an IPv4 database`);
    }
    if (network.bytes.length === 4 && this.opts.ipVersion === 6) network = ipv4InIpv6(network);

    const normalized = normalize(data);
    const value = this.values.get(normalized.key) ?? normalized;
    this.values.set(value.key, value);
    setRecord(this.root, network, { kind: 'data', value });
    return this;
  }

  toBuffer(): Buffer {
    const root = this.treeForOutput();

    // Number nodes breadth-first. After aliasing the tree is a DAG, so a node reachable by two
    // paths must get one number (and be written once).
    const order: TreeNode[] = [root];
    const numbers = new Map<TreeNode, number>([[root, 0]]);
    for (let i = 0; i < order.length; i++) {
      for (const record of order[i].records) {
        if (record.kind === 'node' && !numbers.has(record.node)) {
          numbers.set(record.node, order.length);
          order.push(record.node);
        }
      }
    }
    const nodeCount = order.length;

    const data = new DataSectionWriter(true);
    const recordValue = (record: TreeRecord): number => {
      switch (record.kind) {
        case 'empty':
          return nodeCount;
        case 'node':
          return numbers.get(record.node)!;
        case 'data':
          return nodeCount + 16 + data.store(record.value);
      }
    };

    const nodeBytes = this.recordSize / 4; // two records per node
    const tree = Buffer.alloc(nodeCount * nodeBytes);
    const maxRecord = 2 ** this.recordSize - 1;
    order.forEach((node, i) => {
      const left = recordValue(node.records[0]);
      const right = recordValue(node.records[1]);
      if (left > maxRecord || right > maxRecord) {
        throw new RangeError(`mmdb: tree/data too large for record size ${this.recordSize}`);
      }
      this.writeNode(tree, i * nodeBytes, left, right);
    });

    const metadata = new DataSectionWriter(false);
    metadata.store(
      normalize({
        binary_format_major_version: mmdb.uint16(2),
        binary_format_minor_version: mmdb.uint16(0),
        build_epoch: mmdb.uint64(this.opts.buildEpoch ?? Math.floor(Date.now() / 1000)),
        database_type: this.opts.databaseType,
        description: this.opts.description === undefined ? {} : { en: this.opts.description },
        ip_version: mmdb.uint16(this.opts.ipVersion),
        languages: this.opts.languages ?? [],
        node_count: mmdb.uint32(nodeCount),
        record_size: mmdb.uint16(this.recordSize),
      }),
    );

    return Buffer.concat([
      tree,
      Buffer.alloc(16), // data section separator
      data.toBuffer(),
      METADATA_MARKER,
      metadata.toBuffer(),
    ]);
  }

  /** The tree as it should be written; a copy when aliasing changes it, so inserts can continue. */
  private treeForOutput(): TreeNode {
    if (this.opts.ipVersion !== 6 || this.opts.aliasIpv4 === false) return this.root;
    const ipv4 = getRecord(this.root, IPV4_SUBTREE);
    if (ipv4.kind === 'empty') return this.root; // no IPv4 data to alias
    const root = cloneNode(this.root);
    // Re-read from the copy so the aliases share the copied IPv4 subtree.
    const ipv4Copy = getRecord(root, IPV4_SUBTREE);
    for (const alias of IPV4_ALIASES) setRecord(root, parseCidr(alias), ipv4Copy);
    return root;
  }

  private writeNode(tree: Buffer, offset: number, left: number, right: number): void {
    switch (this.recordSize) {
      case 24:
        tree.writeUIntBE(left, offset, 3);
        tree.writeUIntBE(right, offset + 3, 3);
        break;
      case 28:
        // 7 bytes: left's low 24 bits, a middle byte holding left's top 4 bits (high nibble) and
        // right's top 4 bits (low nibble), then right's low 24 bits.
        tree.writeUIntBE(left & 0xff_ffff, offset, 3);
        tree[offset + 3] = ((left >>> 24) << 4) | (right >>> 24);
        tree.writeUIntBE(right & 0xff_ffff, offset + 4, 3);
        break;
      case 32:
        tree.writeUInt32BE(left, offset);
        tree.writeUInt32BE(right, offset + 4);
        break;
    }
  }
}
