import type { LogRecord } from '@telemetry/event-log';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { ProjectionResult } from './enriched-events.projection';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { SqlStore } from './sql-store';

/**
 * The one writer of the simple read models: in one transaction, skips records below the offset the
 * projection stored, inserts the rows `rowOf` builds (ON CONFLICT DO NOTHING: a row already there
 * keeps its state), and stores the next offset with them. Redelivery and replay converge.
 */
export async function writeProjectedRows<Row extends ObjectLiteral>(
  store: SqlStore,
  options: {
    readonly projection: string;
    readonly entity: EntityTarget<Row>;
    /** Columns per row (how many rows fit one INSERT under the parameter limit). */
    readonly columns: number;
    /** The row of a record, or undefined for a record the model does not hold. */
    readonly rowOf: (record: LogRecord) => Row | undefined | null;
  },
  topic: string,
  partition: number,
  records: readonly LogRecord[],
): Promise<ProjectionResult> {
  if (records.length === 0) return { applied: 0, skipped: 0 };
  return store.transaction(async (manager) => {
    const current = await manager.findOne(ProjectionOffsetEntity, { where: { projection: options.projection, topic, partition } });
    const from = current ? BigInt(current.nextOffset) : -1n;
    const rows: Row[] = [];
    for (const record of records) {
      const row = BigInt(record.offset) < from ? undefined : options.rowOf(record);
      if (row) rows.push(row);
    }
    const chunk = store.rowsPerInsert(options.columns);
    for (let start = 0; start < rows.length; start += chunk) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(options.entity)
        .values(rows.slice(start, start + chunk))
        .orIgnore()
        .execute();
    }
    const nextOffset = (BigInt(records[records.length - 1].offset) + 1n).toString();
    await manager
      .createQueryBuilder()
      .insert()
      .into(ProjectionOffsetEntity)
      .values({ projection: options.projection, topic, partition, nextOffset })
      .orUpdate(['next_offset'], ['projection', 'topic', 'partition'])
      .execute();
    return { applied: rows.length, skipped: records.length - rows.length };
  });
}
