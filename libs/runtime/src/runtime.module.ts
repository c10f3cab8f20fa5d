import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { API_KEY_STORE, ApiKeyGuard, ApiKeyStore, RATE_LIMITER, RateLimitGuard, SlidingWindowRateLimiter } from '@telemetry/auth';
import { defaultTopicSpecs } from '@telemetry/contracts';
import { EmbeddedEventLog, EVENT_LOG, EventLog, KafkaEventLog } from '@telemetry/event-log';
import { SqlStore } from '@telemetry/persistence';
import { ConsumerMetrics, createMetricsRegistry, EVENT_LOG_TRANSPORT, EventLogTransport, METRICS_REGISTRY } from '@telemetry/platform';
import { AppConfig } from './app.config';
import { HttpErrorFilter } from './http-error.filter';
import { CLOCK, RUNTIME_CONFIG, SQL_STORE } from './runtime.tokens';
import { SystemHttpController } from './system.http.controller';

export async function openEventLog(config: AppConfig): Promise<EventLog> {
  const settings = config.runtime.eventLog;
  const log: EventLog =
    settings.kind === 'kafka'
      ? await KafkaEventLog.connect({ brokers: settings.brokers, clientId: settings.clientId, logger: new Logger('kafka') })
      : await EmbeddedEventLog.open({ dataDir: settings.dataDir, defaultPartitions: settings.partitions });
  await log.ensureTopics(defaultTopicSpecs(settings.partitions, config.runtime.retentionDays));
  return log;
}

/** Closes the shared resources after every feature module has stopped its consumers. */
@Injectable()
class RuntimeLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('runtime');

  constructor(@Inject(EVENT_LOG) private readonly log: EventLog, @Inject(RUNTIME_CONFIG) private readonly config: AppConfig) {}

  async onApplicationShutdown(): Promise<void> {
    this.logger.log(`${this.config.appName} shutting down: closing the event log`);
    await this.log.close();
  }
}

@Injectable()
class SqlStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SQL_STORE) private readonly store: SqlStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * What every process shares: its config, the event log (Kafka or embedded), the SQL store when a
 * role needs it, API-key auth, the error filter, metrics, and the system endpoints.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers: Provider[] = [
      { provide: RUNTIME_CONFIG, useValue: config },
      { provide: CLOCK, useValue: () => new Date() },
      { provide: EVENT_LOG, useFactory: () => openEventLog(config) },
      { provide: API_KEY_STORE, useFactory: () => ApiKeyStore.seeded(config.apiKeys, config.defaultTenant) },
      { provide: METRICS_REGISTRY, useFactory: createMetricsRegistry },
      ConsumerMetrics,
      // Every consumer of the process is an @EventPattern handler of this transport (connected in createHttpApp).
      { provide: EVENT_LOG_TRANSPORT, inject: [EVENT_LOG], useFactory: (log: EventLog) => new EventLogTransport(log, { groupPrefix: config.runtime.groupPrefix }) },
      RuntimeLifecycle,
      {
        provide: RATE_LIMITER,
        useValue: config.ingest.rateLimitPerMin > 0 ? new SlidingWindowRateLimiter(config.ingest.rateLimitPerMin) : null,
      },
      // Guards run in this order: authenticate, then count the request against its key.
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      { provide: APP_GUARD, useClass: RateLimitGuard },
      { provide: APP_FILTER, useClass: HttpErrorFilter },
    ];
    const exports: Array<string | symbol | typeof ConsumerMetrics> = [RUNTIME_CONFIG, CLOCK, EVENT_LOG, API_KEY_STORE, METRICS_REGISTRY, ConsumerMetrics, EVENT_LOG_TRANSPORT];
    if (config.roles.includes('query')) {
      providers.push({ provide: SQL_STORE, useFactory: () => SqlStore.open(config.runtime.database) }, SqlStoreLifecycle);
      exports.push(SQL_STORE);
    }
    return { module: RuntimeModule, global: true, providers, exports, controllers: [SystemHttpController] };
  }
}
