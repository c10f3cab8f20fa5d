import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Histogram, Registry } from 'prom-client';

/** The enricher role's instruments (batch counts and spans are the consumer transport's). */
@Injectable()
export class EnricherMetrics {
  readonly records: Counter<'outcome'>;
  readonly threatMatches: Counter<'category'>;
  readonly batchSeconds: Histogram;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.records = new Counter({
      name: 'telemetry_enricher_records_total',
      help: 'Records handled by the enricher, by outcome (enriched, dead_lettered).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.threatMatches = new Counter({
      name: 'telemetry_enricher_threat_matches_total',
      help: 'Threat-intel matches found by the enricher, by category.',
      labelNames: ['category'],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'telemetry_enricher_batch_duration_seconds',
      help: 'Time to decode, enrich, produce and commit one polled batch.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }
}
