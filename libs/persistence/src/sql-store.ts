import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { DatabaseConfig } from '@telemetry/platform';
import { EnrichedEventEntity } from './enriched-event.entity';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { InitialSchema1732300000000 } from './migrations/1732300000000-initial-schema';
import { IdempotencyKeys1732400000000 } from './migrations/1732400000000-idempotency-keys';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { DeadLetterEntity } from './dead-letter.entity';
import { SinkDeadLetters1732500000000 } from './migrations/1732500000000-sink-dead-letters';
import { IdempotencyProgress1732600000000 } from './migrations/1732600000000-idempotency-progress';
import { NodeSqliteDatabase } from './node-sqlite.adapter';
import { AdminAuditEntity } from './admin-audit.entity';
import { AdminAudit1732700000000 } from './migrations/1732700000000-admin-audit';

/** Arbitrary, fixed: the key of the advisory lock the Postgres migrations run under. */
const MIGRATION_LOCK_ID = 7_261_001;

export const ENTITIES = [EnrichedEventEntity, ProjectionOffsetEntity, IdempotencyKeyEntity, DeadLetterEntity, AdminAuditEntity];
export const MIGRATIONS = [
  InitialSchema1732300000000,
  IdempotencyKeys1732400000000,
  SinkDeadLetters1732500000000,
  IdempotencyProgress1732600000000,
  AdminAudit1732700000000,
];

/**
 * The SQL store of the read models: Postgres in the distributed mode, SQLite in the embedded mode
 * (`npm start`). Migrations run at open for both; `synchronize` is never used.
 *
 * The embedded store is `node:sqlite` (SQLite 3.5x built into Node 24, no native build) behind
 * TypeORM's better-sqlite3 driver, through the small adapter in node-sqlite.adapter.ts. Chosen by
 * measurement on the 2-core dev machine (1,000-row transactions of ~700-byte rows, with an index):
 * sql.js 1.8k rows/s falling to 1.2k as the file grew (it rewrites the whole file per transaction);
 * PGlite 11-14k rows/s with a 15 s first open and 515 MB RSS; better-sqlite3 would be as fast but
 * needs a 2.5-minute native build here (no reachable prebuilt binaries); node:sqlite 46k rows/s flat
 * from 0 to 1M rows at 68 MB RSS. `npm run bench` (projection and projection-scale stages)
 * measures it through the real projection; README's Benchmarks section has the figures.
 *
 * Durability: WAL journal, `synchronous = FULL`. A transaction's rows and its projection offset
 * commit together; COMMIT returns only once the WAL frames are fsynced, so anything committed
 * survives kill -9 and also an OS crash or power loss. NORMAL would survive kill -9 (the WAL is
 * written before COMMIT returns) but may lose the last commits on power loss, while the log's
 * consumer-group offset, committed after the transaction and fsynced, would already be past them:
 * a silent gap. FULL costs one fsync of the WAL per transaction: over 1M rows of the bench's
 * projection-scale stage NORMAL averaged ~10.6k rows/s against ~8.8k for FULL, on a machine
 * whose load made runs differ by as much; correctness decides.
 *
 * What does grow with the file is the primary key: event ids are hashes, so a batch's rows land at
 * random places of that index and, past ~200k rows, each row dirties its own index page (written
 * whole to the WAL, and again at checkpoint). The projection-scale stage of `npm run bench` shows
 * it (BENCH_SCALE_IDS=sequential for the same rows with ids in insertion order). No setting
 * removes it with 2,000-row transactions: measured over 1M rows, page size (2-64 KiB), a 256 MiB
 * cache, 5x rarer checkpoints and rows sorted by id before the insert all end at ~30k rows per
 * CPU-second of SQLite alone in the last quarter; a WITHOUT ROWID table is 3x slower; in-order ids
 * stay flat at ~70k. Parsing each ~1.4 KB payload (JSON.parse, 12-16 µs) is most of the rest of
 * the projection's CPU (README, Benchmarks).
 */
