import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog } from '@telemetry/event-log';
import { PlatformConfig } from '../config/platform.config';
import { EVENT_LOG_TRANSPORT, EventLogTransport } from '../consumers/event-log.transport';
import { PLATFORM_CONFIG } from '../platform.tokens';
import { CachedCheck } from './cached-check';
import { PingableDatabase, READINESS_DATABASE } from './health.tokens';
import { assessConsumers, CheckOutcome, readinessReport, ReadinessReport } from './readiness';

/**
 * GET /health/ready's checks: the event log answers (Kafka: an admin call to the brokers; embedded:
 * the log is open), the database answers `SELECT 1` (where the app has one), and every consumer of
 * the process is subscribed and consuming. Changes of readiness are logged once each, not per probe.
 */
@Injectable()
export class ReadinessService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('readiness');
  private readonly eventLogCheck: CachedCheck;
  private readonly databaseCheck?: CachedCheck;
  private shuttingDown = false;
  private wasReady?: boolean;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(EVENT_LOG_TRANSPORT) private readonly transport: EventLogTransport,
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Optional() @Inject(READINESS_DATABASE) database?: PingableDatabase,
  ) {
    const { checkTimeoutMs: timeoutMs, cacheMs } = config.health;
    const kind = config.runtime.eventLog.kind;
    this.eventLogCheck = new CachedCheck(
      async () => {
        await this.pingEventLog();
        return { kind };
      },
      { timeoutMs, cacheMs },
    );
    if (database) {
      this.databaseCheck = new CachedCheck(
        async () => {
          await database.ping(timeoutMs);
          return { kind: database.dialect };
        },
        { timeoutMs, cacheMs },
      );
    }
  }

  async check(): Promise<ReadinessReport> {
    const [eventLog, database] = await Promise.all([this.eventLogCheck.check(), this.databaseCheck?.check()]);
    const checks: Record<string, CheckOutcome> = {
      event_log: this.shuttingDown ? { status: 'down', reason: 'the process is shutting down', kind: this.config.runtime.eventLog.kind } : eventLog,
      ...(database ? { database } : {}),
      consumers: assessConsumers(this.transport.statuses(), Date.now(), this.config.health.retryGraceMs),
    };
    const report = readinessReport(checks);
    if (report.ready !== this.wasReady) {
      if (report.ready) this.logger.log('ready');
      else if (report.body.status === 'error') this.logger.warn(report.body.message);
      this.wasReady = report.ready;
    }
    return report;
  }

  /** Probes answer 503 from here on: the process is about to stop its consumers and close the log. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * A cheap round trip to the log: the end offsets of one topic this process reads (Kafka: a
   * metadata and a ListOffsets request through the admin client; embedded: the open log's own
   * state). A topic the broker does not know still proves it answered.
   */
  private async pingEventLog(): Promise<void> {
    const topic = this.transport.statuses().groups[0]?.topics[0] ?? TOPICS.control;
    try {
      await this.log.endOffsets(topic);
    } catch (error) {
      if ((error as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return;
      throw error;
    }
  }
}
