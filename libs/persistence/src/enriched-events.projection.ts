import { enrichedKeyFieldsFromHeaders, enrichedKeyFieldsFromValue, EnrichedKeyFields } from '@telemetry/contracts';
import type { LogRecord } from '@telemetry/event-log';
import { EnrichedEventEntity } from './enriched-event.entity';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { SqlStore } from './sql-store';
import type { SelectQueryBuilder } from 'typeorm';

export const ENRICHED_EVENTS_PROJECTION = 'enriched-events';

const ROW_COLUMNS = ['event_id', 'tenant_id', 'ts_ms', 'ingested_ms', 'src_ip', 'dst_ip', 'risk_score', 'payload'] as const;
/** Rows per INSERT: full chunks share one statement text, so the prepared statement is reused. */
const ROWS_PER_STATEMENT = 500;
const insertSqlCache = new Map<string, string>();

/** `INSERT … VALUES (…), … ON CONFLICT (event_id) DO NOTHING` for `rows` rows, in the store's placeholder style. */
function insertSql(store: SqlStore, rows: number): string {
  const cacheKey = `${store.dialect}:${rows}`;
  let sql = insertSqlCache.get(cacheKey);
  if (!sql) {
    const tuples: string[] = [];
    for (let row = 0; row < rows; row++) {
      const marks = ROW_COLUMNS.map((_, column) => (store.dialect === 'postgres' ? `$${row * ROW_COLUMNS.length + column + 1}` : '?'));
      tuples.push(`(${marks.join(', ')})`);
    }
    sql = `INSERT INTO enriched_events (${ROW_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (event_id) DO NOTHING`;
    if (insertSqlCache.size > 1_000) insertSqlCache.clear();
    insertSqlCache.set(cacheKey, sql);
  }
  return sql;
}

export interface ProjectionResult {
  readonly applied: number;
  /** Below the stored offset: applied before (a redelivery). */
  readonly skipped: number;
  /** Records the read model can never hold, handed to `onRejected` (see EnrichedEventsProjection.apply). */
  readonly rejected?: number;
}

/** A record a read model can never hold, and why (a stable code, and which field). */
export interface RejectedRecord {
  readonly record: LogRecord;
  readonly code: 'unprojectable_record';
  readonly reason: string;
}

/**
 * Called inside the projection's transaction, before the offset moves past the rejected records:
 * if it throws, nothing is written and the batch is redelivered, so a rejected record reaches
 * wherever it is sent (a dead-letter topic) at least once.
 */
export type OnRejected = (rejected: readonly RejectedRecord[]) => Promise<void>;

/** Rows per retention transaction. */
export const RETENTION_BATCH_ROWS = 5_000;

/** Days each tenant's rows are kept: its own retention where it has one, `defaultDays` for the rest. */
export interface RetentionPolicy {
  readonly defaultDays: number;
  readonly tenants: ReadonlyMap<string, number>;
}

/** What a retention run deleted, in total and per tenant that lost rows (`*`: tenants on the default). */
export interface RetentionReport {
  readonly deleted: number;
  readonly byTenant: Readonly<Record<string, number>>;
}

/**
 * Projects telemetry.enriched.v1 into `enriched_events`. Idempotent: records below the stored
 * offset are skipped, rows are inserted with ON CONFLICT DO NOTHING on the event id, and the next
 * offset is written in the same transaction as the rows. The columns come from the record's
 * ENRICHED_HEADERS when it has them (no JSON.parse of the value), else from its JSON. A record that
 * no row can hold (not an enriched flow, a value too long for its column, a NUL character) is
 * rejected with the reason and passed to `onRejected`, never retried forever: one bad record must not
 * stop the read model for every tenant.
 */
export class EnrichedEventsProjection {
  constructor(
    private readonly store: SqlStore,
    private readonly now: () => number = Date.now,
  ) {}

  async apply(topic: string, partition: number, records: readonly LogRecord[], onRejected?: OnRejected): Promise<ProjectionResult> {
    if (records.length === 0) return { applied: 0, skipped: 0, rejected: 0 };
    try {
      return await this.applyIn(topic, partition, records, onRejected, 'statements');
    } catch (error) {
      // A row the database refuses (a constraint, a value out of range) fails its whole statement;
      // the same batch again, one row at a time, finds which and rejects only those. Anything else
      // (a lost connection, a full disk) is not about the records: the batch is redelivered.
      if (!isDataError(error)) throw error;
      return this.applyIn(topic, partition, records, onRejected, 'rows');
    }
  }

