import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

const c2 = (indicator: string) => ({ indicator, category: 'botnet_cc', confidence: 90, source: 'feodo' });

describe('parseFeed feodo-csv', () => {
  it('reads the Feodo Tracker blocklist CSV', () => {
    expect(parseFeed('feodo-csv', fixture('feodo-ipblocklist.csv'), { source: 'feodo' })).toEqual({
      indicators: [c2('162.243.103.246'), c2('50.16.216.118'), c2('2001:db8:c2::10')],
      malformed: [
        { line: 13, reason: 'invalid IP address or CIDR "162.243.103"' },
        { line: 14, reason: 'unterminated quoted field' },
        { line: 15, reason: 'expected a dst_ip in column 2, got 1 columns' },
      ],
      skipped: 10, // the nine header lines and the END line
    });
  });

  it('finds dst_ip by an uncommented header naming it', () => {
    const text = 'malware,dst_ip,dst_port\n"Emotet","192.0.2.8","443"\n';
    expect(parseFeed('feodo-csv', text, { source: 'feodo', confidence: 75 })).toEqual({
      indicators: [{ indicator: '192.0.2.8', category: 'botnet_cc', confidence: 75, source: 'feodo' }],
      malformed: [],
      skipped: 1,
    });
  });
});
