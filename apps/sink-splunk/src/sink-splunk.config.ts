import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadSinkSplunkConfig(env: Environment = process.env): AppConfig {
  const config = readAppConfig(new ConfigReader(env), 'sink-splunk', ['sink-splunk']);
  // This process runs only its own destination, even when the other one is configured too.
  return { ...config, sinks: { ...config.sinks, elastic: undefined } };
}
