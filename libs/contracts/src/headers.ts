/** Kafka header names shared by producers, the enricher and the sinks; the dead-letter story is DEAD_LETTER_HEADERS. */
export const HEADERS = {
  tenantId: 'tenant-id',
  traceparent: 'traceparent',
  collectorId: 'collector-id',
  /** The ingress format of a record (`zeek.conn`, `flows.v1`); optional, the topic implies it. */
  format: 'format',
  receivedAt: 'received-at',
  schemaVersion: 'schema-version',
  /**
   * `rest` on records the ingest API wrote (uploads, often of old logs): their flows keep a time in the
   * past however old; only a time ahead of the receive time is replaced (see MAX_CLOCK_SKEW_S). A direct
   * producer that backfills history may set it too.
   */
  origin: 'origin',
} as const;

export const DEFAULT_TENANT = 'default';
export const DEFAULT_COLLECTOR = 'default';
