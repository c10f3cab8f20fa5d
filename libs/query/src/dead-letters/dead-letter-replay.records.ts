import {
  DEAD_LETTER_CODES,
  DEAD_LETTER_HEADERS,
  FRAME_HEADERS,
  HEADERS,
  INGRESS_TOPICS,
  sinkRetryTopic,
  TOPICS,
  withoutDeadLetterHeaders,
} from '@telemetry/contracts';
import type { OutgoingRecord } from '@telemetry/event-log';
import type { DeadLetterEntity } from '@telemetry/persistence';

/**
 * Where an ingest entry may go back to. The target comes from a header of the DLQ record: without
 * this list, whoever can write that topic could have a replay write anywhere (the control topic).
 */
export const INGEST_REPLAY_TOPICS: ReadonlySet<string> = new Set([...INGRESS_TOPICS, TOPICS.ingestNetflow]);

export interface ReplayTarget {
  readonly topic: string;
  readonly record: OutgoingRecord;
}

/**
 * Where and as what a dead entry is replayed. Pure: the clock is a parameter.
 * - A sink entry goes to the sink's first retry topic with fresh headers (tenant, trace context,
 *   original coordinates, attempt 0, due now, and the entry it replays), so the running sink
 *   delivers it like any retry and, should it fail again, routes it on from attempt 1.
 * - An ingest entry goes back to the ingress topic it was read from, with its original headers
 *   (tenant, collector, format, received-at, exporter) and without the dead-letter story: the enricher
 *   processes it again.
 * Answers undefined for an ingest entry that does not come from an ingress topic, and for an
 * `undecodable_batch` entry (its value is a whole compressed Kafka batch, not a record: written back,
 * it would only be dead-lettered again as invalid JSON).
 */
export function replayTargetOf(entry: DeadLetterEntity, now: number): ReplayTarget | undefined {
  const key = entry.recordKey === null ? null : Buffer.from(entry.recordKey, 'base64');
  const value = entry.payloadEncoding === 'base64' ? Buffer.from(entry.payload, 'base64') : entry.payload;
  const stored = parseHeaders(entry.headers);
  if (entry.sink === 'ingest') {
    if (!entry.originalTopic || !INGEST_REPLAY_TOPICS.has(entry.originalTopic)) return undefined;
    if (entry.errorClass === DEAD_LETTER_CODES.undecodableBatch) return undefined;
    const headers = withoutDeadLetterHeaders(stored);
    // A line of a frame goes back as a message of its own.
    delete headers[FRAME_HEADERS.index];
    headers[HEADERS.tenantId] = entry.tenantId;
    headers[DEAD_LETTER_HEADERS.replayedFrom] = entry.id;
    return { topic: entry.originalTopic, record: { key, value, headers } };
  }
  const headers: Record<string, string> = { [HEADERS.tenantId]: entry.tenantId };
  if (stored[HEADERS.traceparent]) headers[HEADERS.traceparent] = stored[HEADERS.traceparent];
  if (entry.originalTopic) headers[DEAD_LETTER_HEADERS.originalTopic] = entry.originalTopic;
  if (entry.originalPartition !== null) headers[DEAD_LETTER_HEADERS.originalPartition] = String(entry.originalPartition);
  if (entry.originalOffset !== null) headers[DEAD_LETTER_HEADERS.originalOffset] = entry.originalOffset;
  if (stored[FRAME_HEADERS.index] !== undefined) headers[FRAME_HEADERS.index] = stored[FRAME_HEADERS.index];
  headers[DEAD_LETTER_HEADERS.attempt] = '0';
  headers[DEAD_LETTER_HEADERS.notBefore] = String(now);
  headers[DEAD_LETTER_HEADERS.replayedFrom] = entry.id;
  return { topic: sinkRetryTopic(entry.sink, 1), record: { key, value, headers } };
}

/**
 * An enriched flow queued for delivery by a sink (the export endpoints): onto the sink's first
 * retry topic, due now, attempt 0, so the running sink delivers it as it does a retry.
 */
export function exportRecordOf(payload: string, tenantId: string, now: number): OutgoingRecord {
  let key = tenantId;
  try {
    const flow = JSON.parse(payload) as { src_ip?: unknown };
    // The enricher's key: one source's flows stay in order on one partition.
    if (typeof flow.src_ip === 'string') key = `${tenantId}:${flow.src_ip}`;
  } catch {
    // the tenant alone is a good enough key
  }
  return { key, value: payload, headers: { [HEADERS.tenantId]: tenantId, [DEAD_LETTER_HEADERS.attempt]: '0', [DEAD_LETTER_HEADERS.notBefore]: String(now) } };
}

function parseHeaders(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    }
  } catch {
    // no headers worth keeping
  }
  return {};
}
