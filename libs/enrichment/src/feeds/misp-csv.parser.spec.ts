import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseFeed misp-csv', () => {
  it('reads a MISP attributes export: ip-src/ip-dst (with or without a port), others skipped', () => {
    expect(parseFeed('misp-csv', fixture('misp-attributes.csv'), { source: 'misp' })).toEqual({
      indicators: [
        { indicator: '203.0.113.7', category: 'network_activity', confidence: 50, source: 'misp' },
        { indicator: '2001:db8::7', category: 'network_activity', confidence: 50, source: 'misp' },
        { indicator: '198.51.100.0/24', category: 'external_analysis', confidence: 50, source: 'misp' },
        { indicator: '192.0.2.55', category: 'malicious', confidence: 50, source: 'misp' },
      ],
      malformed: [
        { line: 7, reason: 'ip-dst|port value without a port "203.0.113.8"' },
        { line: 8, reason: 'invalid IP address or CIDR "203.0.113.999"' },
        { line: 10, reason: 'unterminated quoted field' },
      ],
      // the header, the domain, the md5, and the second line of the multi-line comment (no type there)
      skipped: 4,
    });
  });

  it('without a header every row is malformed', () => {
    expect(
      parseFeed('misp-csv', '"u1",1,"Network activity","ip-dst","192.0.2.1"\n"u2",1,"Network activity","ip-dst","192.0.2.2"\n', { source: 'misp' }),
    ).toEqual({
      indicators: [],
      malformed: [
        { line: 1, reason: 'expected a header row naming type and value' },
        { line: 2, reason: 'no header row naming type and value' },
      ],
      skipped: 0,
    });
  });

  it('finds columns by name in any order', () => {
    expect(parseFeed('misp-csv', 'value,type\n192.0.2.1,ip-src\n', { source: 'misp', category: 'misp', confidence: 60 }).indicators).toEqual([
      { indicator: '192.0.2.1', category: 'misp', confidence: 60, source: 'misp' },
    ]);
  });
});
