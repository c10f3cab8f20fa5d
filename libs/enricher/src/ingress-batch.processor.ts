import {
  DEAD_LETTER_CODES,
  DEFAULT_COLLECTOR,
  DEFAULT_TENANT,
  deadLetterRecordOf,
  ENRICHED_HEADERS,
  EnrichedFlow,
  ENRICHED_FLOW_SCHEMA_VERSION,
  enrichedRecordHeaders,
  flowIndexEntry,
  frameHeaders,
  frameLines,
  frameRuns,
  HEADERS,
  identifierProblem,
  IngressEnvelope,
  IngressFormat,
  isFrame,
  recordOfFrameHeaders,
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
  /**
   * ENRICHED_FLOWS_PER_MESSAGE: at most this many enriched flows per Kafka message (a frame, see
   * record-frames.ts); 1 writes one flow per message with its key fields as headers, the format of
   * schema 1 of the topic. DEFAULT_ENRICHED_FLOWS_PER_MESSAGE when absent.
   */
  readonly flowsPerMessage?: number;
}

/** Enriched flows per message by default: a frame of ~1.3 KB flows stays well under ENRICHED_FRAME_MAX_BYTES. */
export const DEFAULT_ENRICHED_FLOWS_PER_MESSAGE = 200;
/** The most bytes of one enriched frame: far below Kafka's default message.max.bytes (1 MiB), so no broker setting needs raising. */
export const ENRICHED_FRAME_MAX_BYTES = 512 * 1024;

/** The headers that name who a record belongs to: a bad one could never be stored, so it is refused here. */
const IDENTIFIER_HEADERS = [HEADERS.tenantId, HEADERS.collectorId] as const;

export interface ProcessedBatch {
  /** The messages for the enriched topic: frames, or one flow each when flowsPerMessage is 1. */
  readonly enriched: OutgoingRecord[];
  readonly deadLetters: OutgoingRecord[];
  readonly flows: EnrichedFlow[];
}

/** One record of an ingress message: the message itself, or one line of a frame (its index set). */
interface IngressRecord {
  readonly message: LogRecord;
  readonly value: Buffer;
  readonly index?: number;
}

/** An enriched flow on its way out, with what its message's key and headers are made of. */
interface Produced {
  readonly flow: EnrichedFlow;
  readonly json: string;
  readonly tenantId: string;
  readonly collectorId: string;
  readonly traceparent?: string;
}

/**
 * The enricher's work for one polled batch, without I/O: decode → normalize → enrich for each
 * record (each line of a frame is a record); records that cannot be decoded or normalized become
 * dead letters with the reason and their original coordinates. Nothing is dropped: every input
 * record yields exactly one enriched flow or one dead letter.
 */
export function processIngressBatch(batch: RecordBatch, deps: EnrichDependencies, now: Date, options: IngressBatchOptions = {}): ProcessedBatch {
  const deadLetters: OutgoingRecord[] = [];
  const produced: Produced[] = [];
  const format = FORMAT_BY_TOPIC[batch.topic];
  const protobuf = PROTOBUF_TOPICS.has(batch.topic);
  const maxClockSkewSec = options.maxClockSkewSec ?? DEFAULT_MAX_CLOCK_SKEW_S;
  const failedAt = now.toISOString();
  const fail = (record: IngressRecord, code: string, reason: string) => deadLetters.push(deadLetter(record, code, reason, failedAt));
  messages: for (const message of batch.records) {
    // An empty header is treated as absent (the defaults), as it always was; a present one must be valid.
    for (const header of IDENTIFIER_HEADERS) {
      const value = message.headers[header];
      const problem = value ? identifierProblem(value, `header ${header}`) : null;
      if (problem !== null) {
        fail({ message, value: message.value }, DEAD_LETTER_CODES.invalidHeader, problem);
        continue messages;
      }
    }
    if (!format) {
      fail({ message, value: message.value }, DEAD_LETTER_CODES.unknownTopic, `no decoder for topic ${batch.topic}`);
      continue;
    }
    const tenantId = message.headers[HEADERS.tenantId] || DEFAULT_TENANT;
    const collectorId = message.headers[HEADERS.collectorId] || DEFAULT_COLLECTOR;
    const receivedAt = message.headers[HEADERS.receivedAt] || new Date(message.timestamp).toISOString();
    const keepsPastTimes = message.headers[HEADERS.origin] === 'rest';
    const traceparent = message.headers[HEADERS.traceparent] || undefined;
    let records: IngressRecord[];
    if (!protobuf && isFrame(message.headers)) {
      try {
        records = frameLines(message.value, message.headers).map((value, index) => ({ message, value, index }));
      } catch (error) {
        fail({ message, value: message.value }, DEAD_LETTER_CODES.invalidFrame, messageOf(error));
        continue;
      }
    } else {
      records = [{ message, value: message.value }];
    }
    for (const record of records) {
      let value: unknown;
      let envelope: IngressEnvelope | undefined;
      if (protobuf) {
        try {
          value = decodeGoflow2FlowMessage(record.value);
          envelope = 'goflow2-protobuf';
        } catch (error) {
          fail(
            record,
            DEAD_LETTER_CODES.invalidProtobuf,
            error instanceof ProtobufDecodeError ? error.message : `protobuf decoder failed: ${messageOf(error)}`,
          );
          continue;
        }
      } else {
        try {
          value = JSON.parse(record.value.toString('utf8'));
        } catch (error) {
          fail(record, DEAD_LETTER_CODES.invalidJson, `value is not JSON: ${messageOf(error)}`);
          continue;
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          fail(
            record,
            DEAD_LETTER_CODES.invalidRecord,
            record.index === undefined ? 'value must be one JSON object per message' : 'each line of a frame must be one JSON object',
          );
          continue;
        }
        const unwrapped = unwrapRecord(format, value as Record<string, unknown>, message.topic);
        if (!unwrapped.ok) {
          fail(record, unwrapped.code, unwrapped.reason);
          continue;
        }
        value = unwrapped.record;
        envelope = unwrapped.envelope;
      }
      const normalized = normalize(format, value as Record<string, unknown>, {
        tenantId,
        collectorId,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        index: record.index,
        receivedAt,
        envelope,
        maxClockSkewSec,
        keepsPastTimes,
      });
      if (!normalized.ok) {
        const { code, field, message: text } = normalized.error;
        fail(record, DEAD_LETTER_CODES.invalidRecord, `${code} at ${field}: ${text}`);
        continue;
      }
      let flow: EnrichedFlow;
      try {
        flow = enrich(normalized.flow, deps, now);
      } catch (error) {
        fail(record, DEAD_LETTER_CODES.enrichmentFailed, messageOf(error));
        continue;
      }
      produced.push({ flow, json: JSON.stringify(flow), tenantId, collectorId, traceparent });
    }
  }
  const flowsPerMessage = options.flowsPerMessage ?? DEFAULT_ENRICHED_FLOWS_PER_MESSAGE;
  return {
    enriched: flowsPerMessage <= 1 ? produced.map(oneFlowMessage) : enrichedFrames(produced, flowsPerMessage),
    deadLetters,
    flows: produced.map((entry) => entry.flow),
  };
}

