import { DynamicModule, Module } from '@nestjs/common';
import { ENRICHER_CONFIG, EnricherConfig } from './enricher.config';
import { EnricherMetrics } from './enricher.metrics';
import { enrichmentProviders } from './enrichment.providers';
import { IngressConsumer } from './ingress.consumer';

/** The enricher role: ingress topics → enriched topic (and the ingest dead-letter topic). */
@Module({})
export class EnricherModule {
  static forRoot(config: EnricherConfig): DynamicModule {
    return {
      module: EnricherModule,
      controllers: [IngressConsumer],
      providers: [{ provide: ENRICHER_CONFIG, useValue: config }, ...enrichmentProviders, EnricherMetrics],
    };
  }
}
