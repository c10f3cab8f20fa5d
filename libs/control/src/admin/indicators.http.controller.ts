import { Body, Controller, Delete, Get, HttpCode, Inject, Injectable, Param, Post, Put, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  ApiConflictResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, Principal, RequireScope } from '@telemetry/auth';
import { parseCidr, parseIp } from '@telemetry/enrichment';
import { CLOCK } from '@telemetry/platform';
import { ControlCommandError } from '../control-decision';
import { ControlPlaneService } from '../control-plane.service';
import { IndicatorRecord, indicatorIdOf, IntelActor } from '../intel/indicator.decider';
import { parseAddIndicator, parseForce } from './admin-request.parser';
import { AdminErrorDto, commandMeta, principalOf } from './admin.views';
import { AddIndicatorDto, IndicatorAddedDto, IndicatorDeletedDto, IndicatorDto, IndicatorListDto, indicatorView } from './intel.views';

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;

/** Who a threat-intel request acts as: an admin key without X-Tenant-ID acts globally, any other key for its tenant. */
export function intelActorOf(principal: Principal): IntelActor {
  return principal.scopes.includes('admin') && !principal.actingAsTenant ? {} : { tenantId: principal.tenantId };
}

/** The scope a new indicator or feed gets: what the body names for a global admin, else the caller's tenant (naming another is 403). */
export function targetTenantOf(principal: Principal, requested: string | undefined): string | undefined {
  const actor = intelActorOf(principal);
  if (actor.tenantId === undefined) return requested;
  if (requested !== undefined && requested !== actor.tenantId) {
    throw new ControlCommandError('tenant_mismatch', 403, `This key acts for tenant "${actor.tenantId}" and cannot add to tenant "${requested}"`, {
      field: 'tenant_id',
    });
  }
  return actor.tenantId;
}

/** Whether `actor` may see `item`: global ones and its own tenant's (an admin acting globally sees every one). */
export function visibleTo(actor: IntelActor, item: { readonly tenantId?: string }): boolean {
  return actor.tenantId === undefined || item.tenantId === undefined || item.tenantId === actor.tenantId;
}

export interface IndicatorFilter {
  readonly ip?: string;
  readonly q?: string;
  readonly category?: string;
  readonly source?: string;
  readonly min_confidence?: string;
  readonly tenant_id?: string;
  readonly feed_id?: string;
  readonly include_expired?: string;
  readonly page?: string;
  readonly size?: string;
}

@Injectable()
export class IndicatorsService {
  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  async add(body: unknown, request: AuthenticatedRequest): Promise<IndicatorAddedDto> {
    const principal = principalOf(request);
    let id = '';
    let existed = false;
    await this.control.executeRequest('AddIndicator', commandMeta(request), () => {
      const parsed = parseAddIndicator(body);
      const tenantId = targetTenantOf(principal, parsed.tenantId);
      id = indicatorIdOf(tenantId, parsed.value, parsed.source);
      existed = this.control.state.indicator(id) !== undefined;
      const { tenantId: _requested, ...rest } = parsed;
      return { type: 'AddIndicator', ...rest, ...(tenantId !== undefined ? { tenantId } : {}) };
    });
    return { status: 'added', ...this.view(this.get(id, principal)), created: !existed };
  }

  async remove(indicatorId: string, request: AuthenticatedRequest): Promise<IndicatorDeletedDto> {
    const as = intelActorOf(principalOf(request));
    await this.control.executeRequest('RemoveIndicator', commandMeta(request), () => ({ type: 'RemoveIndicator', indicatorId, as }), indicatorId);
    return { status: 'deleted', id: indicatorId };
  }

  get(indicatorId: string, principal: Principal): IndicatorRecord {
    const indicator = this.control.state.indicator(indicatorId);
    if (!indicator || !visibleTo(intelActorOf(principal), indicator)) {
      throw new ControlCommandError('indicator_not_found', 404, `No indicator "${indicatorId}"`, { id: indicatorId });
    }
    return indicator;
  }

