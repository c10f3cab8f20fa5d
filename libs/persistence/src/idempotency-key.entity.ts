import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One Idempotency-Key of a tenant: the request it was first used with, and the answer it got. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 hex of the endpoint and the (inflated) body. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  /**
   * `pending` while a request with this key runs, `done` once its answer is stored, `partial` when a
   * request stopped with only the first `writtenRecords` accepted records durable (a retry resumes).
   */
  @Column({ name: 'state', type: 'varchar', length: 16 })
  state!: 'pending' | 'done' | 'partial';

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'response', type: 'text', nullable: true })
  response!: string | null;

  /** How many of the request's accepted records, in order, are durable in the event log. */
  @Column({ name: 'written_records', type: 'integer', default: 0 })
  writtenRecords!: number;

  @Column({ name: 'created_ms', type: 'bigint' })
  createdMs!: string;

  @Column({ name: 'expires_ms', type: 'bigint' })
  expiresMs!: string;
}
