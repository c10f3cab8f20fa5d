import type { LogRecord } from '@telemetry/event-log';
import { EnrichedEventEntity } from './enriched-event.entity';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { SqlStore } from './sql-store';

export const ENRICHED_EVENTS_PROJECTION = 'enriched-events';

/** The columns a row needs, read from the enriched JSON once. */
interface EnrichedRowSource {
  event_id?: unknown;
  tenant_id?: unknown;
  ts?: unknown;
  src_ip?: unknown;
  dst_ip?: unknown;
  risk_score?: unknown;
  ingest?: { received_at?: unknown };
}

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
  readonly skipped: number;
}

/**
 * Projects telemetry.enriched.v1 into `enriched_events`. Idempotent: records below the stored
 * offset are skipped, rows are inserted with ON CONFLICT DO NOTHING on the event id, and the next
 * offset is written in the same transaction as the rows.
 */
export class EnrichedEventsProjection {
  constructor(
    private readonly store: SqlStore,
    private readonly now: () => number = Date.now,
  ) {}

  async apply(topic: string, partition: number, records: readonly LogRecord[]): Promise<ProjectionResult> {
    if (records.length === 0) return { applied: 0, skipped: 0 };
    return this.store.transaction(async (manager) => {
      const current = await manager.findOne(ProjectionOffsetEntity, {
        where: { projection: ENRICHED_EVENTS_PROJECTION, topic, partition },
      });
      const from = current ? BigInt(current.nextOffset) : -1n;
      const ingestedMs = String(this.now());
      const rows: EnrichedEventEntity[] = [];
      let skipped = 0;
      for (const record of records) {
        if (BigInt(record.offset) < from) {
          skipped += 1;
          continue;
        }
        const row = toRow(record, ingestedMs);
        if (row) rows.push(row);
        else skipped += 1;
      }
      // One multi-row INSERT per chunk through the transaction's query runner. Built by hand, not
      // by the query builder: at 2,000 rows a batch, its per-parameter bookkeeping cost more CPU
      // than SQLite's work (see the projection stages of `npm run bench`).
      const chunk = Math.min(ROWS_PER_STATEMENT, this.store.rowsPerInsert(ROW_COLUMNS.length));
      for (let start = 0; start < rows.length; start += chunk) {
        const slice = rows.slice(start, start + chunk);
        const parameters: Array<string | number> = [];
        for (const row of slice) parameters.push(row.eventId, row.tenantId, row.tsMs, row.ingestedMs, row.srcIp, row.dstIp, row.riskScore, row.payload);
        await manager.query(insertSql(this.store, slice.length), parameters);
      }
      const nextOffset = (BigInt(records[records.length - 1].offset) + 1n).toString();
      await manager
        .createQueryBuilder()
        .insert()
        .into(ProjectionOffsetEntity)
        .values({ projection: ENRICHED_EVENTS_PROJECTION, topic, partition, nextOffset })
        .orUpdate(['next_offset'], ['projection', 'topic', 'partition'])
        .execute();
      return { applied: rows.length, skipped };
    });
  }

  /** Deletes rows accepted longer ago than the retention. */
  async enforceRetention(retentionDays: number): Promise<number> {
    const cutoff = String(this.now() - retentionDays * 24 * 60 * 60 * 1000);
    return this.store.transaction(async (manager) => {
      const result = await manager.createQueryBuilder().delete().from(EnrichedEventEntity).where('ingested_ms < :cutoff', { cutoff }).execute();
      return result.affected ?? 0;
    });
  }
}

function toRow(record: LogRecord, ingestedMs: string): EnrichedEventEntity | undefined {
  const payload = record.value.toString('utf8');
  let source: EnrichedRowSource;
  try {
    source = JSON.parse(payload) as EnrichedRowSource;
  } catch {
    return undefined;
  }
  if (typeof source.event_id !== 'string' || typeof source.tenant_id !== 'string') return undefined;
  const row = new EnrichedEventEntity();
  row.eventId = source.event_id;
  row.tenantId = source.tenant_id;
  row.tsMs = String(Math.round(Number(source.ts ?? 0) * 1000));
  // Ingest time orders "newest" and drives retention; projection time stands in if it is missing.
  const receivedAt = typeof source.ingest?.received_at === 'string' ? Date.parse(source.ingest.received_at) : NaN;
  row.ingestedMs = Number.isFinite(receivedAt) ? String(receivedAt) : ingestedMs;
  row.srcIp = String(source.src_ip ?? '');
  row.dstIp = String(source.dst_ip ?? '');
  row.riskScore = Number.isInteger(source.risk_score) ? (source.risk_score as number) : 0;
  row.payload = payload;
  return row;
}
