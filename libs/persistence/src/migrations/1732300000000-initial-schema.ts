import { MigrationInterface, QueryRunner } from 'typeorm';

/** Written by hand for both dialects: the schema is never synchronized from entities. */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE enriched_events (
        event_id varchar(64) PRIMARY KEY,
        tenant_id varchar(128) NOT NULL,
        ts_ms bigint NOT NULL,
        ingested_ms bigint NOT NULL,
        src_ip varchar(45) NOT NULL,
        dst_ip varchar(45) NOT NULL,
        risk_score integer NOT NULL,
        payload text NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX ix_enriched_events_tenant_ingested ON enriched_events (tenant_id, ingested_ms)');
    await queryRunner.query(`
      CREATE TABLE projection_offsets (
        projection varchar(128) NOT NULL,
        topic varchar(255) NOT NULL,
        partition integer NOT NULL,
        next_offset varchar(32) NOT NULL,
        PRIMARY KEY (projection, topic, partition)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE projection_offsets');
    await queryRunner.query('DROP TABLE enriched_events');
  }
}
