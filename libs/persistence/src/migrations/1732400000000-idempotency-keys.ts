import { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1732400000000 implements MigrationInterface {
  name = 'IdempotencyKeys1732400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        tenant_id varchar(128) NOT NULL,
        idempotency_key varchar(255) NOT NULL,
        request_hash varchar(64) NOT NULL,
        state varchar(16) NOT NULL,
        status_code integer NULL,
        response text NULL,
        created_ms bigint NOT NULL,
        expires_ms bigint NOT NULL,
        PRIMARY KEY (tenant_id, idempotency_key)
      )`);
    await queryRunner.query('CREATE INDEX ix_idempotency_keys_expires ON idempotency_keys (expires_ms)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
