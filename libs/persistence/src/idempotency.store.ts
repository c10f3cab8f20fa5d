import { randomUUID } from 'node:crypto';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { SqlStore } from './sql-store';

export type IdempotencyOutcome =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: string }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'in_progress' };

/** A pending claim older than this is taken to be from a crashed request and can be taken over. */
const STALE_PENDING_MS = 2 * 60 * 1000;

/**
 * Idempotency keys per tenant, in SQL so they hold across restarts and across ingest-api replicas
 * (they share the Postgres database). `begin` claims a key atomically (INSERT … ON CONFLICT DO
 * NOTHING on the primary key), so two concurrent requests with one key cannot both publish.
 */
export class IdempotencyStore {
  constructor(
    private readonly store: SqlStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(tenantId: string, key: string, requestHash: string): Promise<IdempotencyOutcome> {
    const now = this.now();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      // Claim with a token of our own: whoever finds its token in the row owns the key.
      const token = `pending:${randomUUID()}`;
      await this.claim(tenantId, key, requestHash, now, token);
      const row = await this.store.dataSource.getRepository(IdempotencyKeyEntity).findOne({ where: { tenantId, key } });
      if (!row) continue; // released meanwhile: claim again
      if (row.state === 'pending' && row.response === token) return { kind: 'new' };
      const expired = Number(row.expiresMs) <= now;
      const stale = row.state === 'pending' && Number(row.createdMs) + STALE_PENDING_MS <= now;
      if (expired || stale) {
        await this.release(tenantId, key, row.createdMs);
        continue;
      }
      if (row.requestHash !== requestHash) return { kind: 'conflict' };
      if (row.state === 'pending') return { kind: 'in_progress' };
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

  /** Gives a key up after a failure that was not answered (nothing published): a retry may run. */
  async abandon(tenantId: string, key: string): Promise<void> {
    await this.store.transaction((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKeyEntity)
        .where("tenant_id = :tenantId AND idempotency_key = :key AND state = 'pending'", { tenantId, key })
        .execute(),
    );
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
          createdMs: String(now),
          expiresMs: String(now + this.ttlMs),
        })
        .orIgnore()
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
