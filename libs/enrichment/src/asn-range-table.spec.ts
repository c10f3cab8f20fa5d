import { AsnRangeTable, embeddedAsnCsvPaths } from './asn-range-table';
import { GeoDataError } from './enrichment.errors';

describe('AsnRangeTable on a tiny CSV', () => {
  const ipv4 = [
    'start_num,end_num,asn,org',
    '16777216,16777471,13335,"Cloudflare, Inc."', // 1.0.0.0-1.0.0.255
    '134744064,134744319,15169,Google LLC', // 8.8.8.0-8.8.8.255
    '# a comment',
    '',
    '3232235520,3232301055,64512,Private', // 192.168.0.0/16: never answered
    '167772160,167772160,0,Unrouted', // listed out of order on purpose
    '3758096384,3758096385,9999,"LLC ""QUOTED"""',
  ].join('\r\n');
  const ipv6 = ['2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC', '2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,13335,'].join(
    '\n',
  );
  const table = AsnRangeTable.fromCsv({ ipv4, ipv6, name: 'tiny' });

  it.each([
    ['1.0.0.0', 13335, 'Cloudflare, Inc.'],
    ['1.0.0.255', 13335, 'Cloudflare, Inc.'],
    ['8.8.8.8', 15169, 'Google LLC'],
    ['::ffff:8.8.8.8', 15169, 'Google LLC'],
    ['2001:4860:4860::8888', 15169, 'Google LLC'],
    ['2606:4700:4700::1111', 13335, null], // empty org → null
  ])('%s → AS%d %j', (ip, number, organization) => {
    expect(table.asn(ip)).toEqual({ number, organization });
  });

  it.each(['1.0.1.0', '0.255.255.255', '8.8.9.0', '255.255.255.255', '192.168.1.1', '10.0.0.0', '2001:4861::1', '::1', 'x', ''])('%j is a miss', (ip) => {
    expect(table.asn(ip)).toBeNull();
  });

  it('counts ranges per family', () => {
    expect(table.size).toEqual({ ipv4: 5, ipv6: 2 });
    expect(table.describe()).toBe('tiny');
  });

  it('accepts dotted IPv4 bounds and decimal IPv6 bounds', () => {
    const t = AsnRangeTable.fromCsv({
      ipv4: '8.8.8.0,8.8.8.255,15169,Google LLC\n',
      ipv6: '42541956101370907050197289607612071936,42541956180599069564461627201156022271,15169,Google LLC\n',
    });
    expect(t.asn('8.8.8.8')?.number).toBe(15169);
    expect(t.asn('2001:4860:4860::8888')?.number).toBe(15169);
  });

  it.each([
    ['not a number', '1,2,three,x'],
    ['end before start', '20,10,1,x'],
    ['too few columns', '1,2,3'],
    ['address out of range', '1,4294967296,1,x'],
  ])('rejects a file with %s, naming the line', (_label, line) => {
    expect(() => AsnRangeTable.fromCsv({ ipv4: `1,2,3,ok\n${line}\n`, name: 'bad.csv' })).toThrow(GeoDataError);
    expect(() => AsnRangeTable.fromCsv({ ipv4: `1,2,3,ok\n${line}\n`, name: 'bad.csv' })).toThrow(/line 2/);
  });

  it('rejects a malformed IPv6 row', () => {
    expect(() => AsnRangeTable.fromCsv({ ipv6: '2001:db8::,zz::,1,x\n' })).toThrow(GeoDataError);
  });
});

describe('AsnRangeTable on the shipped @ip-location-db/asn files', () => {
  let table: AsnRangeTable;

  beforeAll(async () => {
    table = await AsnRangeTable.fromFiles(embeddedAsnCsvPaths());
  });

  it.each([
    ['8.8.8.8', 15169],
    ['1.1.1.1', 13335],
    ['2001:4860:4860::8888', 15169],
    ['2606:4700:4700::1111', 13335],
  ])('%s → AS%d', (ip, number) => {
    expect(table.asn(ip)?.number).toBe(number);
  });

  it('names the organization, quotes and commas included', () => {
    expect(table.asn('1.1.1.1')?.organization).toBe('Cloudflare, Inc.');
  });

  it('holds every row', () => {
    expect(table.size.ipv4).toBeGreaterThan(400_000);
    expect(table.size.ipv6).toBeGreaterThan(100_000);
    expect(table.describe()).toBe('asn-ipv4-num.csv, asn-ipv6.csv');
  });

  it('skips private and reserved addresses', () => {
    expect(table.asn('10.1.2.3')).toBeNull();
    expect(table.asn('fd00::1')).toBeNull();
  });
});
