import { BUILT_IN_POLICIES } from '@telemetry/enrichment';
import { randomUUID } from 'node:crypto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AuthenticatedRequest, AuthError, Principal } from '@telemetry/auth';
import { SCOPES, type TenantQuotas } from '@telemetry/contracts';
import { ApiKey, keyIsActive } from '../api-keys/api-key.decider';
import type { CommandMeta } from '../control-plane.service';
import type { Tenant } from '../tenants/tenant.decider';

export class AdminErrorDto {
  @ApiProperty({ example: 'tenant_exists' })
  error!: string;

  @ApiProperty({ example: 'Tenant "acme" already exists' })
  message!: string;
}

export class TenantQuotasDto {
  @ApiPropertyOptional({ description: 'Records per second admitted at ingest (token bucket, burst 2×); 0 = unlimited', example: 5000 })
  eps?: number;

  @ApiPropertyOptional({ description: 'Records per request (at most 10,000)', example: 10000 })
  batch_max?: number;

  @ApiPropertyOptional({ description: 'Ingest requests in flight at once, per process', example: 8 })
  in_flight?: number;
}

export class CreateTenantDto {
  @ApiProperty({ description: 'Lowercase slug: a-z, 0-9 and "-", 1–63 characters', example: 'acme' })
  tenant_id!: string;

  @ApiPropertyOptional({ description: 'Display name (default: the id)', example: 'ACME Corp' })
  name?: string;

  @ApiPropertyOptional({ description: 'Days the read models keep this tenant’s records (default RETENTION_DAYS)', example: 7 })
  retention_days?: number;

  @ApiPropertyOptional({ type: TenantQuotasDto })
  quotas?: TenantQuotasDto;

  @ApiPropertyOptional({ enum: Object.keys(BUILT_IN_POLICIES), description: 'The risk policy scoring its flows (default: the deployment’s RISK_POLICY)' })
  risk_policy?: string;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'ACME Corporation' })
  name?: string;

  @ApiPropertyOptional({ example: 30 })
  retention_days?: number;

  @ApiPropertyOptional({ type: TenantQuotasDto, description: 'Replaces the quotas as a whole' })
  quotas?: TenantQuotasDto;

  @ApiPropertyOptional({
    enum: Object.keys(BUILT_IN_POLICIES),
    nullable: true,
    description: 'The risk policy scoring its flows from the next record on; null: back to the deployment’s RISK_POLICY',
  })
  risk_policy?: string | null;
}

export class TenantDto {
  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({ example: 'ACME Corp' })
  name!: string;

  @ApiProperty({ example: 7 })
  retention_days!: number;

  @ApiProperty({ type: TenantQuotasDto })
  quotas!: TenantQuotas;

  @ApiProperty({ nullable: true, type: String, description: 'The policy chosen for this tenant; null: the deployment’s RISK_POLICY', example: null })
  risk_policy!: string | null;

  @ApiProperty({ example: 2, description: 'Keys neither revoked nor expired' })
  active_keys!: number;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  created_at!: string;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  updated_at!: string;
}

export class TenantListDto {
  @ApiProperty({ type: [TenantDto] })
  tenants!: TenantDto[];

  @ApiProperty({ example: 1 })
  total!: number;
}

export class TenantDeletedDto {
  @ApiProperty({ example: 'deleted' })
  status!: 'deleted';

  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({ type: [String], description: 'Keys that ?force=true revoked' })
  revoked_key_ids!: string[];
}

export class IssueKeyDto {
  @ApiPropertyOptional({ description: 'The tenant the key belongs to (default: the caller’s, or X-Tenant-ID)', example: 'acme' })
  tenant_id?: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['ingest'] })
  scopes!: string[];

  @ApiPropertyOptional({ example: 'zeek sensor 3' })
  name?: string;

  @ApiPropertyOptional({ description: 'RFC 3339; the key stops working then', example: '2027-06-01T00:00:00Z' })
  expires_at?: string;
}

