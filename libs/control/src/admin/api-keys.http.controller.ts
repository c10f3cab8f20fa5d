import { Body, Controller, Delete, Get, HttpCode, Inject, Injectable, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, generateIssuedToken, RequireScope, saltedSecret } from '@telemetry/auth';
import { SCOPES, type Scope } from '@telemetry/contracts';
import { CLOCK, Public } from '@telemetry/platform';
import { ApiKey } from '../api-keys/api-key.decider';
import { ControlCommandError } from '../control-decision';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { ControlPlaneService } from '../control-plane.service';
import { parseForce, parseIssueKey, parseRotateKey } from './admin-request.parser';
import {
  ApiKeyDto,
  ApiKeyListDto,
  commandMeta,
  AdminErrorDto,
  IssueKeyDto,
  IssuedKeyDto,
  keyView,
  principalOf,
  RotatedKeyDto,
  RotateKeyDto,
} from './admin.views';

export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  ingest: 'POST /v1/ingest/*: send records',
  read_metrics: 'GET /v1/metrics and the dashboard',
  read_requests: 'The request audit and the dead-letter queues',
  export: 'Downloads and exports (GET /v1/download/*), DLQ replay',
  manage_indicators: 'Threat-intel indicators and feeds',
  read_sources: 'GET /v1/sources',
  admin: 'Everything, including /v1/admin/* (tenants, keys) and acting as another tenant with X-Tenant-ID',
};

/** The use cases behind both key APIs (/v1/admin/keys and the v0.7.9 /v1/keys). */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  async issue(body: unknown, request: AuthenticatedRequest): Promise<IssuedKeyDto> {
    const issued = generateIssuedToken();
    await this.control.executeRequest('IssueApiKey', commandMeta(request), () => {
      const { tenantId, scopes, name, expiresAt } = parseIssueKey(body);
      return {
        type: 'IssueApiKey',
        keyId: issued.keyId,
        tenantId: tenantId ?? principalOf(request).tenantId,
        scopes,
        ...(name ? { name } : {}),
        ...(expiresAt ? { expiresAt } : {}),
        secret: saltedSecret(issued.secret),
        origin: 'api',
      };
    });
    return { ...keyView(this.key(issued.keyId), this.clock()), api_key: issued.token };
  }

  async rotate(keyId: string, body: unknown, request: AuthenticatedRequest): Promise<RotatedKeyDto> {
    const issued = generateIssuedToken(keyId);
    const events = await this.control.executeRequest(
      'RotateApiKey',
      commandMeta(request),
      () => ({
        type: 'RotateApiKey',
        keyId,
        secret: saltedSecret(issued.secret),
        graceSeconds: parseRotateKey(body, this.config.keyRotationGraceS).graceSeconds,
      }),
      keyId,
    );
    const rotated = events.find((event) => event.type === 'ApiKeyRotated');
    const previousValidUntil = rotated?.type === 'ApiKeyRotated' ? rotated.data.previousValidUntil : '';
    return { ...keyView(this.key(keyId), this.clock()), api_key: issued.token, previous_valid_until: previousValidUntil };
  }

  async revoke(keyId: string, request: AuthenticatedRequest): Promise<ApiKeyDto> {
    await this.control.execute({ type: 'RevokeApiKey', keyId }, commandMeta(request));
    return keyView(this.key(keyId), this.clock());
  }

  list(tenantId: string | undefined, includeRevoked: boolean): ApiKeyDto[] {
    const now = this.clock();
    const keys = tenantId ? this.control.state.keysOf(tenantId) : this.control.state.listKeys();
    return keys
      .filter((key) => includeRevoked || !key.revokedAt)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId))
      .map((key) => keyView(key, now));
  }

  key(keyId: string): ApiKey {
    const key = this.control.state.key(keyId);
    if (!key) throw new ControlCommandError('key_not_found', 404, `No key "${keyId}"`, { key_id: keyId });
    return key;
  }
}