  list(filter: IndicatorFilter, principal: Principal): IndicatorListDto {
    const actor = intelActorOf(principal);
    const predicate = indicatorPredicate(filter, this.clock().getTime());
    const scope = scopeFilter(filter.tenant_id, actor);
    const page = positiveInteger(filter.page, 'page', 1, Number.MAX_SAFE_INTEGER) ?? 1;
    const size = positiveInteger(filter.size, 'size', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
    const first = (page - 1) * size;
    const items: IndicatorDto[] = [];
    let total = 0;
    const nowMs = this.clock().getTime();
    // In the order they were first added (the fold's order): stable across pages, and no sort of a million entries.
    for (const indicator of this.control.state.intel.indicators()) {
      if (!visibleTo(actor, indicator) || !scope(indicator) || !predicate(indicator)) continue;
      if (total >= first && items.length < size) items.push(indicatorView(indicator, nowMs));
      total++;
    }
    return { indicators: items, items, total, page, size, pages: Math.ceil(total / size) };
  }

  view(indicator: IndicatorRecord): IndicatorDto {
    return indicatorView(indicator, this.clock().getTime());
  }
}

/** `tenant_id=` on a list: `global` for the global ones only, a tenant for its own only. */
function scopeFilter(value: string | undefined, actor: IntelActor): (item: { readonly tenantId?: string }) => boolean {
  if (value === undefined || value === '') return () => true;
  if (value === 'global') return (item) => item.tenantId === undefined;
  if (actor.tenantId !== undefined && value !== actor.tenantId) {
    throw new ControlCommandError('tenant_mismatch', 403, `This key acts for tenant "${actor.tenantId}"`, { field: 'tenant_id' });
  }
  return (item) => item.tenantId === value;
}

function indicatorPredicate(filter: IndicatorFilter, nowMs: number): (indicator: IndicatorRecord) => boolean {
  const checks: Array<(indicator: IndicatorRecord) => boolean> = [];
  if (filter.ip !== undefined && filter.ip !== '') {
    const covering = coveringNetworks(filter.ip);
    checks.push((indicator) => covering.has(indicator.value));
  }
  if (filter.q) {
    const q = filter.q.toLowerCase();
    checks.push((indicator) => indicator.value.includes(q));
  }
  if (filter.category) {
    const category = filter.category.toLowerCase();
    checks.push((indicator) => indicator.category.toLowerCase() === category);
  }
  if (filter.source) checks.push((indicator) => indicator.source === filter.source);
  if (filter.feed_id) checks.push((indicator) => indicator.feedId === filter.feed_id);
  const minConfidence = positiveInteger(filter.min_confidence, 'min_confidence', 0, 100);
  if (minConfidence !== undefined) checks.push((indicator) => indicator.confidence >= minConfidence);
  if (!parseForce(filter.include_expired)) checks.push((indicator) => indicator.expiresAt === undefined || Date.parse(indicator.expiresAt) > nowMs);
  return (indicator) => checks.every((check) => check(indicator));
}

/** Every network that contains `ip` (`ip/0` … `ip/32` or `/128`), canonical: an indicator covers it when its value is one of them. */
function coveringNetworks(ip: string): Set<string> {
  const parsed = parseIp(ip.trim());
  if (!parsed) throw new ControlCommandError('invalid_parameter', 422, `ip must be an IPv4 or IPv6 address, got ${JSON.stringify(ip)}`, { field: 'ip' });
  const text = ip.trim();
  const bits = parsed.family === 4 ? 32 : 128;
  const networks = new Set<string>();
  for (let length = 0; length <= bits; length++) networks.add(parseCidr(`${text}/${length}`)!.text);
  return networks;
}

function positiveInteger(value: string | undefined, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ControlCommandError('invalid_parameter', 422, `${field} must be an integer from ${min} to ${max}`, { field });
  }
  return n;
}

