import 'reflect-metadata';
import { createHttpApp, runMain } from '@telemetry/platform';
import { loadAllInOneConfig } from './all-in-one.config';
import { AllInOneModule } from './all-in-one.module';

runMain(async () => {
  const config = loadAllInOneConfig();
  await createHttpApp(AllInOneModule.forConfig(config), config.platform);
});
