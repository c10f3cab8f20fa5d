import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import { CachingGeoLookup } from './caching.geo-lookup';
import type { GeoLookup } from './geo-lookup.port';

/** A lookup that counts what reaches it: the cache must answer the same as it, from fewer calls. */
class CountingLookup implements GeoLookup {
  readonly calls: string[] = [];
  city(ip: string): GeoInfo | null {
    this.calls.push(`city ${ip}`);
    return ip.startsWith('203.') ? { country: 'AU', city: `city of ${ip}`, latitude: 1, longitude: 2, timezone: null } : null;
  }
  asn(ip: string): AsnInfo | null {
    this.calls.push(`asn ${ip}`);
    return ip.startsWith('203.') ? { number: 64_500, organization: `org of ${ip}` } : null;
  }
  describe() {
    return { city: 'counting', asn: 'counting' };
  }
}

describe('CachingGeoLookup', () => {
  it('answers as the lookup it wraps, asking it once per address and kind (misses too)', () => {
    const inner = new CountingLookup();
    const cached = new CachingGeoLookup(inner, 100);
    for (let round = 0; round < 3; round++) {
      expect(cached.city('203.0.113.7')).toEqual(new CountingLookup().city('203.0.113.7'));
      expect(cached.asn('203.0.113.7')).toEqual({ number: 64_500, organization: 'org of 203.0.113.7' });
      expect(cached.city('198.51.100.1')).toBeNull();
    }
    expect(inner.calls).toEqual(['city 203.0.113.7', 'asn 203.0.113.7', 'city 198.51.100.1']);
    expect(cached.describe()).toEqual({ city: 'counting', asn: 'counting' });
  });

  it('keeps at most `capacity` addresses per kind, forgetting the oldest first', () => {
    const inner = new CountingLookup();
    const cached = new CachingGeoLookup(inner, 2);
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) cached.city(ip);
    expect(cached.size()).toEqual({ city: 2, asn: 0 });
    inner.calls.length = 0;
    cached.city('203.0.113.3');
    cached.city('203.0.113.2');
    cached.city('203.0.113.1');
    expect(inner.calls).toEqual(['city 203.0.113.1']);
  });

  it('hands out frozen answers, since one answer stands in many flows', () => {
    const cached = new CachingGeoLookup(new CountingLookup(), 10);
    expect(Object.isFrozen(cached.city('203.0.113.9'))).toBe(true);
    expect(() => new CachingGeoLookup(new CountingLookup(), 0)).toThrow('positive integer');
  });
});
