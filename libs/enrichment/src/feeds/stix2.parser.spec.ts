import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFeed } from './parse-feed';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

const bundleOf = (...objects: unknown[]): string => JSON.stringify({ type: 'bundle', id: 'bundle--1', objects });
const indicatorWith = (pattern: string) => ({
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--1',
  pattern,
  pattern_type: 'stix',
  valid_from: '2026-11-30T12:00:00Z',
});

describe('parseFeed stix2', () => {
  it('reads bundle.json', () => {
    expect(parseFeed('stix2', fixture('bundle.json'), { source: 'taxii' })).toEqual({
      indicators: [
        { indicator: '198.51.100.1', category: 'malicious-activity', confidence: 85, source: 'taxii' },
        { indicator: '2001:db8::/32', category: 'anomalous-activity', confidence: 50, source: 'taxii' },
        { indicator: '203.0.113.0/24', category: 'anomalous-activity', confidence: 50, source: 'taxii' },
        { indicator: '192.0.2.0/25', category: 'anomalous-activity', confidence: 50, source: 'taxii' },
      ],
      malformed: [
        { line: 7, reason: 'ipv4-addr:value holds an IPv6 value "2001:db8::1"' },
        { line: 8, reason: 'confidence must be an integer 0-100, got 150' },
        { line: 11, reason: 'invalid IP address or CIDR "198.51.100.256"' },
        { line: 13, reason: 'not a JSON object' },
      ],
      // identity, domain-name, AND, snort, revoked, WITHIN, relationship
      skipped: 7,
    });
  });

  it.each([
    ['not JSON', '{"type": "bundle", "objects": [', 'not valid JSON'],
    ['no objects', '{"type": "bundle", "id": "bundle--1"}', 'not a STIX bundle with an objects array'],
    ['objects not an array', '{"type": "bundle", "objects": {}}', 'not a STIX bundle with an objects array'],
    ['not a bundle', '{"type": "report", "objects": []}', 'not a STIX bundle with an objects array'],
    ['an array', '[]', 'not a STIX bundle with an objects array'],
  ])('a malformed document (%s) is one malformed entry', (_name, text, reason) => {
    expect(parseFeed('stix2', text, { source: 'taxii' })).toEqual({ indicators: [], malformed: [{ line: 0, reason }], skipped: 0 });
  });

  it.each([
    ["[ipv4-addr:value = '198.51.100.1']", ['198.51.100.1']],
    ["[ipv4-addr:value='198.51.100.1' OR ipv6-addr:value='2001:db8::1']", ['198.51.100.1', '2001:db8::1']],
    ["([ipv4-addr:value = '198.51.100.1'] OR ([ipv4-addr:value = '198.51.100.2']))", ['198.51.100.1', '198.51.100.2']],
    ["[ipv4-addr:value = '198.51.100.1' OR domain-name:value = 'evil.example.com']", []],
    ["[ipv4-addr:value != '198.51.100.1']", []],
    ["[ipv4-addr:value = '198.51.100.1' OR]", []],
    ["[ipv4-addr:value = '198.51.100.1'", []],
    ["[ipv4-addr:value = '198.51.100.1')", []],
    ["[ipv4-addr:value MATCHES '^198\\\\.51']", []],
    ["[network-traffic:dst_ref.value = '198.51.100.1']", []],
    ["[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.2']", []],
  ])('pattern %s yields %j', (pattern, indicators) => {
    const result = parseFeed('stix2', bundleOf(indicatorWith(pattern)), { source: 'taxii' });
    expect(result.indicators.map((i) => i.indicator)).toEqual(indicators);
    expect(result.malformed).toEqual([]);
    expect(result.skipped).toBe(indicators.length === 0 ? 1 : 0);
  });

  it('takes the options as defaults for an indicator without confidence or indicator_types', () => {
    expect(
      parseFeed('stix2', bundleOf(indicatorWith("[ipv4-addr:value = '198.51.100.1']")), { source: 'taxii', category: 'cti', confidence: 65 }).indicators,
    ).toEqual([{ indicator: '198.51.100.1', category: 'cti', confidence: 65, source: 'taxii' }]);
  });
});
