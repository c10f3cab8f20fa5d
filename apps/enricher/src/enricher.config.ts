import { EnricherConfig, GeoConfig, readEnricherConfig, readGeoConfig } from '@telemetry/enricher';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';

export interface EnricherAppConfig {
  readonly platform: PlatformConfig;
  readonly enricher: EnricherConfig;
  readonly geo: GeoConfig;
}

export function loadEnricherConfig(env: Environment = process.env): EnricherAppConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'enricher', ['enricher']);
  const config = { platform, enricher: readEnricherConfig(reader), geo: readGeoConfig(reader, platform) };
  reader.done();
  return config;
}
