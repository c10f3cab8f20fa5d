import { Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { BatchResult, EventLog, RecordBatch } from '@telemetry/event-log';
import { PlatformConfig } from '@telemetry/platform';
import type { SinkMetrics } from './sink.metrics';
import type { Exporter } from './exporter.port';
import type { SinksConfig } from './sink.config';
import { SinkConsumerGroup, SinkRunner, SinkRunnerOptions } from './sink.runner';

/**
 * One sink inside a Nest app: creates its topics at boot, hands the batches its event-log handlers
 * get (createSinkConsumer) to its runner, turns what the runner reports into metrics and logs, and
 * shuts the exporter down once the consumers have stopped (after the batch in flight).
 */
export class SinkRunnerService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly runner: SinkRunner;
  private pausedReason: string | null = null;
  private lagTimer?: NodeJS.Timeout;
  private cachedGroups?: SinkConsumerGroup[];

  constructor(
    readonly sink: string,
    log: EventLog,
    private readonly exporter: Exporter & { pendingAcks?(): number },
    options: SinkRunnerOptions,
    private readonly metrics: SinkMetrics,
  ) {
    this.logger = new Logger(`sink-${sink}`);
    this.runner = new SinkRunner(log, exporter, options, {
      delivered: (count, batchSize, seconds) => {
        metrics.items.inc({ sink, outcome: 'delivered' }, count);
        metrics.batchRecords.observe({ sink }, batchSize);
        metrics.deliverySeconds.observe({ sink }, seconds);
        if (exporter.pendingAcks) metrics.pendingAcks.set({ sink }, exporter.pendingAcks());
      },
      retried: (errorClass, count) => {
        metrics.items.inc({ sink, outcome: 'retried' }, count);
        metrics.failures.inc({ sink, error_class: errorClass, route: 'retry' }, count);
      },
      deadLettered: (errorClass, count) => {
        metrics.items.inc({ sink, outcome: 'dead_lettered' }, count);
        metrics.failures.inc({ sink, error_class: errorClass, route: 'dead_letter' }, count);
        this.logger.warn(`${count} item(s) sent to the ${sink} dead-letter topic: ${errorClass}`);
      },
      paused: (reason) => {
        metrics.paused.set({ sink }, reason ? 1 : 0);
        if (reason && reason !== this.pausedReason) this.logger.error(`paused, nothing is dropped, retrying: ${reason}`);
        if (!reason && this.pausedReason) this.logger.log('resumed: the destination accepts the configuration again');
        this.pausedReason = reason;
      },
    });
  }

  /** A batch for the runner's consumer group number `group` (the order of sinkConsumerPlan). */
  handle(group: number, batch: RecordBatch): Promise<void | BatchResult> {
    return this.groups[group].handle(batch);
  }

  private get groups(): SinkConsumerGroup[] {
    this.cachedGroups ??= this.runner.consumerGroups();
    return this.cachedGroups;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Topics first: the transport subscribes the consumers after the bootstrap hooks.
    await this.runner.prepare();
    this.logger.log(`delivering ${this.exporter.name}`);
    this.lagTimer = setInterval(() => {
      this.runner
        .lag()
        .then((lag) => this.metrics.consumerLag.set({ sink: this.sink }, lag))
        .catch(() => undefined);
    }, 15_000);
    this.lagTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.lagTimer) clearInterval(this.lagTimer);
  }

  /** After the transport has closed the consumers (the app's dispose), so no batch is mid-delivery. */
  async onApplicationShutdown(): Promise<void> {
    await this.exporter.shutdown();
  }
}

/** A sink's runner options from the sinks' config and the platform's (group prefix, partitions). */
export function sinkRunnerOptions(sink: string, sinks: SinksConfig, platform: PlatformConfig): SinkRunnerOptions {
  return {
    sink,
    groupPrefix: platform.runtime.groupPrefix,
    retryDelaysMs: sinks.retryDelaysMs,
    batch: { maxRecords: sinks.batchMaxRecords, maxBytes: sinks.batchMaxBytes, maxWaitMs: sinks.batchMaxWaitMs },
    partitions: platform.runtime.eventLog.partitions,
  };
}
