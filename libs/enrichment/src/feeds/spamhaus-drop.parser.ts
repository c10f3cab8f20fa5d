import type { FeedDefaults, FeedParseResult } from './feed.types';
import { cidrProblem, emptyResult, feedLines } from './feed-text';

const SBL_ID = /^SBL\d+$/;

/**
 * Spamhaus DROP / EDROP / DROPv6 text: `1.10.16.0/20 ; SBL256894`, `;` (and `#`) comment lines. The SBL id
 * is checked for shape when present (a list of bare CIDRs loads too) and then dropped: an
 * {@link Indicator} has nowhere to keep it.
 */
export function parseSpamhausDropFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) {
      result.skipped++;
      continue;
    }
    const semicolon = trimmed.indexOf(';');
    const network = (semicolon < 0 ? trimmed : trimmed.slice(0, semicolon)).trim();
    const sblId = semicolon < 0 ? '' : trimmed.slice(semicolon + 1).trim();
    const problem = cidrProblem(network);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else if (sblId !== '' && !SBL_ID.test(sblId)) result.malformed.push({ line: line.number, reason: `invalid SBL id ${JSON.stringify(sblId)}` });
    else result.indicators.push({ indicator: network, category: defaults.category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}

/**
 * Spamhaus DROP in JSON lines (`drop_v4.json`, `drop_v6.json`): one object per line,
 * `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`, and a final
 * `{"type":"metadata",…}` line, which is skipped (any object with a `type` and no `cidr` is).
 * `sblid` and `rir` are dropped. A line that is not a JSON object or lacks `cidr` is malformed.
 */
export function parseSpamhausDropJsonFeed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  for (const line of feedLines(text)) {
    const trimmed = line.text.trim();
    if (trimmed === '') {
      result.skipped++;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      result.malformed.push({ line: line.number, reason: 'not valid JSON' });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      result.malformed.push({ line: line.number, reason: 'not a JSON object' });
      continue;
    }
    const record = value as Record<string, unknown>;
    if (record.cidr === undefined && record.type !== undefined) {
      result.skipped++;
      continue;
    }
    if (typeof record.cidr !== 'string') {
      result.malformed.push({ line: line.number, reason: 'missing cidr' });
      continue;
    }
    const network = record.cidr.trim();
    const problem = cidrProblem(network);
    if (problem !== null) result.malformed.push({ line: line.number, reason: problem });
    else result.indicators.push({ indicator: network, category: defaults.category, confidence: defaults.confidence, source: defaults.source });
  }
  return result;
}
