import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, AuthError, Principal, RequireScope } from '@telemetry/auth';
import { DeadLetterEntity, DeadLettersStore, SqlStore, SQL_STORE } from '@telemetry/persistence';
import {
  DeadLetterRequestError,
  encodeCursor,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  parseCursor,
  parseErrorClass,
  parseIdList,
  parseLimit,
  parseReplayRequest,
  parseSink,
  parseState,
} from './dead-letter-request.parser';
import { DeadLetterReplayService } from './dead-letter-replay.service';
import {
  DeadLetterDetailDto,
  DeadLetterPageDto,
  DeadLetterSummaryDto,
  ErrorResponseDto,
  PurgeResponseDto,
  ReplayRequestDto,
  ReplayResponseDto,
} from './dead-letters.dto';

const SINK_PARAM = {
  name: 'sink',
  enum: ['splunk', 'elastic', 'ingest'],
  description: 'The sink whose DLQ (telemetry.sink.<sink>.dlq.v1), or `ingest` for telemetry.ingest.dlq.v1',
};
const TENANT_QUERY = {
  name: 'tenant',
  required: false,
  description: "Admin keys only: one tenant's entries (by default an admin key sees every tenant's; other keys always see only their own)",
};

/**
 * Inspect and replay the dead-letter queues: the sinks' (records a destination refused for good or
 * that exhausted their retries) and the ingest DLQ (records the enricher could not read). Every
 * endpoint is tenant-scoped; an admin key sees every tenant.
 */
@ApiTags('dead letters')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: ErrorResponseDto })
@ApiForbiddenResponse({ description: 'The key lacks the scope, or asked for another tenant', type: ErrorResponseDto })
@Controller('v1/dlq')
export class DeadLettersHttpController {
  private readonly entries: DeadLettersStore;

  constructor(
    @Inject(SQL_STORE) store: SqlStore,
    private readonly replays: DeadLetterReplayService,
  ) {
    this.entries = new DeadLettersStore(store);
  }

