import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface SinkElasticConfig {
  readonly platform: PlatformConfig;
  readonly sinks: SinksConfig;
}

export function loadSinkElasticConfig(env: Environment = process.env): SinkElasticConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'sink-elastic', ['sink-elastic']);
  const sinks = readSinksConfig(reader, 'elastic');
  reader.done();
  // This process runs only its own destination, even when the other one is configured too.
  return { platform, sinks: { ...sinks, splunk: undefined } };
}
