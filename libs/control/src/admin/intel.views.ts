import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FEED_FORMATS } from '@telemetry/enrichment';
import type { Feed } from '../intel/feed.decider';
import type { IndicatorRecord } from '../intel/indicator.decider';

export class AddIndicatorDto {
  @ApiProperty({ description: 'An IPv4 or IPv6 address or CIDR; host bits are cleared (10.1.2.3/8 is stored as 10.0.0.0/8)', example: '45.155.205.233' })
  ip_or_cidr!: string;

  @ApiPropertyOptional({ description: 'Default `malicious`', example: 'C2' })
  category?: string;

  @ApiPropertyOptional({ description: 'An integer 0-100, default 50', example: 85 })
  confidence?: number;

  @ApiPropertyOptional({ description: 'Who lists it (default `api`); the same value from the same source is the same indicator', example: 'soc-analyst' })
  source?: string;

  @ApiPropertyOptional({ description: 'RFC 3339; the indicator stops matching then', example: '2027-01-01T00:00:00Z' })
  expires_at?: string;

  @ApiPropertyOptional({
    description: 'An admin key acting globally may name a tenant (absent: a global indicator, matched for every tenant); any other key adds to its own tenant',
    example: 'acme',
  })
  tenant_id?: string;
}

export class IndicatorDto {
  @ApiProperty({ description: '16 hex characters, derived from (tenant, value, source)', example: '5d0c1a9e7b3f4a21' })
  id!: string;

  @ApiProperty({ example: '45.155.205.233/32' })
  ip_or_cidr!: string;

  @ApiProperty({ example: 'C2' })
  category!: string;

  @ApiProperty({ example: 85 })
  confidence!: number;

  @ApiProperty({ example: 'soc-analyst' })
  source!: string;

  @ApiProperty({ description: 'null: global (every tenant’s flows match it)', nullable: true, type: String, example: 'acme' })
  tenant_id!: string | null;

  @ApiProperty({ description: 'The feed it comes from, null when added through the API', nullable: true, type: String })
  feed_id!: string | null;

  @ApiProperty({ nullable: true, type: String })
  expires_at!: string | null;

  @ApiProperty({ example: false })
  expired!: boolean;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  updated_at!: string;
}

export class IndicatorAddedDto extends IndicatorDto {
  @ApiProperty({ enum: ['added'], example: 'added' })
  status!: 'added';

  @ApiProperty({ description: 'false when the same indicator was already held (the request changed nothing, or only its category/confidence/expiry)' })
  created!: boolean;
}

export class IndicatorDeletedDto {
  @ApiProperty({ enum: ['deleted'] })
  status!: 'deleted';

  @ApiProperty({ example: '5d0c1a9e7b3f4a21' })
  id!: string;
}

export class IndicatorListDto {
  @ApiProperty({ type: [IndicatorDto] })
  indicators!: IndicatorDto[];

  @ApiProperty({ type: [IndicatorDto], description: 'The same list (the envelope of the original’s list endpoints)' })
  items!: IndicatorDto[];

  @ApiProperty({ example: 1 })
  total!: number;

  @ApiProperty({ example: 1 })
  page!: number;

  @ApiProperty({ example: 100 })
  size!: number;

  @ApiProperty({ example: 1 })
  pages!: number;
}

export function indicatorView(indicator: IndicatorRecord, nowMs: number): IndicatorDto {
  return {
    id: indicator.indicatorId,
    ip_or_cidr: indicator.value,
    category: indicator.category,
    confidence: indicator.confidence,
    source: indicator.source,
    tenant_id: indicator.tenantId ?? null,
    feed_id: indicator.feedId ?? null,
    expires_at: indicator.expiresAt ?? null,
    expired: indicator.expiresAt !== undefined && Date.parse(indicator.expiresAt) <= nowMs,
    created_at: indicator.createdAt,
    updated_at: indicator.updatedAt,
  };
}

export class RegisterFeedDto {
  @ApiProperty({ description: 'Unique per tenant (or among global feeds); its indicators’ source is `feed:<name>`', example: 'feodo' })
  name!: string;

  @ApiPropertyOptional({
    description: 'http(s) URL; fetched with If-None-Match / If-Modified-Since',
    example: 'https://feodotracker.abuse.ch/downloads/ipblocklist.csv',
  })
  url?: string;

  @ApiPropertyOptional({ description: 'A local file instead of a URL (admin keys only)', example: '/data/ti/blocklist.txt' })
  path?: string;

  @ApiProperty({ enum: FEED_FORMATS, example: 'feodo-csv' })
  format!: string;

  @ApiPropertyOptional({ description: 'Seconds, or "15m", "6h", "1d" (60 s to 7 d; default 1 h)', example: '6h' })
  refresh?: string | number;

