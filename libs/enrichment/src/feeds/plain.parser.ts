import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines } from './feed-text';

/**
 * One IP address or CIDR per line. `#` and `;` start a comment, at the start of a line or after
 * whitespace (`203.0.113.7  # scanner`); any other text after the address makes the line malformed,
 * since a list that puts something else there is not this format. A domain or URL is malformed too:
 * a plain list claims to be addresses only.
 */
export function parsePlainFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      result.skipped++;
      continue;
    }
    const [address, ...rest] = trimmed.split(/\s+/);
    if (rest.length > 0 && !rest[0].startsWith('#') && !rest[0].startsWith(';')) {
      result.malformed.push({ line: line.number, reason: `unexpected text after the address: ${JSON.stringify(rest.join(' '))}` });
      continue;
    }
    const problem = cidrProblem(address);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else result.indicators.push({ indicator: address, category: defaults.category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}

const FIREHOL_CATEGORY = /^#\s*Category\s*:\s*(\S.*?)\s*$/i;

/**
 * A FireHOL netset or ipset (`firehol_level1.netset`): `#` header comments, then one address or
 * CIDR per line and nothing else on it. When `options.category` is not given, the header's
 * `# Category : attacks` line (FireHOL's own classification) names the category, if present before
 * the first entry; otherwise it is `malicious`.
 */
export function parseFireholFeed(text: string, defaults: FeedDefaults, categoryGiven: boolean): FeedParseResult {
  const result = emptyResult();
  let category = defaults.category;
  let seenEntry = false;
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      const header = FIREHOL_CATEGORY.exec(trimmed);
      if (header !== null && !categoryGiven && !seenEntry) category = header[1];
      result.skipped++;
      continue;
    }
    seenEntry = true;
    const problem = cidrProblem(trimmed);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else result.indicators.push({ indicator: trimmed, category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}
