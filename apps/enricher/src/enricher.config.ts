import { EnricherConfig, readEnricherConfig } from '@telemetry/enricher';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';

export interface EnricherAppConfig {
  readonly platform: PlatformConfig;
  readonly enricher: EnricherConfig;
}

export function loadEnricherConfig(env: Environment = process.env): EnricherAppConfig {
  const reader = new ConfigReader(env);
  const config = { platform: readPlatformConfig(reader, 'enricher', ['enricher']), enricher: readEnricherConfig(reader) };
  reader.done();
  return config;
}
