import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The one instrumentation helper: metric names are a contract (`telemetry_<what>_<unit>_total`,
 * base units, low-cardinality labels; never IPs or ids).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly ingestRecords = new Counter({
    name: 'telemetry_ingest_records_total',
    help: 'Records received at ingest, by format and outcome (accepted, rejected).',
    labelNames: ['format', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly ingestRequests = new Counter({
    name: 'telemetry_ingest_requests_total',
    help: 'Ingest requests by endpoint and HTTP status.',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });

  readonly enrichedRecords = new Counter({
    name: 'telemetry_enricher_records_total',
    help: 'Records handled by the enricher, by outcome (enriched, dead_lettered).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly threatMatches = new Counter({
    name: 'telemetry_enricher_threat_matches_total',
    help: 'Threat-intel matches found by the enricher, by category.',
    labelNames: ['category'] as const,
    registers: [this.registry],
  });

  readonly enricherBatchSeconds = new Histogram({
    name: 'telemetry_enricher_batch_duration_seconds',
    help: 'Time to decode, enrich, produce and commit one polled batch.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly projectedRecords = new Counter({
    name: 'telemetry_projection_records_total',
    help: 'Records applied to read models, by projection and outcome (applied, skipped).',
    labelNames: ['projection', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'telemetry_process_' });
  }
}
