import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

const drop = (indicator: string) => ({ indicator, category: 'hijacked', confidence: 90, source: 'spamhaus-drop' });

describe('parseFeed spamhaus-drop', () => {
  it('reads drop.txt', () => {
    expect(parseFeed('spamhaus-drop', fixture('drop.txt'), { source: 'spamhaus-drop' })).toEqual({
      indicators: [drop('1.10.16.0/20'), drop('2.56.192.0/22'), drop('2001:678:738::/48'), drop('5.134.128.0/19')],
      malformed: [
        { line: 9, reason: 'invalid IP address or CIDR "1.19.0.0/33"' },
        { line: 10, reason: 'invalid SBL id "not-an-id"' },
      ],
      skipped: 4,
    });
  });
});

describe('parseFeed spamhaus-drop-json', () => {
  it('reads drop_v4.json, skipping the metadata line', () => {
    expect(parseFeed('spamhaus-drop-json', fixture('drop_v4.json'), { source: 'spamhaus-drop' })).toEqual({
      indicators: [drop('1.10.16.0/20'), drop('2.56.192.0/22'), drop('2001:678:738::/48')],
      malformed: [
        { line: 4, reason: 'invalid IP address or CIDR "2.57.232.0/33"' },
        { line: 5, reason: 'missing cidr' },
        { line: 6, reason: 'not valid JSON' },
        { line: 7, reason: 'not a JSON object' },
      ],
      skipped: 2, // the blank line and the metadata
    });
  });
});
