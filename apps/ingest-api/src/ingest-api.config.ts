import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadIngestApiConfig(env: Environment = process.env): AppConfig {
  return readAppConfig(new ConfigReader(env), 'ingest-api', ['ingest']);
}
