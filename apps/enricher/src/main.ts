import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { EnricherAppModule } from './enricher-app.module';
import { loadEnricherConfig } from './enricher.config';

// The enricher serves only /v1/health, /v1/version and /v1/metrics/prometheus over HTTP.
runMain(async () => {
  const config = loadEnricherConfig();
  await createHttpApp(EnricherAppModule.forConfig(config), config.platform);
});
