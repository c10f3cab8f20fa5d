import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { loadQueryApiConfig } from './query-api.config';
import { QueryApiModule } from './query-api.module';

runMain(async () => {
  const config = loadQueryApiConfig();
  await createHttpApp(QueryApiModule.forConfig(config), config.platform);
});
