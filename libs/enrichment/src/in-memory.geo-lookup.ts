import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import { CidrTrie } from './cidr-trie';
import type { GeoLookup } from './geo-lookup.port';
import { isPrivateOrReserved } from './ip-address';

/** One network's answers. */
export interface InMemoryGeoEntry {
  /** An address or CIDR. */
  readonly network: string;
  readonly city?: GeoInfo | null;
  readonly asn?: AsnInfo | null;
}

/**
 * A real in-memory {@link GeoLookup} for tests and demos: the most specific listed network with an
 * answer wins. It honours the port's contract like the file-backed adapters do, so private and
 * reserved addresses are misses even when listed.
 */
export class InMemoryGeoLookup implements GeoLookup {
  private readonly trie = new CidrTrie<InMemoryGeoEntry>();

  /** Throws InvalidCidrError on a bad network. */
  constructor(
    entries: Iterable<InMemoryGeoEntry> = [],
    private readonly name = 'in-memory',
  ) {
    for (const entry of entries) this.trie.insert(entry.network, entry);
  }

  city(ip: string): GeoInfo | null {
    return this.mostSpecific(ip, (e) => e.city);
  }

  asn(ip: string): AsnInfo | null {
    return this.mostSpecific(ip, (e) => e.asn);
  }

  describe(): { city: string; asn: string } {
    return { city: this.name, asn: this.name };
  }

  private mostSpecific<R>(ip: string, pick: (entry: InMemoryGeoEntry) => R | null | undefined): R | null {
    if (typeof ip !== 'string' || isPrivateOrReserved(ip)) return null;
    const entries = this.trie.matchAll(ip);
    for (let i = entries.length - 1; i >= 0; i--) {
      const answer = pick(entries[i]);
      if (answer != null) return { ...answer };
    }
    return null;
  }
}
