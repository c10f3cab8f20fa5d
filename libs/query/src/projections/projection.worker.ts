import { Logger } from '@nestjs/common';
import type { LogRecord, RecordBatch } from '@telemetry/event-log';
import type { OnRejected, ProjectionResult } from '@telemetry/persistence';
import type { ProjectionMetrics } from './projection.metrics';

export interface ProjectionSpec {
  /** The projection's name (metrics label). */
  readonly name: string;
  readonly apply: (topic: string, partition: number, records: readonly LogRecord[], onRejected?: OnRejected) => Promise<ProjectionResult>;
  /** Where records the read model can never hold go (a dead-letter topic), inside the projection's transaction; a projection that cuts values to fit needs none. */
  readonly onRejected?: OnRejected;
  /** Deletes what is past retention; returns how many rows went (and, where it knows, per tenant). */
  readonly enforceRetention: () => Promise<number | { readonly deleted: number; readonly byTenant: Readonly<Record<string, number>> }>;
  readonly retentionIntervalMs: number;
  /** For the log line, e.g. "enriched events older than 7 days". */
  readonly retentionLabel: string;
}

/**
 * What every projection consumer does besides being an event-log handler: apply each polled batch in
 * one transaction (rows and offset together; the log commits after), count applied/skipped, and run
 * retention on a timer.
 */
export class ProjectionWorker {
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    private readonly metrics: ProjectionMetrics,
    private readonly logger: Logger,
    private readonly spec: ProjectionSpec,
  ) {}

  async handle(batch: RecordBatch): Promise<void> {
    const result = await this.spec.apply(batch.topic, batch.partition, batch.records, this.spec.onRejected);
    this.metrics.records.inc({ projection: this.spec.name, outcome: 'applied' }, result.applied);
    this.metrics.records.inc({ projection: this.spec.name, outcome: 'skipped' }, result.skipped);
    if (result.rejected) {
      this.metrics.records.inc({ projection: this.spec.name, outcome: 'dead_lettered' }, result.rejected);
      this.logger.warn(`${this.spec.name}: ${result.rejected} record(s) of ${batch.topic}-${batch.partition} no row can hold went to the dead-letter topic`);
    }
  }

  startRetention(): void {
    this.retentionTimer = setInterval(() => void this.enforceRetention(), this.spec.retentionIntervalMs);
    this.retentionTimer.unref();
  }

  stopRetention(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
  }

  private async enforceRetention(): Promise<void> {
    try {
      const report = await this.spec.enforceRetention();
      const deleted = typeof report === 'number' ? report : report.deleted;
      if (deleted === 0) return;
      this.metrics.retentionDeleted.inc({ projection: this.spec.name }, deleted);
      const perTenant =
        typeof report === 'number'
          ? ''
          : ` (${Object.entries(report.byTenant)
              .map(([tenant, count]) => `${tenant === '*' ? 'tenants on the default retention' : tenant}: ${count}`)
              .join(', ')})`;
      this.logger.log(`retention: deleted ${deleted} ${this.spec.retentionLabel}${perTenant}`);
    } catch (error) {
      this.logger.error(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
