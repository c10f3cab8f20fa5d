import { Module } from '@nestjs/common';
import { DEFAULT_INGEST_LIMITS } from './ingest-limits';
import { INGEST_LIMITS, IngestHttpController } from './ingest.http.controller';
import { IngestService } from './ingest.service';

/** The ingest role: REST endpoints that validate and publish to the ingress topics. */
@Module({
  controllers: [IngestHttpController],
  providers: [IngestService, { provide: INGEST_LIMITS, useValue: DEFAULT_INGEST_LIMITS }],
  exports: [IngestService],
})
export class IngestModule {}
