import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { defaultTopicSpecs } from '@telemetry/contracts';
import { EmbeddedEventLog, EVENT_LOG, EventLog, KafkaEventLog } from '@telemetry/event-log';
import { ConsumerMetrics } from './consumers/consumer.metrics';
import { EVENT_LOG_TRANSPORT, EventLogTransport } from './consumers/event-log.transport';
import { EventLogMetrics } from './metrics/event-log.metrics';
import { createMetricsRegistry, METRICS_REGISTRY } from './metrics/metrics.registry';
import { PlatformConfig } from './config/platform.config';
import { describeKafkaClientConfig } from './config/kafka.config';
import { undecodableBatchDeadLetter } from './undecodable-batch.dead-letter';
import { HttpErrorFilter } from './http/http-error.filter';
import { CLOCK, PLATFORM_CONFIG } from './platform.tokens';
import { SystemHttpController } from './http/system.http.controller';

export async function openEventLog(config: PlatformConfig): Promise<EventLog> {
  const settings = config.runtime.eventLog;
  const log: EventLog =
    settings.kind === 'kafka'
      ? await connectKafka(settings)
      : await EmbeddedEventLog.open({ dataDir: settings.dataDir, defaultPartitions: settings.partitions });
  await log.ensureTopics(defaultTopicSpecs(settings.partitions, config.runtime.retentionDays));
  return log;
}

async function connectKafka(settings: Extract<PlatformConfig['runtime']['eventLog'], { kind: 'kafka' }>): Promise<EventLog> {
  const logger = new Logger('kafka');
  const client = settings.client;
  // Mechanisms and switches only: describeKafkaClientConfig never prints a secret.
  logger.log(`connecting to ${settings.brokers.join(',')}: ${describeKafkaClientConfig(client)}`);
  return KafkaEventLog.connect({
    brokers: settings.brokers,
    clientId: settings.clientId,
    logger,
    compression: client.compression,
    topicPrefix: client.topicPrefix,
    createTopics: client.createTopics,
    // A batch that never decodes goes to the ingest DLQ (compressed records and coordinates), then is skipped.
    undecodableBatches: { skipAfterAttempts: client.undecodableBatchAttempts, deadLetter: (batch) => undecodableBatchDeadLetter(batch, new Date()) },
    ...(client.tls ? { tls: client.tls } : {}),
    ...(client.sasl ? { sasl: client.sasl } : {}),
  });
}

/** Closes the event log after every feature module has stopped its consumers. */
@Injectable()
class EventLogLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('runtime');

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.logger.log(`${this.config.appName} shutting down: closing the event log`);
    await this.log.close();
  }
}

/**
 * What every process has, whatever its role: its config, the clock, the event log (Kafka or
 * embedded) and the event-log transport its consumers run on, the metrics registry, the error filter
 * and the system endpoints. Roles add their own modules (auth, persistence, features) in their app
 * module; nothing here switches on roles.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: PlatformConfig): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      providers: [
        { provide: PLATFORM_CONFIG, useValue: config },
        { provide: CLOCK, useValue: () => new Date() },
        { provide: EVENT_LOG, useFactory: () => openEventLog(config) },
        { provide: METRICS_REGISTRY, useFactory: createMetricsRegistry },
        ConsumerMetrics,
        EventLogMetrics,
        // Every consumer of the process is an @EventPattern handler of this transport (connected in createHttpApp).
        {
          provide: EVENT_LOG_TRANSPORT,
          inject: [EVENT_LOG],
          useFactory: (log: EventLog) => new EventLogTransport(log, { groupPrefix: config.runtime.groupPrefix }),
        },
        EventLogLifecycle,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
      exports: [PLATFORM_CONFIG, CLOCK, EVENT_LOG, METRICS_REGISTRY, ConsumerMetrics, EVENT_LOG_TRANSPORT],
      controllers: [SystemHttpController],
    };
  }
}
