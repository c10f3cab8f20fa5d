/** Kafka header names shared by producers, the enricher and the dead-letter path. */
export const HEADERS = {
  tenantId: 'tenant-id',
  traceparent: 'traceparent',
  collectorId: 'collector-id',
  /** The ingress format of a record (`zeek.conn`, `flows.v1`); optional, the topic implies it. */
  format: 'format',
  receivedAt: 'received-at',
  schemaVersion: 'schema-version',
  dlqReason: 'dlq-reason',
  dlqCode: 'dlq-code',
  dlqStage: 'dlq-stage',
  dlqOriginalTopic: 'dlq-original-topic',
  dlqOriginalPartition: 'dlq-original-partition',
  dlqOriginalOffset: 'dlq-original-offset',
  dlqFailedAt: 'dlq-failed-at',
} as const;

export const DEFAULT_TENANT = 'default';
export const DEFAULT_COLLECTOR = 'default';
