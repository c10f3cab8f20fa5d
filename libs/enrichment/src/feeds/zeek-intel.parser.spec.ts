import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

const intel = (indicator: string) => ({ indicator, category: 'malicious', confidence: 50, source: 'intel.dat' });

describe('parseFeed zeek-intel', () => {
  it('reads intel.dat: addresses and subnets, other types skipped', () => {
    expect(parseFeed('zeek-intel', fixture('intel.dat'), { source: 'intel.dat' })).toEqual({
      indicators: [intel('203.0.113.7'), intel('198.51.100.0/24'), intel('2001:db8::bad')],
      malformed: [
        { line: 8, reason: 'Intel::ADDR with a prefix "203.0.113.0/24"' },
        { line: 9, reason: 'Intel::SUBNET without a prefix "203.0.113.9"' },
        { line: 10, reason: 'invalid IP address or CIDR "203.0.113.999"' },
        { line: 11, reason: 'missing indicator_type' },
      ],
      skipped: 5, // #fields, a comment, Intel::DOMAIN, Intel::URL, the blank line
    });
  });

  it('reports rows before the #fields header', () => {
    expect(parseFeed('zeek-intel', fixture('intel-late-header.dat'), { source: 'intel.dat' })).toEqual({
      indicators: [intel('192.0.2.1')],
      malformed: [{ line: 1, reason: 'row before a usable #fields header' }],
      skipped: 1,
    });
  });

  it('reports a #fields header without the indicator columns', () => {
    expect(parseFeed('zeek-intel', '#fields\tts\tuid\n192.0.2.1\tIntel::ADDR\n', { source: 's' })).toEqual({
      indicators: [],
      malformed: [
        { line: 1, reason: '#fields lacks indicator or indicator_type' },
        { line: 2, reason: 'row before a usable #fields header' },
      ],
      skipped: 0,
    });
  });
});
