import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { IngestModule } from '@telemetry/ingest';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { IngestApiConfig } from './ingest-api.config';

/** The ingest role: authenticated REST ingest into the ingress topics. */
@Module({})
export class IngestApiModule {
  static forConfig(config: IngestApiConfig): DynamicModule {
    return {
      module: IngestApiModule,
      imports: [PlatformModule.forRoot(config.platform), AuthModule.forRoot(config.auth), IngestModule.forRoot(config.ingest), HealthModule.forRoot()],
    };
  }
}
