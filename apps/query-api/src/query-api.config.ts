import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { ControlConfig, readControlSettings } from '@telemetry/control';
import { EnricherConfig, GeoConfig, readEnricherConfig, readGeoConfig } from '@telemetry/enricher';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface QueryApiConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  /** Which destinations exist, for the export and DLQ replay endpoints. */
  readonly sinks: SinksConfig;
  /** GeoIP/ASN databases for the geo admin routes (upload, download, test). */
  readonly geo: GeoConfig;
  /** THREATLIST_CSV and RISK_POLICY, so POST /v1/lookup matches and scores as the enricher does. */
  readonly intel: Pick<EnricherConfig, 'threatlistCsv' | 'riskPolicy'>;
  /** Threat-intel feed fetching (FEED_ALLOW_PRIVATE_ADDRESSES) and the feature flags' initial values. */
  readonly feeds: Pick<ControlConfig, 'feedAllowPrivateAddresses' | 'featureFlagDefaults'>;
}

export function loadQueryApiConfig(env: Environment = process.env): QueryApiConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'query-api', ['query']);
  const config = {
    platform,
    auth: readAuthConfig(reader, platform, { mayGenerateKey: false }),
    sinks: readSinksConfig(reader, undefined),
    geo: readGeoConfig(reader, platform),
    intel: readEnricherConfig(reader),
    feeds: readControlSettings(reader),
  };
  reader.done();
  return config;
}
