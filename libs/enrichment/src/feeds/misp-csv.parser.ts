import { splitCsvLine } from '../threat-intel';
import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines } from './feed-text';

const ADDRESS_TYPES = new Set(['ip-src', 'ip-dst']);
const ADDRESS_PORT_TYPES = new Set(['ip-src|port', 'ip-dst|port']);

/**
 * A MISP CSV export (`/attributes/restSearch` with `returnFormat: csv`, or an event's CSV): a header
 * row naming the columns (`uuid,event_id,category,type,value,comment,to_ids,date,…`), then one
 * attribute per row. Columns are found by name, so their order and extra columns do not matter.
 *
 * - `ip-src` and `ip-dst` attributes are indicators; for `ip-src|port` and `ip-dst|port` the value
 *   is `address|port` and the address (before the last `|`) is kept. Every other type (domain, url,
 *   md5, hostname…) is skipped.
 * - The category is MISP's `category` column lowercased with whitespace runs as `_`
 *   (`Network activity` → `network_activity`); an empty one falls back to the default.
 * - `to_ids` is not consulted: an export filtered for detection (`to_ids: true`) is the caller's choice.
 * - Rows are read one physical line at a time: a quoted field spanning lines (a multi-line comment)
 *   makes its lines malformed rather than being joined.
 * - Without a header naming `type` and `value` as the first row, every row is malformed.
 */
export function parseMispCsvFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  let columns: { type: number; value: number; category: number } | null | undefined;
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      result.skipped++;
      continue;
    }
    const fields = splitCsvLine(line.text);
    if (fields === null) {
      result.malformed.push({ line: line.number, reason: 'unterminated quoted field' });
      continue;
    }
    if (columns === undefined) {
      const names = fields.map((f) => f.trim().toLowerCase());
      const type = names.indexOf('type');
      const value = names.indexOf('value');
      columns = type < 0 || value < 0 ? null : { type, value, category: names.indexOf('category') };
      if (columns === null) result.malformed.push({ line: line.number, reason: 'expected a header row naming type and value' });
      else result.skipped++;
      continue;
    }
    if (columns === null) {
      result.malformed.push({ line: line.number, reason: 'no header row naming type and value' });
      continue;
    }
    const field = (i: number): string => (i >= 0 && i < fields.length ? fields[i].trim() : '');
    const type = field(columns.type).toLowerCase();
    let value = field(columns.value);
    if (ADDRESS_PORT_TYPES.has(type)) {
      const bar = value.lastIndexOf('|');
      if (bar < 0) {
        result.malformed.push({ line: line.number, reason: `${type} value without a port ${JSON.stringify(value)}` });
        continue;
      }
      value = value.slice(0, bar).trim();
    } else if (!ADDRESS_TYPES.has(type)) {
      result.skipped++;
      continue;
    }
    const problem = cidrProblem(value);
    if (problem !== null) {
      result.malformed.push({ line: line.number, reason: problem });
      continue;
    }
    const mispCategory = field(columns.category);
    const category = mispCategory === '' ? defaults.category : mispCategory.toLowerCase().replace(/\s+/g, '_');
    result.indicators.push({ indicator: value, category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}
