import { InvalidCidrError, InvalidIndicatorError } from './enrichment.errors';
import { anIndicator } from './testing/flow-builders';
import { parseThreatCsv, ThreatIntelIndex } from './threat-intel';

describe('ThreatIntelIndex', () => {
  const index = new ThreatIntelIndex([
    anIndicator({ indicator: '45.155.205.233', category: 'C2', confidence: 85 }),
    anIndicator({ indicator: '91.121.0.0/16', category: 'Malware', confidence: 60 }),
    anIndicator({ indicator: '91.121.0.0/16', category: 'Scanner', confidence: 40, source: 'feed-b' }),
    anIndicator({ indicator: '2a03:b0c0::/32', category: 'Botnet', confidence: 70 }),
  ]);

  it('matches both sides of a flow, source side first', () => {
    expect(index.match({ srcIp: '91.121.3.4', dstIp: '45.155.205.233' })).toEqual([
      { indicator: '91.121.0.0/16', category: 'Malware', confidence: 60, source: 'threats.csv', field: 'src_ip', ip: '91.121.3.4' },
      { indicator: '91.121.0.0/16', category: 'Scanner', confidence: 40, source: 'feed-b', field: 'src_ip', ip: '91.121.3.4' },
      { indicator: '45.155.205.233', category: 'C2', confidence: 85, source: 'threats.csv', field: 'dst_ip', ip: '45.155.205.233' },
    ]);
  });

  it.each([
    [{ srcIp: '10.0.0.1', dstIp: '8.8.8.8' }, 0],
    [{ srcIp: '10.0.0.1', dstIp: '2a03:b0c0:3:d0::1' }, 1],
    [{ srcIp: '::ffff:45.155.205.233', dstIp: '10.0.0.1' }, 1],
    [{ srcIp: 'garbage', dstIp: '' }, 0],
  ])('%j → %d matches', (flow, count) => {
    expect(index.match(flow)).toHaveLength(count);
  });

  it('replaces an indicator re-added by the same source, keeps other sources', () => {
    const ti = new ThreatIntelIndex([anIndicator({ indicator: '8.8.8.0/24', confidence: 10, source: 'a' })]);
    ti.add(anIndicator({ indicator: '8.8.8.9/24', confidence: 90, source: 'a' })); // same network
    ti.add(anIndicator({ indicator: '8.8.8.0/24', confidence: 20, source: 'b' }));
    expect(ti.size).toBe(2);
    expect(ti.match({ srcIp: '8.8.8.8', dstIp: '10.0.0.1' }).map((m) => [m.source, m.confidence])).toEqual([
      ['a', 90],
      ['b', 20],
    ]);
  });

  it('removes by network, optionally for one source', () => {
    const ti = new ThreatIntelIndex([anIndicator({ indicator: '8.8.8.0/24', source: 'a' }), anIndicator({ indicator: '8.8.8.0/24', source: 'b' })]);
    expect(ti.remove('8.8.8.0/24', 'a')).toBe(1);
    expect(ti.match({ srcIp: '8.8.8.8', dstIp: '10.0.0.1' }).map((m) => m.source)).toEqual(['b']);
    expect(ti.remove('8.8.8.0/24')).toBe(1);
    expect(ti.size).toBe(0);
    expect(() => ti.remove('8.8.8.0/99')).toThrow(InvalidCidrError);
  });

  it.each([[anIndicator({ indicator: 'evil.example.com' })], [anIndicator({ confidence: 101 })], [anIndicator({ confidence: Number.NaN })]])(
    'refuses an unusable indicator %j with a coded error',
    (indicator) => {
      expect(() => new ThreatIntelIndex([indicator])).toThrow(InvalidIndicatorError);
    },
  );
});

describe('ThreatIntelIndex scopes and expiry', () => {
  const ti = new ThreatIntelIndex([
    { indicator: '192.0.2.0/24', category: 'scanner', confidence: 40, source: 'api' },
    { indicator: '192.0.2.7', category: 'C2', confidence: 90, source: 'api', tenantId: 'acme' },
    { indicator: '192.0.2.8', category: 'C2', confidence: 90, source: 'api', expiresAt: '2026-12-02T08:00:00.000Z' },
  ]);
  const categories = (dstIp: string, tenantId?: string, nowMs = Date.parse('2026-12-01T00:00:00Z')) =>
    ti.match({ srcIp: '10.0.0.1', dstIp, ...(tenantId ? { tenantId } : {}) }, nowMs).map((m) => m.category);

  it("matches a tenant's flows against the global indicators and its own, never another tenant's", () => {
    expect(categories('192.0.2.7', 'acme')).toEqual(['scanner', 'C2']);
    expect(categories('192.0.2.7', 'globex')).toEqual(['scanner']);
    expect(categories('192.0.2.7')).toEqual(['scanner']);
  });

  it('stops matching an indicator at its expiry', () => {
    expect(categories('192.0.2.8', 'acme', Date.parse('2026-12-02T07:59:59.999Z'))).toEqual(['scanner', 'C2']);
    expect(categories('192.0.2.8', 'acme', Date.parse('2026-12-02T08:00:00.000Z'))).toEqual(['scanner']);
  });

  it('keeps the same network from the same source apart per tenant, and removes exactly one', () => {
    const index = new ThreatIntelIndex([
      { indicator: '198.51.100.1', category: 'a', confidence: 50, source: 'api' },
      { indicator: '198.51.100.1', category: 'b', confidence: 50, source: 'api', tenantId: 'acme' },
    ]);
    expect(index.size).toBe(2);
    expect(index.removeExact('198.51.100.1/32', 'api', 'acme')).toBe(true);
    expect(index.removeExact('198.51.100.1/32', 'api', 'acme')).toBe(false);
    expect(index.match({ srcIp: '198.51.100.1', dstIp: '10.0.0.1', tenantId: 'acme' }).map((m) => m.category)).toEqual(['a']);
  });
});

