import type { LogRecord } from '@telemetry/event-log';

/** The stream the kill -9 spec's child projects (projection-writer.child.ts) and the spec checks. */
export const CRASH_TOPIC = 'telemetry.enriched.v1';
export const CRASH_BATCH = 2_000;

/** The record at `offset`: its flow start is the offset in seconds, so rows show their offsets. */
export function crashRecord(offset: number): LogRecord {
  const flow = {
    schema_version: 1,
    event_id: `crash-${offset}`,
    tenant_id: 'tenant-crash',
    ts: offset,
    src_ip: '10.0.0.1',
    dst_ip: '198.51.100.7',
    risk_score: offset % 101,
    ingest: { received_at: new Date(1_767_000_000_000 + offset).toISOString() },
    padding: 'x'.repeat(500),
  };
  return {
    topic: CRASH_TOPIC,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(JSON.stringify(flow)),
    headers: {},
    timestamp: 1_767_000_000_000,
  };
}
