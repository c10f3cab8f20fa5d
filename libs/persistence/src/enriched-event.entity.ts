import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Read model of recent enriched flows, for downloads and the dashboard. */
@Entity({ name: 'enriched_events' })
@Index('ix_enriched_events_tenant_ingested', ['tenantId', 'ingestedMs'])
export class EnrichedEventEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 64 })
  eventId!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 128 })
  tenantId!: string;

  /** Flow start, epoch milliseconds. */
  @Column({ name: 'ts_ms', type: 'bigint' })
  tsMs!: string;

  /** When the record was accepted at ingest, epoch milliseconds; retention and "newest" use it. */
  @Column({ name: 'ingested_ms', type: 'bigint' })
  ingestedMs!: string;

  @Column({ name: 'src_ip', type: 'varchar', length: 45 })
  srcIp!: string;

  @Column({ name: 'dst_ip', type: 'varchar', length: 45 })
  dstIp!: string;

  @Column({ name: 'risk_score', type: 'integer' })
  riskScore!: number;

  /** The enriched flow exactly as published on telemetry.enriched.v1 (JSON text). */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;
}
