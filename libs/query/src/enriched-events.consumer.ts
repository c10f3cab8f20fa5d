import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch, Subscription } from '@telemetry/event-log';
import { ENRICHED_EVENTS_PROJECTION, EnrichedEventsProjection, SqlStore } from '@telemetry/persistence';
import { AppConfig, inSpan, MetricsService, RUNTIME_CONFIG, SpanKind, SQL_STORE } from '@telemetry/runtime';

export const projectionGroupId = (prefix: string): string => `${prefix}-query-projections`;
/** The projection's group with the default KAFKA_GROUP_PREFIX. */
export const PROJECTION_GROUP = projectionGroupId('telemetry');
const RETENTION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Feeds telemetry.enriched.v1 into the SQL read model. One transaction per polled batch (rows and
 * offset together); the event-log offset is committed after the transaction.
 */
@Injectable()
export class EnrichedEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('projection');
  private readonly projection: EnrichedEventsProjection;
  private subscription?: Subscription;
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(RUNTIME_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.projection = new EnrichedEventsProjection(store);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.log.subscribe({
      groupId: projectionGroupId(this.config.runtime.groupPrefix),
      topics: [TOPICS.enriched],
      fromBeginning: true,
      maxBatchRecords: 2_000,
      handler: (batch) => this.handle(batch),
    });
    this.retentionTimer = setInterval(() => void this.enforceRetention(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  async handle(batch: RecordBatch): Promise<void> {
    const result = await inSpan(
      'project enriched batch',
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': batch.topic, 'messaging.batch.message_count': batch.records.length } },
      () => this.projection.apply(batch.topic, batch.partition, batch.records),
    );
    this.metrics.projectedRecords.inc({ projection: ENRICHED_EVENTS_PROJECTION, outcome: 'applied' }, result.applied);
    this.metrics.projectedRecords.inc({ projection: ENRICHED_EVENTS_PROJECTION, outcome: 'skipped' }, result.skipped);
  }

  private async enforceRetention(): Promise<void> {
    try {
      const deleted = await this.projection.enforceRetention(this.config.runtime.retentionDays);
      if (deleted > 0) this.logger.log(`retention: deleted ${deleted} enriched events older than ${this.config.runtime.retentionDays} days`);
    } catch (error) {
      this.logger.error(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.subscription?.close();
  }
}