  @ApiPropertyOptional({ description: 'Category of entries that carry none (each format has a default)', example: 'botnet_cc' })
  category?: string;

  @ApiPropertyOptional({ description: 'Confidence 0-100 of entries that carry none', example: 90 })
  confidence?: number;

  @ApiPropertyOptional({ description: 'As for indicators: admin keys acting globally may name a tenant; absent = global', example: 'acme' })
  tenant_id?: string;
}

export class FeedSyncDto {
  @ApiProperty({ enum: ['updated', 'not_modified'] })
  outcome!: string;

  @ApiProperty()
  fetched_at!: string;

  @ApiPropertyOptional()
  etag?: string;

  @ApiPropertyOptional()
  last_modified?: string;

  @ApiPropertyOptional({ example: { added: 120, changed: 3, removed: 7, total: 480, malformed: 2, skipped: 14 } })
  counts?: Record<string, number>;

  @ApiPropertyOptional({ example: [{ line: 17, reason: 'invalid IP address or CIDR "1.2.3"' }] })
  malformed_sample?: Array<{ line: number; reason: string }>;
}

export class FeedErrorDto {
  @ApiProperty()
  failed_at!: string;

  @ApiProperty({ example: 'http_status' })
  error_code!: string;

  @ApiProperty({ example: 'HTTP 503 from https://example.net/list.txt' })
  error!: string;

  @ApiPropertyOptional({ example: 503 })
  http_status?: number;
}

export class FeedDto {
  @ApiProperty({ example: 'f3c1e0d2-6a4b-4b7e-9f0a-2d5c8e1b7a90' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ nullable: true, type: String })
  url!: string | null;

  @ApiProperty({ nullable: true, type: String })
  path!: string | null;

  @ApiProperty({ enum: FEED_FORMATS })
  format!: string;

  @ApiProperty({ description: 'Seconds between fetches', example: 21600 })
  refresh_s!: number;

  @ApiProperty({ nullable: true, type: String })
  category!: string | null;

  @ApiProperty({ nullable: true, type: Number })
  confidence!: number | null;

  @ApiProperty({ nullable: true, type: String })
  tenant_id!: string | null;

  @ApiProperty({ description: 'Indicators it holds now' })
  indicators!: number;

  @ApiProperty({
    enum: ['pending', 'ok', 'error'],
    description: 'pending: never fetched yet; error: the last fetch failed (its last good indicators still apply)',
  })
  status!: string;

  @ApiProperty({ type: FeedSyncDto, nullable: true })
  last_sync!: FeedSyncDto | null;

  @ApiProperty({ type: FeedErrorDto, nullable: true })
  last_error!: FeedErrorDto | null;

  @ApiProperty({ description: 'When the next scheduled fetch is due', nullable: true, type: String })
  next_fetch_at!: string | null;

  @ApiProperty()
  created_at!: string;
}

export class FeedListDto {
  @ApiProperty({ type: [FeedDto] })
  feeds!: FeedDto[];

  @ApiProperty()
  total!: number;
}

export class FeedDeletedDto {
  @ApiProperty({ enum: ['deleted'] })
  status!: 'deleted';

  @ApiProperty()
  id!: string;

  @ApiProperty({ description: 'Indicators removed with it' })
  indicators_removed!: number;
}

export function feedView(feed: Feed, indicators: number, nextFetchAtMs: number): FeedDto {
  const sync = feed.lastSync;
  const error = feed.lastError;
  return {
    id: feed.feedId,
    name: feed.name,
    url: feed.url ?? null,
    path: feed.path ?? null,
    format: feed.format,
    refresh_s: feed.refreshS,
    category: feed.category ?? null,
    confidence: feed.confidence ?? null,
    tenant_id: feed.tenantId ?? null,
    indicators,
    status: error ? 'error' : sync ? 'ok' : 'pending',
    last_sync: sync
      ? {
          outcome: sync.outcome,
          fetched_at: sync.fetchedAt,
          ...(sync.etag !== undefined ? { etag: sync.etag } : {}),
          ...(sync.lastModified !== undefined ? { last_modified: sync.lastModified } : {}),
          ...(sync.counts ? { counts: { ...sync.counts } } : {}),
          ...(sync.malformedSample ? { malformed_sample: sync.malformedSample.map((m) => ({ ...m })) } : {}),
        }
      : null,
    last_error: error
      ? {
          failed_at: error.failedAt,
          error_code: error.errorCode,
          error: error.error,
          ...(error.httpStatus !== undefined ? { http_status: error.httpStatus } : {}),
        }
      : null,
    next_fetch_at: new Date(nextFetchAtMs).toISOString(),
    created_at: feed.createdAt,
  };
}
