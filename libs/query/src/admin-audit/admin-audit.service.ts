import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, EventLogUnavailableError, Tail } from '@telemetry/event-log';
import { ADMIN_AUDIT_PROJECTION, AdminAuditProjection, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { ProjectionMetrics } from '../projections/projection.metrics';

const CATCH_UP_MS = 2_000;
const REBUILD_CATCH_UP_MS = 120_000;

/**
 * Keeps the admin audit read model: a groupless tail of telemetry.control.v1 from its first offset
 * (the topic is never deleted), applied idempotently past the offset stored with the rows. A rebuild
 * empties the model and replays the topic from zero.
 */
@Injectable()
export class AdminAuditService implements OnModuleInit, OnModuleDestroy {
  readonly projection: AdminAuditProjection;
  private readonly logger = new Logger('admin-audit');
  private tail?: Tail;
  private rebuilding: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    private readonly metrics: ProjectionMetrics,
  ) {
    this.projection = new AdminAuditProjection(store);
  }

  async onModuleInit(): Promise<void> {
    await this.follow();
  }

  async onModuleDestroy(): Promise<void> {
    await this.tail?.close();
  }

  /** Waits until every audit event written before the call is a row (read-your-writes for GET /v1/admin/audit). */
  async caughtUp(timeoutMs = CATCH_UP_MS): Promise<void> {
    // Never answer from a model that is not following the log (a rebuild in progress or one that failed).
    if (!this.tail) throw new EventLogUnavailableError('the admin audit read model is not following the control topic (a rebuild is in progress or failed)');
    await this.tail.caughtUp({ timeoutMs });
  }

  /** Drops the read model and replays the control topic from zero; answers the rows it holds after. */
  rebuild(): Promise<number> {
    // One at a time in this process (two at once would orphan a tail).
    const run = this.rebuilding.then(() => this.rebuildNow());
    this.rebuilding = run.catch(() => undefined);
    return run;
  }

  private async rebuildNow(): Promise<number> {
    const previous = this.tail;
    this.tail = undefined;
    await previous?.close();
    await this.projection.drop();
    await this.follow();
    await this.caughtUp(REBUILD_CATCH_UP_MS);
    const rows = await this.projection.count();
    this.logger.log(`rebuilt ${ADMIN_AUDIT_PROJECTION} from telemetry.control.v1: ${rows} row(s)`);
    return rows;
  }

  private async follow(): Promise<void> {
    this.tail = await this.log.tail({
      topics: [TOPICS.control],
      handler: async (batch) => {
        const result = await this.projection.apply(batch.topic, batch.partition, batch.records);
        this.metrics.records.inc({ projection: ADMIN_AUDIT_PROJECTION, outcome: 'applied' }, result.applied);
        this.metrics.records.inc({ projection: ADMIN_AUDIT_PROJECTION, outcome: 'skipped' }, result.skipped);
      },
    });
  }
}
