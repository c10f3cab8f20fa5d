import { ConfigReader, Environment } from '@telemetry/config';
import { AppConfig, readAppConfig } from '@telemetry/runtime';

export function loadQueryApiConfig(env: Environment = process.env): AppConfig {
  return readAppConfig(new ConfigReader(env), 'query-api', ['query']);
}
