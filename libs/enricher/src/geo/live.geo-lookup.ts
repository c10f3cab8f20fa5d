import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import { type GeoLookup, NullGeoLookup } from '@telemetry/enrichment';

/**
 * The GeoLookup every consumer holds (GEO_LOOKUP): one object for the life of the process that
 * delegates to the databases loaded now. A reload builds the next lookup completely, then swaps it
 * in with one assignment, so a lookup sees either the old databases or the new ones, never a mix.
 */
export class LiveGeoLookup implements GeoLookup {
  private current: GeoLookup = new NullGeoLookup();

  city(ip: string): GeoInfo | null {
    return this.current.city(ip);
  }

  asn(ip: string): AsnInfo | null {
    return this.current.asn(ip);
  }

  describe(): { city: string; asn: string } {
    return this.current.describe();
  }

  /** Answers from `next` from now on. */
  use(next: GeoLookup): void {
    this.current = next;
  }
}