/**
 * Threat-intel indicators, event-sourced on telemetry.control.v1 and matched live by every enricher:
 * an indicator added here raises the scores of the next flows it matches, within about a second.
 */
@ApiTags('threat intel: indicators')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the manage_indicators scope', type: AdminErrorDto })
@RequireScope('manage_indicators')
@Controller('v1/indicators')
export class IndicatorsHttpController {
  constructor(private readonly indicators: IndicatorsService) {}

  @Put()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Add (or replace) an indicator',
    description:
      'Idempotent on the same value and source in the same scope: the answer has the same `id`, and `created: false`. An admin key without X-Tenant-ID adds a global indicator (or one for `tenant_id`); any other key adds to its own tenant. A tenant’s flows match the global indicators and its own.',
  })
  @ApiBody({ type: AddIndicatorDto })
  @ApiOkResponse({ type: IndicatorAddedDto })
  @ApiNotFoundResponse({ description: '`tenant_not_found`', type: AdminErrorDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed` with `errors: [{field, message}]`', type: AdminErrorDto })
  add(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<IndicatorAddedDto> {
    return this.indicators.add(body, request);
  }

  @Get()
  @ApiOperation({
    summary: 'List indicators',
    description: 'Global ones and the caller’s tenant’s (an admin acting globally sees every tenant’s), in the order they were first added.',
  })
  @ApiQuery({ name: 'ip', required: false, description: 'Only indicators whose network contains this address', example: '45.155.205.233' })
  @ApiQuery({ name: 'q', required: false, description: 'Only values containing this text', example: '45.155.' })
  @ApiQuery({ name: 'category', required: false, example: 'C2' })
  @ApiQuery({ name: 'source', required: false, example: 'feed:feodo' })
  @ApiQuery({ name: 'feed_id', required: false })
  @ApiQuery({ name: 'min_confidence', required: false, example: 70 })
  @ApiQuery({ name: 'tenant_id', required: false, description: '`global`, or a tenant id', example: 'global' })
  @ApiQuery({ name: 'include_expired', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'size', required: false, description: `1-${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}`, example: 100 })
  @ApiOkResponse({ type: IndicatorListDto })
  @ApiUnprocessableEntityResponse({ description: '`invalid_parameter` with `field`', type: AdminErrorDto })
  list(@Query() filter: IndicatorFilter, @Req() request: AuthenticatedRequest): IndicatorListDto {
    return this.indicators.list(filter, principalOf(request));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One indicator' })
  @ApiOkResponse({ type: IndicatorDto })
  @ApiNotFoundResponse({ description: '`indicator_not_found`', type: AdminErrorDto })
  get(@Param('id') id: string, @Req() request: AuthenticatedRequest): IndicatorDto {
    return this.indicators.view(this.indicators.get(id, principalOf(request)));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Remove an indicator',
    description:
      'A feed’s indicators go with their feed (409 `indicator_owned_by_feed`); a global one only by an admin acting globally (403 `global_indicator`).',
  })
  @ApiOkResponse({ type: IndicatorDeletedDto })
  @ApiNotFoundResponse({ description: '`indicator_not_found` (also once it is gone)', type: AdminErrorDto })
  @ApiConflictResponse({ description: '`indicator_owned_by_feed`', type: AdminErrorDto })
  remove(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<IndicatorDeletedDto> {
    return this.indicators.remove(id, request);
  }

  @Post(':id/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove an indicator (for clients that cannot send DELETE)', description: 'As DELETE /v1/indicators/{id}.' })
  @ApiOkResponse({ type: IndicatorDeletedDto })
  @ApiNotFoundResponse({ description: '`indicator_not_found`', type: AdminErrorDto })
  removeByPost(@Param('id') id: string, @Req() request: AuthenticatedRequest): Promise<IndicatorDeletedDto> {
    return this.indicators.remove(id, request);
  }
}
