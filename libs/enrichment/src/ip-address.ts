/**
 * IP address parsing for the enrichment hot path.
 *
 * Addresses are parsed by scanning char codes, without regexes, splits or BigInt, so a lookup can
 * parse its key without allocating: IPv4 becomes one uint32 (a non-negative JS number), IPv6 four
 * uint32 words, most significant first. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is treated as the IPv4
 * address everywhere, because that is how dual-stack sockets report IPv4 peers and users expect
 * `::ffff:8.8.8.8` to geolocate and match indicators exactly like `8.8.8.8`.
 *
 * The parser is strict: IPv4 needs four decimal parts without leading zeros (`010.0.0.1` is octal
 * to some tools and decimal to others, so it is refused rather than guessed), IPv6 zone ids
 * (`fe80::1%eth0`) and brackets are refused, since a zone only means something on the host that
 * wrote it.
 */

export type IpFamily = 4 | 6;

/** A parsed address. `v4` is a uint32; `words` are the four big-endian uint32 words of an IPv6 address. */
export type ParsedIp = { readonly family: 4; readonly v4: number } | { readonly family: 6; readonly words: Uint32Array };

/** A parsed network with host bits cleared; `text` is its canonical spelling (`10.0.0.0/8`). */
export type ParsedCidr =
  | { readonly family: 4; readonly v4: number; readonly prefixLength: number; readonly text: string }
  | { readonly family: 6; readonly words: Uint32Array; readonly prefixLength: number; readonly text: string };

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;
const CHAR_COLON = 58;
const CHAR_SLASH = 47;
const CHAR_A_LOWER = 97;
const CHAR_F_LOWER = 102;
const CHAR_A_UPPER = 65;
const CHAR_F_UPPER = 70;

/** `255.255.255.255` */
const MAX_V4_TEXT = 15;
/** `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255` */
const MAX_V6_TEXT = 45;

/**
 * Parses dotted-quad IPv4 text between `start` and `end` to a uint32, or returns -1.
 * Exposed with bounds so the IPv6 parser can reuse it for an embedded IPv4 tail.
 */
export function parseIpv4Range(text: string, start: number, end: number): number {
  const length = end - start;
  if (length < 7 || length > MAX_V4_TEXT) return -1;
  let result = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= CHAR_0 && c <= CHAR_9) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - CHAR_0);
      if (part > 255) return -1;
      digits++;
    } else if (c === CHAR_DOT) {
      if (digits === 0 || dots === 3) return -1;
      // Multiplication, not `<<`, keeps the value a non-negative number above 2^31.
      result = result * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return result * 256 + part;
}

/** Parses dotted-quad IPv4 text to a uint32, or returns -1. */
export function parseIpv4(text: string): number {
  return parseIpv4Range(text, 0, text.length);
}

function hexValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  if (c >= CHAR_A_LOWER && c <= CHAR_F_LOWER) return c - CHAR_A_LOWER + 10;
  if (c >= CHAR_A_UPPER && c <= CHAR_F_UPPER) return c - CHAR_A_UPPER + 10;
  return -1;
}

// Scratch for the eight 16-bit groups; safe to share because parsing never yields or re-enters.
const groups = new Uint16Array(8);

/**
 * Parses IPv6 text between `start` and `end` into `out[0..3]` (big-endian uint32 words).
 * Returns false, leaving `out` unspecified, when the text is not an IPv6 address.
 * Mapped IPv4 is NOT folded here (see {@link parseIpInto}); CIDR parsing needs the raw words.
 */
