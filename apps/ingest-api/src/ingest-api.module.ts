import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { IngestModule } from '@telemetry/ingest';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

/** The ingest role: authenticated REST ingest into the ingress topics. */
@Module({})
export class IngestApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: IngestApiModule,
      imports: [
        RuntimeModule.forRoot(config),
        AuthModule.forRoot({ apiKeys: config.apiKeys, defaultTenant: config.defaultTenant, rateLimitPerMin: config.ingest.rateLimitPerMin }),
        IngestModule,
      ],
    };
  }
}