export class SqlStore {
  /**
   * The embedded store has one connection, and TypeORM's sqlite drivers share one query runner: a
   * transaction's statements are awaited one by one, so two overlapping transactions would
   * interleave on that connection (the second BEGIN would become a SAVEPOINT of the first). They
   * run one after another here, as they did with sql.js: one writer. Reads outside `transaction`
   * use the same connection and can see an open transaction's rows, as before.
   */
  private transactionQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataSource: DataSource,
    readonly dialect: 'postgres' | 'sqlite',
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
    const file = path.resolve(config.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      driver: NodeSqliteDatabase,
      database: file,
      // Each process has its own file (telemetry.sqlite, ingest.sqlite); a second connection to
      // one would wait this long for the writer's lock instead of failing at once.
      timeout: 5_000,
      prepareDatabase: (database: NodeSqliteDatabase) => prepareEmbedded(database, file),
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTableName: 'schema_migrations',
      synchronize: false,
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } catch (error) {
      await dataSource.destroy().catch(() => undefined);
      // A header that reads but pages that do not: corrupt all the same.
      throw isSqliteCorruption(error) ? new EmbeddedStoreUnreadableError(file, error) : error;
    }
    return new SqlStore(dataSource, 'sqlite');
  }

  /** Runs `work` in one transaction; committed (and, in the embedded mode, fsynced) when this resolves. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.dataSource.transaction(work);
    const run = this.transactionQueue.catch(() => undefined).then(() => this.dataSource.transaction(work));
    this.transactionQueue = run;
    return run;
  }

  /** Largest number of rows per multi-row INSERT, kept under each dialect's bind-parameter limit. */
  rowsPerInsert(columns: number): number {
    // Postgres: 65,535 parameters; SQLite (3.32+): 32,766.
    const maxParameters = this.dialect === 'postgres' ? 60_000 : 30_000;
    return Math.max(1, Math.floor(maxParameters / columns));
  }

  /**
   * Resolves once the database answered `SELECT 1` (readiness); rejects with why not, or after
   * `timeoutMs`. The embedded store answers on its one connection, outside the transaction queue.
   */
  async ping(timeoutMs: number): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error('the SQL store is closed');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to SELECT 1 within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.transactionQueue.catch(() => undefined);
    // Closing the last connection checkpoints the WAL into the main file and removes it.
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * A file at the embedded store's path that SQLite cannot read (not a database, or corrupt). Not
 * retriable: the process must not start on it.
 */
export class EmbeddedStoreUnreadableError extends Error {
  readonly code = 'embedded_store_unreadable';
  readonly retriable = false;

  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `The embedded SQL store ${file} cannot be read: ${reason}. It holds only state derived from the event log ` +
        `(read models and their projection offsets) or, for ingest.sqlite, Idempotency-Keys. Stop the process, ` +
        `delete ${file} (with ${path.basename(file)}-wal and ${path.basename(file)}-shm next to it, if present), ` +
        `and start again: the schema is recreated and the read models are rebuilt by replay from the log ` +
        `once the projections' consumer groups read from the start again (with the embedded log, also delete ` +
        `<prefix>-query-projections.json and <prefix>-query-dead-letters.json under DATA_DIR/log/groups/; ` +
        `they hold the log offsets the projections resume from). Deleting ingest.sqlite forgets the Idempotency-Keys.`,
      { cause },
    );
    this.name = 'EmbeddedStoreUnreadableError';
  }
}

/** SQLITE_CORRUPT (11) or SQLITE_NOTADB (26), as node:sqlite reports them, possibly wrapped by TypeORM. */
function isSqliteCorruption(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as { driverError?: unknown }).driverError ?? current.cause) {
    const code = (current as { errcode?: unknown }).errcode;
    if (code === 11 || code === 26) return true;
  }
  return false;
}

/** Runs on the connection before TypeORM uses it: refuse an unreadable file, then WAL + FULL. */
function prepareEmbedded(database: NodeSqliteDatabase, file: string): void {
  try {
    // The first read of the header and schema: "file is not a database" / "database disk image is malformed".
    database.prepare('SELECT count(*) AS tables FROM sqlite_schema').all();
    // 16 KiB pages, for a new file only (an existing file keeps the page size it was created with;
    // this must come before WAL, which fixes it). A ~1.4 KB enriched row leaves ~1.2 KB of a 4 KiB
    // page unused (two rows fit) but ~0.3 KB of a 16 KiB one: at 1M rows the file is 1.72 GB
    // instead of 2.19 GB. Rows per CPU-second did not change with it (20.4k either way, through the
    // projection-scale stage of `npm run bench` in the same window): the cost that grows with the
    // file is the event_id index (see the SqlStore comment).
    database.pragma('page_size = 16384');
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    // A 64 MiB page cache (SQLite's default is 2 MiB) and a checkpoint every 2,560 pages (~40 MiB of
    // WAL, as before with 4 KiB pages; SQLite's default is 1,000 pages), so a hot index page is
    // written back once per several transactions rather than once per few. Measured and not taken:
    // a 256 MiB cache with a 160 MiB WAL, +6% rows per CPU-second (23.0k against 21.7k), within
    // what this machine's runs differ by, for 4x the memory and disk.
    database.pragma('cache_size = -65536');
    database.pragma('wal_autocheckpoint = 2560');
  } catch (error) {
    database.close();
    throw new EmbeddedStoreUnreadableError(file, error);
  }
}
