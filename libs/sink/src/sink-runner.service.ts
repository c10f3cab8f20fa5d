import { Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { EventLog } from '@telemetry/event-log';
import type { AppConfig, MetricsService } from '@telemetry/runtime';
import type { Exporter } from './exporter.port';
import { SinkRunner } from './sink.runner';

/**
 * One sink inside a Nest app: starts its runner after boot, turns what it reports into metrics
 * and logs, and stops it (finishing the batch in flight) on shutdown.
 */
export class SinkRunnerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly runner: SinkRunner;
  private pausedReason: string | null = null;
  private lagTimer?: NodeJS.Timeout;

  constructor(
    readonly sink: string,
    log: EventLog,
    private readonly exporter: Exporter & { pendingAcks?(): number },
    config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.logger = new Logger(`sink-${sink}`);
    this.runner = new SinkRunner(
      log,
      exporter,
      {
        sink,
        groupPrefix: config.runtime.groupPrefix,
        retryDelaysMs: config.sinks.retryDelaysMs,
        batch: { maxRecords: config.sinks.batchMaxRecords, maxBytes: config.sinks.batchMaxBytes, maxWaitMs: config.sinks.batchMaxWaitMs },
        partitions: config.runtime.eventLog.partitions,
      },
      {
        delivered: (count, batchSize, seconds) => {
          metrics.sinkItems.inc({ sink, outcome: 'delivered' }, count);
          metrics.sinkBatchRecords.observe({ sink }, batchSize);
          metrics.sinkDeliverySeconds.observe({ sink }, seconds);
          if (exporter.pendingAcks) metrics.sinkPendingAcks.set({ sink }, exporter.pendingAcks());
        },
        retried: (errorClass, count) => {
          metrics.sinkItems.inc({ sink, outcome: 'retried' }, count);
          metrics.sinkFailures.inc({ sink, error_class: errorClass, route: 'retry' }, count);
        },
        deadLettered: (errorClass, count) => {
          metrics.sinkItems.inc({ sink, outcome: 'dead_lettered' }, count);
          metrics.sinkFailures.inc({ sink, error_class: errorClass, route: 'dead_letter' }, count);
          this.logger.warn(`${count} item(s) sent to the ${sink} dead-letter topic: ${errorClass}`);
        },
        paused: (reason) => {
          metrics.sinkPaused.set({ sink }, reason ? 1 : 0);
          if (reason && reason !== this.pausedReason) this.logger.error(`paused, nothing is dropped, retrying: ${reason}`);
          if (!reason && this.pausedReason) this.logger.log('resumed: the destination accepts the configuration again');
          this.pausedReason = reason;
        },
      },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.logger.log(`delivering ${this.exporter.name}`);
    this.lagTimer = setInterval(() => {
      this.runner
        .lag()
        .then((lag) => this.metrics.sinkConsumerLag.set({ sink: this.sink }, lag))
        .catch(() => undefined);
    }, 15_000);
    this.lagTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.runner.stop();
    await this.exporter.shutdown();
  }
}
