import { ConfigReader } from '@telemetry/platform';

export interface IngestConfig {
  readonly idempotencyTtlSeconds: number;
  /** Records being published at once; beyond it ingest answers 503 instead of queueing more. */
  readonly maxInflightRecords: number;
  /**
   * How long one chunk of a batch (at most 1 MiB) may wait for the event log's acknowledgement while
   * nothing else is acknowledged either: past it the log is taken as unreachable and ingest answers
   * 503 at once. A log that keeps acknowledging other records is busy, not gone, and is waited for.
   */
  readonly publishTimeoutMs: number;
  /**
   * INGEST_RECORDS_PER_MESSAGE: accepted records per message on the ingress topics (a frame, see
   * record-frames.ts); 1 writes one record per message, as a direct producer does.
   */
  readonly recordsPerMessage: number;
}

/** Records per ingress frame by default: ~260 KB of typical flows, a quarter of a publish chunk. */
export const DEFAULT_INGEST_RECORDS_PER_MESSAGE = 1_000;

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function readIngestConfig(reader: ConfigReader): IngestConfig {
  return {
    idempotencyTtlSeconds: reader.integer('IDEMPOTENCY_TTL_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }),
    maxInflightRecords: reader.integer('INGEST_MAX_INFLIGHT_RECORDS', 200_000, { min: 10_000, max: 10_000_000 }),
    publishTimeoutMs: reader.integer('INGEST_PUBLISH_TIMEOUT_MS', 2_000, { min: 100, max: 120_000 }),
    recordsPerMessage: reader.integer('INGEST_RECORDS_PER_MESSAGE', DEFAULT_INGEST_RECORDS_PER_MESSAGE, { min: 1, max: 10_000 }),
  };
}