/** API keys: issued with their secret shown once, listed without secrets, revoked, rotated. */
@ApiTags('admin: API keys')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: AdminErrorDto })
@RequireScope('admin')
@Controller('v1/admin/keys')
export class ApiKeysHttpController {
  constructor(
    private readonly keys: ApiKeysService,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Issue an API key',
    description: 'The answer holds the secret (`api_key`) this once; only a salted hash is stored. The key works on the next request to any process.',
  })
  @ApiBody({ type: IssueKeyDto })
  @ApiCreatedResponse({ type: IssuedKeyDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]`', type: AdminErrorDto })
  issue(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<IssuedKeyDto> {
    return this.keys.issue(body, request);
  }

  @Get()
  @ApiOperation({
    summary: 'List API keys (never their secrets)',
    description: 'Every tenant’s, or one with `tenant_id`; revoked keys with `include_revoked=true`.',
  })
  @ApiQuery({ name: 'tenant_id', required: false })
  @ApiQuery({ name: 'include_revoked', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: ApiKeyListDto })
  list(@Req() request: AuthenticatedRequest, @Query('tenant_id') tenantId?: string, @Query('include_revoked') includeRevoked?: string): ApiKeyListDto {
    // An admin acting as a tenant (X-Tenant-ID) sees that tenant's keys only.
    const principal = principalOf(request);
    const keys = this.keys.list(principal.actingAsTenant ? principal.tenantId : tenantId || undefined, parseForce(includeRevoked));
    return { keys, total: keys.length };
  }

  @Get(':keyId')
  @ApiOperation({ summary: 'One API key (no secret)' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: '`key_not_found`', type: AdminErrorDto })
  get(@Param('keyId') keyId: string): ApiKeyDto {
    return keyView(this.keys.key(keyId), this.clock());
  }

  @Delete(':keyId')
  @ApiOperation({ summary: 'Revoke an API key', description: 'It stops working on every process within a second.' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: '`key_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`key_revoked`: already revoked', type: AdminErrorDto })
  revoke(@Param('keyId') keyId: string, @Req() request: AuthenticatedRequest): Promise<ApiKeyDto> {
    return this.keys.revoke(keyId, request);
  }

  @Post(':keyId/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key (for clients that cannot send DELETE)' })
  @ApiOkResponse({ type: ApiKeyDto })
  revokeByPost(@Param('keyId') keyId: string, @Req() request: AuthenticatedRequest): Promise<ApiKeyDto> {
    return this.keys.revoke(keyId, request);
  }

  @Post(':keyId/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate an API key’s secret',
    description: 'Same key id and scopes, a new secret (shown once); the old secret keeps working for `grace_seconds` (default KEY_ROTATION_GRACE_S, 24 h).',
  })
  @ApiBody({ type: RotateKeyDto, required: false })
  @ApiOkResponse({ type: RotatedKeyDto })
  @ApiNotFoundResponse({ description: '`key_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`key_inactive` or `key_not_rotatable` (a configured seed key)', type: AdminErrorDto })
  rotate(@Param('keyId') keyId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<RotatedKeyDto> {
    return this.keys.rotate(keyId, body, request);
  }
}

/** The v0.7.9 key API (`/v1/keys`), kept as aliases over the same use cases and shapes of that version. */
@ApiTags('admin: API keys (v0.7.9 aliases)')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('v1/keys')
export class LegacyKeysHttpController {
  constructor(private readonly keys: ApiKeysService) {}

  @Public()
  @Get('scopes')
  @ApiOperation({ summary: 'The scopes a key may hold, with what each allows (no key needed)' })
  @ApiOkResponse({ schema: { example: { scopes: { ingest: SCOPE_DESCRIPTIONS.ingest, admin: SCOPE_DESCRIPTIONS.admin }, total: SCOPES.length } } })
  scopes(): { scopes: Record<string, string>; total: number } {
    return { scopes: { ...SCOPE_DESCRIPTIONS }, total: SCOPES.length };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue a key of the caller’s tenant (v0.7.9 shape)', deprecated: true, description: 'Use POST /v1/admin/keys.' })
  @ApiBody({ schema: { example: { scopes: ['read_metrics'], note: 'grafana' } } })
  @ApiCreatedResponse({
    schema: {
      example: {
        key_id: 'tk_3f9a6c0e21b4d857',
        api_key: 'tk_3f9a6c0e21b4d857.…',
        scopes: ['read_metrics'],
        note: 'grafana',
        created_at: '2026-12-02T08:00:00.000Z',
      },
    },
  })
  async issue(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<Record<string, unknown>> {
    const key = await this.keys.issue(body, request);
    return { key_id: key.key_id, api_key: key.api_key, scopes: key.scopes, note: key.name ?? null, created_at: key.created_at };
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s tenant’s keys (v0.7.9 shape)', deprecated: true, description: 'Use GET /v1/admin/keys.' })
  list(@Req() request: AuthenticatedRequest): { keys: Record<string, unknown>[]; total: number } {
    const keys = this.keys.list(principalOf(request).tenantId, true).map((key) => ({
      key_id: key.key_id,
      scopes: key.scopes,
      note: key.name ?? null,
      created_by: key.created_by ?? null,
      created_at: key.created_at,
      last_used_at: key.last_used_at ?? null,
      is_active: key.is_active,
    }));
    return { keys, total: keys.length };
  }

  @Delete(':keyId')
  @ApiOperation({ summary: 'Revoke a key (v0.7.9 shape)', deprecated: true, description: 'Use DELETE /v1/admin/keys/{key_id}.' })
  @ApiOkResponse({ schema: { example: { status: 'deleted', key_id: 'tk_3f9a6c0e21b4d857' } } })
  async revoke(@Param('keyId') keyId: string, @Req() request: AuthenticatedRequest): Promise<{ status: 'deleted'; key_id: string }> {
    await this.keys.revoke(keyId, request);
    return { status: 'deleted', key_id: keyId };
  }

  @Post(':keyId/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a key (v0.7.9 shape)', deprecated: true, description: 'Use POST /v1/admin/keys/{key_id}/rotate.' })
  async rotate(@Param('keyId') keyId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<Record<string, unknown>> {
    const key = await this.keys.rotate(keyId, body, request);
    return { key_id: key.key_id, api_key: key.api_key, scopes: key.scopes, note: key.name ?? null, rotated_at: key.rotated_at };
  }
}
