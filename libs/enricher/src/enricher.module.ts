import { Module } from '@nestjs/common';
import { EnricherMetrics } from './enricher.metrics';
import { enrichmentProviders } from './enrichment.providers';
import { IngressConsumer } from './ingress.consumer';

/** The enricher role: ingress topics → enriched topic (and the ingest dead-letter topic). */
@Module({
  controllers: [IngressConsumer],
  providers: [...enrichmentProviders, EnricherMetrics],
})
export class EnricherModule {}
