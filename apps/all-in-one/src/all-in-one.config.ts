import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { ControlConfig, readControlSettings } from '@telemetry/control';
import { EnricherConfig, GeoConfig, readEnricherConfig, readGeoConfig } from '@telemetry/enricher';
import { IngestConfig, readIngestConfig } from '@telemetry/ingest';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface AllInOneConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  readonly ingest: IngestConfig;
  readonly enricher: EnricherConfig;
  /** GeoIP/ASN databases, shared by enrichment and the geo admin routes. */
  readonly geo: GeoConfig;
  /** The sinks whose destination is configured run in the process too. */
  readonly sinks: SinksConfig;
  /** Threat-intel feed fetching (FEED_ALLOW_PRIVATE_ADDRESSES) and the feature flags' initial values. */
  readonly feeds: Pick<ControlConfig, 'feedAllowPrivateAddresses' | 'featureFlagDefaults'>;
}

export function loadAllInOneConfig(env: Environment = process.env): AllInOneConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'all-in-one', ['ingest', 'enricher', 'query']);
  const config = {
    platform,
    auth: readAuthConfig(reader, platform, { mayGenerateKey: true }),
    ingest: readIngestConfig(reader),
    enricher: readEnricherConfig(reader),
    geo: readGeoConfig(reader, platform),
    sinks: readSinksConfig(reader, undefined),
    feeds: readControlSettings(reader),
  };
  reader.done();
  return config;
}
