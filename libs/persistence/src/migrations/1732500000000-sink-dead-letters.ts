import { MigrationInterface, QueryRunner } from 'typeorm';

/** Written by hand for both dialects (Postgres and SQLite accept the same DDL here). */
export class SinkDeadLetters1732500000000 implements MigrationInterface {
  name = 'SinkDeadLetters1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sink_dead_letters (
        id varchar(320) PRIMARY KEY,
        sink varchar(32) NOT NULL,
        tenant_id varchar(128) NOT NULL,
        error_class varchar(128) NOT NULL,
        error_message text NOT NULL,
        attempt integer NOT NULL,
        original_topic varchar(255) NULL,
        original_partition integer NULL,
        original_offset varchar(32) NULL,
        first_failure_at bigint NULL,
        failed_at bigint NOT NULL,
        record_key text NULL,
        headers text NOT NULL,
        payload text NOT NULL,
        payload_encoding varchar(8) NOT NULL,
        state varchar(16) NOT NULL,
        replayed_at bigint NULL
      )`);
    // Lists and replays select by sink and tenant, newest (or oldest) failure first.
    await queryRunner.query('CREATE INDEX ix_sink_dead_letters_sink_tenant_failed ON sink_dead_letters (sink, tenant_id, failed_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE sink_dead_letters');
  }
}
