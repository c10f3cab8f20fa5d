import { Inject, Injectable, Module } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Registry } from 'prom-client';

/** The projections' instruments. */
@Injectable()
export class ProjectionMetrics {
  readonly records: Counter<'projection' | 'outcome'>;
  readonly retentionDeleted: Counter<'projection'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.records = new Counter({
      name: 'telemetry_projection_records_total',
      help: 'Records applied to read models, by projection and outcome (applied; skipped: applied before; dead_lettered: no row can hold it).',
      labelNames: ['projection', 'outcome'],
      registers: [registry],
    });
    this.retentionDeleted = new Counter({
      name: 'telemetry_retention_deleted_rows_total',
      help: 'Read-model rows the retention job deleted (past their tenant retention_days), by projection.',
      labelNames: ['projection'],
      registers: [registry],
    });
  }
}

/** One ProjectionMetrics per process, for every module with a projection consumer. */
@Module({ providers: [ProjectionMetrics], exports: [ProjectionMetrics] })
export class ProjectionMetricsModule {}
