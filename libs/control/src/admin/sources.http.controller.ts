import { Body, Controller, Delete, Get, HttpCode, Inject, Injectable, Param, Patch, Post, Query, Req } from '@nestjs/common';
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
import { AuthenticatedRequest, Principal, RequireScope } from '@telemetry/auth';
import { SOURCE_TYPES } from '@telemetry/contracts';
import { ControlCommandError } from '../control-decision';
import { CONTROL_CONFIG, ControlConfig, DEFAULT_FEATURE_FLAGS } from '../control.config';
import { effectiveFlags } from '../flags/feature-flags.decider';
import { ControlPlaneService } from '../control-plane.service';
import { admissionOf } from '../sources/source-admission';
import { locateSource, Source, SourceActor } from '../sources/source.decider';
import { parseAdmissionTest, parseRegisterSource, parseUpdateSource } from './admin-request.parser';
import { AdminErrorDto, commandMeta, principalOf } from './admin.views';
import { intelActorOf } from './indicators.http.controller';
import {
  AdmissionResultDto,
  AdmissionTestDto,
  SourceCreateDto,
  SourceDeletedDto,
  SourceListDto,
  SourceResponseDto,
  SourceUpdateDto,
  sourceView,
} from './sources.views';

const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 50;
const HEALTH_STATUSES = ['healthy', 'degraded', 'stale'] as const;

export interface SourceFilter {
  readonly type?: string;
  readonly status?: string;
  readonly enabled?: string;
  readonly site?: string;
  readonly collector?: string;
  readonly tenant?: string;
  readonly page?: string;
  readonly size?: string;
  readonly page_size?: string;
}

/** Who a sources request acts as: an admin key without X-Tenant-ID acts globally, any other for its tenant. */
const sourceActorOf = (principal: Principal): SourceActor => intelActorOf(principal);

