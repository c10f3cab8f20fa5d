import { Brackets, SelectQueryBuilder } from 'typeorm';
import { DeadLetterEntity, DeadLetterQueueName } from './dead-letter.entity';
import { SqlStore } from './sql-store';

/** Which DLQ entries an operation is about. Purged entries are never selected. */
export interface DeadLetterFilter {
  readonly sink: DeadLetterQueueName;
  /** Only this tenant's entries; undefined: every tenant's (admin). */
  readonly tenantId?: string;
  readonly errorClass?: string;
  readonly ids?: readonly string[];
  readonly state?: 'dead' | 'replayed';
  /** Only entries whose original topic is one of these (selections; purges ignore it). */
  readonly originalTopics?: readonly string[];
}

/** Position after the last entry of a page (lists go newest first by failed_at, then id). */
export interface DeadLetterCursor {
  readonly failedAt: string;
  readonly id: string;
}

export interface DeadLetterPage {
  readonly rows: DeadLetterEntity[];
  /** Entries matching the filter, all pages together. */
  readonly total: number;
  readonly next?: DeadLetterCursor;
}

/** Rows per statement when ids are bound one parameter each. */
const IDS_PER_STATEMENT = 1_000;

/**
 * Reads of the DLQ read model and the operator's changes to an entry's state (replayed, purged).
 * The rows themselves come only from `DeadLettersProjection`.
 */
export class DeadLettersStore {
  constructor(private readonly store: SqlStore) {}

  /** One page, newest failure first. */
  async list(filter: DeadLetterFilter, limit: number, after?: DeadLetterCursor): Promise<DeadLetterPage> {
    const total = await this.select(filter).getCount();
    const query = this.select(filter);
    if (after) {
      query.andWhere(
        new Brackets((where) => {
          where
            .where('dl.failed_at < :afterFailedAt', { afterFailedAt: after.failedAt })
            .orWhere(
              new Brackets((tie) =>
                tie.where('dl.failed_at = :afterFailedAt', { afterFailedAt: after.failedAt }).andWhere('dl.id < :afterId', { afterId: after.id }),
              ),
            );
        }),
      );
    }
    const rows = await query
      .orderBy('dl.failed_at', 'DESC')
      .addOrderBy('dl.id', 'DESC')
      .limit(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { rows: page, total, next: rows.length > limit && last ? { failedAt: String(last.failedAt), id: last.id } : undefined };
  }

  /** One entry of a DLQ (not purged), within the tenant when one is given. */
  async get(sink: DeadLetterQueueName, id: string, tenantId?: string): Promise<DeadLetterEntity | undefined> {
    const row = await this.select({ sink, tenantId, ids: [id] }).getOne();
    return row ?? undefined;
  }

  /** Up to `limit` entries still dead, oldest failure first (replays keep the order of failure), and how many match. */
  async selectDead(filter: DeadLetterFilter, limit: number): Promise<{ rows: DeadLetterEntity[]; total: number }> {
    const dead = { ...filter, state: 'dead' as const };
    const total = await this.select(dead).getCount();
    const rows = await this.select(dead).orderBy('dl.failed_at', 'ASC').addOrderBy('dl.id', 'ASC').limit(limit).getMany();
    return { rows, total };
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    return this.select(filter).getCount();
  }

  /** Marks entries that are still dead as replayed; answers how many changed. */
  async markReplayed(ids: readonly string[], at: number): Promise<number> {
    let changed = 0;
    for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
      const chunk = ids.slice(start, start + IDS_PER_STATEMENT);
      const result = await this.store.transaction((manager) =>
        manager
          .createQueryBuilder()
          .update(DeadLetterEntity)
          .set({ state: 'replayed', replayedAt: String(at) })
          .where("state = 'dead' AND id IN (:...ids)", { ids: chunk })
          .execute(),
      );
      changed += result.affected ?? 0;
    }
    return changed;
  }

  /** Marks every matching entry purged: it no longer shows in lists nor can be replayed. */
  async purge(filter: DeadLetterFilter): Promise<number> {
    if (filter.ids && filter.ids.length === 0) return 0;
    const chunks = filter.ids ? chunked(filter.ids, IDS_PER_STATEMENT) : [undefined];
    let purged = 0;
    for (const ids of chunks) {
      const result = await this.store.transaction((manager) => {
        const query = manager.createQueryBuilder().update(DeadLetterEntity).set({ state: 'purged' }).where('sink = :sink', { sink: filter.sink });
        query.andWhere("state <> 'purged'");
        if (filter.state) query.andWhere('state = :state', { state: filter.state });
        if (filter.tenantId !== undefined) query.andWhere('tenant_id = :tenantId', { tenantId: filter.tenantId });
        if (filter.errorClass !== undefined) query.andWhere('error_class = :errorClass', { errorClass: filter.errorClass });
        if (ids) query.andWhere('id IN (:...ids)', { ids });
        return query.execute();
      });
      purged += result.affected ?? 0;
    }
    return purged;
  }

  private select(filter: DeadLetterFilter): SelectQueryBuilder<DeadLetterEntity> {
    const query = this.store.dataSource.getRepository(DeadLetterEntity).createQueryBuilder('dl').where('dl.sink = :sink', { sink: filter.sink });
    query.andWhere(filter.state ? 'dl.state = :state' : "dl.state <> 'purged'", filter.state ? { state: filter.state } : {});
    if (filter.tenantId !== undefined) query.andWhere('dl.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.errorClass !== undefined) query.andWhere('dl.error_class = :errorClass', { errorClass: filter.errorClass });
    if (filter.originalTopics) {
      query.andWhere(filter.originalTopics.length > 0 ? 'dl.original_topic IN (:...originalTopics)' : '1 = 0', { originalTopics: [...filter.originalTopics] });
    }
    if (filter.ids) query.andWhere(filter.ids.length > 0 ? 'dl.id IN (:...ids)' : '1 = 0', filter.ids.length > 0 ? { ids: [...filter.ids] } : {});
    return query;
  }
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
