import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines, hasPrefix } from './feed-text';

/** Zeek's mark for an unset field. */
const UNSET = '-';

/**
 * A Zeek Intel framework input file: tab-separated, a `#fields\tindicator\tindicator_type\tmeta.source…`
 * header naming the columns (other `#` lines are comments), `-` for an unset field.
 *
 * - `Intel::ADDR` rows must hold an address without a prefix and `Intel::SUBNET` rows a CIDR, as
 *   Zeek itself would read them; other types (`Intel::DOMAIN`, `Intel::URL`, `Intel::FILE_HASH`…)
 *   are skipped, not malformed.
 * - Indicators take `options.source`, not `meta.source`: the feed's name is the caller's, and a
 *   per-row source would make one file many sources. `meta.desc` and other meta fields are dropped.
 * - A data row before the `#fields` header, or one without the `indicator`/`indicator_type`
 *   columns, is malformed.
 */
export function parseZeekIntelFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  let columns: { indicator: number; type: number } | null = null;
  for (const line of feedLines(text)) {
    if (line.text === '#fields' || line.text.startsWith('#fields\t')) {
      const names = line.text.split('\t').slice(1);
      const indicator = names.indexOf('indicator');
      const type = names.indexOf('indicator_type');
      columns = indicator < 0 || type < 0 ? null : { indicator, type };
      if (columns === null) result.malformed.push({ line: line.number, reason: '#fields lacks indicator or indicator_type' });
      else result.skipped++;
      continue;
    }
    if (line.text.trim() === '' || line.text.startsWith('#')) {
      result.skipped++;
      continue;
    }
    if (columns === null) {
      result.malformed.push({ line: line.number, reason: 'row before a usable #fields header' });
      continue;
    }
    const fields = line.text.split('\t');
    const field = (i: number): string => (i < fields.length && fields[i] !== UNSET ? fields[i].trim() : '');
    const type = field(columns.type);
    const indicator = field(columns.indicator);
    if (type === '') {
      result.malformed.push({ line: line.number, reason: 'missing indicator_type' });
      continue;
    }
    if (type !== 'Intel::ADDR' && type !== 'Intel::SUBNET') {
      result.skipped++;
      continue;
    }
    const problem = cidrProblem(indicator);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else if (type === 'Intel::ADDR' && hasPrefix(indicator))
      result.malformed.push({ line: line.number, reason: `Intel::ADDR with a prefix ${JSON.stringify(indicator)}` });
    else if (type === 'Intel::SUBNET' && !hasPrefix(indicator))
      result.malformed.push({ line: line.number, reason: `Intel::SUBNET without a prefix ${JSON.stringify(indicator)}` });
    else result.indicators.push({ indicator, category: defaults.category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}