@Injectable()
export class SourcesService {
  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
  ) {}

  async register(body: unknown, request: AuthenticatedRequest): Promise<SourceResponseDto> {
    const as = sourceActorOf(principalOf(request));
    const events = await this.control.executeRequest('RegisterSource', commandMeta(request), () => {
      const { sourceId, tenantId, type, ...rest } = parseRegisterSource(body);
      return { type: 'RegisterSource', as, sourceId, sourceType: type, ...rest, ...(tenantId !== undefined ? { tenantId } : {}) };
    });
    const registered = events.find((event) => event.type === 'SourceRegistered');
    if (registered?.type !== 'SourceRegistered') throw new Error('RegisterSource accepted without a SourceRegistered event');
    return sourceView(this.get(registered.data.sourceId, { tenantId: registered.data.tenantId }));
  }

  async update(sourceId: string, tenant: string | undefined, body: unknown, request: AuthenticatedRequest): Promise<SourceResponseDto> {
    const as = sourceActorOf(principalOf(request));
    const target = { sourceId, as, ...(tenant ? { tenant } : {}) };
    await this.control.executeRequest(
      'UpdateSource',
      commandMeta(request),
      () => ({ type: 'UpdateSource', ...target, changes: parseUpdateSource(body) }),
      sourceId,
    );
    // An update changes neither the id nor the tenant: the same target names it.
    return sourceView(this.get(sourceId, as, tenant));
  }

  async remove(sourceId: string, tenant: string | undefined, request: AuthenticatedRequest): Promise<SourceDeletedDto> {
    const as = sourceActorOf(principalOf(request));
    await this.control.executeRequest(
      'DeleteSource',
      commandMeta(request),
      () => ({ type: 'DeleteSource', sourceId, as, ...(tenant ? { tenant } : {}) }),
      sourceId,
    );
    return { message: 'Source deleted successfully', id: sourceId };
  }

  admissionTest(sourceId: string, tenant: string | undefined, body: unknown, principal: Principal): AdmissionResultDto {
    const source = this.get(sourceId, sourceActorOf(principal), tenant);
    const { clientIp } = parseAdmissionTest(body);
    const flags = effectiveFlags(this.config.featureFlagDefaults ?? DEFAULT_FEATURE_FLAGS, this.control.state.featureFlagOverrides);
    const reason = admissionOf(source, clientIp, { compatAllowEmptyIps: flags.ADMISSION_COMPAT_ALLOW_EMPTY_IPS });
    return {
      allowed: reason === 'allowed',
      reason,
      source_id: source.sourceId,
      client_ip: clientIp,
      source_status: source.status,
      source_allowed_ips: [...source.allowedIps],
    };
  }

  get(sourceId: string, as: SourceActor, tenant?: string): Source {
    const found = locateSource(this.control.state, { sourceId, as, ...(tenant ? { tenant } : {}) });
    if ('error' in found) throw found.error;
    return found.source;
  }

  list(filter: SourceFilter, principal: Principal): SourceListDto {
    const as = sourceActorOf(principal);
    const checks: Array<(source: Source) => boolean> = [];
    const tenant = filter.tenant || undefined;
    if (as.tenantId !== undefined) {
      if (tenant !== undefined && tenant !== as.tenantId) {
        throw new ControlCommandError('tenant_mismatch', 403, `This key acts for tenant "${as.tenantId}"`, { field: 'tenant' });
      }
      checks.push((source) => source.tenantId === as.tenantId);
    } else if (tenant !== undefined) checks.push((source) => source.tenantId === tenant);
    if (filter.type) {
      const type = choice(filter.type, 'type', SOURCE_TYPES);
      checks.push((source) => source.type === type);
    }
    if (filter.status) {
      // enabled|disabled: the source's status; healthy|degraded|stale: its health (the original filtered that).
      const status = choice(filter.status, 'status', ['enabled', 'disabled', ...HEALTH_STATUSES]);
      if ((HEALTH_STATUSES as readonly string[]).includes(status)) checks.push(() => status === 'stale');
      else checks.push((source) => source.status === status);
    }
    if (filter.enabled !== undefined && filter.enabled !== '') {
      const enabled = choice(filter.enabled.toLowerCase(), 'enabled', ['true', 'false']) === 'true';
      checks.push((source) => (source.status === 'enabled') === enabled);
    }
    if (filter.site) checks.push((source) => source.site === filter.site);
    if (filter.collector) checks.push((source) => source.collector === filter.collector);
    const page = integer(filter.page, 'page', 1, Number.MAX_SAFE_INTEGER) ?? 1;
    const size = integer(filter.size ?? filter.page_size, filter.size !== undefined ? 'size' : 'page_size', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
    const matching = this.control.state.sources.list().filter((source) => checks.every((check) => check(source)));
    const items = matching.slice((page - 1) * size, page * size).map(sourceView);
    return { sources: items, items, total: matching.length, page, size, page_size: size, pages: Math.ceil(matching.length / size) };
  }
}

function choice<T extends string>(value: string, field: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(value)) {
    throw new ControlCommandError('invalid_parameter', 422, `${field} must be one of ${values.join(', ')}`, { field });
  }
  return value as T;
}

function integer(value: string | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ControlCommandError('invalid_parameter', 422, `${field} must be an integer from ${min} to ${max}`, { field });
  }
  return n;
}

const TENANT_QUERY = {
  name: 'tenant',
  required: false,
  description: 'For an admin acting globally: which tenant’s source, when several tenants use the id (otherwise 409 `source_ambiguous`)',
} as const;

/**
 * The sources registry (the original's /v1/sources): what sends a tenant's flows, with its allowed
 * networks and rate, event-sourced on telemetry.control.v1 and folded by every process. Writes need
 * the admin scope (an admin with X-Tenant-ID acts for that tenant only); reads need read_sources.
 */
