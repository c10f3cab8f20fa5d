import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The sinks' instruments, labelled by sink. */
@Injectable()
export class SinkMetrics {
  readonly items: Counter<'sink' | 'outcome'>;
  readonly failures: Counter<'sink' | 'error_class' | 'route'>;
  readonly batchRecords: Histogram<'sink'>;
  readonly deliverySeconds: Histogram<'sink'>;
  readonly paused: Gauge<'sink'>;
  readonly pendingAcks: Gauge<'sink'>;
  readonly consumerLag: Gauge<'sink'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.items = new Counter({
      name: 'telemetry_sink_items_total',
      help: 'Items a sink handled, by sink and outcome (delivered, retried, dead_lettered).',
      labelNames: ['sink', 'outcome'],
      registers,
    });
    this.failures = new Counter({
      name: 'telemetry_sink_failures_total',
      help: 'Items a destination did not take, by sink, error class and where they went (retry, dead_letter).',
      labelNames: ['sink', 'error_class', 'route'],
      registers,
    });
    this.batchRecords = new Histogram({
      name: 'telemetry_sink_batch_records',
      help: 'Records per destination request.',
      labelNames: ['sink'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
    this.deliverySeconds = new Histogram({
      name: 'telemetry_sink_delivery_duration_seconds',
      help: 'Time for a destination to answer one request (including indexer acknowledgement when enabled).',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.paused = new Gauge({
      name: 'telemetry_sink_paused',
      help: '1 while a sink is paused by a configuration failure (401/403, bad index): it retries and drops nothing.',
      labelNames: ['sink'],
      registers,
    });
    this.pendingAcks = new Gauge({
      name: 'telemetry_sink_pending_acks',
      help: 'Splunk HEC indexer acknowledgements the sink is waiting for.',
      labelNames: ['sink'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'telemetry_sink_consumer_lag_records',
      help: 'Records of telemetry.enriched.v1 the sink has not delivered (and committed) yet.',
      labelNames: ['sink'],
      registers,
    });
  }
}
