import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import type { DatabaseConfig } from '@telemetry/config';
import { EnrichedEventEntity } from './enriched-event.entity';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { InitialSchema1732300000000 } from './migrations/1732300000000-initial-schema';
import { IdempotencyKeys1732400000000 } from './migrations/1732400000000-idempotency-keys';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { DeadLetterEntity } from './dead-letter.entity';
import { SinkDeadLetters1732500000000 } from './migrations/1732500000000-sink-dead-letters';

/** Arbitrary, fixed: the key of the advisory lock the Postgres migrations run under. */
const MIGRATION_LOCK_ID = 7_261_001;

export const ENTITIES = [EnrichedEventEntity, ProjectionOffsetEntity, IdempotencyKeyEntity, DeadLetterEntity];
export const MIGRATIONS = [InitialSchema1732300000000, IdempotencyKeys1732400000000, SinkDeadLetters1732500000000];

/**
 * The SQL store of the read models: Postgres in the distributed mode, SQLite (sql.js, no native
 * build) in the embedded mode. Migrations run at open; `synchronize` is never used.
 *
 * sql.js keeps the database in memory: after each transaction the embedded store writes a new
 * snapshot (temp file, fsync, rename), so the file on disk always holds rows together with the
 * projection offsets that produced them.
 */
export class SqlStore {
  private persistChain: Promise<void> = Promise.resolve();
  /** sql.js has one connection: its transactions run one after another, never nested. */
  private transactionQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataSource: DataSource,
    readonly dialect: 'postgres' | 'sqlite',
    private readonly snapshotFile?: string,
  ) {}

  static async open(config: DatabaseConfig): Promise<SqlStore> {
    if (config.kind === 'postgres') {
      const dataSource = new DataSource({
        type: 'postgres',
        url: config.url,
        entities: ENTITIES,
        migrations: MIGRATIONS,
        migrationsTableName: 'schema_migrations',
        synchronize: false,
        extra: { max: 10 },
      });
      await dataSource.initialize();
      // Several apps (query-api, ingest-api replicas) may start at once on one database: the
      // migrations run under an advisory lock so exactly one of them applies each.
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
        await runner.release();
      }
      return new SqlStore(dataSource, 'postgres');
    }
    fs.mkdirSync(path.dirname(config.file), { recursive: true });
    const dataSource = new DataSource({
      type: 'sqljs',
      location: config.file,
      autoSave: false,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTableName: 'schema_migrations',
      synchronize: false,
    });
    await dataSource.initialize();
    const store = new SqlStore(dataSource, 'sqlite', config.file);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) await store.persist();
    return store;
  }

  /** Runs `work` in one transaction; in the embedded mode the snapshot is on disk when this resolves. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.dataSource.transaction(work);
    const run = this.transactionQueue.catch(() => undefined).then(async () => {
      const result = await this.dataSource.transaction(work);
      await this.persist();
      return result;
    });
    this.transactionQueue = run;
    return run;
  }

  /** Largest number of rows per multi-row INSERT, kept under each dialect's bind-parameter limit. */
  rowsPerInsert(columns: number): number {
    const maxParameters = this.dialect === 'postgres' ? 60_000 : 30_000;
    return Math.max(1, Math.floor(maxParameters / columns));
  }

  private persist(): Promise<void> {
    if (!this.snapshotFile) return Promise.resolve();
    const file = this.snapshotFile;
    // Snapshots are serialized so an older one never overwrites a newer one. Each one starts after
    // the previous settled, failed or not: one failed write must not fail every later transaction.
    const snapshot = this.persistChain.catch(() => undefined).then(() => {
      const driver = this.dataSource.driver as unknown as { export(): Uint8Array };
      const bytes = driver.export();
      const temporary = `${file}.tmp`;
      const handle = fs.openSync(temporary, 'w');
      try {
        fs.writeSync(handle, bytes);
        fs.fsyncSync(handle);
      } finally {
        fs.closeSync(handle);
      }
      fs.renameSync(temporary, file);
    });
    this.persistChain = snapshot;
    return snapshot;
  }

  async close(): Promise<void> {
    await this.persistChain.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
