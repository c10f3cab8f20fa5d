import { splitCsvLine } from '../threat-intel';
import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines } from './feed-text';

const DEFAULT_IP_COLUMN = 1;

/**
 * abuse.ch Feodo Tracker IP blocklist CSV: a `#` comment header, then quoted rows
 * `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`. The column header is
 * usually itself a comment (`# "first_seen_utc","dst_ip",…`); commented or not, a header naming
 * `dst_ip` locates the column, else it is the second. Only `dst_ip` is kept: an {@link Indicator}
 * has no place for the port or the malware family, so they are dropped, and an entry is listed
 * whatever its `c2_status` (the feed lists recent C2s that may be offline right now).
 */
export function parseFeodoCsvFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  let ipColumn = DEFAULT_IP_COLUMN;
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    const commented = trimmed.startsWith('#');
    const header = headerIpColumn(commented ? trimmed.slice(1) : trimmed);
    if (header !== null) {
      ipColumn = header;
      result.skipped++;
      continue;
    }
    if (trimmed === '' || commented) {
      result.skipped++;
      continue;
    }
    const fields = splitCsvLine(trimmed);
    if (fields === null) {
      result.malformed.push({ line: line.number, reason: 'unterminated quoted field' });
      continue;
    }
    if (fields.length <= ipColumn) {
      result.malformed.push({ line: line.number, reason: `expected a dst_ip in column ${ipColumn + 1}, got ${fields.length} columns` });
      continue;
    }
    const ip = fields[ipColumn].trim();
    const problem = cidrProblem(ip);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else result.indicators.push({ indicator: ip, category: defaults.category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}

function headerIpColumn(text: string): number | null {
  if (!text.includes('dst_ip')) return null;
  const fields = splitCsvLine(text.trim());
  if (fields === null) return null;
  const index = fields.findIndex((f) => f.trim().toLowerCase() === 'dst_ip');
  return index < 0 ? null : index;
}
