import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HEADERS, INGRESS_TOPICS, TOPICS } from '@telemetry/contracts';
import { EnrichDependencies } from '@telemetry/enrichment';
import { EVENT_LOG, EventLog, RecordBatch, Subscription } from '@telemetry/event-log';
import { AppConfig, CLOCK, inSpan, MetricsService, RUNTIME_CONFIG, SpanKind } from '@telemetry/runtime';
import { ENRICH_DEPENDENCIES } from './enrichment.providers';
import { processIngressBatch } from './ingress-batch.processor';

export const enricherGroupId = (prefix: string): string => `${prefix}-enricher`;
/** The enricher's group with the default KAFKA_GROUP_PREFIX. */
export const ENRICHER_GROUP = enricherGroupId('telemetry');


/**
 * The enricher's adapter, a checklist: decode → validate → core → produce → commit after the ack →
 * metrics. Enriched records and dead letters of a batch are each produced in one send; the batch is
 * acknowledged (and its offset committed) only after both sends are.
 */
@Injectable()
export class IngressConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('enricher');
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(ENRICH_DEPENDENCIES) private readonly deps: EnrichDependencies,
    @Inject(CLOCK) private readonly clock: () => Date,
    @Inject(RUNTIME_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const groupId = enricherGroupId(this.config.runtime.groupPrefix);
    this.subscription = await this.log.subscribe({
      groupId,
      topics: INGRESS_TOPICS,
      fromBeginning: true,
      maxBatchRecords: 5_000,
      handler: (batch) => this.handle(batch),
    });
    this.logger.log(`consuming ${INGRESS_TOPICS.join(', ')} as ${groupId}`);
  }

  handle(batch: RecordBatch): Promise<void> {
    return inSpan(
      'enrich batch',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.destination.name': batch.topic, 'messaging.kafka.partition': batch.partition, 'messaging.batch.message_count': batch.records.length },
        links: tracedRecords(batch),
      },
      () => this.process(batch),
    );
  }

  private async process(batch: RecordBatch): Promise<void> {
    const stopTimer = this.metrics.enricherBatchSeconds.startTimer();
    const { enriched, deadLetters, flows } = processIngressBatch(batch, this.deps, this.clock());
    await Promise.all([
      this.log.publish(TOPICS.enriched, enriched),
      this.log.publish(TOPICS.ingestDeadLetter, deadLetters),
    ]);
    this.metrics.enrichedRecords.inc({ outcome: 'enriched' }, enriched.length);
    if (deadLetters.length > 0) {
      this.metrics.enrichedRecords.inc({ outcome: 'dead_lettered' }, deadLetters.length);
      this.logger.warn(`${deadLetters.length} record(s) of ${batch.topic}[${batch.partition}] sent to ${TOPICS.ingestDeadLetter}`);
    }
    for (const flow of flows) {
      for (const match of flow.ti.matches) this.metrics.threatMatches.inc({ category: match.category });
    }
    stopTimer();
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }
}

/** Span links to the traces of the batch's records (capped: a batch span is not a per-record span). */
function tracedRecords(batch: RecordBatch): Array<{ traceparent: string }> {
  const links: Array<{ traceparent: string }> = [];
  for (const record of batch.records) {
    const traceparent = record.headers[HEADERS.traceparent];
    if (traceparent) links.push({ traceparent });
    if (links.length >= 32) break;
  }
  return links;
}
