import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadSinkElasticConfig(env: Environment = process.env): AppConfig {
  const config = readAppConfig(new ConfigReader(env), 'sink-elastic', ['sink-elastic']);
  // This process runs only its own destination, even when the other one is configured too.
  return { ...config, sinks: { ...config.sinks, splunk: undefined } };
}
