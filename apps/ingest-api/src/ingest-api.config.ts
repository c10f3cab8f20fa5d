import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { IngestConfig, readIngestConfig } from '@telemetry/ingest';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';

export interface IngestApiConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  readonly ingest: IngestConfig;
}

export function loadIngestApiConfig(env: Environment = process.env): IngestApiConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'ingest-api', ['ingest']);
  const config = { platform, auth: readAuthConfig(reader, platform, { mayGenerateKey: false }), ingest: readIngestConfig(reader) };
  reader.done();
  return config;
}
