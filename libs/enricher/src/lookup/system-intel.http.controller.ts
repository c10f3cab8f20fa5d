import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { RequireScope } from '@telemetry/auth';
import { ControlPlaneService, feedSource } from '@telemetry/control';
import { PLATFORM_CONFIG, PlatformConfig } from '@telemetry/platform';
import { GeoLifecycle, GeoDatabaseStatus } from '../geo/geo-lifecycle.service';
import { GeoErrorDto } from '../geo/geo.views';
import { LiveThreatIntel } from '../live-threat-intel';

/** How GeoIP/ASN and threat intel stand in this process, as the original's `/v1/system` reported them (the loaders' real state, never a constant). */
export interface EnrichmentSystemStatus {
  readonly status: 'ok';
  readonly version: string;
  readonly git_sha: string;
  readonly app: string;
  readonly roles: readonly string[];
  readonly uptime_s: number;
  readonly geoip: EnrichmentDatabaseDto;
  readonly asn: EnrichmentDatabaseDto;
  readonly geo: { readonly enabled: boolean; readonly vendor: string; readonly database: string | null; readonly status: 'ready' | 'missing' | 'error' };
  readonly threatintel: {
    readonly status: 'loaded' | 'empty' | 'degraded';
    readonly indicators: number;
    readonly last_refresh: string | null;
    readonly error_count: number;
    readonly sources: ReadonlyArray<{
      readonly id: string;
      readonly name: string;
      readonly source: string;
      readonly status: string;
      readonly indicators: number;
      readonly last_refresh: string | null;
      readonly last_error: string | null;
    }>;
  };
}

interface EnrichmentDatabaseDto {
  readonly status: string;
  readonly database_type: string | null;
  readonly build_date: string | null;
  readonly path: string;
  readonly files: readonly string[];
  readonly loaded_at: string | null;
  readonly last_error: { readonly message: string; readonly at: string } | null;
}

/**
 * GET /v1/system (admin): the enrichment data of this process — each GeoIP/ASN database with its
 * build date and load state (reloaded without a restart), and threat intel with every feed's count,
 * last refresh and error. The observability issue extends it with the event log, sinks and lag.
 */
@ApiTags('system')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: GeoErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: GeoErrorDto })
@RequireScope('admin')
@Controller('v1')
export class SystemIntelHttpController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly geo: GeoLifecycle,
    private readonly threatIntel: LiveThreatIntel,
    private readonly control: ControlPlaneService,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
  ) {}

  @Get('system')
  @ApiOperation({ summary: 'This process’s enrichment data: GeoIP/ASN databases with their build dates, threat intel and its feeds' })
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        version: '0.1.0',
        geoip: { status: 'loaded', database_type: 'GeoLite2-City', build_date: '2026-11-28T00:00:00.000Z' },
        threatintel: { status: 'loaded', indicators: 1234, last_refresh: '2026-12-02T08:00:00.000Z', error_count: 0, sources: [] },
      },
    },
  })
  system(): EnrichmentSystemStatus {
    const databases = this.geo.status();
    const feeds = [...this.control.state.intel.feeds()];
    const refreshed = feeds.map((feed) => feed.lastSync?.fetchedAt).filter((at): at is string => at !== undefined);
    const errors = feeds.filter((feed) => feed.lastError !== undefined).length;
    const city = databases.city;
    return {
      status: 'ok',
      version: this.platform.version.version,
      git_sha: this.platform.version.gitSha,
      app: this.platform.appName,
      roles: this.platform.roles,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      geoip: database(city),
      asn: database(databases.asn),
      geo: {
        enabled: true,
        vendor: city.databaseType?.startsWith('GeoLite2') || city.databaseType?.startsWith('GeoIP2') ? 'MaxMind' : 'DB-IP',
        database: city.files[0] ?? null,
        status: city.status === 'missing' ? 'missing' : city.lastError ? 'error' : 'ready',
      },
      threatintel: {
        status: errors > 0 ? 'degraded' : this.threatIntel.size > 0 ? 'loaded' : 'empty',
        indicators: this.threatIntel.size,
        last_refresh: refreshed.sort().at(-1) ?? null,
        error_count: errors,
        sources: feeds.map((feed) => ({
          id: feed.feedId,
          name: feed.name,
          source: feedSource(feed),
          status: feed.lastError ? 'error' : feed.lastSync ? 'ok' : 'pending',
          indicators: this.control.state.feedEntries(feed.feedId).size,
          last_refresh: feed.lastSync?.fetchedAt ?? null,
          last_error: feed.lastError ? `${feed.lastError.errorCode}: ${feed.lastError.error}` : null,
        })),
      },
    };
  }
}

function database(status: GeoDatabaseStatus): EnrichmentDatabaseDto {
  return {
    status: status.status,
    database_type: status.databaseType,
    build_date: status.buildDate,
    path: status.path,
    files: status.files,
    loaded_at: status.loadedAt,
    last_error: status.lastError,
  };
}
