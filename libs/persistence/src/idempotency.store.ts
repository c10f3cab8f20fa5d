import { randomUUID } from 'node:crypto';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { SqlStore } from './sql-store';

export type IdempotencyOutcome =
  | { readonly kind: 'new' }
  /** An earlier request with this key stopped midway: the first `writtenRecords` accepted records are durable; write only the rest. */
  | { readonly kind: 'resume'; readonly writtenRecords: number }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: string }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'in_progress' };

/** A pending claim older than this is taken to be from a crashed request and can be taken over. */
const STALE_PENDING_MS = 2 * 60 * 1000;

/**
 * Idempotency keys per tenant, in SQL so they hold across restarts and across ingest-api replicas
 * (they share the Postgres database). `begin` claims a key atomically (INSERT … ON CONFLICT DO
 * NOTHING on the primary key, or an UPDATE of a `partial` row guarded by its state), so two
 * concurrent requests with one key cannot both publish.
 *
 * A key's row also says how far its batch got: `writtenRecords` counts the request's accepted
 * records, in order, that are durable. A request that stops midway leaves the row `partial` with
 * that count (`abandon`), and the next request with the same key and body resumes after it.
 */
export class IdempotencyStore {
  constructor(
    private readonly store: SqlStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(tenantId: string, key: string, requestHash: string): Promise<IdempotencyOutcome> {
    const now = this.now();
    // Claim with a token of our own: whoever finds its token in the row owns the key.
    const token = `pending:${randomUUID()}`;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await this.claim(tenantId, key, requestHash, now, token);
      const row = await this.store.dataSource.getRepository(IdempotencyKeyEntity).findOne({ where: { tenantId, key } });
      if (!row) continue; // released meanwhile: claim again
      if (row.state === 'pending' && row.response === token)
        return row.writtenRecords > 0 ? { kind: 'resume', writtenRecords: row.writtenRecords } : { kind: 'new' };
      const expired = Number(row.expiresMs) <= now;
      if (expired) {
        await this.release(tenantId, key, row.createdMs);
        continue;
      }
      const stale = row.state === 'pending' && Number(row.createdMs) + STALE_PENDING_MS <= now;
      if (stale) {
        // Its request crashed: what it recorded as written stays written (partial), the rest is free to retry.
        if (row.writtenRecords > 0) await this.suspendStale(tenantId, key, row.createdMs);
        else await this.release(tenantId, key, row.createdMs);
        continue;
      }
      if (row.requestHash !== requestHash) return { kind: 'conflict' };
      if (row.state === 'pending') return { kind: 'in_progress' };
      if (row.state === 'partial') {
        await this.resumeClaim(tenantId, key, now, token);
        continue; // the next read says whether this request or a concurrent one got it
      }
      return { kind: 'replay', statusCode: row.statusCode ?? 200, response: row.response ?? '' };
    }
    return { kind: 'in_progress' };
  }

  async complete(tenantId: string, key: string, statusCode: number, response: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(IdempotencyKeyEntity)
        .set({ state: 'done', statusCode, response })
        .where('tenant_id = :tenantId AND idempotency_key = :key', { tenantId, key })
        .execute(),
    );
  }

  /**
   * Records that the first `writtenRecords` accepted records of the claimed request are durable, so
   * that a crash from here on leaves them counted (the key's next request resumes after them).
   */
  async recordProgress(tenantId: string, key: string, writtenRecords: number): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(IdempotencyKeyEntity)
        .set({ writtenRecords })
        .where("tenant_id = :tenantId AND idempotency_key = :key AND state = 'pending' AND written_records <= :writtenRecords", {
          tenantId,
          key,
          writtenRecords,
        })
        .execute(),
    );
  }

  /**
   * Gives a claimed key up after a failure that was not answered with a stored answer, so a retry
   * may run. With nothing written (this request's `writtenRecords`, or what an earlier one recorded)
   * the key is freed; otherwise it stays `partial` with the count, and a retry writes only the rest.
   */
  async abandon(tenantId: string, key: string, writtenRecords = 0): Promise<void> {
    await this.store.transaction(async (manager) => {
      const thisKey = "tenant_id = :tenantId AND idempotency_key = :key AND state = 'pending'";
      if (writtenRecords > 0) {
        await manager
          .createQueryBuilder()
          .update(IdempotencyKeyEntity)
          .set({ writtenRecords })
          .where(`${thisKey} AND written_records < :writtenRecords`, { tenantId, key, writtenRecords })
          .execute();
      }
      await manager
        .createQueryBuilder()
        .update(IdempotencyKeyEntity)
        .set({ state: 'partial', response: null })
        .where(`${thisKey} AND written_records > 0`, { tenantId, key })
        .execute();
      await manager.createQueryBuilder().delete().from(IdempotencyKeyEntity).where(thisKey, { tenantId, key }).execute();
    });
  }

  async purgeExpired(): Promise<number> {
    const now = String(this.now());
    const result = await this.store.transaction((manager) =>
      manager.createQueryBuilder().delete().from(IdempotencyKeyEntity).where('expires_ms <= :now', { now }).execute(),
    );
    return result.affected ?? 0;
  }

  private async claim(tenantId: string, key: string, requestHash: string, now: number, token: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .insert()
        .into(IdempotencyKeyEntity)
        .values({
          tenantId,
          key,
          requestHash,
          state: 'pending',
          statusCode: null,
          response: token,
          writtenRecords: 0,
          createdMs: String(now),
          expiresMs: String(now + this.ttlMs),
        })
        .orIgnore()
        .execute(),
    );
  }

  /** Claims a `partial` row for a retry of its request; only one of concurrent retries finds its token after. */
  private async resumeClaim(tenantId: string, key: string, now: number, token: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(IdempotencyKeyEntity)
        .set({ state: 'pending', response: token, createdMs: String(now) })
        .where("tenant_id = :tenantId AND idempotency_key = :key AND state = 'partial'", { tenantId, key })
        .execute(),
    );
  }

  /** A crashed request's claim becomes `partial` (only if it is still the one seen), keeping its written count. */
  private async suspendStale(tenantId: string, key: string, createdMs: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(IdempotencyKeyEntity)
        .set({ state: 'partial', response: null })
        .where("tenant_id = :tenantId AND idempotency_key = :key AND created_ms = :createdMs AND state = 'pending'", { tenantId, key, createdMs })
        .execute(),
    );
  }

  /** Removes the row only if it is still the one seen (its created time), so a fresh claim survives. */
  private async release(tenantId: string, key: string, createdMs: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKeyEntity)
        .where('tenant_id = :tenantId AND idempotency_key = :key AND created_ms = :createdMs', { tenantId, key, createdMs })
        .execute(),
    );
  }
}
