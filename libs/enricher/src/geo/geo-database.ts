import { readFile } from 'node:fs/promises';
import {
  AsnRangeTable,
  type AsnSource,
  type CitySource,
  CombinedGeoLookup,
  embeddedAsnCsvPaths,
  embeddedDbipCityPaths,
  GeoDataError,
  type GeoLookup,
  MaxmindAsnSource,
  MaxmindCitySource,
} from '@telemetry/enrichment';
import { Reader, type Response } from 'maxmind';
import type { GeoConfig } from './geo.config';

/** The two kinds of database the enricher reads: city-level geolocation and autonomous systems. */
export type GeoDatabaseKind = 'city' | 'asn';
export const GEO_DATABASE_KINDS: readonly GeoDatabaseKind[] = ['city', 'asn'];

/** What an mmdb file says about itself (its metadata section). */
export interface MmdbInfo {
  /** e.g. `GeoLite2-City`, `GeoLite2-ASN`, `DBIP-City-Lite`. */
  readonly databaseType: string;
  /** When the vendor built it (metadata `build_epoch`). */
  readonly buildEpoch: Date;
  readonly ipVersion: number;
}

/**
 * Opens the bytes as a MaxMind DB (the validation every new file goes through before it may
 * replace a loaded one) and answers its metadata; GeoDataError when it is not one.
 */
export function inspectMmdb(buffer: Buffer, name: string): MmdbInfo {
  let reader: Reader<Response>;
  try {
    reader = new Reader<Response>(buffer);
  } catch (error) {
    throw new GeoDataError(name, 'not a readable MaxMind DB file', { cause: error });
  }
  const { databaseType, buildEpoch, ipVersion } = reader.metadata;
  return { databaseType: String(databaseType), buildEpoch, ipVersion };
}

/**
 * Which kind a database type serves: ASN and ISP databases carry autonomous-system records; City
 * and Country databases carry locations. Null for the others (Anonymous-IP, Connection-Type, …).
 */
export function kindOfDatabaseType(databaseType: string): GeoDatabaseKind | null {
  if (/asn|isp/i.test(databaseType)) return 'asn';
  if (/city|country/i.test(databaseType)) return 'city';
  return null;
}

/** One opened database of a kind, ready to answer, with what describes it. */
export type OpenedGeoDatabase =
  | {
      readonly kind: 'city';
      readonly source: CitySource;
      readonly files: readonly string[];
      readonly databaseType: string | null;
      readonly buildEpoch: Date | null;
    }
  | {
      readonly kind: 'asn';
      readonly source: AsnSource;
      readonly files: readonly string[];
      readonly databaseType: string | null;
      readonly buildEpoch: Date | null;
    };

/**
 * Opens an mmdb file's bytes as the source of `kind`, refusing a valid file of the other kind (a
 * City database at the ASN path answers nothing, silently, otherwise).
 */
export function openMmdbAs(kind: GeoDatabaseKind, path: string, buffer: Buffer): OpenedGeoDatabase {
  const info = inspectMmdb(buffer, path);
  const actual = kindOfDatabaseType(info.databaseType);
  if (actual !== kind) throw new GeoDataError(path, `database type "${info.databaseType}" is not a${kind === 'asn' ? 'n ASN' : ' City'} database`);
  const described = { files: [path], databaseType: info.databaseType, buildEpoch: info.buildEpoch };
  return kind === 'city'
    ? { kind, source: new MaxmindCitySource([{ name: path, buffer }]), ...described }
    : { kind, source: new MaxmindAsnSource({ name: path, buffer }), ...described };
}

export async function openMmdbFileAs(kind: GeoDatabaseKind, path: string): Promise<OpenedGeoDatabase> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new GeoDataError(path, 'cannot read the file', { cause: error });
  }
  return openMmdbAs(kind, path, buffer);
}

/**
 * The data that ships with the dependencies: DB-IP Lite city mmdb files (IPv4 and IPv6), and the
 * ip-location-db ASN ranges (CSV, so no build date). Both CC BY 4.0.
 */
export async function openEmbedded(kind: GeoDatabaseKind): Promise<OpenedGeoDatabase> {
  if (kind === 'city') {
    const files = embeddedDbipCityPaths();
    const buffers = await Promise.all(files.map(async (path) => ({ name: path, buffer: await readFile(path) })));
    const info = inspectMmdb(buffers[0].buffer, files[0]);
    return { kind, source: new MaxmindCitySource(buffers), files, databaseType: info.databaseType, buildEpoch: info.buildEpoch };
  }
  const paths = embeddedAsnCsvPaths();
  return {
    kind,
    source: await AsnRangeTable.fromFiles(paths),
    files: [paths.ipv4Path, paths.ipv6Path],
    databaseType: 'ip-location-db asn (csv)',
    buildEpoch: null,
  };
}

/**
 * A one-shot GeoLookup from the configured files (or the embedded data): what the bench and other
 * tools use. The running apps use GeoLifecycle, which also watches the files and reloads them.
 */
export async function loadGeoLookup(config: Pick<GeoConfig, 'cityPath' | 'asnPath'>): Promise<GeoLookup> {
  const [city, asn] = await Promise.all([
    config.cityPath ? openMmdbFileAs('city', config.cityPath) : openEmbedded('city'),
    config.asnPath ? openMmdbFileAs('asn', config.asnPath) : openEmbedded('asn'),
  ]);
  return new CombinedGeoLookup(city.source as CitySource, asn.source as AsnSource);
}
