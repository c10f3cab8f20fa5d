import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from './public.decorator';
import { PlatformConfig } from '../config/platform.config';
import { METRICS_REGISTRY } from '../metrics/metrics.registry';
import { Registry } from 'prom-client';
import { PLATFORM_CONFIG } from '../platform.tokens';

@ApiTags('system')
@Controller('v1')
export class SystemHttpController {
  private readonly startedAt = Date.now();

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  health(): { status: 'ok'; uptime_s: number } {
    return { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  @Public()
  @Get('version')
  @ApiOperation({ summary: 'Version and build of this process' })
  version(): Record<string, unknown> {
    return {
      status: 'ok',
      api_version: 'v1',
      version: this.config.version.version,
      git_sha: this.config.version.gitSha.slice(0, 7),
      app: this.config.appName,
      roles: this.config.roles,
      event_log: this.config.runtime.eventLog.kind,
      database: this.config.runtime.database.kind,
    };
  }

  @Public()
  @Get('metrics/prometheus')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics of this process' })
  prometheus(): Promise<string> {
    return this.registry.metrics();
  }
}
