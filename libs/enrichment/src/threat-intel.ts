import type { ThreatMatch } from '@telemetry/contracts';
import { CidrTrie } from './cidr-trie';
import { InvalidCidrError, InvalidIndicatorError } from './enrichment.errors';
import { parseCidr } from './ip-address';

/** One threat-intel entry: an address or CIDR, as listed by its source. */
export interface Indicator {
  /** An IPv4/IPv6 address or CIDR, as listed. */
  indicator: string;
  category: string;
  /** 0-100. */
  confidence: number;
  /** A feed or file name. */
  source: string;
  /** Only this tenant's flows match it; absent: every tenant's (global). */
  tenantId?: string;
  /** ISO 8601: it stops matching then. */
  expiresAt?: string;
}

/** Anything that can tell which indicators a flow's endpoints hit. */
export interface ThreatIntelMatcher {
  /** A flow without `tenantId` matches the global indicators only; `nowMs` decides expiry (default: the clock). */
  match(flow: MatchableFlow, nowMs?: number): ThreatMatch[];
}

export interface MatchableFlow {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly tenantId?: string;
}

export const DEFAULT_CONFIDENCE = 50;
/** Listing an address is itself the claim, which the original product labelled "malicious". */
export const DEFAULT_CATEGORY = 'malicious';

interface Entry {
  readonly indicator: Indicator;
  /** Canonical network, the identity of the entry together with the source and the tenant. */
  readonly network: string;
  /** Milliseconds since the epoch; Infinity when it does not expire. */
  readonly expiresAtMs: number;
}

/**
 * Threat-intel indicators indexed by network, matched against both ends of a flow.
 *
 * An indicator is identified by its network, source and tenant: adding the same network from the
 * same source for the same tenant again replaces the earlier entry (so replaying indicator events
 * converges), while the same network from two sources yields two matches. A flow matches the
 * global indicators and its own tenant's, and no expired one.
 */
export class ThreatIntelIndex implements ThreatIntelMatcher {
  private readonly trie = new CidrTrie<Entry>();

  /** Throws {@link InvalidIndicatorError} on the first unusable indicator. */
  constructor(indicators: Iterable<Indicator> = []) {
    for (const indicator of indicators) this.add(indicator);
  }

  /** Number of indicators held. */
  get size(): number {
    return this.trie.size;
  }

  /** Adds or replaces (same network, same source) an indicator. Returns the canonical network. */
  add(indicator: Indicator): string {
    const network = parseCidr(indicator.indicator);
    if (network === null) throw new InvalidIndicatorError(indicator.indicator, 'not an IP address or CIDR');
    if (typeof indicator.confidence !== 'number' || !(indicator.confidence >= 0 && indicator.confidence <= 100)) {
      throw new InvalidIndicatorError(indicator.indicator, `confidence must be 0-100, got ${String(indicator.confidence)}`);
    }
    const expiresAtMs = indicator.expiresAt === undefined ? Infinity : Date.parse(indicator.expiresAt);
    if (Number.isNaN(expiresAtMs)) throw new InvalidIndicatorError(indicator.indicator, `expiresAt is not a timestamp: ${indicator.expiresAt}`);
    // Parsed once; one walk both drops the entry this one replaces and stores it.
    const { source, tenantId } = indicator;
    const listed = indicator.indicator.trim();
    this.trie.upsert(
      network,
      // Kept as given (no copy) when already trimmed: a million-entry feed allocates one object less per entry.
      { indicator: listed === indicator.indicator ? indicator : { ...indicator, indicator: listed }, network: network.text, expiresAtMs },
      (e) => e.indicator.source === source && e.indicator.tenantId === tenantId,
    );
    return network.text;
  }

  /** Removes the one indicator of `network` from `source` for `tenantId` (undefined: the global one). Returns whether it was held. */
  removeExact(network: string, source: string, tenantId: string | undefined): boolean {
    const parsed = parseCidr(network);
    if (parsed === null) throw new InvalidCidrError(network);
    return this.trie.remove(parsed, (e) => e.indicator.source === source && e.indicator.tenantId === tenantId) > 0;
  }

  /**
   * Removes the indicator for `indicator`'s network (host bits ignored), from `source` only when
   * given. Returns how many entries were removed; throws {@link InvalidCidrError} on a bad network.
   */
  remove(indicator: string, source?: string): number {
    const network = parseCidr(indicator);
    if (network === null) throw new InvalidCidrError(indicator);
    return this.trie.remove(network, source === undefined ? undefined : (e) => e.indicator.source === source);
  }

  /** Matches on the source side first, then the destination side; on each side least specific first. */
  match(flow: MatchableFlow, nowMs = Date.now()): ThreatMatch[] {
    const out: ThreatMatch[] = [];
    const src = this.trie.matchAll(flow.srcIp);
    const dst = this.trie.matchAll(flow.dstIp);
    // Misses (nearly every flow) cost two trie walks and nothing else.
    if (src.length === 0 && dst.length === 0) return out;
    collect(src, 'src_ip', flow.srcIp, flow.tenantId, nowMs, out);
    collect(dst, 'dst_ip', flow.dstIp, flow.tenantId, nowMs, out);
    return out;
  }
}

