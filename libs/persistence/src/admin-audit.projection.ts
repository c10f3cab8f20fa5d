import { upcastControlEvent, type ControlEvent } from '@telemetry/contracts';
import type { LogRecord } from '@telemetry/event-log';
import { Brackets } from 'typeorm';
import { AdminAuditEntity } from './admin-audit.entity';
import type { ProjectionResult } from './enriched-events.projection';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { writeProjectedRows } from './idempotent-projection.writer';
import { SqlStore } from './sql-store';

export const ADMIN_AUDIT_PROJECTION = 'admin-audit';

/** The row of an audit event, or null for any other control event (or one that cannot be read). Pure. */
export function adminAuditRowOf(event: ControlEvent): AdminAuditEntity | null {
  if (event.type !== 'AdminCommandAudited') return null;
  const row = new AdminAuditEntity();
  row.id = cut(event.eventId, 64);
  row.occurredMs = String(Date.parse(event.occurredAt) || 0);
  row.actorKeyId = cut('keyId' in event.actor ? event.actor.keyId : `system:${event.actor.system}`, 128);
  row.tenantId = event.data.tenantId ? cut(event.data.tenantId, 128) : null;
  row.command = cut(event.data.command, 64);
  row.target = event.data.target ? cut(event.data.target, 255) : null;
  row.outcome = event.data.outcome;
  row.errorCode = event.data.errorCode ? cut(event.data.errorCode, 64) : null;
  row.changedFields = JSON.stringify(event.data.changedFields ?? []);
  row.clientIp = event.data.clientIp ? cut(event.data.clientIp, 64) : null;
  row.requestId = event.requestId ? cut(event.requestId, 128) : null;
  return row;
}

export interface AdminAuditFilter {
  readonly actorKeyId?: string;
  readonly tenantId?: string;
  readonly command?: string;
  readonly outcome?: 'accepted' | 'refused';
  readonly sinceMs?: number;
  readonly untilMs?: number;
  /** Rows strictly older than this (occurred_ms, id): the previous page's last row. */
  readonly before?: { readonly occurredMs: string; readonly id: string };
  readonly limit: number;
}

/**
 * The admin audit read model: AdminCommandAudited events of telemetry.control.v1 as rows. Idempotent
 * (records below the stored offset are skipped, rows inserted with ON CONFLICT DO NOTHING), the offset
 * in the same transaction as the rows, and `drop()` empties both so a replay from zero rebuilds it.
 */
export class AdminAuditProjection {
  constructor(private readonly store: SqlStore) {}

  apply(topic: string, partition: number, records: readonly LogRecord[]): Promise<ProjectionResult> {
    return writeProjectedRows(
      this.store,
      { projection: ADMIN_AUDIT_PROJECTION, entity: AdminAuditEntity, columns: 11, rowOf: readable },
      topic,
      partition,
      records,
    );
  }

  /** Empties the read model and its offsets in one transaction: the next replay from zero rebuilds it. */
  async drop(): Promise<void> {
    await this.store.transaction(async (manager) => {
      await manager.createQueryBuilder().delete().from(AdminAuditEntity).execute();
      await manager.createQueryBuilder().delete().from(ProjectionOffsetEntity).where('projection = :name', { name: ADMIN_AUDIT_PROJECTION }).execute();
    });
  }

  /** Newest first, by the filter; one more row than `limit` tells the caller there is a next page. */
  async list(filter: AdminAuditFilter): Promise<AdminAuditEntity[]> {
    return this.store.transaction(async (manager) => {
      const query = manager.getRepository(AdminAuditEntity).createQueryBuilder('audit');
      if (filter.actorKeyId) query.andWhere('audit.actor_key_id = :actor', { actor: filter.actorKeyId });
      if (filter.tenantId) query.andWhere('audit.tenant_id = :tenant', { tenant: filter.tenantId });
      if (filter.command) query.andWhere('audit.command = :command', { command: filter.command });
      if (filter.outcome) query.andWhere('audit.outcome = :outcome', { outcome: filter.outcome });
      if (filter.sinceMs !== undefined) query.andWhere('audit.occurred_ms >= :since', { since: String(filter.sinceMs) });
      if (filter.untilMs !== undefined) query.andWhere('audit.occurred_ms < :until', { until: String(filter.untilMs) });
      const before = filter.before;
      if (before) {
        query.andWhere(
          new Brackets((where) =>
            where
              .where('audit.occurred_ms < :beforeMs', { beforeMs: before.occurredMs })
              .orWhere('audit.occurred_ms = :beforeMs AND audit.id < :beforeId', { beforeId: before.id }),
          ),
        );
      }
      return query
        .orderBy('audit.occurred_ms', 'DESC')
        .addOrderBy('audit.id', 'DESC')
        .limit(filter.limit + 1)
        .getMany();
    });
  }

  async count(): Promise<number> {
    return this.store.transaction((manager) => manager.count(AdminAuditEntity));
  }
}

function readable(record: LogRecord): AdminAuditEntity | null {
  try {
    return adminAuditRowOf(upcastControlEvent(JSON.parse(record.value.toString('utf8'))));
  } catch {
    // The control plane's own fold reports unreadable events (telemetry_control_unreadable_events_total).
    return null;
  }
}

function cut(value: string, length: number): string {
  return value.length > length ? value.slice(0, length) : value;
}
