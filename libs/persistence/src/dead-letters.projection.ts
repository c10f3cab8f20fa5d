import { deadLetterHeader, DEAD_LETTER_HEADERS, DEFAULT_TENANT, HEADERS, sinkDeadLetterTopic, SINK_NAMES, TOPICS } from '@telemetry/contracts';
import type { LogRecord } from '@telemetry/event-log';
import { DeadLetterEntity, DeadLetterQueueName } from './dead-letter.entity';
import { writeProjectedRows } from './idempotent-projection.writer';
import type { ProjectionResult } from './enriched-events.projection';
import { SqlStore } from './sql-store';

export const DEAD_LETTERS_PROJECTION = 'dead-letters';

/** The dead-letter topics the projection reads, and which DLQ each one is. */
export const DEAD_LETTER_TOPICS: ReadonlyMap<string, DeadLetterQueueName> = new Map<string, DeadLetterQueueName>([
  ...SINK_NAMES.map((sink) => [sinkDeadLetterTopic(sink), sink] as const),
  [TOPICS.ingestDeadLetter, 'ingest'],
]);

/** `<topic>/<partition>/<offset>`: the id of a DLQ entry is its record's coordinates. */
export const deadLetterId = (topic: string, partition: number, offset: string): string => `${topic}/${partition}/${offset}`;

/**
 * Builds the row of one dead-letter record, or undefined for a topic that is not a DLQ. Pure.
 * Every stage tells a record's story in the same DEAD_LETTER_HEADERS (records written before the
 * one vocabulary are read through their former names). Values are cut to the column sizes so one odd header can never
 * make the batch (and so the projection) fail forever.
 */
export function deadLetterRowOf(record: LogRecord): DeadLetterEntity | undefined {
  const sink = DEAD_LETTER_TOPICS.get(record.topic);
  if (!sink) return undefined;
  const headers = record.headers;
  const story = (field: keyof typeof DEAD_LETTER_HEADERS) => deadLetterHeader(headers, field);
  const row = new DeadLetterEntity();
  row.id = deadLetterId(record.topic, record.partition, record.offset);
  row.sink = sink;
  row.tenantId = cut(headers[HEADERS.tenantId] || DEFAULT_TENANT, 128);
  row.errorClass = cut(story('code') || 'unknown', 128);
  row.errorMessage = cut(withoutNul(story('reason') ?? ''), 4_000);
  row.attempt = positiveInteger(story('attempt')) ?? 1;
  const originalTopic = story('originalTopic');
  row.originalTopic = originalTopic ? cut(originalTopic, 255) : null;
  const partition = Number(story('originalPartition'));
  row.originalPartition = Number.isInteger(partition) && partition >= 0 && partition < 2 ** 31 ? partition : null;
  const offset = story('originalOffset');
  row.originalOffset = offset && /^\d{1,32}$/.test(offset) ? offset : null;
  const firstFailure = Date.parse(story('failedAt') ?? '');
  row.firstFailureAt = Number.isFinite(firstFailure) ? String(firstFailure) : null;
  row.failedAt = String(Math.trunc(record.timestamp));
  row.recordKey = record.key ? record.key.toString('base64') : null;
  row.headers = JSON.stringify(headers);
  const text = record.value.toString('utf8');
  // Text columns hold UTF-8 without NUL (Postgres refuses it); anything else is kept as base64.
  const isText = !text.includes('\u0000') && Buffer.from(text, 'utf8').equals(record.value);
  row.payload = isText ? text : record.value.toString('base64');
  row.payloadEncoding = isText ? 'utf8' : 'base64';
  row.state = 'dead';
  row.replayedAt = null;
  return row;
}

/**
 * Projects the sink DLQ topics and the ingest DLQ into `sink_dead_letters`. Idempotent: records
 * below the stored offset are skipped, rows are inserted with ON CONFLICT DO NOTHING on the id (a
 * replayed or purged entry keeps its state when its record is delivered again), and the next offset
 * is written in the same transaction as the rows.
 */
export class DeadLettersProjection {
  constructor(
    private readonly store: SqlStore,
    private readonly now: () => number = Date.now,
  ) {}

  apply(topic: string, partition: number, records: readonly LogRecord[]): Promise<ProjectionResult> {
    return writeProjectedRows(
      this.store,
      { projection: DEAD_LETTERS_PROJECTION, entity: DeadLetterEntity, columns: 17, rowOf: deadLetterRowOf },
      topic,
      partition,
      records,
    );
  }

  /** Deletes entries whose DLQ record is older than the DLQ topics keep records (30 days). */
  async enforceRetention(maxAgeMs: number): Promise<number> {
    const cutoff = this.now() - maxAgeMs;
    return this.store.transaction(async (manager) => {
      const result = await manager.createQueryBuilder().delete().from(DeadLetterEntity).where('failed_at < :cutoff', { cutoff }).execute();
      return result.affected ?? 0;
    });
  }
}

function cut(value: string, length: number): string {
  return value.length > length ? value.slice(0, length) : value;
}

function withoutNul(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '') : value;
}

function positiveInteger(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 && parsed < 2 ** 31 ? parsed : undefined;
}
