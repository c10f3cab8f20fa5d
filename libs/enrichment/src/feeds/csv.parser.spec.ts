import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseFeed csv (the original product shape, via parseThreatCsv)', () => {
  it('reads threats.csv', () => {
    expect(parseFeed('csv', fixture('threats.csv'), { source: 'threats.csv' })).toEqual({
      indicators: [
        { indicator: '45.155.205.233', category: 'C2', confidence: 85, source: 'threats.csv' },
        { indicator: '91.121.0.0/16', category: 'Malware', confidence: 60, source: 'threats.csv' },
        { indicator: '2001:db8:dead::/48', category: 'Scanner', confidence: 50, source: 'threats.csv' },
      ],
      malformed: [
        { line: 7, reason: 'invalid IP address or CIDR "evil.example.com"' },
        { line: 8, reason: 'confidence must be a number 0-100, got "high"' },
      ],
      skipped: 3, // header, comment, blank line
    });
  });

  it('keeps the per-line defaults rather than the options', () => {
    expect(parseFeed('csv', '198.51.100.1,,\n', { source: 's', category: 'scanner', confidence: 10 }).indicators).toEqual([
      { indicator: '198.51.100.1', category: 'malicious', confidence: 50, source: 's' },
    ]);
  });
});
