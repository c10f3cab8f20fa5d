import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { ControlModule } from '@telemetry/control';
import { INGEST_SQL_STORE, IngestModule } from '@telemetry/ingest';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { IngestApiConfig } from './ingest-api.config';

/** The ingest role: authenticated REST ingest into the ingress topics. */
@Module({})
export class IngestApiModule {
  static forConfig(config: IngestApiConfig): DynamicModule {
    const ingest = IngestModule.forRoot(config.ingest);
    return {
      module: IngestApiModule,
      // Readiness pings the Idempotency-Key store: without it ingest answers 503 to keyed requests.
      imports: [
        PlatformModule.forRoot(config.platform),
        AuthModule.forRoot(config.auth),
        ControlModule.forRoot({ ...config.auth, defaultRetentionDays: config.platform.runtime.retentionDays, adminApi: false, ...config.control }),
        ingest,
        HealthModule.forRoot({ database: INGEST_SQL_STORE, databaseModule: ingest }),
      ],
    };
  }
}
