import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../http/public.decorator';
import { NotReadyError } from './not-ready.error';
import { ReadinessBody } from './readiness';
import { ReadinessService } from './readiness.service';

const CONSUMERS_UP = {
  status: 'up',
  subscribed: true,
  groups: [
    { group: 'telemetry-enricher', topics: ['telemetry.ingest.zeek-conn.v1', 'telemetry.ingest.flows.v1'], state: 'consuming', for_ms: 81234, ready: true },
  ],
};

/** Kubernetes-style probes; `/v1/health` (SystemHttpController) stays the original product's public check. */
@ApiTags('system')
@Controller('health')
export class HealthHttpController {
  private readonly startedAt = Date.now();

  constructor(@Inject(ReadinessService) private readonly readiness: ReadinessService) {}

  @Public()
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process runs and its event loop answers (always 200 while it does)' })
  @ApiOkResponse({ schema: { example: { status: 'ok', uptime_s: 42 } } })
  live(): { status: 'ok'; uptime_s: number } {
    return { status: 'ok', uptime_s: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  @Public()
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: the event log, the database (where the process has one) and every consumer of this process are connected and consuming',
    description:
      'A consumer counts as ready while `consuming`, or `retrying` for less than READINESS_RETRY_GRACE_MS (default 30 s). ' +
      "Answers 503 with the failed checks named in `failed` and why in `message` and each check's `reason`.",
  })
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        checks: {
          event_log: { status: 'up', latency_ms: 3, kind: 'kafka' },
          database: { status: 'up', latency_ms: 1, kind: 'postgres' },
          consumers: CONSUMERS_UP,
        },
      },
    },
  })
  @ApiServiceUnavailableResponse({
    schema: {
      example: {
        status: 'error',
        error: 'not_ready',
        message: 'Not ready: database: connect ECONNREFUSED 10.0.0.7:5432',
        failed: ['database'],
        checks: {
          event_log: { status: 'up', latency_ms: 3, kind: 'kafka' },
          database: { status: 'down', reason: 'connect ECONNREFUSED 10.0.0.7:5432' },
          consumers: CONSUMERS_UP,
        },
      },
    },
  })
  async ready(): Promise<ReadinessBody> {
    const report = await this.readiness.check();
    if (report.body.status === 'error') throw new NotReadyError(report.body);
    return report.body;
  }
}
