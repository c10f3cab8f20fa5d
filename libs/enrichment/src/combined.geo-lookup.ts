import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import type { AsnSource, CitySource, GeoLookup } from './geo-lookup.port';

/** "Not configured", as `describe()` reports it. */
export const NOT_CONFIGURED = 'none';

/**
 * A {@link GeoLookup} composed of a city source and an ASN source, either of which may be absent
 * (e.g. the embedded default: dbip-city mmdb files for cities, the ip-location-db CSV for ASNs).
 */
export class CombinedGeoLookup implements GeoLookup {
  constructor(
    private readonly citySource: CitySource | null,
    private readonly asnSource: AsnSource | null,
  ) {}

  city(ip: string): GeoInfo | null {
    return this.citySource === null ? null : this.citySource.city(ip);
  }

  asn(ip: string): AsnInfo | null {
    return this.asnSource === null ? null : this.asnSource.asn(ip);
  }

  describe(): { city: string; asn: string } {
    return {
      city: this.citySource?.describe() ?? NOT_CONFIGURED,
      asn: this.asnSource?.describe() ?? NOT_CONFIGURED,
    };
  }
}

/** The lookup when GeoIP is disabled or nothing is configured: every answer is a miss. */
export class NullGeoLookup implements GeoLookup {
  city(_ip: string): GeoInfo | null {
    return null;
  }

  asn(_ip: string): AsnInfo | null {
    return null;
  }

  describe(): { city: string; asn: string } {
    return { city: NOT_CONFIGURED, asn: NOT_CONFIGURED };
  }
}
