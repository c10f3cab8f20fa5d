import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadAllInOneConfig(env: Environment = process.env): AppConfig {
  return readAppConfig(new ConfigReader(env), 'all-in-one', ['ingest', 'enricher', 'query']);
}
