import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { defaultTopicSpecs, SINK_NAMES, sinkDeadLetterTopic, TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch, Subscription, TopicSpec } from '@telemetry/event-log';
import { DEAD_LETTER_TOPICS, DEAD_LETTERS_PROJECTION, DeadLettersProjection, SqlStore } from '@telemetry/persistence';
import { AppConfig, inSpan, MetricsService, RUNTIME_CONFIG, SpanKind, SQL_STORE } from '@telemetry/runtime';

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
  private readonly logger = new Logger('dead-letters');
  private readonly projection: DeadLettersProjection;
  private subscription?: Subscription;
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(RUNTIME_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.projection = new DeadLettersProjection(store);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The query role may start before any sink has created its DLQ topic.
    await this.log.ensureTopics(deadLetterTopicSpecs());
    this.subscription = await this.log.subscribe({
      groupId: deadLettersGroupId(this.config.runtime.groupPrefix),
      topics: [...DEAD_LETTER_TOPICS.keys()],
      fromBeginning: true,
      maxBatchRecords: 1_000,
      handler: (batch) => this.handle(batch),
    });
    this.retentionTimer = setInterval(() => void this.enforceRetention(), RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }

  async handle(batch: RecordBatch): Promise<void> {
    const result = await inSpan(
      'project dead letters',
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': batch.topic, 'messaging.batch.message_count': batch.records.length } },
      () => this.projection.apply(batch.topic, batch.partition, batch.records),
    );
    this.metrics.projectedRecords.inc({ projection: DEAD_LETTERS_PROJECTION, outcome: 'applied' }, result.applied);
    this.metrics.projectedRecords.inc({ projection: DEAD_LETTERS_PROJECTION, outcome: 'skipped' }, result.skipped);
  }

  private async enforceRetention(): Promise<void> {
    try {
      const deleted = await this.projection.enforceRetention(RETENTION_MS);
      if (deleted > 0) this.logger.log(`retention: deleted ${deleted} dead-letter entries older than 30 days`);
    } catch (error) {
      this.logger.error(`retention failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.subscription?.close();
  }
}
