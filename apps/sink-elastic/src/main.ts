import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { loadSinkElasticConfig } from './sink-elastic.config';
import { SinkElasticAppModule } from './sink-elastic.module';

// HTTP only for /v1/health, /v1/version and /v1/metrics/prometheus.
runMain(async () => {
  const config = loadSinkElasticConfig();
  await createHttpApp(SinkElasticAppModule.forConfig(config), config.platform);
});
