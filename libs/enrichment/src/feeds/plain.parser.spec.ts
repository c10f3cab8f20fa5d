import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseFeed plain', () => {
  it('reads plain.txt', () => {
    expect(parseFeed('plain', fixture('plain.txt'), { source: 'plain.txt' })).toEqual({
      indicators: [
        { indicator: '203.0.113.7', category: 'malicious', confidence: 50, source: 'plain.txt' },
        { indicator: '198.51.100.0/24', category: 'malicious', confidence: 50, source: 'plain.txt' },
        { indicator: '2001:db8::1', category: 'malicious', confidence: 50, source: 'plain.txt' },
      ],
      malformed: [
        { line: 7, reason: 'invalid IP address or CIDR "192.0.2.300"' },
        { line: 8, reason: 'invalid IP address or CIDR "2001:db8::/129"' },
        { line: 9, reason: 'unexpected text after the address: "extra words"' },
        { line: 10, reason: 'invalid IP address or CIDR "example.com"' },
      ],
      skipped: 3,
    });
  });

  it('takes category and confidence from the options', () => {
    expect(parseFeed('plain', '203.0.113.7\n', { source: 's', category: 'scanner', confidence: 70 }).indicators).toEqual([
      { indicator: '203.0.113.7', category: 'scanner', confidence: 70, source: 's' },
    ]);
  });
});

describe('parseFeed firehol', () => {
  it('reads a netset with CRLF lines, taking the header category', () => {
    expect(parseFeed('firehol', fixture('firehol_level1.netset'), { source: 'firehol_level1' })).toEqual({
      indicators: [
        { indicator: '1.10.16.0/20', category: 'attacks', confidence: 50, source: 'firehol_level1' },
        { indicator: '2.56.192.0/22', category: 'attacks', confidence: 50, source: 'firehol_level1' },
        { indicator: '2a06:e480::/29', category: 'attacks', confidence: 50, source: 'firehol_level1' },
      ],
      malformed: [
        { line: 12, reason: 'invalid IP address or CIDR "5.134.128.0/19 extra"' },
        { line: 14, reason: 'invalid IP address or CIDR "10.0.0.0/33"' },
      ],
      skipped: 9,
    });
  });

  it.each([
    ['the options category wins over the header', '# Category : attacks\n1.10.16.0/20\n', { source: 's', category: 'level1' }, 'level1'],
    ['without a header category it is malicious', '# firehol\n1.10.16.0/20\n', { source: 's' }, 'malicious'],
    ['a Category comment after the first entry is only a comment', '1.10.16.0/20\n# Category : attacks\n', { source: 's' }, 'malicious'],
  ])('%s', (_name, text, options, category) => {
    expect(parseFeed('firehol', text, options).indicators.map((i) => i.category)).toEqual([category]);
  });
});
