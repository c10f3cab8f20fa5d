import { InvalidFeedOptionsError } from '../enrichment.errors';
import { DEFAULT_CATEGORY, DEFAULT_CONFIDENCE } from '../threat-intel';
import { parseCsvFeed } from './csv.parser';
import { FEED_FORMATS, type FeedDefaults, type FeedFormat, type FeedParseOptions, type FeedParseResult } from './feed.types';
import { parseFeodoCsvFeed } from './feodo-csv.parser';
import { parseMispCsvFeed } from './misp-csv.parser';
import { parseFireholFeed, parsePlainFeed } from './plain.parser';
import { parseSpamhausDropFeed, parseSpamhausDropJsonFeed } from './spamhaus-drop.parser';
import { parseStix2Feed } from './stix2.parser';
import { parseSuricataIprepFeed } from './suricata-iprep.parser';
import { parseZeekIntelFeed } from './zeek-intel.parser';

/**
 * The category and confidence of entries that carry none of their own, per format, when
 * `options.category` / `options.confidence` are not given.
 *
 * - `spamhaus-drop(-json)`: `hijacked` at 90. DROP lists netblocks hijacked or leased to spam and
 *   cybercrime operations, curated by Spamhaus as "do not route or peer".
 * - `feodo-csv`: `botnet_cc` at 90. Every entry is a botnet command-and-control server
 *   abuse.ch has seen.
 * - `csv` keeps {@link parseThreatCsv}'s own per-line defaults and `suricata-iprep` takes its
 *   confidence from the score; they are listed for completeness.
 * - Everything else: `malicious` at 50, the original product's defaults.
 */
export const FEED_DEFAULTS: Readonly<Record<FeedFormat, { readonly category: string; readonly confidence: number }>> = {
  csv: { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  plain: { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  firehol: { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  'spamhaus-drop': { category: 'hijacked', confidence: 90 },
  'spamhaus-drop-json': { category: 'hijacked', confidence: 90 },
  'feodo-csv': { category: 'botnet_cc', confidence: 90 },
  'zeek-intel': { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  'suricata-iprep': { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  'misp-csv': { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
  stix2: { category: DEFAULT_CATEGORY, confidence: DEFAULT_CONFIDENCE },
};

export function isFeedFormat(value: unknown): value is FeedFormat {
  return typeof value === 'string' && (FEED_FORMATS as readonly string[]).includes(value);
}

/**
 * Parses the text of a threat-intel feed into indicators. Pure: no I/O, no clock.
 *
 * A line (or, for `stix2`, an object) that cannot be used is reported in `malformed` with its
 * 1-based number and a reason, and never stops the rest from loading. Comments, blank lines,
 * headers and metadata are counted in `skipped`, and so are entries of the formats that mix kinds
 * (`zeek-intel`, `misp-csv`, `stix2`) that are not IP indicators: domains, URLs, hashes…
 * Addresses and CIDRs are IPv4 or IPv6, checked with {@link parseCidr}; `indicator` is the address
 * or CIDR as the feed lists it, trimmed (host bits and spelling are normalized when it is indexed).
 *
 * `options.category` and `options.confidence` apply to entries that carry none of their own (see
 * {@link FEED_DEFAULTS} for what applies otherwise); a per-entry category or confidence (MISP's
 * category, a STIX indicator's `confidence`, a Suricata score) wins. Throws
 * {@link InvalidFeedOptionsError} for an unknown format or a confidence outside 0-100: those are
 * the caller's mistakes, not the feed's.
 */
export function parseFeed(format: FeedFormat, text: string, options: FeedParseOptions): FeedParseResult {
  if (!isFeedFormat(format)) throw new InvalidFeedOptionsError(`unknown format ${JSON.stringify(format)}, expected one of ${FEED_FORMATS.join(', ')}`);
  const { confidence } = options;
  if (confidence !== undefined && !(typeof confidence === 'number' && confidence >= 0 && confidence <= 100)) {
    throw new InvalidFeedOptionsError(`confidence must be 0-100, got ${String(confidence)}`);
  }
  const defaults: FeedDefaults = {
    source: options.source,
    category: options.category ?? FEED_DEFAULTS[format].category,
    confidence: confidence ?? FEED_DEFAULTS[format].confidence,
  };
  switch (format) {
    case 'csv':
      return parseCsvFeed(text, options.source);
    case 'plain':
      return parsePlainFeed(text, defaults);
    case 'firehol':
      return parseFireholFeed(text, defaults, options.category !== undefined);
    case 'spamhaus-drop':
      return parseSpamhausDropFeed(text, defaults);
    case 'spamhaus-drop-json':
      return parseSpamhausDropJsonFeed(text, defaults);
    case 'feodo-csv':
      return parseFeodoCsvFeed(text, defaults);
    case 'zeek-intel':
      return parseZeekIntelFeed(text, defaults);
    case 'suricata-iprep':
      return parseSuricataIprepFeed(text, defaults, options.categories);
    case 'misp-csv':
      return parseMispCsvFeed(text, defaults);
    case 'stix2':
      return parseStix2Feed(text, defaults);
  }
}
