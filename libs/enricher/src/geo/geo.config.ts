import { ConfigReader, PlatformConfig } from '@telemetry/platform';

/** MaxMind's documented direct-download base: `{base}/{edition}/download?suffix=tar.gz` (basic auth account_id:license_key). */
export const DEFAULT_MAXMIND_DOWNLOAD_URL = 'https://download.maxmind.com/geoip/databases';
export const DEFAULT_MAXMIND_EDITIONS: readonly string[] = ['GeoLite2-City', 'GeoLite2-ASN'];
/** GeoIP2-City, the largest edition, is about 130 MB unpacked; uploads and unpacked downloads are capped at twice that by default. */
export const DEFAULT_GEOIP_MAX_BYTES = 256 * 1024 * 1024;

/** Where the GeoIP/ASN databases come from, how their changes are noticed, and how new ones are fetched. */
export interface GeoConfig {
  /** GEOIP_DB_CITY: a City (or Country) mmdb; unset = DATA_DIR/geoip/city.mmdb when present, else the embedded DB-IP Lite data. */
  readonly cityPath?: string;
  /** GEOIP_DB_ASN: an ASN mmdb; unset = DATA_DIR/geoip/asn.mmdb when present, else the embedded ip-location-db ranges. */
  readonly asnPath?: string;
  /** DATA_DIR: uploads and downloads of a kind with no configured path go to DATA_DIR/geoip/. */
  readonly dataDir: string;
  /** GEOIP_WATCH: fs.watch the databases' directories (default true). */
  readonly watch: boolean;
  /** GEOIP_RELOAD_POLL_S in ms: the stat fallback for filesystems where watchers miss changes; 0 = off. */
  readonly pollIntervalMs: number;
  /** GEOIP_MAX_BYTES: the largest mmdb accepted by upload and by download (unpacked), and the largest download. */
  readonly maxBytes: number;
  readonly download: GeoDownloadConfig;
}

export interface GeoDownloadConfig {
  /** MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY: both are needed for POST /v1/geo/download. */
  readonly accountId?: string;
  readonly licenseKey?: string;
  /** MAXMIND_DOWNLOAD_URL (default https://download.maxmind.com/geoip/databases). */
  readonly baseUrl: string;
  /** MAXMIND_EDITIONS (default GeoLite2-City,GeoLite2-ASN). */
  readonly editions: readonly string[];
}

export const GEO_CONFIG = Symbol('GEO_CONFIG');

const EDITION = /^[A-Za-z0-9-]{1,64}$/;

export function readGeoConfig(reader: ConfigReader, platform: PlatformConfig): GeoConfig {
  const editions = reader.list('MAXMIND_EDITIONS');
  for (const edition of editions)
    if (!EDITION.test(edition)) reader.problem(`MAXMIND_EDITIONS: "${edition}" is not an edition id (letters, digits and dashes)`);
  const baseUrl = reader.url('MAXMIND_DOWNLOAD_URL', ['https', 'http']) ?? DEFAULT_MAXMIND_DOWNLOAD_URL;
  return {
    cityPath: reader.string('GEOIP_DB_CITY'),
    asnPath: reader.string('GEOIP_DB_ASN'),
    dataDir: platform.runtime.dataDir,
    watch: reader.boolean('GEOIP_WATCH', true),
    pollIntervalMs: reader.integer('GEOIP_RELOAD_POLL_S', 30, { min: 0, max: 86_400 }) * 1000,
    maxBytes: reader.integer('GEOIP_MAX_BYTES', DEFAULT_GEOIP_MAX_BYTES, { min: 1024, max: 4 * 1024 * 1024 * 1024 }),
    download: {
      accountId: reader.string('MAXMIND_ACCOUNT_ID'),
      licenseKey: reader.string('MAXMIND_LICENSE_KEY'),
      baseUrl: baseUrl.replace(/\/+$/, ''),
      editions: editions.length > 0 ? editions : DEFAULT_MAXMIND_EDITIONS,
    },
  };
}
