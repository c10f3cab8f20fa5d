import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_COLLECTOR, HEADERS, IngressFormat, TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, EventLogUnavailableError, OutgoingRecord } from '@telemetry/event-log';
import { INGEST_CONFIG, IngestConfig } from './ingest.config';
import { RecordRejection, RecordValidator } from './record-validator';

export const INGRESS_TOPIC_BY_FORMAT: Readonly<Record<IngressFormat, string>> = {
  'zeek.conn': TOPICS.ingestZeekConn,
  'flows.v1': TOPICS.ingestFlows,
};

/** How many rejections a response lists; the count is always complete. */
export const MAX_LISTED_REJECTIONS = 100;

export interface IngestCommand {
  readonly tenantId: string;
  readonly collectorId?: string;
  readonly format: IngressFormat;
  readonly records: readonly unknown[];
  readonly traceparent?: string;
  readonly receivedAt: Date;
}

export interface IngestResult {
  readonly status: 'accepted' | 'partial' | 'rejected';
  readonly format: IngressFormat;
  readonly collector_id: string;
  readonly total: number;
  readonly accepted: number;
  readonly rejected: number;
  /** The original product's field name for `accepted`. */
  readonly records_processed: number;
  readonly errors: readonly RecordRejection[];
  readonly errors_truncated: boolean;
}

/**
 * Validates a parsed batch and publishes the valid records, one per message, to the ingress topic
 * of their format. Resolves only after the event log acknowledged them: "accepted" means durable.
 */
@Injectable()
export class IngestService {
  private readonly validator = new RecordValidator();
  /** Records handed to the event log and not yet acknowledged, across all requests. */
  private inflight = 0;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  async ingest(command: IngestCommand): Promise<IngestResult> {
    const collectorId = command.collectorId ?? DEFAULT_COLLECTOR;
    const { accepted, rejected } = this.validator.validate(command.format, command.records);
    const result: IngestResult = {
      status: rejected.length === 0 ? 'accepted' : accepted.length === 0 ? 'rejected' : 'partial',
      format: command.format,
      collector_id: collectorId,
      total: command.records.length,
      accepted: accepted.length,
      rejected: rejected.length,
      records_processed: accepted.length,
      errors: rejected.slice(0, MAX_LISTED_REJECTIONS),
      errors_truncated: rejected.length > MAX_LISTED_REJECTIONS,
    };
    if (accepted.length > 0) {
      const headers: Record<string, string> = {
        [HEADERS.tenantId]: command.tenantId,
        [HEADERS.collectorId]: collectorId,
        [HEADERS.format]: command.format,
        [HEADERS.receivedAt]: command.receivedAt.toISOString(),
      };
      if (command.traceparent) headers[HEADERS.traceparent] = command.traceparent;
      // Keyed by tenant + collector: one collector's records stay in order on one partition.
      const key = `${command.tenantId}:${collectorId}`;
      const messages: OutgoingRecord[] = accepted.map(({ record }) => ({ key, value: JSON.stringify(record), headers }));
      // Bounded: when the log is slow to acknowledge, refuse now (503) rather than queue without limit.
      if (this.inflight + messages.length > this.config.maxInflightRecords) {
        throw new EventLogUnavailableError(`ingest is at its in-flight limit of ${this.config.maxInflightRecords} records`);
      }
      this.inflight += messages.length;
      let release: Promise<unknown> = Promise.resolve();
      try {
        await this.log.publish(INGRESS_TOPIC_BY_FORMAT[command.format], messages);
      } catch (error) {
        if (error instanceof EventLogUnavailableError && error.outcome) {
          // The write may still land: the records stay counted until the client knows.
          release = error.outcome;
          throw new IngestOutcomePendingError(error, result, error.outcome);
        }
        throw error;
      } finally {
        const count = messages.length;
        void release.finally(() => {
          this.inflight -= count;
        });
      }
    }
    return result;
  }
}

/**
 * The event log gave up waiting, but the records may still be written (`outcome`). The answer is
 * 503; an Idempotency-Key stays claimed until the outcome is known, so a retry with the same key
 * gets the original answer if the records were written, and publishes them if they were not.
 */
export class IngestOutcomePendingError extends EventLogUnavailableError {
  constructor(
    cause: EventLogUnavailableError,
    readonly result: IngestResult,
    outcome: Promise<boolean>,
  ) {
    super(cause.message, cause, outcome);
    this.name = 'IngestOutcomePendingError';
  }
}
