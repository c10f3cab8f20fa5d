import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '../metrics/metrics.registry';

/** What every event-log consumer reports, by group (the declared name, without the deployment prefix). */
@Injectable()
export class ConsumerMetrics {
  readonly batches: Counter<'group' | 'outcome'>;
  readonly records: Counter<'group'>;
  readonly batchSeconds: Histogram<'group'>;
  readonly failures: Counter<'group' | 'error_class' | 'retriable'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.batches = new Counter({
      name: 'telemetry_consumer_batches_total',
      help: 'Polled batches handled by event-log consumers, by group and outcome (handled, failed).',
      labelNames: ['group', 'outcome'],
      registers: [registry],
    });
    this.records = new Counter({
      name: 'telemetry_consumer_records_total',
      help: 'Records in the batches event-log consumers handled, by group.',
      labelNames: ['group'],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'telemetry_consumer_batch_duration_seconds',
      help: 'Time a consumer took to handle one polled batch (until its work was acknowledged).',
      labelNames: ['group'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'telemetry_consumer_failures_total',
      help: 'Batches a consumer failed (not committed, offered again after a backoff), by group, error class and whether the error is retriable.',
      labelNames: ['group', 'error_class', 'retriable'],
      registers: [registry],
    });
  }
}
