import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthenticatedRequest, RequireScope } from '@telemetry/auth';
import { ADMIN_AUDIT_PROJECTION, AdminAuditEntity } from '@telemetry/persistence';
import { AdminAuditService } from './admin-audit.service';

const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 100;

/** Thrown for a bad query parameter; the HTTP filter answers 400 with the field. */
export class AdminQueryError extends Error {
  readonly status: number;
  constructor(
    readonly code: 'invalid_parameter' | 'unknown_read_model',
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.status = code === 'unknown_read_model' ? 404 : 400;
  }
}

export class AuditEntryDto {
  @ApiProperty({ example: '6f1c2a0e-8d5b-4c1e-9a57-3b2f0d1e4c6a' })
  id!: string;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  timestamp!: string;

  @ApiProperty({ example: 'seed_5b1c0f7e9a2d4c36', description: 'The key that sent the command (`system:seed` for the process itself)' })
  actor_key_id!: string;

  @ApiPropertyOptional({ example: 'acme' })
  tenant_id!: string | null;

  @ApiProperty({ example: 'CreateTenant', description: 'The command (the original called it action)' })
  action!: string;

  @ApiPropertyOptional({ example: 'acme', description: 'The tenant or key it acted on' })
  target!: string | null;

  @ApiProperty({ enum: ['accepted', 'refused'] })
  outcome!: string;

  @ApiPropertyOptional({ example: 'tenant_exists' })
  error_code!: string | null;

  @ApiProperty({ type: [String], example: ['name', 'retention_days', 'quotas'] })
  changed_fields!: string[];

  @ApiPropertyOptional({ example: '127.0.0.1' })
  client_ip!: string | null;

  @ApiPropertyOptional({ example: 'req-42' })
  request_id!: string | null;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] })
  audit_logs!: AuditEntryDto[];

  @ApiProperty({ example: 1 })
  count!: number;

  @ApiPropertyOptional({ description: 'Pass as `cursor` for the next (older) page; null on the last page' })
  next_cursor!: string | null;
}

/** The admin audit: every admin command, accepted or refused, newest first. */
@ApiTags('admin: audit')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('v1/admin')
export class AdminAuditHttpController {
  constructor(private readonly audit: AdminAuditService) {}

  @Get('audit')
  @ApiOperation({
    summary: 'The admin audit, newest first',
    description: 'Every admin command, accepted or refused. Filters combine; pages with `next_cursor`.',
  })
  @ApiQuery({ name: 'actor', required: false, description: 'actor key id' })
  @ApiQuery({ name: 'tenant_id', required: false })
  @ApiQuery({ name: 'action', required: false, description: 'the command, e.g. IssueApiKey' })
  @ApiQuery({ name: 'outcome', required: false, enum: ['accepted', 'refused'] })
  @ApiQuery({ name: 'since', required: false, description: 'RFC 3339, inclusive' })
  @ApiQuery({ name: 'until', required: false, description: 'RFC 3339, exclusive' })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: AuditPageDto })
  async list(@Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<AuditPageDto> {
    const limit = integer(query.limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
    const outcome = text(query.outcome, 'outcome') as 'accepted' | 'refused' | undefined;
    if (outcome !== undefined && outcome !== 'accepted' && outcome !== 'refused') {
      throw new AdminQueryError('invalid_parameter', 'outcome must be accepted or refused', { field: 'outcome' });
    }
    const cursor = text(query.cursor, 'cursor');
    await this.audit.caughtUp();
    const rows = await this.audit.projection.list({
      ...optional('actorKeyId', text(query.actor, 'actor')),
      // An admin acting as a tenant (X-Tenant-ID) sees that tenant's entries only.
      ...optional('tenantId', request.principal?.actingAsTenant ? request.principal.tenantId : text(query.tenant_id, 'tenant_id')),
      ...optional('command', text(query.action, 'action')),
      ...optional('outcome', outcome),
      ...optional('sinceMs', time(query.since, 'since')),
      ...optional('untilMs', time(query.until, 'until')),
      ...(cursor ? { before: parseCursor(cursor) } : {}),
      limit,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      audit_logs: page.map(entryOf),
      count: page.length,
      next_cursor: rows.length > limit && last ? Buffer.from(`${last.occurredMs}:${last.id}`).toString('base64url') : null,
    };
  }

  @Post('rebuild/:model')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Drop a control-plane read model and rebuild it by replaying telemetry.control.v1',
    description: `Models: ${ADMIN_AUDIT_PROJECTION}.`,
  })
  async rebuild(@Param('model') model: string): Promise<{ model: string; rows: number }> {
    if (model !== ADMIN_AUDIT_PROJECTION) {
      throw new AdminQueryError('unknown_read_model', `No read model "${model}"; one of: ${ADMIN_AUDIT_PROJECTION}`, {
        model,
        models: [ADMIN_AUDIT_PROJECTION],
      });
    }
    return { model, rows: await this.audit.rebuild() };
  }
}

function entryOf(row: AdminAuditEntity): AuditEntryDto {
  return {
    id: row.id,
    timestamp: new Date(Number(row.occurredMs)).toISOString(),
    actor_key_id: row.actorKeyId,
    tenant_id: row.tenantId,
    action: row.command,
    target: row.target,
    outcome: row.outcome,
    error_code: row.errorCode,
    changed_fields: JSON.parse(row.changedFields) as string[],
    client_ip: row.clientIp,
    request_id: row.requestId,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new AdminQueryError('invalid_parameter', `${field} must be given once`, { field });
  return value;
}

function integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
  const raw = text(value, field);
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new AdminQueryError('invalid_parameter', `${field} must be an integer from ${min} to ${max}`, { field });
  return parsed;
}

function time(value: unknown, field: string): number | undefined {
  const raw = text(value, field);
  if (raw === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw new AdminQueryError('invalid_parameter', `${field} must be an RFC 3339 timestamp`, { field });
  return ms;
}

function parseCursor(cursor: string): { occurredMs: string; id: string } {
  const match = /^(\d{1,16}):(.{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AdminQueryError('invalid_parameter', 'cursor is not one this API gave out', { field: 'cursor' });
  return { occurredMs: match[1], id: match[2] };
}
