import { ConfigReader, Environment, PlatformConfig, readPlatformConfig } from '@telemetry/platform';
import { readSinksConfig, SinksConfig } from '@telemetry/sink';

export interface SinkSplunkConfig {
  readonly platform: PlatformConfig;
  readonly sinks: SinksConfig;
}

export function loadSinkSplunkConfig(env: Environment = process.env): SinkSplunkConfig {
  const reader = new ConfigReader(env);
  const platform = readPlatformConfig(reader, 'sink-splunk', ['sink-splunk']);
  const sinks = readSinksConfig(reader, 'splunk');
  reader.done();
  // This process runs only its own destination, even when the other one is configured too.
  return { platform, sinks: { ...sinks, elastic: undefined } };
}
