import { Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, AuthError, RequireScope } from '@telemetry/auth';
import { EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT, parseLimit } from './dead-letter-request.parser';
import { ErrorResponseDto, ExportResponseDto } from './dead-letters.dto';
import { SinkExportService } from './sink-export.service';

const DESCRIPTION =
  "Queues the caller tenant's newest enriched flows (from the enriched-events read model) for the sink: they are published to its first retry " +
  "topic, due now, and the running sink delivers them with its batching, retries and DLQ. Answers 202 at once. This replaces the original's " +
  'synchronous export, which re-sent the oldest ring entries on every call (defect D22). Elasticsearch writes are idempotent by _id; Splunk ' +
  'indexes what it is sent again.';

/** The original's export endpoints (§3.4 #31, #32), kept working on the sink path. */
@ApiTags('export')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: ErrorResponseDto })
@ApiForbiddenResponse({ description: 'The key lacks the export scope', type: ErrorResponseDto })
@Controller('v1/export')
export class SinkExportHttpController {
  constructor(private readonly exports: SinkExportService) {}

  @Post('splunk-hec')
  @HttpCode(202)
  @RequireScope('export')
  @ApiOperation({ summary: 'Send the newest enriched flows to Splunk HEC', description: DESCRIPTION })
  @ApiQuery({ name: 'limit', required: false, description: `1..${EXPORT_MAX_LIMIT}, default ${EXPORT_DEFAULT_LIMIT}` })
  @ApiResponse({ status: 202, type: ExportResponseDto })
  @ApiBadRequestResponse({ description: 'not_configured: SPLUNK_HEC_URL is not set; invalid_parameter', type: ErrorResponseDto })
  exportSplunk(@Query('limit') limit: unknown, @Req() request: AuthenticatedRequest): Promise<ExportResponseDto> {
    return this.exports.export('splunk', callerTenant(request), parseLimit(limit, EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT));
  }

  @Post('elastic')
  @HttpCode(202)
  @RequireScope('export')
  @ApiOperation({ summary: 'Send the newest enriched flows to Elasticsearch/OpenSearch', description: DESCRIPTION })
  @ApiQuery({ name: 'limit', required: false, description: `1..${EXPORT_MAX_LIMIT}, default ${EXPORT_DEFAULT_LIMIT}` })
  @ApiResponse({ status: 202, type: ExportResponseDto })
  @ApiBadRequestResponse({ description: 'not_configured: ELASTIC_URL is not set; invalid_parameter', type: ErrorResponseDto })
  exportElastic(@Query('limit') limit: unknown, @Req() request: AuthenticatedRequest): Promise<ExportResponseDto> {
    return this.exports.export('elastic', callerTenant(request), parseLimit(limit, EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT));
  }
}

function callerTenant(request: AuthenticatedRequest): string {
  if (!request.principal) throw new AuthError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
  return request.principal.tenantId;
}