  private applyIn(
    topic: string,
    partition: number,
    records: readonly LogRecord[],
    onRejected: OnRejected | undefined,
    mode: 'statements' | 'rows',
  ): Promise<ProjectionResult> {
    return this.store.transaction(async (manager) => {
      const current = await manager.findOne(ProjectionOffsetEntity, {
        where: { projection: ENRICHED_EVENTS_PROJECTION, topic, partition },
      });
      const from = current ? BigInt(current.nextOffset) : -1n;
      const ingestedMs = String(this.now());
      const rows: Array<{ row: EnrichedEventEntity; record: LogRecord }> = [];
      const rejected: RejectedRecord[] = [];
      let skipped = 0;
      for (const record of records) {
        if (BigInt(record.offset) < from) {
          skipped += 1;
          continue;
        }
        const row = rowOf(record, ingestedMs);
        if (row instanceof EnrichedEventEntity) rows.push({ row, record });
        else rejected.push({ record, code: 'unprojectable_record', reason: row });
      }
      let applied = rows.length;
      if (mode === 'statements') {
        // One multi-row INSERT per chunk through the transaction's query runner. Built by hand, not
        // by the query builder: at 2,000 rows a batch, its per-parameter bookkeeping cost more CPU
        // than SQLite's work (see the projection stages of `npm run bench`).
        const chunk = Math.min(ROWS_PER_STATEMENT, this.store.rowsPerInsert(ROW_COLUMNS.length));
        for (let start = 0; start < rows.length; start += chunk) {
          const slice = rows.slice(start, start + chunk);
          await manager.query(
            insertSql(this.store, slice.length),
            slice.flatMap(({ row }) => parametersOf(row)),
          );
        }
      } else {
        for (const { row, record } of rows) {
          await manager.query('SAVEPOINT projection_row');
          try {
            await manager.query(insertSql(this.store, 1), parametersOf(row));
            await manager.query('RELEASE SAVEPOINT projection_row');
          } catch (error) {
            if (!isDataError(error)) throw error;
            await manager.query('ROLLBACK TO SAVEPOINT projection_row');
            await manager.query('RELEASE SAVEPOINT projection_row');
            rejected.push({ record, code: 'unprojectable_record', reason: `the database refused the row: ${errorText(error)}` });
            applied -= 1;
          }
        }
        rejected.sort((a, b) => Number(BigInt(a.record.offset) - BigInt(b.record.offset)));
      }
      if (rejected.length > 0) {
        if (!onRejected)
          throw new Error(`enriched-events projection: ${rejected.length} unprojectable record(s) and no onRejected to send them to: ${rejected[0].reason}`);
        await onRejected(rejected);
      }
      const nextOffset = (BigInt(records[records.length - 1].offset) + 1n).toString();
      await manager
        .createQueryBuilder()
        .insert()
        .into(ProjectionOffsetEntity)
        .values({ projection: ENRICHED_EVENTS_PROJECTION, topic, partition, nextOffset })
        .orUpdate(['next_offset'], ['projection', 'topic', 'partition'])
        .execute();
      return { applied, skipped, rejected: rejected.length };
    });
  }

  /** Deletes rows accepted longer ago than the retention. */
  /**
   * Deletes what is past each tenant's retention (`defaultDays` for tenants without their own), in
   * transactions of at most `batchRows` rows so a large backlog never holds one long lock; answers
   * what went, per tenant that lost rows.
   */
  async enforceRetention(policy: RetentionPolicy, batchRows = RETENTION_BATCH_ROWS): Promise<RetentionReport> {
    const now = this.now();
    const byTenant: Record<string, number> = {};
    const cutoffOf = (days: number) => String(now - days * 24 * 60 * 60 * 1000);
    const own = [...policy.tenants].filter(([, days]) => days !== policy.defaultDays);
    for (const [tenantId, days] of own) {
      const deleted = await this.deleteInBatches(batchRows, (query) =>
        query.where('tenant_id = :tenantId AND ingested_ms < :cutoff', { tenantId, cutoff: cutoffOf(days) }),
      );
      if (deleted > 0) byTenant[tenantId] = deleted;
    }
    const others = own.map(([tenantId]) => tenantId);
    const rest = await this.deleteInBatches(batchRows, (query) =>
      others.length > 0
        ? query.where('ingested_ms < :cutoff AND tenant_id NOT IN (:...others)', { cutoff: cutoffOf(policy.defaultDays), others })
        : query.where('ingested_ms < :cutoff', { cutoff: cutoffOf(policy.defaultDays) }),
    );
    if (rest > 0) byTenant['*'] = rest;
    return { deleted: Object.values(byTenant).reduce((sum, count) => sum + count, 0), byTenant };
  }

