import { isIP } from 'node:net';
import { Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequireScope } from '@telemetry/auth';
import { type GeoLookup } from '@telemetry/enrichment';
import { GeoDownloadService } from './download/geo-download.service';
import { GeoRequestError } from './geo.errors';
import { GEO_LOOKUP } from './geo.tokens';
import { GeoErrorDto, GeoTestDto, JobStartedDto } from './geo.views';

/** The GeoIP/ASN admin routes of the original (`/v1/geo/*`), on the live databases. */
@ApiTags('admin: GeoIP/ASN')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: GeoErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: GeoErrorDto })
@RequireScope('admin')
@Controller('v1/geo')
export class GeoHttpController {
  constructor(
    @Inject(GEO_LOOKUP) private readonly geo: GeoLookup,
    private readonly downloads: GeoDownloadService,
  ) {}

  @Post('download')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Download the MaxMind databases (a background job)',
    description:
      'Fetches each edition of MAXMIND_EDITIONS (default GeoLite2-City, GeoLite2-ASN) from MAXMIND_DOWNLOAD_URL with MAXMIND_ACCOUNT_ID and ' +
      'MAXMIND_LICENSE_KEY, checks it against the published `.tar.gz.sha256`, unpacks and opens the `.mmdb`, and once every edition is good ' +
      'replaces GEOIP_DB_CITY / GEOIP_DB_ASN (or DATA_DIR/geoip/{city,asn}.mmdb) atomically; the databases reload without a restart. ' +
      'Follow the job at GET /v1/jobs/{job_id}. Jobs are held in memory by the process that runs them: a restart forgets them, and ' +
      'behind a load balancer ask the same process.',
  })
  @ApiAcceptedResponse({ type: JobStartedDto })
  @ApiConflictResponse({
    description: '`geoip_download_not_configured` (with `missing`: the variables to set), or `geoip_download_running` (with `job_id`)',
    type: GeoErrorDto,
  })
  download(): JobStartedDto {
    return { job_id: this.downloads.start().id };
  }

  @Get('test')
  @ApiOperation({ summary: 'Look an address up in the live GeoIP and ASN databases', description: 'The answers enrichment gives for it right now.' })
  @ApiQuery({ name: 'ip', required: true, example: '8.8.8.8' })
  @ApiOkResponse({ type: GeoTestDto })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: `ip` missing or not an IPv4/IPv6 address', type: GeoErrorDto })
  test(@Query('ip') ip: unknown): GeoTestDto {
    if (typeof ip !== 'string' || isIP(ip.trim()) === 0) {
      const problem = typeof ip === 'string' ? 'must be an IPv4 or IPv6 address' : 'is required';
      throw new GeoRequestError('validation_failed', 422, `The query has 1 problem(s): ip ${problem}`, { errors: [{ field: 'ip', message: problem }] });
    }
    const address = ip.trim();
    return { ip: address, geo: this.geo.city(address), asn: this.geo.asn(address) };
  }
}
