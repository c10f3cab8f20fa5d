import {
  DEAD_LETTER_CODES,
  DEAD_LETTER_HEADERS,
  DEFAULT_COLLECTOR,
  DEFAULT_TENANT,
  EnrichedFlow,
  ENRICHED_FLOW_SCHEMA_VERSION,
  enrichedRecordHeaders,
  HEADERS,
  identifierProblem,
  IngressEnvelope,
  IngressFormat,
  TOPICS,
} from '@telemetry/contracts';
import {
  decodeGoflow2FlowMessage,
  DEFAULT_MAX_CLOCK_SKEW_S,
  EnrichDependencies,
  enrich,
  normalize,
  ProtobufDecodeError,
  unwrapRecord,
} from '@telemetry/enrichment';
import type { LogRecord, OutgoingRecord, RecordBatch } from '@telemetry/event-log';

export const FORMAT_BY_TOPIC: Readonly<Record<string, IngressFormat>> = {
  [TOPICS.ingestZeekConn]: 'zeek.conn',
  [TOPICS.ingestFlows]: 'flows.v1',
  // Decoded into goflow2's JSON shape first, then read like goflow2 JSON on the flows topic.
  [TOPICS.ingestGoflow2Protobuf]: 'flows.v1',
};

/** Topics whose values are goflow2 `-format=bin` messages rather than JSON. */
const PROTOBUF_TOPICS: ReadonlySet<string> = new Set([TOPICS.ingestGoflow2Protobuf]);

export interface IngressBatchOptions {
  /** MAX_CLOCK_SKEW_S: beyond it the receive time dates a flow (DEFAULT_MAX_CLOCK_SKEW_S when absent). */
  readonly maxClockSkewSec?: number;
}

/** The headers that name who a record belongs to: a bad one could never be stored, so it is refused here. */
const IDENTIFIER_HEADERS = [HEADERS.tenantId, HEADERS.collectorId] as const;

export interface ProcessedBatch {
  readonly enriched: OutgoingRecord[];
  readonly deadLetters: OutgoingRecord[];
  readonly flows: EnrichedFlow[];
}

/**
 * The enricher's work for one polled batch, without I/O: decode → normalize → enrich for each
 * record; records that cannot be decoded or normalized become dead letters with the reason and
 * their original coordinates. Nothing is dropped: every input yields exactly one output.
 */
export function processIngressBatch(batch: RecordBatch, deps: EnrichDependencies, now: Date, options: IngressBatchOptions = {}): ProcessedBatch {
  const enriched: OutgoingRecord[] = [];
  const deadLetters: OutgoingRecord[] = [];
  const flows: EnrichedFlow[] = [];
  const format = FORMAT_BY_TOPIC[batch.topic];
  const protobuf = PROTOBUF_TOPICS.has(batch.topic);
  const maxClockSkewSec = options.maxClockSkewSec ?? DEFAULT_MAX_CLOCK_SKEW_S;
  const failedAt = now.toISOString();
  records: for (const record of batch.records) {
    // An empty header is treated as absent (the defaults), as it always was; a present one must be valid.
    for (const header of IDENTIFIER_HEADERS) {
      const value = record.headers[header];
      const problem = value ? identifierProblem(value, `header ${header}`) : null;
      if (problem !== null) {
        deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.invalidHeader, problem, failedAt));
        continue records;
      }
    }
    const tenantId = record.headers[HEADERS.tenantId] || DEFAULT_TENANT;
    const collectorId = record.headers[HEADERS.collectorId] || DEFAULT_COLLECTOR;
    if (!format) {
      deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.unknownTopic, `no decoder for topic ${batch.topic}`, failedAt));
      continue;
    }
    let value: unknown;
    let envelope: IngressEnvelope | undefined;
    if (protobuf) {
      try {
        value = decodeGoflow2FlowMessage(record.value);
        envelope = 'goflow2-protobuf';
      } catch (error) {
        const reason = error instanceof ProtobufDecodeError ? error.message : `protobuf decoder failed: ${messageOf(error)}`;
        deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.invalidProtobuf, reason, failedAt));
        continue;
      }
    } else {
      try {
        value = JSON.parse(record.value.toString('utf8'));
      } catch (error) {
        deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.invalidJson, `value is not JSON: ${messageOf(error)}`, failedAt));
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.invalidRecord, 'value must be one JSON object per message', failedAt));
        continue;
      }
      const unwrapped = unwrapRecord(format, value as Record<string, unknown>, record.topic);
      if (!unwrapped.ok) {
        deadLetters.push(deadLetter(record, unwrapped.code, unwrapped.reason, failedAt));
        continue;
      }
      value = unwrapped.record;
      envelope = unwrapped.envelope;
    }
    const normalized = normalize(format, value as Record<string, unknown>, {
      tenantId,
      collectorId,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      receivedAt: record.headers[HEADERS.receivedAt] || new Date(record.timestamp).toISOString(),
      envelope,
      maxClockSkewSec,
      keepsPastTimes: record.headers[HEADERS.origin] === 'rest',
    });
    if (!normalized.ok) {
      const { code, field, message } = normalized.error;
      deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.invalidRecord, `${code} at ${field}: ${message}`, failedAt));
      continue;
    }
    let flow: EnrichedFlow;
    try {
      flow = enrich(normalized.flow, deps, now);
    } catch (error) {
      deadLetters.push(deadLetter(record, DEAD_LETTER_CODES.enrichmentFailed, messageOf(error), failedAt));
      continue;
    }
    flows.push(flow);
    const headers: Record<string, string> = {
      ...enrichedRecordHeaders(flow),
      [HEADERS.tenantId]: tenantId,
      [HEADERS.collectorId]: collectorId,
      [HEADERS.schemaVersion]: String(ENRICHED_FLOW_SCHEMA_VERSION),
    };
    const traceparent = record.headers[HEADERS.traceparent];
    if (traceparent) headers[HEADERS.traceparent] = traceparent;
    enriched.push({ key: `${tenantId}:${flow.src_ip}`, value: JSON.stringify(flow), headers });
  }
  return { enriched, deadLetters, flows };
}

function deadLetter(record: LogRecord, code: string, reason: string, failedAt: string): OutgoingRecord {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.code]: code,
      [DEAD_LETTER_HEADERS.reason]: reason.slice(0, 1_000),
      [DEAD_LETTER_HEADERS.stage]: 'enricher',
      [DEAD_LETTER_HEADERS.originalTopic]: record.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(record.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: record.offset,
      [DEAD_LETTER_HEADERS.failedAt]: failedAt,
      [DEAD_LETTER_HEADERS.attempt]: '1',
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