  private async deleteInBatches(
    batchRows: number,
    where: (query: SelectQueryBuilder<EnrichedEventEntity>) => SelectQueryBuilder<EnrichedEventEntity>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.store.transaction(async (manager) => {
        const ids = await where(manager.getRepository(EnrichedEventEntity).createQueryBuilder().select('event_id', 'id'))
          .limit(batchRows)
          .getRawMany<{ id: string }>();
        if (ids.length === 0) return 0;
        await manager
          .createQueryBuilder()
          .delete()
          .from(EnrichedEventEntity)
          .where('event_id IN (:...ids)', { ids: ids.map((row) => row.id) })
          .execute();
        return ids.length;
      });
      total += deleted;
      if (deleted < batchRows) return total;
    }
  }
}

function parametersOf(row: EnrichedEventEntity): Array<string | number> {
  return [row.eventId, row.tenantId, row.tsMs, row.ingestedMs, row.srcIp, row.dstIp, row.riskScore, row.payload];
}

/**
 * An error about the values of a statement, which the same values will always meet again: Postgres
 * SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation); SQLite
 * SQLITE_TOOBIG (18), SQLITE_CONSTRAINT (19) and SQLITE_MISMATCH (20) (also as extended codes).
 */
export function isDataError(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as { driverError?: unknown }).driverError ?? current.cause) {
    const { code, errcode } = current as { code?: unknown; errcode?: unknown };
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
    if (typeof errcode === 'number' && [18, 19, 20].includes(errcode & 0xff)) return true;
  }
  return false;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Column sizes of enriched_events (see the initial migration); Postgres refuses longer values. */
const MAX_LENGTH = { eventId: 64, tenantId: 128, srcIp: 45, dstIp: 45 } as const;
const MAX_INT32 = 2 ** 31 - 1;

/** The row of one record, or why no row can hold it. */
function rowOf(record: LogRecord, ingestedMs: string): EnrichedEventEntity | string {
  const payload = record.value.toString('utf8');
  // Text columns hold no NUL (Postgres refuses it); JSON.stringify never writes one raw.
  if (payload.includes('\u0000')) return 'the value holds a NUL character, which no text column can store';
  let fields: EnrichedKeyFields | undefined = enrichedKeyFieldsFromHeaders(record.headers);
  if (!fields) {
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch (error) {
      return `the value is not JSON: ${error instanceof Error ? error.message : String(error)}`;
    }
    fields = enrichedKeyFieldsFromValue(value);
    if (!fields) return 'not an enriched flow: event_id and tenant_id must be strings';
  }
  for (const field of ['eventId', 'tenantId', 'srcIp', 'dstIp'] as const) {
    const text = fields[field];
    if (text.length > MAX_LENGTH[field]) return `${field} is ${text.length} characters, over the column's ${MAX_LENGTH[field]}`;
    if (text.includes('\u0000')) return `${field} holds a NUL character`;
  }
  if (fields.eventId.length === 0 || fields.tenantId.length === 0) return 'event_id and tenant_id must not be empty';
  if (!Number.isSafeInteger(fields.tsMs)) return `ts is not a usable time (${fields.tsMs} ms)`;
  const riskScore = Number.isInteger(fields.riskScore) && Math.abs(fields.riskScore) <= MAX_INT32 ? fields.riskScore : 0;
  const row = new EnrichedEventEntity();
  row.eventId = fields.eventId;
  row.tenantId = fields.tenantId;
  row.tsMs = String(fields.tsMs);
  // Ingest time orders "newest" and drives retention; projection time stands in if it is missing.
  row.ingestedMs = Number.isSafeInteger(fields.receivedAtMs) ? String(fields.receivedAtMs) : ingestedMs;
  row.srcIp = fields.srcIp;
  row.dstIp = fields.dstIp;
  row.riskScore = riskScore;
  row.payload = payload;
  return row;
}
