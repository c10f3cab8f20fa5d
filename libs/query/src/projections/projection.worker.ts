import { Logger } from '@nestjs/common';
import type { LogRecord, RecordBatch } from '@telemetry/event-log';
import type { ProjectionResult } from '@telemetry/persistence';
import type { ProjectionMetrics } from './projection.metrics';

export interface ProjectionSpec {
  /** The projection's name (metrics label). */
  readonly name: string;
  readonly apply: (topic: string, partition: number, records: readonly LogRecord[]) => Promise<ProjectionResult>;
  /** Deletes what is past retention; returns how many rows went. */
  readonly enforceRetention: () => Promise<number>;
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
    const result = await this.spec.apply(batch.topic, batch.partition, batch.records);
    this.metrics.records.inc({ projection: this.spec.name, outcome: 'applied' }, result.applied);
    this.metrics.records.inc({ projection: this.spec.name, outcome: 'skipped' }, result.skipped);
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
      const deleted = await this.spec.enforceRetention();
      if (deleted > 0) this.logger.log(`retention: deleted ${deleted} ${this.spec.retentionLabel}`);
    } catch (error) {
      this.logger.error(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