export function parseIpv6Range(text: string, start: number, end: number, out: Uint32Array): boolean {
  const length = end - start;
  if (length < 2 || length > MAX_V6_TEXT) return false;
  let i = start;
  let count = 0;
  let gapAt = -1; // group index where `::` stands
  if (text.charCodeAt(i) === CHAR_COLON) {
    if (text.charCodeAt(i + 1) !== CHAR_COLON) return false;
    gapAt = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    let value = 0;
    let j = i;
    for (; j < end; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = ((value << 4) | h) & 0xfffff; // bounded; more than four digits is refused below
    }
    if (j < end && text.charCodeAt(j) === CHAR_DOT) {
      // Embedded IPv4 in the last 32 bits, e.g. `::ffff:1.2.3.4`.
      if (count > 6) return false;
      const v4 = parseIpv4Range(text, i, end);
      if (v4 < 0) return false;
      groups[count++] = Math.floor(v4 / 65536);
      groups[count++] = v4 % 65536;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups[count++] = value;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== CHAR_COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === CHAR_COLON) {
      if (gapAt >= 0) return false; // a second `::`
      gapAt = count;
      i++;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gapAt < 0) {
    if (count !== 8) return false;
  } else {
    // `::` stands for one or more zero groups (RFC 4291 §2.2), so at most seven explicit ones.
    if (count > 7) return false;
    const tail = count - gapAt;
    const shift = 8 - count;
    for (let k = tail - 1; k >= 0; k--) groups[gapAt + shift + k] = groups[gapAt + k];
    for (let k = gapAt; k < gapAt + shift; k++) groups[k] = 0;
  }
  out[0] = ((groups[0] << 16) | groups[1]) >>> 0;
  out[1] = ((groups[2] << 16) | groups[3]) >>> 0;
  out[2] = ((groups[4] << 16) | groups[5]) >>> 0;
  out[3] = ((groups[6] << 16) | groups[7]) >>> 0;
  return true;
}

/** True for `::ffff:a.b.c.d` (words 0..2 = 0, 0, 0x0000ffff). */
export function isIpv4MappedWords(words: Uint32Array): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/**
 * The allocation-free parse used by lookups. Returns 4 with the uint32 in `out[0]` (IPv4 and
 * IPv4-mapped IPv6), 6 with the words in `out[0..3]`, or 0 when `text` is not an address.
 * `out` must hold at least four words.
 */
export function parseIpInto(text: string, out: Uint32Array): 0 | IpFamily {
  const v4 = parseIpv4(text);
  if (v4 >= 0) {
    out[0] = v4;
    return 4;
  }
  if (!parseIpv6Range(text, 0, text.length, out)) return 0;
  if (isIpv4MappedWords(out)) {
    out[0] = out[3];
    return 4;
  }
  return 6;
}

/** Parses IPv4 or IPv6 text; IPv4-mapped IPv6 comes back as IPv4. Null when not an address. */
export function parseIp(text: unknown): ParsedIp | null {
  if (typeof text !== 'string') return null;
  const words = new Uint32Array(4);
  const family = parseIpInto(text, words);
  if (family === 4) return { family: 4, v4: words[0] };
  if (family === 6) return { family: 6, words };
  return null;
}

const scratchWords = new Uint32Array(4);

export function isValidIp(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  return parseIpv4(text) >= 0 || parseIpv6Range(text, 0, text.length, scratchWords);
}

export function formatIpv4(v4: number): string {
  return `${Math.floor(v4 / 16777216) % 256}.${Math.floor(v4 / 65536) % 256}.${Math.floor(v4 / 256) % 256}.${v4 % 256}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the first longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(words: Uint32Array): string {
  const g = [words[0] >>> 16, words[0] & 0xffff, words[1] >>> 16, words[1] & 0xffff, words[2] >>> 16, words[2] & 0xffff, words[3] >>> 16, words[3] & 0xffff];
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g
    .slice(0, bestStart)
    .map((x) => x.toString(16))
    .join(':');
  const tail = g
    .slice(bestStart + bestLength)
    .map((x) => x.toString(16))
    .join(':');
  return `${head}::${tail}`;
}

export function formatIp(ip: ParsedIp): string {
  return ip.family === 4 ? formatIpv4(ip.v4) : formatIpv6(ip.words);
}

/** The canonical spelling of an address (`::FFFF:8.8.8.8` → `8.8.8.8`, `2001:DB8:0:0::1` → `2001:db8::1`), or null. */
export function canonicalIp(text: unknown): string | null {
  const ip = parseIp(text);
  return ip === null ? null : formatIp(ip);
}

function maskV4(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Clears the host bits of `words` beyond `prefixLength`, in place. */
function maskWords(words: Uint32Array, prefixLength: number): void {
  for (let w = 0; w < 4; w++) {
    const bits = prefixLength - w * 32;
    if (bits >= 32) continue;
    words[w] = bits <= 0 ? 0 : (words[w] & maskV4(bits)) >>> 0;
  }
}

function parsePrefixLength(text: string, start: number): number {
  const length = text.length - start;
  if (length < 1 || length > 3) return -1;
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < CHAR_0 || c > CHAR_9) return -1;
    n = n * 10 + (c - CHAR_0);
  }
  return n;
}

/**
 * Parses `address/prefix` or a bare address (a /32 or /128), clearing host bits
 * (`10.1.2.3/8` → `10.0.0.0/8`). Surrounding whitespace is ignored. An IPv4-mapped network of
 * /96 or longer becomes the IPv4 network, so it matches IPv4 flows. Null when invalid.
 */
export function parseCidr(input: unknown): ParsedCidr | null {
  if (typeof input !== 'string') return null;
  const text = input.trim();
  let slash = -1;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === CHAR_SLASH) {
      slash = i;
      break;
    }
  }
  const end = slash < 0 ? text.length : slash;
  const v4 = parseIpv4Range(text, 0, end);
  if (v4 >= 0) {
    const prefixLength = slash < 0 ? 32 : parsePrefixLength(text, slash + 1);
    if (prefixLength < 0 || prefixLength > 32) return null;
    return v4Cidr(v4, prefixLength);
  }
  const words = new Uint32Array(4);
  if (!parseIpv6Range(text, 0, end, words)) return null;
  const prefixLength = slash < 0 ? 128 : parsePrefixLength(text, slash + 1);
  if (prefixLength < 0 || prefixLength > 128) return null;
  if (prefixLength >= 96 && isIpv4MappedWords(words)) return v4Cidr(words[3], prefixLength - 96);
  maskWords(words, prefixLength);
  return { family: 6, words, prefixLength, text: `${formatIpv6(words)}/${prefixLength}` };
}

function v4Cidr(address: number, prefixLength: number): ParsedCidr {
  const v4 = (address & maskV4(prefixLength)) >>> 0;
  return { family: 4, v4, prefixLength, text: `${formatIpv4(v4)}/${prefixLength}` };
}

// [network, prefix length]: RFC 6890 special-purpose ranges that GeoIP and ASN data say nothing
// useful about, plus RFC 1918 and CGNAT.
const V4_SPECIAL: ReadonlyArray<readonly [number, number]> = (
  [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8], // RFC 1918
    ['100.64.0.0', 10], // CGNAT, RFC 6598
    ['127.0.0.0', 8], // loopback
    ['169.254.0.0', 16], // link-local
    ['172.16.0.0', 12], // RFC 1918
    ['192.0.0.0', 24], // IETF protocol assignments
    ['192.0.2.0', 24], // TEST-NET-1
    ['192.88.99.0', 24], // deprecated 6to4 relay anycast
    ['192.168.0.0', 16], // RFC 1918
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24], // TEST-NET-2
    ['203.0.113.0', 24], // TEST-NET-3
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, incl. limited broadcast
  ] as const
).map(([network, length]) => [parseIpv4(network), length] as const);

export function isPrivateOrReservedV4(v4: number): boolean {
  for (const [network, length] of V4_SPECIAL) {
    if ((v4 & maskV4(length)) >>> 0 === network) return true;
  }
  return false;
}

/**
 * Outside global unicast 2000::/3 everything is special (::, ::1, ULA fc00::/7, link-local
 * fe80::/10, multicast ff00::/8, discard 100::/64, NAT64 64:ff9b::/96…); inside it only the
 * documentation, benchmarking and ORCHID blocks are.
 */
export function isPrivateOrReservedV6(words: Uint32Array): boolean {
  const w0 = words[0];
  if (w0 >>> 29 !== 1) return true;
  if (w0 === 0x20010db8) return true; // 2001:db8::/32 documentation
  if (w0 >>> 12 === 0x3fff0) return true; // 3fff::/20 documentation (RFC 9637)
  if (w0 >>> 4 === 0x2001001 || w0 >>> 4 === 0x2001002) return true; // ORCHID 2001:10::/28, 2001:20::/28
  if (w0 === 0x20010002 && words[1] >>> 16 === 0) return true; // 2001:2::/48 benchmarking
  return false;
}

export function isPrivateOrReservedParsed(ip: ParsedIp): boolean {
  return ip.family === 4 ? isPrivateOrReservedV4(ip.v4) : isPrivateOrReservedV6(ip.words);
}

/**
 * True for RFC 1918, loopback, link-local, CGNAT, ULA, multicast, documentation and other
 * special-purpose addresses. False for public addresses and for text that is not an address.
 */
export function isPrivateOrReserved(ip: string): boolean {
  const family = parseIpInto(ip, scratchWords);
  if (family === 4) return isPrivateOrReservedV4(scratchWords[0]);
  if (family === 6) return isPrivateOrReservedV6(scratchWords);
  return false;
}

/**
 * Like {@link parseIpInto}, but also 0 for private and reserved addresses: the key of a GeoIP or
 * ASN lookup, which has nothing to say about them.
 */
export function parsePublicIpInto(text: string, out: Uint32Array): 0 | IpFamily {
  const family = parseIpInto(text, out);
  if (family === 4) return isPrivateOrReservedV4(out[0]) ? 0 : 4;
  if (family === 6) return isPrivateOrReservedV6(out) ? 0 : 6;
  return 0;
}

/**
 * The original scorer's notion of a client-side port: any valid port ≥ 1024. A missing port is
 * not ephemeral, which is why a Zeek record without `id.orig_p` never triggers the upload rule.
 */
export function isEphemeralPort(port: number | null | undefined): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1024 && port <= 65535;
}
