import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  readonly sinkItems = new Counter({
    name: 'telemetry_sink_items_total',
    help: 'Items a sink handled, by sink and outcome (delivered, retried, dead_lettered).',
    labelNames: ['sink', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly sinkFailures = new Counter({
    name: 'telemetry_sink_failures_total',
    help: 'Items a destination did not take, by sink, error class and where they went (retry, dead_letter).',
    labelNames: ['sink', 'error_class', 'route'] as const,
    registers: [this.registry],
  });

  readonly sinkBatchRecords = new Histogram({
    name: 'telemetry_sink_batch_records',
    help: 'Records per destination request.',
    labelNames: ['sink'] as const,
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });

  readonly sinkDeliverySeconds = new Histogram({
    name: 'telemetry_sink_delivery_duration_seconds',
    help: 'Time for a destination to answer one request (including indexer acknowledgement when enabled).',
    labelNames: ['sink'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly sinkPaused = new Gauge({
    name: 'telemetry_sink_paused',
    help: '1 while a sink is paused by a configuration failure (401/403, bad index): it retries and drops nothing.',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  readonly sinkPendingAcks = new Gauge({
    name: 'telemetry_sink_pending_acks',
    help: 'Splunk HEC indexer acknowledgements the sink is waiting for.',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  readonly sinkConsumerLag = new Gauge({
    name: 'telemetry_sink_consumer_lag_records',
    help: 'Records of telemetry.enriched.v1 the sink has not delivered (and committed) yet.',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'telemetry_process_' });
  }
}