describe('parseThreatCsv', () => {
  it('parses the original shape with a header', () => {
    const csv = 'ip_or_cidr,category,confidence\n45.155.205.233,C2,85\n91.121.0.0/16,Malware,60\n8.8.8.8,Test,90\n';
    expect(parseThreatCsv(csv, 'threats.csv')).toEqual({
      indicators: [
        { indicator: '45.155.205.233', category: 'C2', confidence: 85, source: 'threats.csv' },
        { indicator: '91.121.0.0/16', category: 'Malware', confidence: 60, source: 'threats.csv' },
        { indicator: '8.8.8.8', category: 'Test', confidence: 90, source: 'threats.csv' },
      ],
      errors: [],
    });
  });

  it('parses without a header, skips comments and blank lines, accepts CRLF and IPv6', () => {
    const csv = '# my list\r\n\r\n  # indented comment\r\n2001:db8::/32,Botnet,70\r\n  10.0.0.1 , Scanner , 30 \r\n';
    expect(parseThreatCsv(csv, 'mine')).toEqual({
      indicators: [
        { indicator: '2001:db8::/32', category: 'Botnet', confidence: 70, source: 'mine' },
        { indicator: '10.0.0.1', category: 'Scanner', confidence: 30, source: 'mine' },
      ],
      errors: [],
    });
  });

  it.each([
    ['1.2.3.4', 'malicious', 50],
    ['1.2.3.4,C2', 'C2', 50],
    ['1.2.3.4,,', 'malicious', 50],
    ['1.2.3.4,C2,0', 'C2', 0],
    ['1.2.3.4,C2,150', 'C2', 100],
    ['1.2.3.4,C2,-5', 'C2', 0],
    ['1.2.3.4,C2,72.5', 'C2', 72.5],
    ['"1.2.3.4","Command, and control","85"', 'Command, and control', 85],
    ['1.2.3.4,"say ""hi""",10', 'say "hi"', 10],
    ['1.2.3.4,C2,85,extra,columns', 'C2', 85],
  ])('%j → category %j, confidence %j', (line, category, confidence) => {
    const { indicators, errors } = parseThreatCsv(line, 's');
    expect(errors).toEqual([]);
    expect(indicators).toEqual([{ indicator: '1.2.3.4', category, confidence, source: 's' }]);
  });

  it('finds columns by header name', () => {
    const csv = 'confidence,category,ip\n77,C2,9.9.9.9\n';
    expect(parseThreatCsv(csv, 's').indicators).toEqual([{ indicator: '9.9.9.9', category: 'C2', confidence: 77, source: 's' }]);
  });

  it('reports each bad line with its physical line number and keeps the good ones', () => {
    const csv = [
      'ip_or_cidr,category,confidence', // 1
      '45.155.205.233,C2,85', // 2
      'not-an-ip,C2,85', // 3
      '', // 4
      '10.0.0.0/33,C2,85', // 5
      '1.2.3.4,C2,high', // 6
      '"1.2.3.4,C2,85', // 7
      ',C2,85', // 8
      'domain:evil.example.com,C2,85', // 9
      '2001:db8::1,C2,', // 10
    ].join('\n');
    const { indicators, errors } = parseThreatCsv(csv, 'feed');
    expect(indicators.map((i) => i.indicator)).toEqual(['45.155.205.233', '2001:db8::1']);
    expect(errors.map((e) => e.line)).toEqual([3, 5, 6, 7, 8, 9]);
    expect(errors[0].message).toContain('"not-an-ip"');
    expect(errors[2].message).toContain('confidence');
    expect(errors[3].message).toContain('unterminated');
    expect(errors[4].message).toContain('missing');
  });

  it('feeds straight into an index', () => {
    const { indicators } = parseThreatCsv('91.121.0.0/16,Malware,60\n', 'threats.csv');
    expect(new ThreatIntelIndex(indicators).match({ srcIp: '10.0.0.1', dstIp: '91.121.77.1' })).toEqual([
      { indicator: '91.121.0.0/16', category: 'Malware', confidence: 60, source: 'threats.csv', field: 'dst_ip', ip: '91.121.77.1' },
    ]);
  });

  it('returns nothing for an empty file', () => {
    expect(parseThreatCsv('', 's')).toEqual({ indicators: [], errors: [] });
  });
});
