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
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function readIngestConfig(reader: ConfigReader): IngestConfig {
  return {
    idempotencyTtlSeconds: reader.integer('IDEMPOTENCY_TTL_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }),
    maxInflightRecords: reader.integer('INGEST_MAX_INFLIGHT_RECORDS', 200_000, { min: 10_000, max: 10_000_000 }),
    publishTimeoutMs: reader.integer('INGEST_PUBLISH_TIMEOUT_MS', 2_000, { min: 100, max: 120_000 }),
  };
}