function collect(entries: readonly Entry[], field: ThreatMatch['field'], ip: string, tenantId: string | undefined, nowMs: number, out: ThreatMatch[]): void {
  for (const { indicator, expiresAtMs } of entries) {
    if (indicator.tenantId !== undefined && indicator.tenantId !== tenantId) continue;
    if (expiresAtMs <= nowMs) continue;
    out.push({
      indicator: indicator.indicator,
      category: indicator.category,
      confidence: indicator.confidence,
      source: indicator.source,
      field,
      ip,
    });
  }
}

export interface ThreatCsvParseResult {
  indicators: Indicator[];
  /** One entry per rejected line; `line` is 1-based, counting every physical line. */
  errors: Array<{ line: number; message: string }>;
}

const IP_COLUMN_NAMES = new Set(['ip_or_cidr', 'ip', 'cidr', 'indicator', 'ip_address', 'address', 'network']);
const CATEGORY_COLUMN_NAMES = new Set(['category', 'type', 'threat_type']);
const CONFIDENCE_COLUMN_NAMES = new Set(['confidence', 'score']);

interface Columns {
  ip: number;
  category: number;
  confidence: number;
}

/**
 * Parses a threat list in the original product's CSV shape, `ip_or_cidr,category,confidence`.
 *
 * - The header is optional. When the first data line names an IP column it is a header, and columns
 *   are found by name (so reordered or extra columns work); otherwise columns are positional.
 * - Blank lines and lines starting with `#` are skipped; CRLF is accepted; fields may be quoted
 *   (RFC 4180, `""` for a quote inside quotes).
 * - An empty category becomes `malicious`; an empty confidence becomes 50; a numeric confidence
 *   outside 0-100 is clamped (feeds on other scales still load), a non-numeric one rejects the line.
 * - A bad line is reported and skipped; it never rejects the file.
 */
export function parseThreatCsv(text: string, sourceName: string): ThreatCsvParseResult {
  const indicators: Indicator[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  let columns: Columns | null = null;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    let line = lines[index];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (index === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // UTF-8 BOM
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = splitCsvLine(line);
    if (fields === null) {
      errors.push({ line: lineNumber, message: 'unterminated quoted field' });
      continue;
    }
    if (columns === null) {
      columns = headerColumns(fields);
      if (columns !== null) continue;
      columns = { ip: 0, category: 1, confidence: 2 };
    }
    const result = toIndicator(fields, columns, sourceName);
    if (typeof result === 'string') errors.push({ line: lineNumber, message: result });
    else indicators.push(result);
  }
  return { indicators, errors };
}

function headerColumns(fields: string[]): Columns | null {
  const names = fields.map((f) => f.trim().toLowerCase());
  const ip = names.findIndex((n) => IP_COLUMN_NAMES.has(n));
  if (ip < 0) return null;
  return {
    ip,
    category: names.findIndex((n) => CATEGORY_COLUMN_NAMES.has(n)),
    confidence: names.findIndex((n) => CONFIDENCE_COLUMN_NAMES.has(n)),
  };
}

function toIndicator(fields: string[], columns: Columns, source: string): Indicator | string {
  const field = (i: number): string => (i >= 0 && i < fields.length ? fields[i].trim() : '');
  const indicator = field(columns.ip);
  if (indicator === '') return 'missing ip_or_cidr';
  if (parseCidr(indicator) === null) return `invalid IP address or CIDR ${JSON.stringify(indicator)}`;
  const category = field(columns.category) || DEFAULT_CATEGORY;
  const rawConfidence = field(columns.confidence);
  let confidence = DEFAULT_CONFIDENCE;
  if (rawConfidence !== '') {
    const n = Number(rawConfidence);
    if (!Number.isFinite(n)) return `confidence must be a number 0-100, got ${JSON.stringify(rawConfidence)}`;
    confidence = Math.min(100, Math.max(0, n));
  }
  return { indicator, category, confidence, source };
}

/** Splits one CSV line (RFC 4180 quoting, `""` inside quotes); null when a quoted field is not closed. */
export function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    // Whitespace before an opening quote is tolerated (`a, "b"`), as hand-edited lists have it.
    let j = i;
    while (j < line.length && (line[j] === ' ' || line[j] === '\t')) j++;
    if (line[j] === '"') {
      let value = '';
      let k = j + 1;
      for (;;) {
        const quote = line.indexOf('"', k);
        if (quote < 0) return null;
        value += line.slice(k, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          k = quote + 2;
          continue;
        }
        k = quote + 1;
        break;
      }
      const comma = line.indexOf(',', k);
      // Anything between the closing quote and the comma is kept, rather than guessed away.
      value += line.slice(k, comma < 0 ? line.length : comma);
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      fields.push(line.slice(i, comma < 0 ? line.length : comma));
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}
