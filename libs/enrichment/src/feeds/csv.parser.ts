import { parseThreatCsv } from '../threat-intel';
import type { FeedParseResult } from './feed.types';
import { feedLines } from './feed-text';

/**
 * The original product's `ip_or_cidr,category,confidence`, read by {@link parseThreatCsv}: its
 * per-line defaults (`malicious`, 50) apply, so `options.category`/`confidence` are not used.
 * `skipped` counts blank and `#` lines plus the header row when there is one.
 */
export function parseCsvFeed(text: string, source: string): FeedParseResult {
  const { indicators, errors } = parseThreatCsv(text, source);
  return {
    indicators,
    malformed: errors.map((e) => ({ line: e.line, reason: e.message })),
    // Every line parseThreatCsv neither took nor rejected was a blank, a comment or the header.
    skipped: feedLines(text).length - indicators.length - errors.length,
  };
}
