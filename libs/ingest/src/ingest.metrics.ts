import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Registry } from 'prom-client';

/** The ingest role's instruments. */
@Injectable()
export class IngestMetrics {
  readonly records: Counter<'format' | 'outcome'>;
  readonly requests: Counter<'endpoint' | 'status'>;
  readonly quotaRejections: Counter<'tenant' | 'reason'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.records = new Counter({
      name: 'telemetry_ingest_records_total',
      help: 'Records received at ingest, by format and outcome (accepted, rejected).',
      labelNames: ['format', 'outcome'],
      registers: [registry],
    });
    this.requests = new Counter({
      name: 'telemetry_ingest_requests_total',
      help: 'Ingest requests by endpoint and HTTP status.',
      labelNames: ['endpoint', 'status'],
      registers: [registry],
    });
    this.quotaRejections = new Counter({
      name: 'telemetry_ingest_quota_rejections_total',
      help: 'Ingest requests refused by their tenant quota, by tenant and reason (records_per_second, in_flight, batch_max).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
  }
}
