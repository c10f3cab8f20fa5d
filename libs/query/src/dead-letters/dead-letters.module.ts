import { Module } from '@nestjs/common';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import { ProjectionMetricsModule } from '../projections/projection.metrics';
import { DeadLettersConsumer } from './dead-letters.consumer';
import { DeadLettersHttpController } from './dead-letters.http.controller';
import { SinkExportHttpController } from './sink-export.http.controller';
import { SinkExportService } from './sink-export.service';
import { SinkRetryProducer } from './sink-retry.producer';

/** DLQ inspection and replay, and the export endpoints that queue flows for the sinks (query role). */
@Module({
  imports: [ProjectionMetricsModule],
  controllers: [DeadLettersHttpController, SinkExportHttpController, DeadLettersConsumer],
  providers: [DeadLetterReplayService, SinkExportService, SinkRetryProducer],
})
export class DeadLettersModule {}
