import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { PersistenceModule } from '@telemetry/persistence';
import { QueryModule } from '@telemetry/query';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

/** The query role: projections into SQL and the authenticated read and DLQ endpoints. */
@Module({})
export class QueryApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: QueryApiModule,
      imports: [
        RuntimeModule.forRoot(config),
        AuthModule.forRoot({ apiKeys: config.apiKeys, defaultTenant: config.defaultTenant, rateLimitPerMin: config.ingest.rateLimitPerMin }),
        PersistenceModule.forRoot(config.runtime.database),
        QueryModule,
      ],
    };
  }
}
