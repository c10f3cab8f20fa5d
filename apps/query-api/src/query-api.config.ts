import { AuthConfig, readAuthConfig } from '@telemetry/auth';
import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface QueryApiConfig {
  readonly platform: PlatformConfig;
  readonly auth: AuthConfig;
  /** Which destinations exist, for the export and DLQ replay endpoints. */
  readonly sinks: SinksConfig;
}

export function loadQueryApiConfig(env: Environment = process.env): QueryApiConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'query-api', ['query']);
  const config = { platform, auth: readAuthConfig(reader, platform, { mayGenerateKey: false }), sinks: readSinksConfig(reader, undefined) };
  reader.done();
  return config;
}
