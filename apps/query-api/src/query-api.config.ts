import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { GeoConfig, readGeoConfig } from '@telemetry/enricher';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface QueryApiConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  /** Which destinations exist, for the export and DLQ replay endpoints. */
  readonly sinks: SinksConfig;
  /** GeoIP/ASN databases for the geo admin routes (upload, download, test). */
  readonly geo: GeoConfig;
}

export function loadQueryApiConfig(env: Environment = process.env): QueryApiConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'query-api', ['query']);
  const config = {
    platform,
    auth: readAuthConfig(reader, platform, { mayGenerateKey: false }),
    sinks: readSinksConfig(reader, undefined),
    geo: readGeoConfig(reader, platform),
  };
  reader.done();
  return config;
}
