import { parseCidr } from '../ip-address';
import type { FeedDefaults, FeedParseResult } from './feed.types';
import { emptyResult } from './feed-text';

const ADDRESS_PATHS: ReadonlyMap<string, 4 | 6> = new Map([
  ['ipv4-addr:value', 4],
  ['ipv6-addr:value', 6],
]);

/**
 * A STIX 2.1 bundle, `{"type":"bundle","objects":[…]}`. Entries are numbered by their 1-based
 * position in `objects`; a document that is not JSON or has no `objects` array is one malformed
 * entry numbered 0 and yields nothing.
 *
 * - Objects of type `indicator` with `pattern_type` `stix` (or none) whose pattern only compares
 *   `ipv4-addr:value` / `ipv6-addr:value` with `=` or `ISSUBSET` to an address or CIDR, any number
 *   of such comparisons joined by `OR` (inside one `[…]` or across several), yield one indicator
 *   per comparison. Any other pattern (`AND`, `FOLLOWEDBY`, qualifiers such as `WITHIN`, other
 *   object types like `domain-name` or `file:hashes`, `!=`, `MATCHES`…) is skipped: dropping a
 *   conjunct would widen what matches. So are other object types and `revoked` indicators.
 * - `confidence` (an integer 0-100) and `indicator_types[0]` become the confidence and category
 *   when present. `valid_from`/`valid_until` are not checked: that needs a clock, which is the
 *   caller's.
 * - An address of the wrong family for its path, an unusable address or a bad `confidence` makes
 *   the whole object malformed.
 */
export function parseStix2Feed(text: string, defaults: FeedDefaults): FeedParseResult {
  const result = emptyResult();
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch {
    result.malformed.push({ line: 0, reason: 'not valid JSON' });
    return result;
  }
  if (!isRecord(bundle) || !Array.isArray(bundle.objects) || (bundle.type !== undefined && bundle.type !== 'bundle')) {
    result.malformed.push({ line: 0, reason: 'not a STIX bundle with an objects array' });
    return result;
  }
  bundle.objects.forEach((object: unknown, index) => {
    const line = index + 1;
    if (!isRecord(object)) {
      result.malformed.push({ line, reason: 'not a JSON object' });
      return;
    }
    if (object.type !== 'indicator' || object.revoked === true || (object.pattern_type !== undefined && object.pattern_type !== 'stix')) {
      result.skipped++;
      return;
    }
    if (typeof object.pattern !== 'string') {
      result.malformed.push({ line, reason: 'indicator without a pattern' });
      return;
    }
    let confidence = defaults.confidence;
    if (object.confidence !== undefined) {
      const c = object.confidence;
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 100) {
        result.malformed.push({ line, reason: `confidence must be an integer 0-100, got ${JSON.stringify(c)}` });
        return;
      }
      confidence = c;
    }
    const types = object.indicator_types;
    const category = Array.isArray(types) && typeof types[0] === 'string' && types[0] !== '' ? types[0] : defaults.category;
    const comparisons = addressComparisons(object.pattern);
    if (comparisons === null) {
      result.skipped++;
      return;
    }
    const problem = comparisons.map(familyProblem).find((p) => p !== null);
    if (problem !== undefined) {
      result.malformed.push({ line, reason: problem });
      return;
    }
    for (const { value } of comparisons) result.indicators.push({ indicator: value, category, confidence, source: defaults.source });
  });
  return result;
}

interface Comparison {
  readonly path: string;
  readonly value: string;
}

function familyProblem({ path, value }: Comparison): string | null {
  const network = parseCidr(value);
  if (network === null) return `invalid IP address or CIDR ${JSON.stringify(value)}`;
  if (network.family !== ADDRESS_PATHS.get(path)) return `${path} holds an IPv${network.family} value ${JSON.stringify(value)}`;
  return null;
}

/** `open` carries the bracket that closes it, so balance is one comparison. */
interface Token {
  readonly kind: 'open' | 'close' | 'word' | 'string';
  readonly text: string;
}

/**
 * The comparisons of a pattern that is only address comparisons joined by `OR`, or null. Since
 * `OR` is associative, the grouping brackets and parentheses only need to balance.
 */
function addressComparisons(pattern: string): Comparison[] | null {
  const tokens = tokenize(pattern);
  if (tokens === null) return null;
  const stack: string[] = [];
  const flat: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'open') stack.push(token.text);
    else if (token.kind === 'close') {
      if (stack.pop() !== token.text) return null;
    } else flat.push(token);
  }
  if (stack.length > 0) return null;
  const comparisons: Comparison[] = [];
  for (let i = 0; i < flat.length; i += 4) {
    const [path, operator, value, joiner] = flat.slice(i, i + 4);
    if (path?.kind !== 'word' || !ADDRESS_PATHS.has(path.text)) return null;
    if (operator?.kind !== 'word' || (operator.text !== '=' && operator.text.toUpperCase() !== 'ISSUBSET')) return null;
    if (value?.kind !== 'string') return null;
    if (joiner !== undefined && (joiner.kind !== 'word' || joiner.text.toUpperCase() !== 'OR' || i + 4 >= flat.length)) return null;
    comparisons.push({ path: path.text, value: value.text.trim() });
  }
  return comparisons.length > 0 ? comparisons : null;
}

const CLOSING: Readonly<Record<string, string>> = { '[': ']', '(': ')' };

function tokenize(pattern: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '[' || c === '(') {
      tokens.push({ kind: 'open', text: CLOSING[c] });
      i++;
    } else if (c === ']' || c === ')') {
      tokens.push({ kind: 'close', text: c });
      i++;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) return null;
        const d = pattern[j];
        if (d === '\\' && j + 1 < pattern.length) {
          value += pattern[j + 1];
          j += 2;
        } else if (d === "'") {
          break;
        } else {
          value += d;
          j++;
        }
      }
      tokens.push({ kind: 'string', text: value });
      i = j + 1;
    } else if (c === '=' || c === '!' || c === '<' || c === '>') {
      let j = i;
      while (j < pattern.length && '=!<>'.includes(pattern[j])) j++;
      tokens.push({ kind: 'word', text: pattern.slice(i, j) });
      i = j;
    } else {
      let j = i;
      while (j < pattern.length && !/[\s[\]()'=!<>]/.test(pattern[j])) j++;
      tokens.push({ kind: 'word', text: pattern.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
