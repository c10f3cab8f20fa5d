import { EnrichedEventEntity } from './enriched-event.entity';
import { SqlStore } from './sql-store';

/** Reads of the enriched-events read model. */
export class EnrichedEventsQueries {
  constructor(private readonly store: SqlStore) {}

  /** The newest `limit` enriched flows of a tenant (newest accepted first), as JSON text. */
  async newest(tenantId: string, limit: number): Promise<string[]> {
    const rows = await this.store.dataSource
      .getRepository(EnrichedEventEntity)
      .createQueryBuilder('event')
      .select(['event.payload'])
      .where('event.tenant_id = :tenantId', { tenantId })
      .orderBy('event.ingested_ms', 'DESC')
      .addOrderBy('event.ts_ms', 'DESC')
      .addOrderBy('event.event_id', 'DESC')
      .limit(limit)
      .getMany();
    return rows.map((row) => row.payload);
  }

  async count(tenantId?: string): Promise<number> {
    const query = this.store.dataSource.getRepository(EnrichedEventEntity).createQueryBuilder('event');
    if (tenantId) query.where('event.tenant_id = :tenantId', { tenantId });
    return query.getCount();
  }
}
