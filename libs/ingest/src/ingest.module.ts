import * as path from 'node:path';
import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { IdempotencyStore, SqlStore } from '@telemetry/persistence';
import { PlatformConfig, PLATFORM_CONFIG } from '@telemetry/platform';
import { DEFAULT_INGEST_LIMITS, IngestLimits } from './ingest-limits';
import { IngestHttpController } from './ingest.http.controller';
import { IngestService } from './ingest.service';
import { INGEST_CONFIG, IngestConfig } from './ingest.config';
import { IngestMetrics } from './ingest.metrics';
import { TenantQuotaGate } from './tenant-quota.gate';
import { IDEMPOTENCY_STORE, INGEST_LIMITS } from './ingest.tokens';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** The ingest role's SQL store (Idempotency-Keys): readiness pings it in the ingest-api. */
export const INGEST_SQL_STORE = Symbol('INGEST_SQL_STORE');

/**
 * Idempotency keys live in SQL: the shared Postgres database in the distributed mode (so they hold
 * across ingest-api replicas), a small embedded file of their own otherwise.
 */
async function openIngestStore(config: PlatformConfig): Promise<SqlStore> {
  const database = config.runtime.database;
  if (database.kind === 'postgres') return SqlStore.open(database);
  if (config.runtime.eventLog.kind === 'kafka') {
    new Logger('ingest').warn('DATABASE_URL is not set: Idempotency-Key records are kept per ingest-api process, not across replicas');
  }
  return SqlStore.open({ kind: 'embedded', file: path.join(config.runtime.dataDir, 'ingest.sqlite') });
}

@Injectable()
class IdempotencyMaintenance implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('idempotency');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly keys: IdempotencyStore,
    @Inject(INGEST_SQL_STORE) private readonly store: SqlStore,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.keys.purgeExpired().catch((error: unknown) => this.logger.warn(`purge failed: ${error instanceof Error ? error.message : String(error)}`));
    }, PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.store.close();
  }
}

/** The ingest role: REST endpoints that validate and publish to the ingress topics. */
@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return {
      module: IngestModule,
      controllers: [IngestHttpController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        IngestService,
        IngestMetrics,
        // Per-process state: N ingest replicas admit up to N × a tenant's records/s.
        { provide: TenantQuotaGate, useValue: new TenantQuotaGate() },
        {
          provide: INGEST_LIMITS,
          inject: [PLATFORM_CONFIG],
          useFactory: (config: PlatformConfig): IngestLimits => ({ ...DEFAULT_INGEST_LIMITS, bodyIdleTimeoutMs: config.http.bodyIdleTimeoutMs }),
        },
        { provide: INGEST_SQL_STORE, inject: [PLATFORM_CONFIG], useFactory: openIngestStore },
        {
          provide: IDEMPOTENCY_STORE,
          inject: [INGEST_SQL_STORE],
          useFactory: (store: SqlStore) => new IdempotencyStore(store, config.idempotencyTtlSeconds * 1000),
        },
        IdempotencyMaintenance,
      ],
      exports: [IngestService, INGEST_SQL_STORE],
    };
  }
}
