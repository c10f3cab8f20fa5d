import { Inject, Logger } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { INGRESS_TOPICS, TOPICS } from '@telemetry/contracts';
import { EnrichDependencies } from '@telemetry/enrichment';
import { EVENT_LOG, EventLog, RecordBatch } from '@telemetry/event-log';
import { CLOCK, ConsumerOptions, EventLogConsumer } from '@telemetry/platform';
import { EnricherMetrics } from './enricher.metrics';
import { ENRICHER_CONFIG, EnricherConfig } from './enricher.config';
import { ENRICH_DEPENDENCIES } from './enrichment.providers';
import { processIngressBatch } from './ingress-batch.processor';

/** The enricher's consumer group, without the deployment's KAFKA_GROUP_PREFIX. */
export const ENRICHER_CONSUMER: ConsumerOptions = { group: 'enricher', maxBatchRecords: 5_000, spanName: 'enrich batch' };
export const enricherGroupId = (prefix: string): string => `${prefix}-${ENRICHER_CONSUMER.group}`;
/** The enricher's group with the default KAFKA_GROUP_PREFIX. */
export const ENRICHER_GROUP = enricherGroupId('telemetry');

/**
 * The enricher's adapter, a checklist: decode → validate → core → produce → commit after the ack →
 * metrics. Enriched records and dead letters of a batch are each produced in one send; the batch is
 * acknowledged (and its offset committed) only after both sends are. The span, batch metrics and
 * error classification are the transport's (ConsumerInterceptor, ConsumerExceptionFilter).
 */
@EventLogConsumer()
export class IngressConsumer {
  private readonly logger = new Logger('enricher');

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(ENRICH_DEPENDENCIES) private readonly deps: EnrichDependencies,
    @Inject(CLOCK) private readonly clock: () => Date,
    private readonly metrics: EnricherMetrics,
    @Inject(ENRICHER_CONFIG) private readonly config: EnricherConfig,
  ) {}

  @EventPattern(INGRESS_TOPICS, ENRICHER_CONSUMER)
  async handle(batch: RecordBatch): Promise<void> {
    const stopTimer = this.metrics.batchSeconds.startTimer();
    const { enriched, deadLetters, flows } = processIngressBatch(batch, this.deps, this.clock(), {
      maxClockSkewSec: this.config.maxClockSkewSec,
      flowsPerMessage: this.config.flowsPerMessage,
    });
    await Promise.all([this.log.publish(TOPICS.enriched, enriched), this.log.publish(TOPICS.ingestDeadLetter, deadLetters)]);
    this.metrics.records.inc({ outcome: 'enriched' }, flows.length);
    if (deadLetters.length > 0) {
      this.metrics.records.inc({ outcome: 'dead_lettered' }, deadLetters.length);
      this.logger.warn(`${deadLetters.length} record(s) of ${batch.topic}[${batch.partition}] sent to ${TOPICS.ingestDeadLetter}`);
    }
    for (const flow of flows) {
      for (const match of flow.ti.matches) this.metrics.threatMatches.inc({ category: match.category });
    }
    stopTimer();
  }
}
