import { DynamicModule, Module } from '@nestjs/common';
import { SINKS_CONFIG, SinksConfig } from '@telemetry/sink';
import { DownloadHttpController } from './download/download.http.controller';
import { EnrichedEventsConsumer } from './projections/enriched-events.consumer';
import { ProjectionMetricsModule } from './projections/projection.metrics';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { AdminAuditHttpController } from './admin-audit/admin-audit.http.controller';
import { AdminAuditService } from './admin-audit/admin-audit.service';

/** The query role: projections of telemetry.enriched.v1 and the read endpoints. */
@Module({})
export class QueryModule {
  /** The sinks' config tells the export and replay endpoints which destinations exist and their first retry delay. */
  static forRoot(sinks: SinksConfig): DynamicModule {
    return {
      module: QueryModule,
      global: true,
      controllers: [DownloadHttpController, EnrichedEventsConsumer, AdminAuditHttpController],
      providers: [{ provide: SINKS_CONFIG, useValue: sinks }, AdminAuditService],
      exports: [SINKS_CONFIG],
      imports: [ProjectionMetricsModule, DeadLettersModule],
    };
  }
}
