import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One admin command, accepted or refused: the read model of the AdminCommandAudited events. */
@Entity({ name: 'admin_audit' })
@Index('ix_admin_audit_occurred', ['occurredMs'])
@Index('ix_admin_audit_tenant_occurred', ['tenantId', 'occurredMs'])
export class AdminAuditEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 })
  id!: string;

  /** Epoch milliseconds (bigint, read back as a string). */
  @Column({ name: 'occurred_ms', type: 'bigint' })
  occurredMs!: string;

  @Column({ name: 'actor_key_id', type: 'varchar', length: 128 })
  actorKeyId!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128, nullable: true })
  tenantId!: string | null;

  @Column({ name: 'command', type: 'varchar', length: 64 })
  command!: string;

  @Column({ name: 'target', type: 'varchar', length: 255, nullable: true })
  target!: string | null;

  @Column({ name: 'outcome', type: 'varchar', length: 16 })
  outcome!: string;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  /** JSON array of field names. */
  @Column({ name: 'changed_fields', type: 'text' })
  changedFields!: string;

  @Column({ name: 'client_ip', type: 'varchar', length: 64, nullable: true })
  clientIp!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;
}
