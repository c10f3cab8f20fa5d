import { DynamicModule, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';
import { FRAME_HEADERS, INGRESS_TOPICS, isFrame } from '@telemetry/contracts';
import { ENRICH_DEPENDENCIES, ENRICHER_CONFIG, ENRICHER_CONSUMER, EnricherConfig, EnricherMetrics, IngressConsumer } from '@telemetry/enricher';
import { EnrichDependencies } from '@telemetry/enrichment';
import { EVENT_LOG, EventLog, RecordBatch } from '@telemetry/event-log';
import { CLOCK, ConsumerMetrics, createMetricsRegistry, EventLogTransport, METRICS_REGISTRY } from '@telemetry/platform';

/** Counts what the product's IngressConsumer handled, as the bench needs (same pattern, same group). */
export interface EnricherProgress {
  firstBatchAt?: number;
  handled: number;
  batches: number;
  /** When set: records handled per `topic[partition]`, to show how a group spread the partitions over its members. */
  byPartition?: Record<string, number>;
  /** When set: one `[start, end, records]` per handled batch (performance.now() ms), to find when members worked at once. */
  timeline?: Array<[number, number, number]>;
}

/**
 * The product's IngressConsumer as the enricher app runs it: an @EventPattern handler of the
 * event-log transport (interceptor, filter, commit after the handler), in a Nest microservice of
 * its own on the given log.
 */
export async function startBenchEnricher(
  log: EventLog,
  deps: EnrichDependencies,
  progress: EnricherProgress,
  config: EnricherConfig = {},
): Promise<INestMicroservice> {
  class CountingIngressConsumer extends IngressConsumer {
    @EventPattern(INGRESS_TOPICS, ENRICHER_CONSUMER)
    override async handle(batch: RecordBatch): Promise<void> {
      const start = performance.now();
      progress.firstBatchAt ??= start;
      await super.handle(batch);
      // Records, not messages: a frame counts its lines.
      let records = 0;
      for (const record of batch.records) records += isFrame(record.headers) ? Number(record.headers[FRAME_HEADERS.recordCount]) : 1;
      progress.handled += records;
      progress.batches += 1;
      if (progress.byPartition) {
        const key = `${batch.topic}[${batch.partition}]`;
        progress.byPartition[key] = (progress.byPartition[key] ?? 0) + records;
      }
      progress.timeline?.push([start, performance.now(), records]);
    }
  }
  @Module({})
  class BenchEnricherModule {
    static build(): DynamicModule {
      return {
        module: BenchEnricherModule,
        controllers: [CountingIngressConsumer],
        providers: [
          { provide: EVENT_LOG, useValue: log },
          { provide: ENRICH_DEPENDENCIES, useValue: deps },
          // The defaults (MAX_CLOCK_SKEW_S 300, ENRICHED_FLOWS_PER_MESSAGE 200) unless the stage asks otherwise.
          { provide: ENRICHER_CONFIG, useValue: config },
          { provide: CLOCK, useValue: () => new Date() },
          { provide: METRICS_REGISTRY, useFactory: createMetricsRegistry },
          EnricherMetrics,
          ConsumerMetrics,
        ],
      };
    }
  }
  const app = await NestFactory.createMicroservice(BenchEnricherModule.build(), {
    strategy: new EventLogTransport(log, { groupPrefix: 'telemetry' }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  return app;
}
