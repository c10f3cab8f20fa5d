import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
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
import { AuthenticatedRequest, RequireScope } from '@telemetry/auth';
import { CLOCK } from '@telemetry/platform';
import { ControlCommandError } from '../control-decision';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { ControlPlaneService } from '../control-plane.service';
import { Tenant } from '../tenants/tenant.decider';
import { parseCreateTenant, parseForce, parseUpdateTenant } from './admin-request.parser';
import { commandMeta, CreateTenantDto, AdminErrorDto, TenantDeletedDto, TenantDto, TenantListDto, tenantView, UpdateTenantDto } from './admin.views';

/** Tenants: the unit of isolation. Every command becomes events on telemetry.control.v1 and an audit entry. */
@ApiTags('admin: tenants')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: AdminErrorDto })
@RequireScope('admin')
@Controller('v1/admin/tenants')
export class TenantsHttpController {
  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiBody({ type: CreateTenantDto })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiConflictResponse({ description: '`tenant_exists`, or `tenant_id_retired` (a deleted tenant’s id)', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]`', type: AdminErrorDto })
  async create(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<TenantDto> {
    let tenantId = '';
    await this.control.executeRequest('CreateTenant', commandMeta(request), () => {
      const parsed = parseCreateTenant(body);
      tenantId = parsed.tenantId;
      return { type: 'CreateTenant', ...parsed, retentionDays: parsed.retentionDays ?? this.config.defaultRetentionDays };
    });
    return this.view(this.liveTenant(tenantId));
  }

  @Get()
  @ApiOperation({ summary: 'List the tenants', description: 'Deleted tenants are left out unless `include_deleted=true`.' })
  @ApiQuery({ name: 'include_deleted', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: TenantListDto })
  list(@Req() request: AuthenticatedRequest, @Query('include_deleted') includeDeleted?: string): TenantListDto {
    const acting = request.principal?.actingAsTenant ? request.principal.tenantId : undefined;
    const tenants = this.control.state
      .listTenants({ includeDeleted: parseForce(includeDeleted) })
      .filter((tenant) => acting === undefined || tenant.tenantId === acting)
      .map((tenant) => this.view(tenant));
    return { tenants, total: tenants.length };
  }

  @Get(':tenantId')
  @ApiOperation({ summary: 'One tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  get(@Param('tenantId') tenantId: string): TenantDto {
    return this.view(this.liveTenant(tenantId));
  }

  @Patch(':tenantId')
  @ApiOperation({ summary: 'Change a tenant’s name, retention or quotas' })
  @ApiBody({ type: UpdateTenantDto })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`', type: AdminErrorDto })
  async update(@Param('tenantId') tenantId: string, @Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<TenantDto> {
    await this.control.executeRequest('UpdateTenant', commandMeta(request), () => ({ type: 'UpdateTenant', tenantId, ...parseUpdateTenant(body) }), tenantId);
    return this.view(this.liveTenant(tenantId));
  }

  @Delete(':tenantId')
  @ApiOperation({
    summary: 'Delete a tenant',
    description:
      'Refused (409 `tenant_has_active_keys`) while the tenant has active keys, unless `force=true`, which revokes them. The default tenant cannot be deleted.',
  })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: TenantDeletedDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`tenant_has_active_keys` (with `active_key_ids`) or `default_tenant`', type: AdminErrorDto })
  async remove(@Param('tenantId') tenantId: string, @Query('force') force: unknown, @Req() request: AuthenticatedRequest): Promise<TenantDeletedDto> {
    const events = await this.control.executeRequest(
      'DeleteTenant',
      commandMeta(request),
      () => ({ type: 'DeleteTenant', tenantId, force: parseForce(force) }),
      tenantId,
    );
    const revoked = events.flatMap((event) => (event.type === 'ApiKeyRevoked' ? [event.data.keyId] : []));
    return { status: 'deleted', tenant_id: tenantId, revoked_key_ids: revoked };
  }

  private liveTenant(tenantId: string): Tenant {
    const tenant = this.control.state.liveTenant(tenantId);
    if (!tenant) throw new ControlCommandError('tenant_not_found', 404, `No tenant "${tenantId}"`, { tenant_id: tenantId });
    return tenant;
  }

  private view(tenant: Tenant): TenantDto {
    return tenantView(tenant, this.control.state.activeKeyIds(tenant.tenantId, this.clock()).length);
  }
}
