import { Inject, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { INGEST_DEAD_LETTER_TOPIC_SPEC, SINK_NAMES, sinkDeadLetterTopicSpec } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch, TopicSpec } from '@telemetry/event-log';
import { DeadLettersProjection, DEAD_LETTERS_PROJECTION, DEAD_LETTER_TOPICS, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { ConsumerOptions, EventLogConsumer } from '@telemetry/platform';
import { ProjectionMetrics } from '../projections/projection.metrics';
import { ProjectionWorker } from '../projections/projection.worker';

export const DEAD_LETTERS_CONSUMER: ConsumerOptions = { group: 'query-dead-letters', maxBatchRecords: 1_000, spanName: `project ${DEAD_LETTERS_PROJECTION}` };
export const deadLettersGroupId = (prefix: string): string => `${prefix}-${DEAD_LETTERS_CONSUMER.group}`;

const DAY_MS = 24 * 60 * 60 * 1000;
/** The DLQ topics keep records 30 days; their entries are kept as long. */
const RETENTION_MS = 30 * DAY_MS;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/** The DLQ topics, as their writers create them (the sinks' and the enricher's). */
export function deadLetterTopicSpecs(): TopicSpec[] {
  return [...SINK_NAMES.map((sink) => sinkDeadLetterTopicSpec(sink)), INGEST_DEAD_LETTER_TOPIC_SPEC];
}

/**
 * Feeds the sink DLQ topics and the ingest DLQ into the `sink_dead_letters` read model. One
 * transaction per polled batch (rows and offset together); the event-log offset is committed after.
 */
@EventLogConsumer()
export class DeadLettersConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly worker: ProjectionWorker;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(SQL_STORE) store: SqlStore,
    metrics: ProjectionMetrics,
  ) {
    const projection = new DeadLettersProjection(store);
    this.worker = new ProjectionWorker(metrics, new Logger('dead-letters'), {
      name: DEAD_LETTERS_PROJECTION,
      apply: (topic, partition, records) => projection.apply(topic, partition, records),
      enforceRetention: () => projection.enforceRetention(RETENTION_MS),
      retentionIntervalMs: RETENTION_INTERVAL_MS,
      retentionLabel: 'dead-letter entries older than 30 days',
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // The query role may start before any sink has created its DLQ topic; the transport subscribes after this.
    await this.log.ensureTopics(deadLetterTopicSpecs());
    this.worker.startRetention();
  }

  @EventPattern([...DEAD_LETTER_TOPICS.keys()], DEAD_LETTERS_CONSUMER)
  handle(batch: RecordBatch): Promise<void> {
    return this.worker.handle(batch);
  }

  onModuleDestroy(): void {
    this.worker.stopRetention();
  }
}
