import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SOURCE_STATUSES, SOURCE_TYPES } from '@telemetry/contracts';
import type { Source } from '../sources/source.decider';

export class SourceCreateDto {
  @ApiProperty({ description: 'A lowercase slug, unique within the tenant', example: 'edge-fra1' })
  id!: string;

  @ApiPropertyOptional({
    description:
      'An admin key acting globally may name any tenant (absent: its own); any other caller registers for the tenant it acts for, and naming another is 403',
    example: 'acme',
  })
  tenant_id?: string;

  @ApiProperty({ enum: SOURCE_TYPES, description: 'How it sends: NetFlow/IPFIX over UDP, or the HTTP ingest API', example: 'udp' })
  type!: string;

  @ApiProperty({ example: 'Frankfurt edge router' })
  display_name!: string;

  @ApiProperty({ description: 'The collector id its records carry (`collector_id`, X-Collector-ID)', example: 'gw-fra1' })
  collector!: string;

  @ApiPropertyOptional({ example: 'fra1' })
  site?: string;

  @ApiPropertyOptional({ type: [String], description: 'An array of strings, or the original’s JSON-encoded string of one', example: ['edge', 'prod'] })
  tags?: string[] | string;

  @ApiPropertyOptional({ example: 'rack 4' })
  notes?: string;

  @ApiPropertyOptional({ enum: SOURCE_STATUSES, description: 'Default `enabled`' })
  status?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      'At most 128 IPv4/IPv6 CIDRs (a bare address is a /32 or /128; host bits are cleared), as an array or the original’s JSON-encoded string; always answered as an array. Empty: the admission test admits no address',
    example: ['192.0.2.0/24', '2001:db8::/32'],
  })
  allowed_ips?: string[] | string;

  @ApiPropertyOptional({ description: 'Records per second, 0-1,000,000; 0 (default) = unlimited', example: 5000 })
  max_eps?: number;

  @ApiPropertyOptional({ description: 'Refuse records above max_eps (default true)', example: true })
  block_on_exceed?: boolean;
}

export class SourceUpdateDto {
  @ApiPropertyOptional({ example: 'Frankfurt edge router 2' })
  display_name?: string;

  @ApiPropertyOptional({ enum: SOURCE_STATUSES })
  status?: string;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the list; as on create', example: ['192.0.2.0/24'] })
  allowed_ips?: string[] | string;

  @ApiPropertyOptional({ example: 1000 })
  max_eps?: number;

  @ApiPropertyOptional()
  block_on_exceed?: boolean;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null clears it' })
  site?: string | null;

  @ApiPropertyOptional({ type: [String] })
  tags?: string[] | string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null clears it' })
  notes?: string | null;

  @ApiPropertyOptional()
  collector?: string;
}

export class SourceResponseDto {
  @ApiProperty({ example: 'edge-fra1' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({ enum: SOURCE_TYPES })
  type!: string;

  @ApiProperty({ example: 'Frankfurt edge router' })
  display_name!: string;

  @ApiProperty({ example: 'gw-fra1' })
  collector!: string;

  @ApiProperty({ nullable: true, type: String })
  site!: string | null;

  @ApiProperty({ type: [String] })
  tags!: string[];

  @ApiProperty({ nullable: true, type: String })
  notes!: string | null;

  @ApiProperty({ enum: SOURCE_STATUSES })
  status!: string;

  @ApiProperty({ description: 'status = enabled' })
  enabled!: boolean;

  @ApiProperty({ type: [String], example: ['192.0.2.0/24'] })
  allowed_ips!: string[];

  @ApiProperty({ example: 0 })
  max_eps!: number;

  @ApiProperty({ example: true })
  block_on_exceed!: boolean;

  @ApiProperty({
    enum: ['healthy', 'degraded', 'stale'],
    description: 'From last_seen (seen < 120 s: healthy; < 300 s: degraded; else stale). No record path updates last_seen yet, so every source reads `stale`',
  })
  health_status!: string;

  @ApiProperty({ nullable: true, type: String, description: 'When a record of this source was last seen: null until the ingest path records it' })
  last_seen!: string | null;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  updated_at!: string;
}

export class SourceListDto {
  @ApiProperty({ type: [SourceResponseDto] })
  sources!: SourceResponseDto[];

  @ApiProperty({ type: [SourceResponseDto], description: 'The same list (the original’s alias)' })
  items!: SourceResponseDto[];

  @ApiProperty({ example: 1 })
  total!: number;

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 50 })
  size!: number;

  @ApiProperty({ example: 50, description: 'The same as size (the original’s alias)' })
  page_size!: number;

  @ApiProperty({ example: 1 })
  pages!: number;
}

export class SourceDeletedDto {
  @ApiProperty({ example: 'Source deleted successfully' })
  message!: string;

  @ApiProperty({ example: 'edge-fra1' })
  id!: string;
}

export class AdmissionTestDto {
  @ApiProperty({ example: '192.0.2.10' })
  client_ip!: string;
}

export class AdmissionResultDto {
  @ApiProperty()
  allowed!: boolean;

  @ApiProperty({ enum: ['allowed', 'disabled', 'ip_not_allowed'], description: 'The rate limit is not tested here (it needs the ingest path’s token bucket)' })
  reason!: string;

  @ApiProperty({ example: 'edge-fra1' })
  source_id!: string;

  @ApiProperty({ example: '192.0.2.10' })
  client_ip!: string;

  @ApiProperty({ enum: SOURCE_STATUSES })
  source_status!: string;

  @ApiProperty({ type: [String] })
  source_allowed_ips!: string[];
}

export function sourceView(source: Source): SourceResponseDto {
  return {
    id: source.sourceId,
    tenant_id: source.tenantId,
    type: source.type,
    display_name: source.displayName,
    collector: source.collector,
    site: source.site ?? null,
    tags: [...source.tags],
    notes: source.notes ?? null,
    status: source.status,
    enabled: source.status === 'enabled',
    allowed_ips: [...source.allowedIps],
    max_eps: source.maxEps,
    block_on_exceed: source.blockOnExceed,
    // No record path reports last_seen yet (admission and source metrics at ingest come next): stale, never a made-up time.
    health_status: 'stale',
    last_seen: null,
    created_at: source.createdAt,
    updated_at: source.updatedAt,
  };
}
