import { parseCidr } from '../ip-address';
import type { FeedParseResult } from './feed.types';

/** One physical line: 1-based number, text without CR or BOM. */
export interface FeedLine {
  readonly number: number;
  readonly text: string;
}

/** Splits on LF, drops a trailing CR and a leading UTF-8 BOM; a final empty line after the last LF is not a line. */
export function feedLines(text: string): FeedLine[] {
  const raw = text.split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  return raw.map((line, index) => {
    let t = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (index === 0 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    return { number: index + 1, text: t };
  });
}

export function emptyResult(): FeedParseResult {
  return { indicators: [], malformed: [], skipped: 0 };
}

/** Null when `text` is an IP address or CIDR, else the reason it is not. */
export function cidrProblem(text: string): string | null {
  if (text === '') return 'missing IP address or CIDR';
  return parseCidr(text) === null ? `invalid IP address or CIDR ${JSON.stringify(text)}` : null;
}

/** True for text that has a slash, i.e. is written as a network rather than an address. */
export function hasPrefix(text: string): boolean {
  return text.includes('/');
}

/** Maps a 0-`max` score linearly onto 0-100, rounded to the nearest integer. */
export function scaleToPercent(score: number, max: number): number {
  return Math.round((score * 100) / max);
}
