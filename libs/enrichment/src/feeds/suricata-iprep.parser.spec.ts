import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseFeed suricata-iprep', () => {
  it('reads a reputation list with its categories file', () => {
    expect(parseFeed('suricata-iprep', fixture('iprep.list'), { source: 'iprep', categories: fixture('iprep-categories.txt') })).toEqual({
      indicators: [
        { indicator: '1.2.3.4', category: 'BadHosts', confidence: 80, source: 'iprep' },
        { indicator: '192.0.2.0/24', category: 'CnC', confidence: 100, source: 'iprep' },
        { indicator: '2001:db8::/32', category: 'Google', confidence: 50, source: 'iprep' },
        { indicator: '198.51.100.10', category: 'BadHosts', confidence: 0, source: 'iprep' },
      ],
      malformed: [
        { line: 5, reason: 'unknown category id "9"' },
        { line: 6, reason: 'score must be an integer 0-127, got "128"' },
        { line: 7, reason: 'expected ip,category_id,score, got 2 fields' },
        { line: 8, reason: 'invalid IP address or CIDR "bad.host"' },
      ],
      skipped: 1,
    });
  });

  it('without a categories file every id is unknown', () => {
    expect(parseFeed('suricata-iprep', '1.2.3.4,1,101\n', { source: 'iprep' }).malformed).toEqual([{ line: 1, reason: 'unknown category id "1"' }]);
  });

  it.each([
    [0, 0],
    [1, 1],
    [63, 50],
    [64, 50],
    [100, 79],
    [127, 100],
  ])('score %d is confidence %d', (score, confidence) => {
    expect(parseFeed('suricata-iprep', `192.0.2.1,1,${score}\n`, { source: 'iprep', categories: '1,Bad,bad' }).indicators[0].confidence).toBe(confidence);
  });
});
