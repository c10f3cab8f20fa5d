import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { EnricherModule } from '@telemetry/enricher';
import { IngestModule } from '@telemetry/ingest';
import { PersistenceModule } from '@telemetry/persistence';
import { QueryModule } from '@telemetry/query';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';
import { SinkModule } from '@telemetry/sink';

/** Every role's modules in one process, sharing one event log (embedded by default) and one SQL store; the sinks whose destination is configured. */
@Module({})
export class AllInOneModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: AllInOneModule,
      imports: [
        RuntimeModule.forRoot(config),
        AuthModule.forRoot({ apiKeys: config.apiKeys, defaultTenant: config.defaultTenant, rateLimitPerMin: config.ingest.rateLimitPerMin }),
        PersistenceModule.forRoot(config.runtime.database),
        IngestModule,
        EnricherModule,
        QueryModule,
        SinkModule.forConfig(config),
      ],
    };
  }
}
