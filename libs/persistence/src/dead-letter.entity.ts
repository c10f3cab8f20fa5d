import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Which dead-letter queue an entry is in: a sink's (splunk, elastic) or the enricher's (ingest); not a sink name. */
export type DeadLetterQueueName = 'splunk' | 'elastic' | 'ingest';
export type DeadLetterState = 'dead' | 'replayed' | 'purged';

/**
 * Read model of dead-lettered records: one row per record of a sink's DLQ topic or of the ingest
 * DLQ, with the story its headers tell, and what an operator did with it (replayed, purged).
 */
@Entity({ name: 'sink_dead_letters' })
@Index('ix_sink_dead_letters_sink_tenant_failed', ['sink', 'tenantId', 'failedAt'])
export class DeadLetterEntity {
  /** `<topic>/<partition>/<offset>` of the DLQ record. */
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 320 })
  id!: string;

  @Column({ name: 'sink', type: 'varchar', length: 32 })
  sink!: DeadLetterQueueName;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId!: string;

  @Column({ name: 'error_class', type: 'varchar', length: 128 })
  errorClass!: string;

  @Column({ name: 'error_message', type: 'text' })
  errorMessage!: string;

  /** Failed deliveries so far (1 for the ingest DLQ). */
  @Column({ name: 'attempt', type: 'integer' })
  attempt!: number;

  @Column({ name: 'original_topic', type: 'varchar', length: 255, nullable: true })
  originalTopic!: string | null;

  @Column({ name: 'original_partition', type: 'integer', nullable: true })
  originalPartition!: number | null;

  @Column({ name: 'original_offset', type: 'varchar', length: 32, nullable: true })
  originalOffset!: string | null;

  /** Epoch milliseconds of the first failure (the sink-first-failure-at / dlq-failed-at header). */
  @Column({ name: 'first_failure_at', type: 'bigint', nullable: true })
  firstFailureAt!: string | null;

  /** Epoch milliseconds: the DLQ record's timestamp. Lists are ordered by it, newest first. */
  @Column({ name: 'failed_at', type: 'bigint' })
  failedAt!: string;

  /** The record key, base64 (keys are bytes; replay writes them back unchanged). */
  @Column({ name: 'record_key', type: 'text', nullable: true })
  recordKey!: string | null;

  /** The DLQ record's headers as a JSON object. */
  @Column({ name: 'headers', type: 'text' })
  headers!: string;

  /** The record value: UTF-8 text, or base64 when it is not valid UTF-8 (binary NetFlow datagrams). */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;

  @Column({ name: 'payload_encoding', type: 'varchar', length: 8 })
  payloadEncoding!: 'utf8' | 'base64';

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state!: DeadLetterState;

  /** Epoch milliseconds of the replay, when replayed. */
  @Column({ name: 'replayed_at', type: 'bigint', nullable: true })
  replayedAt!: string | null;
}
