import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SinkName } from '@telemetry/contracts';
import { EnrichedEventsQueries, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { CLOCK } from '@telemetry/platform';
import { SINKS_CONFIG, SinksConfig } from '@telemetry/sink';
import { exportRecordOf } from './dead-letter-replay.records';
import { DeadLetterRequestError } from './dead-letter-request.parser';
import { SinkRetryProducer } from './sink-retry.producer';

const SETTINGS: Readonly<Record<SinkName, string>> = {
  splunk: 'Splunk HEC is not configured (set SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN)',
  elastic: 'Elasticsearch is not configured (set ELASTIC_URL)',
};

/**
 * The original's "export now" (POST /v1/export/splunk-hec, /v1/export/elastic), on the sink path:
 * the tenant's newest enriched flows are queued on the sink's first retry topic, due now, and the
 * running sink delivers them with its batching, retries and DLQ. The original sent the oldest ring
 * entries synchronously on every call (defect D22).
 */
@Injectable()
export class SinkExportService {
  private readonly logger = new Logger('export');
  private readonly flows: EnrichedEventsQueries;

  constructor(
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(SINKS_CONFIG) private readonly sinks: SinksConfig,
    @Inject(CLOCK) private readonly clock: () => Date,
    private readonly retries: SinkRetryProducer,
  ) {
    this.flows = new EnrichedEventsQueries(store);
  }

  async export(sink: SinkName, tenantId: string, limit: number): Promise<{ status: 'queued'; queued: number }> {
    if (!this.sinks[sink]) throw new DeadLetterRequestError('not_configured', SETTINGS[sink], 400, { sink });
    // Newest first from the read model; queued oldest first, so the destination sees them in order.
    const payloads = (await this.flows.newest(tenantId, limit)).reverse();
    const now = this.clock().getTime();
    await this.retries.publish(
      sink,
      payloads.map((payload) => exportRecordOf(payload, tenantId, now)),
    );
    if (payloads.length > 0) this.logger.log(`queued ${payloads.length} enriched flow(s) of tenant ${tenantId} for ${sink}`);
    return { status: 'queued', queued: payloads.length };
  }
}
