import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthenticatedRequest, RequireScope } from '@telemetry/auth';
import { EnrichedEventsQueries, SqlStore, SQL_STORE } from '@telemetry/persistence';

const MAX_LIMIT = 50_000;
const DEFAULT_LIMIT = 10_000;

/** Thrown for a bad query parameter; the app's filter answers 400 with its code. */
class QueryParameterError extends Error {
  readonly code = 'invalid_parameter';
  readonly status = 400;
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

@ApiTags('download')
@ApiBearerAuth()
@Controller('v1/download')
export class DownloadHttpController {
  private readonly queries: EnrichedEventsQueries;

  constructor(@Inject(SQL_STORE) store: SqlStore) {
    this.queries = new EnrichedEventsQueries(store);
  }

  @Get('json')
  @RequireScope('read_requests')
  @ApiOperation({ summary: "The newest enriched flows of the caller's tenant as NDJSON (newest first)" })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_LIMIT}, default ${DEFAULT_LIMIT}` })
  @ApiOkResponse({ description: 'application/x-ndjson, one enriched flow per line', content: { 'application/x-ndjson': {} } })
  async downloadJson(@Query('limit') limitParameter: string | undefined, @Req() request: Request, @Res() response: Response): Promise<void> {
    const limit = parseLimit(limitParameter);
    const tenantId = (request as unknown as AuthenticatedRequest).principal?.tenantId ?? 'default';
    const payloads = await this.queries.newest(tenantId, limit);
    response
      .status(200)
      .setHeader('Content-Type', 'application/x-ndjson; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="telemetry-${Math.floor(Date.now() / 1000)}.ndjson"`)
      .setHeader('X-Record-Count', String(payloads.length));
    response.end(payloads.length === 0 ? '' : `${payloads.join('\n')}\n`);
  }
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new QueryParameterError(`limit must be an integer from 1 to ${MAX_LIMIT}`, { field: 'limit', value: raw });
  }
  return value;
}
