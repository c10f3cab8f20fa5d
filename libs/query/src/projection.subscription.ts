import { Logger } from '@nestjs/common';
import type { EventLog, LogRecord, RecordBatch, Subscription } from '@telemetry/event-log';
import type { ProjectionResult } from '@telemetry/persistence';
import { inSpan, MetricsService, SpanKind } from '@telemetry/runtime';

export interface ProjectionSpec {
  /** The projection's name (metrics label). */
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly maxBatchRecords: number;
  readonly apply: (topic: string, partition: number, records: readonly LogRecord[]) => Promise<ProjectionResult>;
  /** Deletes what is past retention; returns how many rows went. */
  readonly enforceRetention: () => Promise<number>;
  readonly retentionIntervalMs: number;
  /** For the log line, e.g. "enriched events older than 7 days". */
  readonly retentionLabel: string;
}

/**
 * What every projection consumer does: subscribe its group, apply each polled batch in one
 * transaction (rows and offset together; the log commits after), count applied/skipped, and run
 * retention on a timer.
 */
export class ProjectionSubscription {
  private subscription?: Subscription;
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    private readonly log: EventLog,
    private readonly metrics: MetricsService,
    private readonly logger: Logger,
    private readonly spec: ProjectionSpec,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.log.subscribe({
      groupId: this.spec.groupId,
      topics: this.spec.topics,
      fromBeginning: true,
      maxBatchRecords: this.spec.maxBatchRecords,
      handler: (batch) => this.handle(batch),
    });
    this.retentionTimer = setInterval(() => void this.enforceRetention(), this.spec.retentionIntervalMs);
    this.retentionTimer.unref();
  }

  async handle(batch: RecordBatch): Promise<void> {
    const result = await inSpan(
      `project ${this.spec.name}`,
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': batch.topic, 'messaging.batch.message_count': batch.records.length } },
      () => this.spec.apply(batch.topic, batch.partition, batch.records),
    );
    this.metrics.projectedRecords.inc({ projection: this.spec.name, outcome: 'applied' }, result.applied);
    this.metrics.projectedRecords.inc({ projection: this.spec.name, outcome: 'skipped' }, result.skipped);
  }

  private async enforceRetention(): Promise<void> {
    try {
      const deleted = await this.spec.enforceRetention();
      if (deleted > 0) this.logger.log(`retention: deleted ${deleted} ${this.spec.retentionLabel}`);
    } catch (error) {
      this.logger.error(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.subscription?.close();
  }
}
