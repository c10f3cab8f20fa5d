import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How much of a batch is durable under a key: a request whose publish stopped midway keeps its key
 * (state `partial`) with the count of accepted records written, so a retry writes only the rest.
 * Written by hand for both dialects (Postgres and SQLite accept the same DDL here).
 */
export class IdempotencyProgress1732600000000 implements MigrationInterface {
  name = 'IdempotencyProgress1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE idempotency_keys ADD COLUMN written_records integer NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE idempotency_keys DROP COLUMN written_records');
  }
}
