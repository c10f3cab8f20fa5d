import * as path from 'node:path';
import { ConfigError, ConfigReader, readPlatformConfig } from '@telemetry/platform';
import { readGeoConfig } from './geo.config';

function read(env: Record<string, string>) {
  const reader = new ConfigReader({ DATA_DIR: '/var/lib/telemetry', ...env });
  const config = readGeoConfig(reader, readPlatformConfig(reader, 'enricher', ['enricher']));
  reader.done();
  return config;
}

describe('the geo config', () => {
  it('defaults to the embedded data, watching plus a 30 s poll, and the GeoLite2 City and ASN editions from MaxMind', () => {
    expect(read({})).toEqual({
      cityPath: undefined,
      asnPath: undefined,
      dataDir: path.resolve('/var/lib/telemetry'),
      watch: true,
      pollIntervalMs: 30_000,
      maxBytes: 256 * 1024 * 1024,
      download: {
        accountId: undefined,
        licenseKey: undefined,
        baseUrl: 'https://download.maxmind.com/geoip/databases',
        editions: ['GeoLite2-City', 'GeoLite2-ASN'],
      },
    });
  });

  it('reads the paths, the reload settings and the MaxMind download settings', () => {
    const config = read({
      GEOIP_DB_CITY: '/data/GeoIP2-City.mmdb',
      GEOIP_DB_ASN: '/data/GeoLite2-ASN.mmdb',
      GEOIP_WATCH: 'false',
      GEOIP_RELOAD_POLL_S: '0',
      MAXMIND_ACCOUNT_ID: '123456',
      MAXMIND_LICENSE_KEY: 'key',
      MAXMIND_DOWNLOAD_URL: 'http://mirror.internal/geoip/databases/',
      MAXMIND_EDITIONS: 'GeoIP2-City, GeoLite2-ASN',
    });
    expect(config).toMatchObject({ cityPath: '/data/GeoIP2-City.mmdb', asnPath: '/data/GeoLite2-ASN.mmdb', watch: false, pollIntervalMs: 0 });
    expect(config.download).toEqual({
      accountId: '123456',
      licenseKey: 'key',
      baseUrl: 'http://mirror.internal/geoip/databases',
      editions: ['GeoIP2-City', 'GeoLite2-ASN'],
    });
  });

  it('refuses a bad edition id, download URL or poll interval, listing every problem', () => {
    expect(() => read({ MAXMIND_EDITIONS: 'GeoLite2-City,../etc', MAXMIND_DOWNLOAD_URL: 'ftp://x', GEOIP_RELOAD_POLL_S: '-1' })).toThrow(ConfigError);
    expect(() => read({ MAXMIND_EDITIONS: 'GeoLite2-City,../etc', MAXMIND_DOWNLOAD_URL: 'ftp://x', GEOIP_RELOAD_POLL_S: '-1' })).toThrow(
      /MAXMIND_EDITIONS: "\.\.\/etc"[\s\S]*MAXMIND_DOWNLOAD_URL must use https or http[\s\S]*GEOIP_RELOAD_POLL_S/,
    );
  });
});