@ApiTags('sources')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the scope, or names another tenant (`tenant_mismatch`)', type: AdminErrorDto })
@Controller('v1/sources')
export class SourcesHttpController {
  constructor(private readonly sources: SourcesService) {}

  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Register a source',
    description:
      'The original’s SourceCreate. Unlike the original, `tenant_id` is honoured: an admin key acting globally may name any tenant (absent: its own); with X-Tenant-ID it registers for that tenant, and naming another is 403.',
  })
  @ApiBody({ type: SourceCreateDto })
  @ApiCreatedResponse({ type: SourceResponseDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`source_exists`: the id is taken in that tenant', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]` (e.g. `allowed_ips[2]`)', type: AdminErrorDto })
  register(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<SourceResponseDto> {
    return this.sources.register(body, request);
  }

  @Get()
  @RequireScope('read_sources')
  @ApiOperation({
    summary: 'List sources',
    description:
      'The caller’s tenant’s (an admin acting globally sees every tenant’s), by tenant then id. `health_status` is `stale` and `last_seen` null for every source until the ingest path records when a source was seen.',
  })
  @ApiQuery({ name: 'type', required: false, enum: SOURCE_TYPES })
  @ApiQuery({ name: 'status', required: false, enum: ['enabled', 'disabled', ...HEALTH_STATUSES], description: 'The status, or the health_status' })
  @ApiQuery({ name: 'enabled', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'site', required: false })
  @ApiQuery({ name: 'collector', required: false })
  @ApiQuery({ name: 'tenant', required: false, description: 'One tenant’s only (another tenant’s is 403 for a tenant’s key)' })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'size', required: false, description: `1-${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}`, example: DEFAULT_PAGE_SIZE })
  @ApiQuery({ name: 'page_size', required: false, description: 'Alias of size' })
  @ApiOkResponse({ type: SourceListDto })
  @ApiUnprocessableEntityResponse({ description: '`invalid_parameter` with `field`', type: AdminErrorDto })
  list(@Query() filter: SourceFilter, @Req() request: AuthenticatedRequest): SourceListDto {
    return this.sources.list(filter, principalOf(request));
  }

  @Get(':id')
  @RequireScope('read_sources')
  @ApiOperation({ summary: 'One source', description: 'Another tenant’s is 404 to a tenant’s key.' })
  @ApiQuery(TENANT_QUERY)
  @ApiOkResponse({ type: SourceResponseDto })
  @ApiNotFoundResponse({ description: '`source_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`source_ambiguous`', type: AdminErrorDto })
  get(@Param('id') id: string, @Query('tenant') tenant: string | undefined, @Req() request: AuthenticatedRequest): SourceResponseDto {
    return sourceView(this.sources.get(id, sourceActorOf(principalOf(request)), tenant || undefined));
  }

  @Patch(':id')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Change a source',
    description:
      'Any of display_name, status, allowed_ips, max_eps, block_on_exceed, site, tags, notes, collector. The admin scope is required (an admin with X-Tenant-ID changes that tenant’s only). A PATCH that changes nothing appends nothing.',
  })
  @ApiQuery(TENANT_QUERY)
  @ApiBody({ type: SourceUpdateDto })
  @ApiOkResponse({ type: SourceResponseDto })
  @ApiNotFoundResponse({ description: '`source_not_found`', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`source_ambiguous`, or `conflict` (a concurrent change won)', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]`', type: AdminErrorDto })
  update(
    @Param('id') id: string,
    @Query('tenant') tenant: string | undefined,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<SourceResponseDto> {
    return this.sources.update(id, tenant || undefined, body, request);
  }

  @Delete(':id')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Delete a source', description: 'The admin scope is required (an admin with X-Tenant-ID deletes that tenant’s only).' })
  @ApiQuery(TENANT_QUERY)
  @ApiOkResponse({ type: SourceDeletedDto })
  @ApiNotFoundResponse({ description: '`source_not_found` (also once it is gone)', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`source_ambiguous`', type: AdminErrorDto })
  remove(@Param('id') id: string, @Query('tenant') tenant: string | undefined, @Req() request: AuthenticatedRequest): Promise<SourceDeletedDto> {
    return this.sources.remove(id, tenant || undefined, request);
  }

  @Post(':id/admission/test')
  @HttpCode(200)
  @RequireScope('read_sources')
  @ApiOperation({
    summary: 'Would this source admit a client address?',
    description:
      'The original’s validate_source_admission: a disabled source admits nothing; otherwise the address must be in allowed_ips, and an empty list admits nothing. The rate limit (max_eps) is not tested here, so `rate_limit` is never answered. Nothing is enforced at ingest yet.',
  })
  @ApiQuery(TENANT_QUERY)
  @ApiBody({ type: AdmissionTestDto })
  @ApiOkResponse({ type: AdmissionResultDto })
  @ApiNotFoundResponse({ description: '`source_not_found`', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: client_ip missing or not an address', type: AdminErrorDto })
  admissionTest(
    @Param('id') id: string,
    @Query('tenant') tenant: string | undefined,
    @Body() body: unknown,
    @Req() request: AuthenticatedRequest,
  ): AdmissionResultDto {
    return this.sources.admissionTest(id, tenant || undefined, body, principalOf(request));
  }
}
