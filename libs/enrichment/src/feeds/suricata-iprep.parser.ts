import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines, scaleToPercent } from './feed-text';

/** Suricata's highest reputation score. */
const MAX_SCORE = 127;
const INTEGER = /^\d+$/;

/**
 * Suricata IP reputation (`reputation-files`): `ip_or_cidr,category_id,score` lines, with the
 * category ids named by a separate categories file (`id,short_name,description`) passed as
 * `options.categories`.
 *
 * - The category is the short name exactly as the categories file spells it (`BadHosts`); an id the
 *   categories file does not name makes the line malformed (so does any id when no categories
 *   file is given). Categories-file lines that are not `id,short_name[,description]` are ignored,
 *   which shows up as unknown ids.
 * - The score (an integer 0-127, Suricata's scale) maps linearly onto confidence 0-100, rounded:
 *   `round(score * 100 / 127)`, so 127 → 100, 64 → 50. `options.confidence` is not used. Suricata
 *   documents 1-127 with 0 meaning "no data"; a 0 is kept as confidence 0 rather than refused.
 * - Suricata caps category ids at 60; that limit is Suricata's and is not enforced here.
 * - Blank lines and lines starting with `#` are skipped in both files.
 */
export function parseSuricataIprepFeed(text: string, defaults: FeedDefaults, categoriesText: string | undefined): FeedParseResult {
  const result = emptyResult();
  const categories = parseCategories(categoriesText ?? '');
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      result.skipped++;
      continue;
    }
    const fields = trimmed.split(',').map((f) => f.trim());
    if (fields.length !== 3) {
      result.malformed.push({ line: line.number, reason: `expected ip,category_id,score, got ${fields.length} fields` });
      continue;
    }
    const [ip, categoryId, score] = fields;
    const problem = cidrProblem(ip);
    if (problem !== null) {
      result.malformed.push({ line: line.number, reason: problem });
      continue;
    }
    const category = INTEGER.test(categoryId) ? categories.get(Number(categoryId)) : undefined;
    if (category === undefined) {
      result.malformed.push({ line: line.number, reason: `unknown category id ${JSON.stringify(categoryId)}` });
      continue;
    }
    if (!INTEGER.test(score) || Number(score) > MAX_SCORE) {
      result.malformed.push({ line: line.number, reason: `score must be an integer 0-127, got ${JSON.stringify(score)}` });
      continue;
    }
    result.indicators.push({ indicator: ip, category, confidence: scaleToPercent(Number(score), MAX_SCORE), source: defaults.source });
  }
  return result;
}

function parseCategories(text: string): Map<number, string> {
  const categories = new Map<number, string>();
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [id, shortName] = trimmed.split(',').map((f) => f.trim());
    if (id !== undefined && INTEGER.test(id) && shortName !== undefined && shortName !== '') categories.set(Number(id), shortName);
  }
  return categories;
}
