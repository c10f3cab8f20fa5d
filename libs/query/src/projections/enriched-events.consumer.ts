import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { deadLetterRecordOf, enrichedFlowRecords, TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch } from '@telemetry/event-log';
import { EnrichedEventsProjection, ENRICHED_EVENTS_PROJECTION, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { PlatformConfig, ConsumerOptions, EventLogConsumer, PLATFORM_CONFIG } from '@telemetry/platform';
import { ControlPlaneService } from '@telemetry/control';
import { ProjectionMetrics } from './projection.metrics';
import { ProjectionWorker } from './projection.worker';

export const PROJECTION_CONSUMER: ConsumerOptions = { group: 'query-projections', maxBatchRecords: 2_000, spanName: `project ${ENRICHED_EVENTS_PROJECTION}` };
export const projectionGroupId = (prefix: string): string => `${prefix}-${PROJECTION_CONSUMER.group}`;
/** The projection's group with the default KAFKA_GROUP_PREFIX. */
export const PROJECTION_GROUP = projectionGroupId('telemetry');
const RETENTION_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Feeds telemetry.enriched.v1 into the SQL read model. One transaction per polled batch (rows and
 * offset together); the event-log offset is committed after the transaction.
 */
@EventLogConsumer()
export class EnrichedEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly worker: ProjectionWorker;

  constructor(
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(PLATFORM_CONFIG) config: PlatformConfig,
    @Inject(EVENT_LOG) log: EventLog,
    metrics: ProjectionMetrics,
    // Only the folded state: each tenant's retention_days.
    @Inject(ControlPlaneService) control: Pick<ControlPlaneService, 'state'>,
  ) {
    const projection = new EnrichedEventsProjection(store);
    const retentionDays = config.runtime.retentionDays;
    this.worker = new ProjectionWorker(metrics, new Logger('projection'), {
      name: ENRICHED_EVENTS_PROJECTION,
      apply: (topic, partition, records, onRejected) => projection.apply(topic, partition, records, onRejected),
      // To the ingest DLQ, where GET /v1/dlq/ingest lists them with the reason.
      onRejected: async (rejected) => {
        const failedAt = new Date().toISOString();
        const stage = `projection-${ENRICHED_EVENTS_PROJECTION}`;
        await log.publish(
          TOPICS.ingestDeadLetter,
          rejected.map(({ record, code, reason }) => deadLetterRecordOf(record, { code, reason, stage, failedAt })),
        );
      },
      // Each tenant's retention_days from the control plane, RETENTION_DAYS for the rest.
      enforceRetention: () =>
        projection.enforceRetention({
          defaultDays: retentionDays,
          tenants: new Map(control.state.listTenants({ includeDeleted: true }).map((tenant) => [tenant.tenantId, tenant.retentionDays])),
        }),
      retentionIntervalMs: RETENTION_INTERVAL_MS,
      retentionLabel: `enriched events past their tenant's retention (default ${retentionDays} days)`,
    });
  }

  onApplicationBootstrap(): void {
    this.worker.startRetention();
  }

  @EventPattern(TOPICS.enriched, PROJECTION_CONSUMER)
  handle(batch: RecordBatch): Promise<void> {
    // Frames become one record per flow, with the same offset: the projection reads one flow each.
    return this.worker.handle({ ...batch, records: enrichedFlowRecords(batch.records) });
  }

  onModuleDestroy(): void {
    this.worker.stopRetention();
  }
}
