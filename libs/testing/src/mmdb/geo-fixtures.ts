import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * Tiny GeoLite2-City / GeoLite2-ASN shaped databases for tests. The record layout follows MaxMind's
 * (a subset of the fields), so code written against the `maxmind` reader's CityResponse /
 * AsnResponse types reads these exactly like the real downloads.
 */

import { MmdbValue, MmdbWriter, MmdbWriterOptions, mmdb } from './mmdb-writer';

export interface CityFixtureEntry {
  cidr: string;
  /** ISO 3166-1 alpha-2 code, e.g. "US". */
  country: string;
  /** English country name; defaults to a built-in name for common codes, else the code itself. */
  countryName?: string;
  /** English city name. */
  city?: string;
  latitude?: number;
  longitude?: number;
  /** IANA time zone, e.g. "Europe/Amsterdam". */
  timeZone?: string;
}

export interface AsnFixtureEntry {
  cidr: string;
  asn: number;
  organization: string;
}

/** Knobs passed through to the writer; the defaults suit most tests. */
export type FixtureDbOptions = Partial<Pick<MmdbWriterOptions, 'recordSize' | 'buildEpoch' | 'description'>>;

const COUNTRY_NAMES: Readonly<Record<string, string>> = {
  AU: 'Australia',
  CA: 'Canada',
  CN: 'China',
  DE: 'Germany',
  FR: 'France',
  GB: 'United Kingdom',
  IN: 'India',
  JP: 'Japan',
  NL: 'Netherlands',
  RU: 'Russia',
  US: 'United States',
};

function cityRecord(entry: CityFixtureEntry): MmdbValue {
  const country = {
    iso_code: entry.country,
    names: { en: entry.countryName ?? COUNTRY_NAMES[entry.country] ?? entry.country },
  };
  const record: { [key: string]: MmdbValue } = {};
  if (entry.city !== undefined) record.city = { names: { en: entry.city } };
  record.country = country;

  const location: { [key: string]: MmdbValue } = {};
  // MaxMind stores coordinates as doubles; a whole-degree value would otherwise become a uint32.
  if (entry.latitude !== undefined) location.latitude = mmdb.double(entry.latitude);
  if (entry.longitude !== undefined) location.longitude = mmdb.double(entry.longitude);
  if (entry.timeZone !== undefined) location.time_zone = entry.timeZone;
  if (Object.keys(location).length > 0) record.location = location;

  // Real records also carry the country the block is registered to; it is the same here.
  record.registered_country = country;
  return record;
}

/** A GeoLite2-City shaped IPv6 database (IPv4 networks are reachable as usual). */
export function buildCityDb(entries: CityFixtureEntry[], options: FixtureDbOptions = {}): Buffer {
  const writer = new MmdbWriter({
    databaseType: 'GeoLite2-City',
    ipVersion: 6,
    languages: ['en'],
    description: 'GeoLite2-City test fixture',
    ...options,
  });
  for (const entry of entries) writer.insert(entry.cidr, cityRecord(entry));
  return writer.toBuffer();
}

/** A GeoLite2-ASN shaped IPv6 database (IPv4 networks are reachable as usual). */
export function buildAsnDb(entries: AsnFixtureEntry[], options: FixtureDbOptions = {}): Buffer {
  const writer = new MmdbWriter({
    databaseType: 'GeoLite2-ASN',
    ipVersion: 6,
    languages: [],
    description: 'GeoLite2-ASN test fixture',
    ...options,
  });
  for (const entry of entries) {
    writer.insert(entry.cidr, {
      autonomous_system_number: mmdb.uint32(entry.asn),
      autonomous_system_organization: entry.organization,
    });
  }
  return writer.toBuffer();
}

/**
 * Well-known networks for tests. Coordinates and names are realistic but are fixture values, not
 * a promise about what MaxMind currently returns for these addresses.
 */
export const defaultCityFixture: readonly CityFixtureEntry[] = [
  {
    cidr: '8.8.8.0/24',
    country: 'US',
    city: 'Mountain View',
    latitude: 37.386,
    longitude: -122.0838,
    timeZone: 'America/Los_Angeles',
  },
  {
    cidr: '1.1.1.0/24',
    country: 'AU',
    city: 'Sydney',
    latitude: -33.8688,
    longitude: 151.2093,
    timeZone: 'Australia/Sydney',
  },
  {
    cidr: '45.155.205.0/24',
    country: 'NL',
    city: 'Amsterdam',
    latitude: 52.3676,
    longitude: 4.9041,
    timeZone: 'Europe/Amsterdam',
  },
  {
    cidr: '185.220.101.0/24',
    country: 'DE',
    city: 'Frankfurt am Main',
    latitude: 50.1109,
    longitude: 8.6821,
    timeZone: 'Europe/Berlin',
  },
  // Country-level only, as MaxMind has it for many IPv6 blocks: no city, a country centroid.
  {
    cidr: '2001:4860::/32',
    country: 'US',
    latitude: 37.751,
    longitude: -97.822,
    timeZone: 'America/Chicago',
  },
  {
    cidr: '81.2.69.0/24',
    country: 'GB',
    city: 'London',
    latitude: 51.5142,
    longitude: -0.0931,
    timeZone: 'Europe/London',
  },
];

export const defaultAsnFixture: readonly AsnFixtureEntry[] = [
  { cidr: '8.8.8.0/24', asn: 15169, organization: 'GOOGLE' },
  { cidr: '1.1.1.0/24', asn: 13335, organization: 'CLOUDFLARENET' },
  { cidr: '45.155.205.0/24', asn: 49870, organization: 'Alsycon B.V.' },
  { cidr: '185.220.101.0/24', asn: 208294, organization: 'CIA TRIAD SECURITY LLC' },
  { cidr: '2001:4860::/32', asn: 15169, organization: 'GOOGLE' },
  { cidr: '81.2.69.0/24', asn: 20712, organization: 'Andrews & Arnold Ltd' },
];

/** Writes the default City and ASN fixtures as .mmdb files into `dir`, for GEOIP_DB_CITY / GEOIP_DB_ASN. */
export function writeGeoFixtureFiles(dir: string): { city: string; asn: string } {
  const city = join(dir, 'city.mmdb');
  const asn = join(dir, 'asn.mmdb');
  writeFileSync(city, buildCityDb([...defaultCityFixture]));
  writeFileSync(asn, buildAsnDb([...defaultAsnFixture]));
  return { city, asn };
}
