import { CombinedGeoLookup, NullGeoLookup } from './combined.geo-lookup';
import type { AsnSource, CitySource } from './geo-lookup.port';
import { InMemoryGeoLookup } from './in-memory.geo-lookup';

const city: CitySource = {
  city: (ip) => (ip === '8.8.8.8' ? { country: 'US', city: 'Mountain View', latitude: 37.4, longitude: -122.1, timezone: null } : null),
  describe: () => 'cities.mmdb',
};
const asn: AsnSource = {
  asn: (ip) => (ip === '8.8.8.8' ? { number: 15169, organization: 'GOOGLE' } : null),
  describe: () => 'asn.csv',
};

describe('CombinedGeoLookup', () => {
  it('answers cities from the city source and ASNs from the ASN source', () => {
    const geo = new CombinedGeoLookup(city, asn);
    expect(geo.city('8.8.8.8')?.city).toBe('Mountain View');
    expect(geo.asn('8.8.8.8')?.number).toBe(15169);
    expect(geo.describe()).toEqual({ city: 'cities.mmdb', asn: 'asn.csv' });
  });

  it('misses for a half that is not configured', () => {
    const geo = new CombinedGeoLookup(null, asn);
    expect(geo.city('8.8.8.8')).toBeNull();
    expect(geo.asn('8.8.8.8')?.number).toBe(15169);
    expect(geo.describe()).toEqual({ city: 'none', asn: 'asn.csv' });
  });
});

describe('NullGeoLookup', () => {
  it('misses everything', () => {
    const geo = new NullGeoLookup();
    expect([geo.city('8.8.8.8'), geo.asn('8.8.8.8')]).toEqual([null, null]);
    expect(geo.describe()).toEqual({ city: 'none', asn: 'none' });
  });
});

describe('InMemoryGeoLookup', () => {
  const geo = new InMemoryGeoLookup([
    { network: '8.8.0.0/16', asn: { number: 15169, organization: 'GOOGLE' } },
    { network: '8.8.8.0/24', city: { country: 'US', city: 'Mountain View', latitude: null, longitude: null, timezone: null } },
    { network: '192.168.0.0/16', asn: { number: 64512, organization: 'private' } },
  ]);

  it.each([
    ['8.8.8.8', 'Mountain View', 15169],
    ['::ffff:8.8.8.8', 'Mountain View', 15169],
    ['8.8.4.4', null, 15169],
    ['192.168.1.1', null, null], // private: skipped even when listed
    ['not an ip', null, null],
  ])('%s → city %j, asn %j', (ip, cityName, asnNumber) => {
    expect(geo.city(ip)?.city ?? null).toBe(cityName);
    expect(geo.asn(ip)?.number ?? null).toBe(asnNumber);
  });
});
