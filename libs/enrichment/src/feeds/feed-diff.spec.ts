import { parseCidr } from '../ip-address';
import type { Indicator } from '../threat-intel';
import { diffIndicators } from './feed-diff';

const networkKey = (i: Indicator): string => {
  const network = parseCidr(i.indicator);
  if (network === null) throw new Error(`not a network: ${i.indicator}`);
  return network.text;
};
const ind = (indicator: string, category = 'malicious', confidence = 50): Indicator => ({ indicator, category, confidence, source: 'feed' });
const indexed = (indicators: Indicator[]): Map<string, Indicator> => new Map(indicators.map((i) => [networkKey(i), i]));

describe('diffIndicators', () => {
  it('sorts entries into added, changed, removed and unchanged by key', () => {
    const previous = indexed([ind('192.0.2.1'), ind('192.0.2.2'), ind('198.51.100.0/24', 'scanner', 40), ind('2001:db8::/32', 'c2', 90)]);
    const next = [ind('192.0.2.1'), ind('198.51.100.0/24', 'scanner', 60), ind('2001:db8::/32', 'botnet_cc', 90), ind('203.0.113.7')];
    expect(diffIndicators(previous, next, networkKey)).toEqual({
      added: [ind('203.0.113.7')],
      changed: [ind('198.51.100.0/24', 'scanner', 60), ind('2001:db8::/32', 'botnet_cc', 90)],
      removed: ['192.0.2.2/32'],
      unchanged: 1,
      duplicates: 0,
    });
  });

  it('treats respellings of one network as the same entry, not a change', () => {
    const previous = indexed([ind('192.0.2.1'), ind('2001:db8::1')]);
    const next = [ind('192.0.2.1/32'), ind('2001:0db8:0:0::1')];
    expect(diffIndicators(previous, next, networkKey)).toEqual({ added: [], changed: [], removed: [], unchanged: 2, duplicates: 0 });
  });

  it('collapses duplicates within next to the last one and counts them', () => {
    const next = [ind('192.0.2.1', 'scanner', 10), ind('198.51.100.0/24'), ind('192.0.2.1/32', 'c2', 80), ind('192.0.2.1', 'c2', 95)];
    expect(diffIndicators(new Map(), next, networkKey)).toEqual({
      // first-appearance order, last entry's values
      added: [ind('192.0.2.1', 'c2', 95), ind('198.51.100.0/24')],
      changed: [],
      removed: [],
      unchanged: 0,
      duplicates: 2,
    });
  });

  it('the last duplicate decides whether an existing entry changed', () => {
    const previous = indexed([ind('192.0.2.1', 'c2', 80)]);
    expect(diffIndicators(previous, [ind('192.0.2.1', 'scanner', 10), ind('192.0.2.1', 'c2', 80)], networkKey)).toMatchObject({ changed: [], unchanged: 1 });
    expect(diffIndicators(previous, [ind('192.0.2.1', 'c2', 80), ind('192.0.2.1', 'c2', 81)], networkKey).changed).toEqual([ind('192.0.2.1', 'c2', 81)]);
  });

  it('an empty next removes everything, and an empty previous adds everything', () => {
    const all = [ind('192.0.2.1'), ind('198.51.100.0/24')];
    expect(diffIndicators(indexed(all), [], networkKey)).toEqual({
      added: [],
      changed: [],
      removed: ['192.0.2.1/32', '198.51.100.0/24'],
      unchanged: 0,
      duplicates: 0,
    });
    expect(diffIndicators(new Map(), all, networkKey)).toEqual({ added: all, changed: [], removed: [], unchanged: 0, duplicates: 0 });
  });

  it('handles 100k entries in one pass', () => {
    // 100k addresses 10.0.0.0 … 10.1.134.159; the next list drops the first 10k, changes every 10th
    // of the rest, adds 10k new ones and repeats 1k.
    const address = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const count = 100_000;
    const previous = new Map<string, Indicator>();
    for (let n = 0; n < count; n++) previous.set(`${address(n)}/32`, ind(address(n)));
    const next: Indicator[] = [];
    for (let n = 10_000; n < count + 10_000; n++) next.push(ind(address(n), 'malicious', n < count && n % 10 === 0 ? 70 : 50));
    for (let n = 50_000; n < 51_000; n++) next.push(ind(address(n), 'malicious', n % 10 === 0 ? 70 : 50));

    const diff = diffIndicators(previous, next, (i) => `${i.indicator}/32`);

    expect({
      added: diff.added.length,
      changed: diff.changed.length,
      removed: diff.removed.length,
      unchanged: diff.unchanged,
      duplicates: diff.duplicates,
    }).toEqual({
      added: 10_000,
      changed: 9_000,
      removed: 10_000,
      unchanged: 81_000,
      duplicates: 1_000,
    });
    expect(diff.removed[0]).toBe('10.0.0.0/32');
    expect(diff.added[0].indicator).toBe(address(count));
  });
});
