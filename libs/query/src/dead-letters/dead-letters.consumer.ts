import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { defaultTopicSpecs, SINK_NAMES, sinkDeadLetterTopic, TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch, TopicSpec } from '@telemetry/event-log';
import { DEAD_LETTER_TOPICS, DEAD_LETTERS_PROJECTION, DeadLettersProjection, SqlStore } from '@telemetry/persistence';
import { AppConfig, MetricsService, RUNTIME_CONFIG, SQL_STORE } from '@telemetry/runtime';
import { ProjectionSubscription } from '../projection.subscription';

export const deadLettersGroupId = (prefix: string): string => `${prefix}-query-dead-letters`;

const DAY_MS = 24 * 60 * 60 * 1000;
/** The DLQ topics keep records 30 days; their entries are kept as long. */
const RETENTION_MS = 30 * DAY_MS;
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The DLQ topics, as their writers create them: the sinks' with 1 partition and 30 days (as
 * `SinkRunner.topicSpecs`), the ingest DLQ from the contracts' defaults.
 */
export function deadLetterTopicSpecs(): TopicSpec[] {
  const ingest = defaultTopicSpecs().find((spec) => spec.name === TOPICS.ingestDeadLetter);
  return [...SINK_NAMES.map((sink) => ({ name: sinkDeadLetterTopic(sink), partitions: 1, retentionMs: 30 * DAY_MS })), ...(ingest ? [ingest] : [])];
}

/**
 * Feeds the sink DLQ topics and the ingest DLQ into the `sink_dead_letters` read model. One
 * transaction per polled batch (rows and offset together); the event-log offset is committed after.
 */
@Injectable()
export class DeadLettersConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly subscription: ProjectionSubscription;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(RUNTIME_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    const projection = new DeadLettersProjection(store);
    this.subscription = new ProjectionSubscription(log, metrics, new Logger('dead-letters'), {
      name: DEAD_LETTERS_PROJECTION,
      groupId: deadLettersGroupId(config.runtime.groupPrefix),
      topics: [...DEAD_LETTER_TOPICS.keys()],
      maxBatchRecords: 1_000,
      apply: (topic, partition, records) => projection.apply(topic, partition, records),
      enforceRetention: () => projection.enforceRetention(RETENTION_MS),
      retentionIntervalMs: RETENTION_INTERVAL_MS,
      retentionLabel: 'dead-letter entries older than 30 days',
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // The query role may start before any sink has created its DLQ topic.
    await this.log.ensureTopics(deadLetterTopicSpecs());
    await this.subscription.start();
  }

  handle(batch: RecordBatch): Promise<void> {
    return this.subscription.handle(batch);
  }

  onModuleDestroy(): Promise<void> {
    return this.subscription.stop();
  }
}
