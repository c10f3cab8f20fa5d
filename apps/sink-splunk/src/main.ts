import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { loadSinkSplunkConfig } from './sink-splunk.config';
import { SinkSplunkAppModule } from './sink-splunk.module';

// HTTP only for /v1/health, /v1/version and /v1/metrics/prometheus.
runMain(async () => {
  const config = loadSinkSplunkConfig();
  await createHttpApp(SinkSplunkAppModule.forConfig(config), config.platform);
});
