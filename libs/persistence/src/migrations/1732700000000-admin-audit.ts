import { MigrationInterface, QueryRunner } from 'typeorm';

/** Written by hand for both dialects (Postgres and SQLite accept the same DDL here). */
export class AdminAudit1732700000000 implements MigrationInterface {
  name = 'AdminAudit1732700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE admin_audit (
        id varchar(64) PRIMARY KEY,
        occurred_ms bigint NOT NULL,
        actor_key_id varchar(128) NOT NULL,
        tenant_id varchar(128) NULL,
        command varchar(64) NOT NULL,
        target varchar(255) NULL,
        outcome varchar(16) NOT NULL,
        error_code varchar(64) NULL,
        changed_fields text NOT NULL,
        client_ip varchar(64) NULL,
        request_id varchar(128) NULL
      )`);
    // GET /v1/admin/audit: newest first, overall or for one tenant.
    await queryRunner.query('CREATE INDEX ix_admin_audit_occurred ON admin_audit (occurred_ms)');
    await queryRunner.query('CREATE INDEX ix_admin_audit_tenant_occurred ON admin_audit (tenant_id, occurred_ms)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE admin_audit');
  }
}
