import type { Indicator } from '../threat-intel';

/** What changed between the indicators a feed held and the ones it holds now. */
export interface IndicatorDiff {
  /** Keys not in `previous`, in the order of each key's first appearance in `next`. */
  added: Indicator[];
  /** Keys in both whose category or confidence differs; the new indicator. */
  changed: Indicator[];
  /** Keys of `previous` no longer in `next`, in `previous`'s order. */
  removed: string[];
  /** Keys in both with the same category and confidence. */
  unchanged: number;
  /** Entries of `next` whose key an earlier entry of `next` already had (the last one counts). */
  duplicates: number;
}

/**
 * Compares a feed's new indicators with the previous ones, keyed by `keyOf` (the caller's canonical
 * network, so `192.0.2.1` and `192.0.2.1/32` are one entry). Only category and confidence make a
 * keyed entry `changed`: a respelling of the same network is not a change. When `next` has a key
 * more than once, the last entry wins, as it would when indexed. Pure, and linear in the sizes of
 * both inputs.
 */
export function diffIndicators(previous: ReadonlyMap<string, Indicator>, next: readonly Indicator[], keyOf: (i: Indicator) => string): IndicatorDiff {
  const latest = new Map<string, Indicator>();
  for (const indicator of next) latest.set(keyOf(indicator), indicator);
  const added: Indicator[] = [];
  const changed: Indicator[] = [];
  let unchanged = 0;
  for (const [key, indicator] of latest) {
    const before = previous.get(key);
    if (before === undefined) added.push(indicator);
    else if (before.category !== indicator.category || before.confidence !== indicator.confidence) changed.push(indicator);
    else unchanged++;
  }
  const removed: string[] = [];
  for (const key of previous.keys()) if (!latest.has(key)) removed.push(key);
  return { added, changed, removed, unchanged, duplicates: next.length - latest.size };
}
