import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import type { GeoLookup } from './geo-lookup.port';

/** Addresses remembered per kind of lookup by default (GEOIP_CACHE_ENTRIES); ~10 MB at most for both. */
export const DEFAULT_GEO_CACHE_ENTRIES = 65_536;

/**
 * A GeoLookup that remembers the answers (misses too) of the last `capacity` distinct addresses per
 * kind. Flows repeat addresses heavily (a resolver, a handful of cloud endpoints, every internal
 * host talking to them), and an mmdb tree walk plus building its answer costs more than a Map hit.
 * Eviction is first in, first out: a hit does not reorder (that would cost a delete and a set on
 * every hit); an address that is still hot after its eviction is simply looked up again. Answers are
 * frozen, since one answer now stands in many flows.
 */
export class CachingGeoLookup implements GeoLookup {
  private readonly cities = new Map<string, Readonly<GeoInfo> | null>();
  private readonly asns = new Map<string, Readonly<AsnInfo> | null>();

  constructor(
    private readonly inner: GeoLookup,
    private readonly capacity = DEFAULT_GEO_CACHE_ENTRIES,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`CachingGeoLookup capacity must be a positive integer, got ${capacity}`);
  }

  city(ip: string): GeoInfo | null {
    return remembered(this.cities, this.capacity, ip, () => this.inner.city(ip));
  }

  asn(ip: string): AsnInfo | null {
    return remembered(this.asns, this.capacity, ip, () => this.inner.asn(ip));
  }

  describe(): { city: string; asn: string } {
    return this.inner.describe();
  }

  /** Distinct addresses remembered now, per kind. */
  size(): { city: number; asn: number } {
    return { city: this.cities.size, asn: this.asns.size };
  }
}

function remembered<T extends object>(cache: Map<string, Readonly<T> | null>, capacity: number, key: string, load: () => T | null): T | null {
  const hit = cache.get(key);
  if (hit !== undefined) return hit as T | null;
  const value = load();
  const kept = value === null ? null : Object.freeze(value);
  if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
  cache.set(key, kept);
  return kept as T | null;
}
