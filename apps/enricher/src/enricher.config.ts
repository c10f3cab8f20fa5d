import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadEnricherConfig(env: Environment = process.env): AppConfig {
  return readAppConfig(new ConfigReader(env), 'enricher', ['enricher']);
}