export class RotateKeyDto {
  @ApiPropertyOptional({ description: 'How long the old secret keeps working, in seconds (default KEY_ROTATION_GRACE_S, 86400)', example: 3600 })
  grace_seconds?: number;
}

export class ApiKeyDto {
  @ApiProperty({ example: 'tk_3f9a6c0e21b4d857' })
  key_id!: string;

  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['ingest'] })
  scopes!: string[];

  @ApiPropertyOptional({ example: 'zeek sensor 3' })
  name?: string;

  @ApiProperty({
    enum: ['api', 'seed', 'generated'],
    description: 'Issued through the API, seeded from API_KEY/TELEMETRY_SEED_KEYS, or generated at the embedded first start',
  })
  origin!: string;

  @ApiProperty({ example: true })
  is_active!: boolean;

  @ApiProperty({ example: '2026-12-02T08:00:00.000Z' })
  created_at!: string;

  @ApiPropertyOptional({ example: 'seed_5b1c0f7e9a2d4c36' })
  created_by?: string;

  @ApiPropertyOptional({ example: '2027-06-01T00:00:00.000Z' })
  expires_at?: string;

  @ApiPropertyOptional({ description: 'To 15 minutes’ precision', example: '2026-12-02T08:15:00.000Z' })
  last_used_at?: string;

  @ApiPropertyOptional()
  revoked_at?: string;

  @ApiPropertyOptional()
  rotated_at?: string;
}

export class IssuedKeyDto extends ApiKeyDto {
  @ApiProperty({
    description: 'The secret, shown this once: only a salted hash is stored',
    example: 'tk_3f9a6c0e21b4d857.Q2hhbmdlIG1lIGlmIHlvdSBjYW4gcmVhZCB0aGlzLg',
  })
  api_key!: string;
}

export class RotatedKeyDto extends IssuedKeyDto {
  @ApiProperty({ description: 'Until when the previous secret still works', example: '2026-12-03T08:00:00.000Z' })
  previous_valid_until!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] })
  keys!: ApiKeyDto[];

  @ApiProperty({ example: 1 })
  total!: number;
}

export function tenantView(tenant: Tenant, activeKeys: number): TenantDto {
  return {
    tenant_id: tenant.tenantId,
    name: tenant.name,
    retention_days: tenant.retentionDays,
    quotas: tenant.quotas,
    risk_policy: tenant.riskPolicy ?? null,
    active_keys: activeKeys,
    created_at: tenant.createdAt,
    updated_at: tenant.updatedAt,
  };
}

export function keyView(key: ApiKey, now: Date): ApiKeyDto {
  return {
    key_id: key.keyId,
    tenant_id: key.tenantId,
    scopes: [...key.scopes],
    ...(key.name !== undefined ? { name: key.name } : {}),
    origin: key.origin,
    is_active: keyIsActive(key, now),
    created_at: key.createdAt,
    ...(key.createdBy ? { created_by: key.createdBy } : {}),
    ...(key.expiresAt ? { expires_at: key.expiresAt } : {}),
    ...(key.lastUsedAt ? { last_used_at: key.lastUsedAt } : {}),
    ...(key.revokedAt ? { revoked_at: key.revokedAt } : {}),
    ...(key.rotatedAt ? { rotated_at: key.rotatedAt } : {}),
  };
}

export function principalOf(request: AuthenticatedRequest): Principal {
  if (!request.principal) throw new AuthError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
  return request.principal;
}

/** Who, from where, under which request id: what the audit entry of an admin command records. */
export function commandMeta(request: AuthenticatedRequest): CommandMeta {
  const principal = principalOf(request);
  const header = request.headers['x-request-id'];
  const requestId = (Array.isArray(header) ? header[0] : header)?.slice(0, 128) || randomUUID();
  return {
    actor: { keyId: principal.keyId, tenantId: principal.keyTenantId },
    requestId,
    ...(request.socket?.remoteAddress ? { clientIp: request.socket.remoteAddress } : {}),
    audit: true,
  };
}
