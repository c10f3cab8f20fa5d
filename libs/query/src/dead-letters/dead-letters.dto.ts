import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const EXAMPLE_ID = 'telemetry.sink.splunk.dlq.v1/0/42';

export class DeadLetterOriginalDto {
  @ApiProperty({ example: 'telemetry.enriched.v1', nullable: true, type: String })
  topic!: string | null;

  @ApiProperty({ example: 2, nullable: true, type: Number })
  partition!: number | null;

  @ApiProperty({ example: '18734', nullable: true, type: String, description: 'Kafka offsets are decimal strings' })
  offset!: string | null;
}

export class DeadLetterSummaryDto {
  @ApiProperty({ example: EXAMPLE_ID, description: '`<topic>/<partition>/<offset>` of the DLQ record; URL-encode it in paths' })
  id!: string;

  @ApiProperty({ enum: ['splunk', 'elastic', 'ingest'], example: 'splunk' })
  sink!: string;

  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({
    example: 'hec_code_6',
    description:
      "Sinks: the exporter's error class (hec_code_6, http_400, mapper_parsing_exception, …); ingest: the dlq-code (invalid_json, invalid_record, …)",
  })
  error_class!: string;

  @ApiProperty({ example: 'Invalid data format (event 0 of the request)' })
  error_message!: string;

  @ApiProperty({ example: 1, description: 'Failed deliveries so far (always 1 for ingest)' })
  attempt!: number;

  @ApiProperty({ type: DeadLetterOriginalDto })
  original!: DeadLetterOriginalDto;

  @ApiProperty({ example: '2026-01-12T09:30:00.000Z', nullable: true, type: String })
  first_failure_at!: string | null;

  @ApiProperty({ example: '2026-01-12T09:41:10.000Z', description: 'When the record reached the DLQ' })
  failed_at!: string;

  @ApiProperty({ enum: ['dead', 'replayed'], example: 'dead' })
  state!: string;

  @ApiProperty({ example: null, nullable: true, type: String })
  replayed_at!: string | null;
}

export class DeadLetterPageDto {
  @ApiProperty({ type: [DeadLetterSummaryDto] })
  items!: DeadLetterSummaryDto[];

  @ApiProperty({
    example: 'WyIxNzY4MjEwNDcwMDAwIiwidGVsZW1ldHJ5LnNpbmsuc3BsdW5rLmRscS52MS8wLzQxIl0',
    nullable: true,
    type: String,
    description: 'Pass as ?cursor= for the next page; null on the last page',
  })
  next_cursor!: string | null;

  @ApiProperty({ example: 137, description: 'Entries matching the filters, all pages together' })
  total!: number;
}

export class DeadLetterDetailDto extends DeadLetterSummaryDto {
  @ApiProperty({
    description: 'The record as dead-lettered: parsed JSON when it is JSON, else the text (or base64, see payload_encoding)',
    example: { schema_version: 1, event_id: '0d9f…', tenant_id: 'acme', src_ip: '10.0.0.5', dst_ip: '45.155.205.233', risk_score: 90 },
  })
  payload!: unknown;

  @ApiProperty({ enum: ['json', 'utf8', 'base64'], example: 'json' })
  payload_encoding!: string;

  @ApiProperty({ example: { 'tenant-id': 'acme', 'dlq-code': 'hec_code_6', 'dlq-attempt': '1' }, description: 'Headers of the DLQ record' })
  headers!: Record<string, string>;
}

export class ReplayRequestDto {
  @ApiPropertyOptional({ type: [String], example: [EXAMPLE_ID], description: 'Replay these entries' })
  ids?: string[];

  @ApiPropertyOptional({ example: 'hec_code_6', description: 'Replay the entries with this error class' })
  error_class?: string;

  @ApiPropertyOptional({ example: false, description: "Replay every dead entry (of the caller's tenant; an admin: of every tenant, or ?tenant=)" })
  all?: boolean;

  @ApiPropertyOptional({
    example: 1000,
    minimum: 1,
    maximum: 10_000,
    default: 1000,
    description: 'At most this many entries per call (oldest failure first); call again for the rest',
  })
  limit?: number;
}

export class ReplayResponseDto {
  @ApiProperty({ example: 25, description: 'Entries published back to the sink (or the ingress topic) and marked replayed' })
  replayed!: number;

  @ApiProperty({ example: 0, description: 'Matching entries still dead: call again to replay them' })
  remaining!: number;
}

export class PurgeResponseDto {
  @ApiProperty({ example: 12 })
  purged!: number;
}

export class ExportResponseDto {
  @ApiProperty({ example: 'queued', enum: ['queued'] })
  status!: string;

  @ApiProperty({ example: 1000, description: 'Enriched flows queued for the sink' })
  queued!: number;
}

export class ErrorResponseDto {
  @ApiProperty({ example: 'missing_selector' })
  error!: string;

  @ApiProperty({ example: 'Say which entries to replay: ids, error_class, or all: true' })
  message!: string;
}