/** Schema 1's shape: one flow, keyed by tenant and source address, its key fields as headers. */
function oneFlowMessage({ flow, json, tenantId, collectorId, traceparent }: Produced): OutgoingRecord {
  const headers: Record<string, string> = {
    ...enrichedRecordHeaders(flow),
    [HEADERS.tenantId]: tenantId,
    [HEADERS.collectorId]: collectorId,
    [HEADERS.schemaVersion]: String(ENRICHED_FLOW_SCHEMA_VERSION),
  };
  if (traceparent) headers[HEADERS.traceparent] = traceparent;
  return { key: `${tenantId}:${flow.src_ip}`, value: json, headers };
}

/**
 * Frames of the batch's flows, per tenant and collector (in their order), within the limits. The key
 * is the tenant and the frame's first event id: frames spread over the partitions, and a redelivered
 * batch writes each frame to the partition it went to before. A frame's traceparent is its first
 * record's (each record's own stays in the trace of the ingest request that wrote it).
 */
function enrichedFrames(produced: readonly Produced[], maxRecords: number): OutgoingRecord[] {
  const groups = new Map<string, Produced[]>();
  for (const entry of produced) {
    const group = `${entry.tenantId}\u0000${entry.collectorId}`;
    let list = groups.get(group);
    if (list === undefined) groups.set(group, (list = []));
    list.push(entry);
  }
  const messages: OutgoingRecord[] = [];
  for (const list of groups.values()) {
    const lines = list.map((entry) => entry.json);
    for (const [start, end] of frameRuns(lines, { maxRecords, maxBytes: ENRICHED_FRAME_MAX_BYTES })) {
      const first = list[start];
      const headers: Record<string, string> = {
        ...frameHeaders(end - start),
        [HEADERS.tenantId]: first.tenantId,
        [HEADERS.collectorId]: first.collectorId,
        [HEADERS.schemaVersion]: String(ENRICHED_FLOW_SCHEMA_VERSION),
        [ENRICHED_HEADERS.flowIndex]: JSON.stringify(list.slice(start, end).map((entry) => flowIndexEntry(entry.flow))),
      };
      if (first.traceparent) headers[HEADERS.traceparent] = first.traceparent;
      messages.push({ key: `${first.tenantId}:${first.flow.event_id}`, value: lines.slice(start, end).join('\n'), headers });
    }
  }
  return messages;
}

/** A record's dead letter: a line of a frame goes alone, with the frame's headers and its index (`frame-index`). */
function deadLetter(record: IngressRecord, code: string, reason: string, failedAt: string): OutgoingRecord {
  const { message } = record;
  const failed = record.index === undefined ? message : { ...message, value: record.value, headers: recordOfFrameHeaders(message.headers, record.index) };
  return deadLetterRecordOf(failed, { code, reason, stage: 'enricher', failedAt });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
