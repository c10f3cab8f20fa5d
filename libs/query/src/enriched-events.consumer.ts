import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch } from '@telemetry/event-log';
import { ENRICHED_EVENTS_PROJECTION, EnrichedEventsProjection, SqlStore } from '@telemetry/persistence';
import { AppConfig, MetricsService, RUNTIME_CONFIG, SQL_STORE } from '@telemetry/runtime';
import { ProjectionSubscription } from './projection.subscription';

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
  private readonly subscription: ProjectionSubscription;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(RUNTIME_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    const projection = new EnrichedEventsProjection(store);
    const retentionDays = config.runtime.retentionDays;
    this.subscription = new ProjectionSubscription(log, metrics, new Logger('projection'), {
      name: ENRICHED_EVENTS_PROJECTION,
      groupId: projectionGroupId(config.runtime.groupPrefix),
      topics: [TOPICS.enriched],
      maxBatchRecords: 2_000,
      apply: (topic, partition, records) => projection.apply(topic, partition, records),
      enforceRetention: () => projection.enforceRetention(retentionDays),
      retentionIntervalMs: RETENTION_INTERVAL_MS,
      retentionLabel: `enriched events older than ${retentionDays} days`,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.subscription.start();
  }

  handle(batch: RecordBatch): Promise<void> {
    return this.subscription.handle(batch);
  }

  onModuleDestroy(): Promise<void> {
    return this.subscription.stop();
  }
}
