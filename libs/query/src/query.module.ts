import { Module } from '@nestjs/common';
import { DownloadHttpController } from './download.http.controller';
import { EnrichedEventsConsumer } from './enriched-events.consumer';
import { ProjectionMetricsModule } from './projection.metrics';
import { DeadLettersModule } from './dead-letters/dead-letters.module';

/** The query role: projections of telemetry.enriched.v1 and the read endpoints. */
@Module({
  controllers: [DownloadHttpController, EnrichedEventsConsumer],
  imports: [ProjectionMetricsModule, DeadLettersModule],
})
export class QueryModule {}
