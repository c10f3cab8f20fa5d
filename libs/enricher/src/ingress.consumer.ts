import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { INGRESS_TOPICS, TOPICS } from '@telemetry/contracts';
import { EnrichDependencies } from '@telemetry/enrichment';
import { EVENT_LOG, EventLog, RecordBatch, Subscription } from '@telemetry/event-log';
import { CLOCK, MetricsService } from '@telemetry/runtime';
import { ENRICH_DEPENDENCIES } from './enrichment.providers';
import { processIngressBatch } from './ingress-batch.processor';

export const ENRICHER_GROUP = 'telemetry-enricher';

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
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.log.subscribe({
      groupId: ENRICHER_GROUP,
      topics: INGRESS_TOPICS,
      fromBeginning: true,
      maxBatchRecords: 5_000,
      handler: (batch) => this.handle(batch),
    });
    this.logger.log(`consuming ${INGRESS_TOPICS.join(', ')} as ${ENRICHER_GROUP}`);
  }

  async handle(batch: RecordBatch): Promise<void> {
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
