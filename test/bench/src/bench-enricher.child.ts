import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import type { INestMicroservice } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { ENRICHER_GROUP, EnricherMetrics, loadGeoLookup, loadThreatIntel, readEnricherConfig } from '@telemetry/enricher';
import { ORIGINAL_LIVE_POLICY } from '@telemetry/enrichment';
import { ConfigReader } from '@telemetry/platform';
import { EnricherProgress, startBenchEnricher } from './bench-enricher.app';
import { openRenamedKafkaLogDirect } from './bench-kafka';

/**
 * One member of the enricher's consumer group in a process of its own, for the enrich-scale stage
 * (issue #9: "a role scales by consumer-group members (processes)"). It runs the product's
 * IngressConsumer through the event-log transport on Kafka, as the enricher app does, on the topics
 * the ingest stage filled. Started by `bench-enrich-scale.ts` with its options as JSON in argv[2]:
 * it loads the enrichment data and connects, says `ready`, subscribes on `start`, and on `report`
 * answers what it handled and the CPU time it spent since `start` (its own, all threads).
 */

export interface EnricherChildOptions {
  /** Contract topic name → the run's topic (the ingest stage's renames). */
  readonly topics: Readonly<Record<string, string>>;
  /** The group every member of this run joins. */
  readonly group: string;
  readonly partitions: number;
  /** The enricher's own settings (THREATLIST_CSV, GEOIP_DB_CITY, GEOIP_DB_ASN, ...), read by its config reader. */
  readonly enricherEnv: Readonly<Record<string, string>>;
}

export type EnricherChildCommand = { readonly type: 'start' } | { readonly type: 'report' } | { readonly type: 'close' };

export interface EnricherChildReport {
  readonly pid: number;
  /** Records handled (a frame counts its lines), polled batches, and records per `topic[partition]`. */
  readonly handled: number;
  readonly batches: number;
  readonly byPartition: Readonly<Record<string, number>>;
  /** The product's own counters (telemetry_enricher_records_total by outcome). */
  readonly enriched: number;
  readonly deadLettered: number;
  /** CPU time since `start`, user and system, ms (process.cpuUsage: every thread of the process). */
  readonly userMs: number;
  readonly systemMs: number;
  /** Event-loop utilization of its main thread since `start`. */
  readonly eventLoopUtilization: number;
  /** Wall-clock times (ms since the epoch), comparable across processes. */
  readonly subscribedAtEpochMs?: number;
  /** One `[start, end, records]` per handled batch, in wall-clock ms. */
  readonly batchTimeline: ReadonlyArray<readonly [number, number, number]>;
  readonly rssMb: number;
}

export type EnricherChildMessage =
  | { readonly type: 'ready'; readonly loadMs: number }
  | { readonly type: 'started' }
  | ({ readonly type: 'report' } & EnricherChildReport)
  | { readonly type: 'failed'; readonly error: string };

/** performance.now() of this process as wall-clock ms, which the bench compares across processes. */
const epochMs = (at: number): number => performance.timeOrigin + at;

async function counter(metrics: EnricherMetrics, outcome: string): Promise<number> {
  const { values } = await metrics.records.get();
  return values.filter((value) => value.labels.outcome === outcome).reduce((sum, value) => sum + value.value, 0);
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as EnricherChildOptions;
  Logger.overrideLogger(['error', 'warn']);
  const reply = (message: EnricherChildMessage) => process.send?.(message);
  const loadStart = performance.now();
  // The enricher's config reader and loaders, as its app module's providers call them.
  const config = readEnricherConfig(new ConfigReader({ ...options.enricherEnv }));
  const [geo, threatIntel] = await Promise.all([
    loadGeoLookup({ cityPath: options.enricherEnv.GEOIP_DB_CITY, asnPath: options.enricherEnv.GEOIP_DB_ASN }),
    loadThreatIntel(config),
  ]);
  const deps = { geo, threatIntel, policy: ORIGINAL_LIVE_POLICY };
  const log = await openRenamedKafkaLogDirect({ topics: options.topics, groups: { [ENRICHER_GROUP]: options.group } }, options.partitions);

  const progress: EnricherProgress = { handled: 0, batches: 0, byPartition: {}, timeline: [] };
  let app: INestMicroservice | undefined;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let subscribedAt: number | undefined;

  const close = async () => {
    await app?.close().catch(() => undefined);
    await log.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (command: EnricherChildCommand) => {
    if (command.type === 'start') {
      cpuStart = process.cpuUsage();
      eluStart = performance.eventLoopUtilization();
      void startBenchEnricher(log, deps, progress, config).then(
        (started) => {
          app = started;
          subscribedAt = performance.now();
          reply({ type: 'started' });
        },
        (error: unknown) => reply({ type: 'failed', error: error instanceof Error ? error.message : String(error) }),
      );
    }
    if (command.type === 'report') {
      const cpu = process.cpuUsage(cpuStart);
      const elu = performance.eventLoopUtilization(eluStart);
      const metrics = app?.get(EnricherMetrics);
      void Promise.all([metrics ? counter(metrics, 'enriched') : 0, metrics ? counter(metrics, 'dead_lettered') : 0]).then(([enriched, deadLettered]) =>
        reply({
          type: 'report',
          pid: process.pid,
          handled: progress.handled,
          batches: progress.batches,
          byPartition: progress.byPartition ?? {},
          enriched,
          deadLettered,
          userMs: cpu.user / 1000,
          systemMs: cpu.system / 1000,
          eventLoopUtilization: elu.utilization,
          subscribedAtEpochMs: subscribedAt === undefined ? undefined : epochMs(subscribedAt),
          batchTimeline: (progress.timeline ?? []).map(([start, end, records]) => [epochMs(start), epochMs(end), records] as const),
          rssMb: process.memoryUsage.rss() / 1024 / 1024,
        }),
      );
    }
    if (command.type === 'close') void close();
  });
  // The bench went away (finished, or killed): so does this member, leaving the group.
  process.on('disconnect', () => void close());
  reply({ type: 'ready', loadMs: performance.now() - loadStart });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench enricher process failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
