import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { loadIngestApiConfig } from './ingest-api.config';
import { IngestApiModule } from './ingest-api.module';

runMain(async () => {
  const config = loadIngestApiConfig();
  await createHttpApp(IngestApiModule.forConfig(config), config.platform);
});
