import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { ControlConfig, readControlSettings } from '@telemetry/control';
import { IngestConfig, readIngestConfig } from '@telemetry/ingest';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';

export interface IngestApiConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  readonly ingest: IngestConfig;
  /** The feature flags' initial values (admission at ingest reads them). */
  readonly control: Pick<ControlConfig, 'feedAllowPrivateAddresses' | 'featureFlagDefaults'>;
}

export function loadIngestApiConfig(env: Environment = process.env): IngestApiConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'ingest-api', ['ingest']);
  const config = {
    platform,
    auth: readAuthConfig(reader, platform, { mayGenerateKey: false }),
    ingest: readIngestConfig(reader),
    control: readControlSettings(reader),
  };
  reader.done();
  return config;
}