  @Get(':sink')
  @RequireScope('read_requests')
  @ApiOperation({ summary: 'List a DLQ, newest failure first', description: 'Pages with `next_cursor`; purged entries are not listed.' })
  @ApiParam(SINK_PARAM)
  @ApiQuery({ name: 'error_class', required: false, example: 'hec_code_6' })
  @ApiQuery({ name: 'state', required: false, enum: ['dead', 'replayed'], description: 'Default: both' })
  @ApiQuery({ name: 'limit', required: false, description: `1..${LIST_MAX_LIMIT}, default ${LIST_DEFAULT_LIMIT}` })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiQuery(TENANT_QUERY)
  @ApiOkResponse({ type: DeadLetterPageDto })
  @ApiBadRequestResponse({ description: 'invalid_parameter', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'not_found: no such DLQ', type: ErrorResponseDto })
  async list(@Param('sink') sinkParameter: string, @Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<DeadLetterPageDto> {
    const sink = parseSink(sinkParameter);
    const filter = {
      sink,
      tenantId: tenantScope(request.principal, single(query.tenant, 'tenant')),
      errorClass: parseErrorClass(single(query.error_class, 'error_class')),
      state: parseState(single(query.state, 'state')),
    };
    const limit = parseLimit(single(query.limit, 'limit'), LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT);
    const page = await this.entries.list(filter, limit, parseCursor(single(query.cursor, 'cursor')));
    return { items: page.rows.map(summaryOf), next_cursor: page.next ? encodeCursor(page.next) : null, total: page.total };
  }

  // The id contains slashes: `*id` takes it URL-encoded or not.
  @Get(':sink/*id')
  @RequireScope('read_requests')
  @ApiOperation({
    summary: 'One DLQ entry with its payload',
    description: 'The id contains slashes; it may be sent URL-encoded (`encodeURIComponent`) or as is.',
  })
  @ApiParam(SINK_PARAM)
  @ApiParam({ name: 'id', example: 'telemetry.sink.splunk.dlq.v1%2F0%2F42' })
  @ApiQuery(TENANT_QUERY)
  @ApiOkResponse({ type: DeadLetterDetailDto })
  @ApiNotFoundResponse({ description: "not_found: no such entry (or purged, or another tenant's)", type: ErrorResponseDto })
  async get(
    @Param('sink') sinkParameter: string,
    @Param('id') idParameter: string | string[],
    @Query('tenant') tenant: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<DeadLetterDetailDto> {
    const sink = parseSink(sinkParameter);
    const id = Array.isArray(idParameter) ? idParameter.join('/') : idParameter;
    const row = await this.entries.get(sink, id, tenantScope(request.principal, single(tenant, 'tenant')));
    if (!row) throw new DeadLetterRequestError('not_found', `No entry ${id} in the ${sink} dead-letter queue`, 404, { id });
    return detailOf(row);
  }

  @Post(':sink/replay')
  @HttpCode(202)
  @RequireScope('export')
  @ApiOperation({
    summary: 'Replay dead entries back to the sink',
    description:
      "Each selected dead entry is published to the sink's first retry topic (telemetry.sink.<sink>.retry.1.v1), due now, with attempt 0 and " +
      '`sink-replayed-from: <id>`; the running sink delivers it and, should it fail again, retries or dead-letters it anew. Ingest entries go back ' +
      'to the ingress topic they came from and the enricher processes them again. At most `limit` entries per call, oldest failure first; ' +
      '`remaining` says how many still match.',
  })
  @ApiParam(SINK_PARAM)
  @ApiQuery(TENANT_QUERY)
  @ApiBody({
    type: ReplayRequestDto,
    examples: {
      ids: { value: { ids: ['telemetry.sink.splunk.dlq.v1/0/42'] } },
      errorClass: { value: { error_class: 'http_503', limit: 500 } },
      all: { value: { all: true } },
    },
  })
  @ApiResponse({ status: 202, type: ReplayResponseDto })
  @ApiBadRequestResponse({ description: 'missing_selector (none of ids, error_class, all), invalid_body, invalid_parameter', type: ErrorResponseDto })
  async replay(
    @Param('sink') sinkParameter: string,
    @Body() body: unknown,
    @Query('tenant') tenant: unknown,
    @Req() request: AuthenticatedRequest,
  ): Promise<ReplayResponseDto> {
    const sink = parseSink(sinkParameter);
    const tenantId = tenantScope(request.principal, single(tenant, 'tenant'));
    const selection = parseReplayRequest(body);
    return this.replays.replay({ sink, tenantId, ids: selection.ids, errorClass: selection.errorClass }, selection.limit);
  }

  @Delete(':sink')
  @RequireScope('admin')
  @ApiOperation({
    summary: 'Purge DLQ entries',
    description: 'Marks the matching entries purged: they are no longer listed nor replayable. Say which: ids, error_class, or all=true.',
  })
  @ApiParam(SINK_PARAM)
  @ApiQuery({
    name: 'ids',
    required: false,
    description: 'Comma-separated entry ids',
    example: 'telemetry.sink.splunk.dlq.v1/0/41,telemetry.sink.splunk.dlq.v1/0/42',
  })
  @ApiQuery({ name: 'error_class', required: false, example: 'hec_code_6' })
  @ApiQuery({ name: 'all', required: false, description: 'true: every entry (of ?tenant= when given)' })
  @ApiQuery(TENANT_QUERY)
  @ApiOkResponse({ type: PurgeResponseDto })
  @ApiBadRequestResponse({ description: 'missing_selector, invalid_parameter', type: ErrorResponseDto })
  async purge(@Param('sink') sinkParameter: string, @Query() query: Record<string, unknown>, @Req() request: AuthenticatedRequest): Promise<PurgeResponseDto> {
    const sink = parseSink(sinkParameter);
    const ids = parseIdList(query.ids);
    const errorClass = parseErrorClass(single(query.error_class, 'error_class'));
    const all = single(query.all, 'all');
    if (all !== undefined && all !== 'true' && all !== 'false')
      throw new DeadLetterRequestError('invalid_parameter', 'all must be true or false', 400, { field: 'all', value: all });
    if (!ids && errorClass === undefined && all !== 'true') {
      throw new DeadLetterRequestError('missing_selector', 'Say which entries to purge: ids, error_class, or all=true', 400, {
        fields: ['ids', 'error_class', 'all'],
      });
    }
    const purged = await this.entries.purge({ sink, tenantId: tenantScope(request.principal, single(query.tenant, 'tenant')), ids, errorClass });
    return { purged };
  }
}

/**
 * The tenant an operation is limited to: a key's own tenant, or for an admin key the one asked
 * for (undefined: every tenant). A non-admin key asking for another tenant is refused.
 */
export function tenantScope(principal: Principal | undefined, requested: string | undefined): string | undefined {
  if (!principal) throw new AuthError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
  // An admin sees every tenant, or the one it names; acting as a tenant (X-Tenant-ID), only that one.
  if (principal.scopes.includes('admin') && !principal.actingAsTenant) return requested;
  if (requested !== undefined && requested !== principal.tenantId) throw new AuthError('forbidden', "This API key may only see its own tenant's entries");
  return principal.tenantId;
}

function single(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new DeadLetterRequestError('invalid_parameter', `${field} must be given once`, 400, { field });
  return value;
}

const iso = (epochMs: string | number | null): string | null => (epochMs === null ? null : new Date(Number(epochMs)).toISOString());

function summaryOf(row: DeadLetterEntity): DeadLetterSummaryDto {
  return {
    id: row.id,
    sink: row.sink,
    tenant_id: row.tenantId,
    error_class: row.errorClass,
    error_message: row.errorMessage,
    attempt: row.attempt,
    original: { topic: row.originalTopic, partition: row.originalPartition, offset: row.originalOffset },
    first_failure_at: iso(row.firstFailureAt),
    failed_at: iso(row.failedAt) as string,
    state: row.state,
    replayed_at: iso(row.replayedAt),
  };
}

function detailOf(row: DeadLetterEntity): DeadLetterDetailDto {
  let payload: unknown = row.payload;
  let encoding: string = row.payloadEncoding;
  if (row.payloadEncoding === 'utf8') {
    try {
      payload = JSON.parse(row.payload);
      encoding = 'json';
    } catch {
      // not JSON (the reason it was dead-lettered, perhaps): shown as text
    }
  }
  let headers: Record<string, string> = {};
  try {
    headers = JSON.parse(row.headers) as Record<string, string>;
  } catch {
    // stored by the projection as JSON; nothing to show otherwise
  }
  return { ...summaryOf(row), payload, payload_encoding: encoding, headers };
}
