import type { Indicator } from '../threat-intel';

/** The feed formats {@link parseFeed} reads. */
export const FEED_FORMATS = [
  'csv',
  'plain',
  'firehol',
  'spamhaus-drop',
  'spamhaus-drop-json',
  'feodo-csv',
  'zeek-intel',
  'suricata-iprep',
  'misp-csv',
  'stix2',
] as const;

export type FeedFormat = (typeof FEED_FORMATS)[number];

export interface FeedParseOptions {
  /** Becomes every indicator's `source` (a feed or file name). */
  source: string;
  /** The category of entries that carry none of their own; each format has a default. */
  category?: string;
  /** 0-100, the confidence of entries that carry none of their own; each format has a default. */
  confidence?: number;
  /** `suricata-iprep` only: the text of the categories file (`id,short_name,description` lines). */
  categories?: string;
}

/** A rejected entry: never fatal, the rest of the feed still loads. */
export interface MalformedFeedEntry {
  /** 1-based physical line (text formats) or 1-based position in `objects` (`stix2`); 0 for the whole document. */
  line: number;
  reason: string;
}

export interface FeedParseResult {
  indicators: Indicator[];
  malformed: MalformedFeedEntry[];
  /** Comments, blank lines, headers, metadata and entries that are not IP indicators (domains, URLs, hashes…). */
  skipped: number;
}

/** The source, category and confidence an entry gets when it carries none of its own. */
export interface FeedDefaults {
  readonly source: string;
  readonly category: string;
  readonly confidence: number;
}
