/** Kafka header names shared by producers, the enricher and the sinks; the dead-letter story is DEAD_LETTER_HEADERS. */
export const HEADERS = {
  tenantId: 'tenant-id',
  traceparent: 'traceparent',
  collectorId: 'collector-id',
  /** The ingress format of a record (`zeek.conn`, `flows.v1`); optional, the topic implies it. */
  format: 'format',
  receivedAt: 'received-at',
  schemaVersion: 'schema-version',
} as const;

export const DEFAULT_TENANT = 'default';
export const DEFAULT_COLLECTOR = 'default';
