import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_COLLECTOR, frameHeaders, frameRuns, HEADERS, IngressFormat, TOPICS } from '@telemetry/contracts';
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
  /** Accepted records (in order) an earlier request with the same Idempotency-Key already wrote: not published again. */
  readonly alreadyWritten?: number;
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

/** The most bytes (values and keys) in one publish call: the Kafka adapter's produce request size, so one chunk is one request. */
export const PUBLISH_CHUNK_BYTES = 1024 * 1024;

/** A run of request record indices, both ends included. */
export interface IndexRange {
  readonly from: number;
  readonly to: number;
}

/** The most bytes of one ingress frame: a quarter of a publish chunk, far below Kafka's default message.max.bytes. */
export const FRAME_MAX_BYTES = PUBLISH_CHUNK_BYTES / 4;

/** One message for the event log and how many accepted records it carries. */
interface Framed {
  readonly message: OutgoingRecord;
  readonly records: number;
  readonly bytes: number;
}

/**
 * Validates a parsed batch and publishes the valid records to the ingress topic of their format, in
 * frames of up to `recordsPerMessage` (record-frames.ts; one record per message when it is 1).
 * Resolves only after the event log acknowledged them: "accepted" means durable.
 *
 * The messages go out in chunks of at most PUBLISH_CHUNK_BYTES, in order, each one only after the one
 * before was acknowledged, so what is durable is always a prefix of the accepted records. When a
 * chunk fails or goes unacknowledged, the call stops there and throws IngestPublishError saying how
 * many were written and how many have an open outcome; `alreadyWritten` resumes after a prefix an
 * earlier request with the same Idempotency-Key wrote.
 */
@Injectable()
export class IngestService {
  private readonly validator = new RecordValidator();
  /** Records handed to the event log and not yet acknowledged, across all requests. */
  private inflight = 0;
  /** When the event log last acknowledged a chunk of any request: a log that acknowledges is up, if slow. */
  private lastAcknowledgedAt = 0;
  /** The question "does the log answer at all?" in flight, if any. */
  private probe?: Promise<boolean>;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  /**
   * @param progress called after each chunk but the last is acknowledged, with the count of accepted
   *   records durable so far (so a crash leaves them counted); its failures are its own to handle.
   */
  async ingest(command: IngestCommand, progress?: (written: number) => Promise<void>): Promise<IngestResult> {
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
    const alreadyWritten = Math.min(command.alreadyWritten ?? 0, accepted.length);
    if (accepted.length > alreadyWritten) {
      const headers: Record<string, string> = {
        [HEADERS.tenantId]: command.tenantId,
        [HEADERS.collectorId]: collectorId,
        [HEADERS.format]: command.format,
        [HEADERS.receivedAt]: command.receivedAt.toISOString(),
        [HEADERS.origin]: 'rest',
      };
      if (command.traceparent) headers[HEADERS.traceparent] = command.traceparent;
      // Keyed by tenant + collector: one collector's records stay in order on one partition.
      const key = `${command.tenantId}:${collectorId}`;
      const pending = accepted.length - alreadyWritten;
      // Bounded: when the log is slow to acknowledge, refuse now (503) rather than queue without limit.
      if (this.inflight + pending > this.config.maxInflightRecords) {
        throw new EventLogUnavailableError(`ingest is at its in-flight limit of ${this.config.maxInflightRecords} records`);
      }
      const messages = framed(
        accepted.slice(alreadyWritten).map(({ record }) => JSON.stringify(record)),
        key,
        headers,
        this.config.recordsPerMessage,
      );
      this.inflight += pending;
      let held = 0;
      const acceptedIndices = accepted.map((entry) => entry.index);
      let written = alreadyWritten;
      try {
        const topic = INGRESS_TOPIC_BY_FORMAT[command.format];
        const chunks = chunked(messages, PUBLISH_CHUNK_BYTES);
        for (let index = 0; index < chunks.length; index += 1) {
          const chunk = chunks[index];
          const records = chunk.reduce((sum, entry) => sum + entry.records, 0);
          const sent = await this.publishChunk(
            topic,
            chunk.map((entry) => entry.message),
            records,
          );
          if (sent.kind === 'failed') {
            if (written === 0) throw sent.error;
            throw new IngestPublishError(sent.error, result, acceptedIndices, written, 0);
          }
          if (sent.kind === 'unknown') {
            // The chunk may still land: its records stay counted in flight until the log knows.
            held = records;
            const outcome = sent.outcome;
            const release = () => {
              this.inflight -= records;
            };
            void outcome.then(release, release);
            throw new IngestPublishError(sent.error, result, acceptedIndices, written, records, outcome);
          }
          written += records;
          if (index < chunks.length - 1 && progress) await progress(written);
        }
      } finally {
        this.inflight -= pending - held;
      }
    }
    return result;
  }

  /**
   * Publishes one chunk and waits for its acknowledgement, but not on a log that is gone. Half of
   * `publishTimeoutMs` without the acknowledgement, and with nothing else acknowledged since it was
   * handed over, the log is asked a cheap question (its end offsets) with the other half as
   * deadline: a log that answers is there, only slow (a cold producer, a big chunk, a busy broker),
   * and is waited for; one that does not answer in time is unreachable, and the chunk's outcome is
   * left open for a 503 now.
   * The publish itself goes on (bounded by the adapter's own timeout); `outcome` says how it ended.
   */
  private async publishChunk(topic: string, chunk: readonly OutgoingRecord[], records: number): Promise<ChunkOutcome> {
    const settled: Promise<ChunkOutcome> = this.log.publish(topic, chunk).then(
      (): ChunkOutcome => {
        this.lastAcknowledgedAt = Date.now();
        return { kind: 'written' };
      },
      (error: unknown): ChunkOutcome =>
        error instanceof EventLogUnavailableError && error.outcome
          ? { kind: 'unknown', error, outcome: error.outcome }
          : { kind: 'failed', error: error instanceof Error ? error : new EventLogUnavailableError(String(error)) },
    );
    const halfMs = Math.max(1, Math.floor(this.config.publishTimeoutMs / 2));
    const handedOverAt = Date.now();
    for (;;) {
      const first = await Promise.race([settled, delay(halfMs, 'waiting' as const)]);
      if (first !== 'waiting') return first;
      if (this.lastAcknowledgedAt > handedOverAt) continue; // others were acknowledged meanwhile: busy, not gone
      const answer = await Promise.race([settled, this.reachable(topic, halfMs)]);
      if (answer !== true && answer !== false) return answer;
      // It answered, or it acknowledged other records while the question was out: there, only slow.
      if (answer || this.lastAcknowledgedAt > handedOverAt) continue;
      const outcome = settled.then((late) => (late.kind === 'written' ? true : late.kind === 'unknown' ? late.outcome : false));
      return {
        kind: 'unknown',
        error: new EventLogUnavailableError(
          `the event log acknowledged nothing and did not answer within ${this.config.publishTimeoutMs} ms (${records} record(s) on ${topic})`,
        ),
        outcome,
      };
    }
  }

  /** Whether the log answers at all within `deadlineMs`; one question at a time, shared by every waiting chunk. */
  private reachable(topic: string, deadlineMs: number): Promise<boolean> {
    this.probe ??= Promise.race([
      this.log.endOffsets(topic).then(
        () => true,
        () => false,
      ),
      delay(deadlineMs, false),
    ]).finally(() => {
      this.probe = undefined;
    });
    return this.probe;
  }
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

type ChunkOutcome =
  | { readonly kind: 'written' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'unknown'; readonly error: EventLogUnavailableError; readonly outcome: Promise<boolean> };

/**
 * The records as messages: frames of consecutive records within `perMessage` records and
 * FRAME_MAX_BYTES, or one record per message when `perMessage` is 1 (as before frames).
 */
function framed(lines: readonly string[], key: string, headers: Readonly<Record<string, string>>, perMessage: number): Framed[] {
  const keyBytes = Buffer.byteLength(key);
  if (perMessage <= 1) {
    return lines.map((value) => ({ message: { key, value, headers }, records: 1, bytes: Buffer.byteLength(value) + keyBytes }));
  }
  return frameRuns(lines, { maxRecords: perMessage, maxBytes: FRAME_MAX_BYTES }).map(([start, end]) => {
    const value = lines.slice(start, end).join('\n');
    return { message: { key, value, headers: { ...headers, ...frameHeaders(end - start) } }, records: end - start, bytes: Buffer.byteLength(value) + keyBytes };
  });
}

/** Consecutive runs of at most `maxBytes` (value and key bytes, as the Kafka adapter counts them); a larger message is a run of its own. */
function chunked(messages: readonly Framed[], maxBytes: number): Framed[][] {
  const chunks: Framed[][] = [];
  let chunk: Framed[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = message.bytes;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Request record indices as ranges, both ends included, consecutive indices merged. */
export function indexRanges(indices: readonly number[]): IndexRange[] {
  const ranges: Array<{ from: number; to: number }> = [];
  for (const index of indices) {
    const last = ranges[ranges.length - 1];
    if (last && last.to + 1 === index) last.to = index;
    else ranges.push({ from: index, to: index });
  }
  return ranges;
}

/**
 * The event log stopped acknowledging partway through a batch. The first `written` accepted records
 * are durable; the `unknown` after them were handed over and may still land (`outcome` says, once
 * the log knows); the rest were not sent. `result` is the answer the batch gets once all are written.
 */
export class IngestPublishError extends EventLogUnavailableError {
  constructor(
    cause: Error,
    readonly result: IngestResult,
    /** The request index of each accepted record, in order. */
    readonly acceptedIndices: readonly number[],
    readonly written: number,
    readonly unknown: number,
    outcome?: Promise<boolean>,
  ) {
    super(cause.message, cause, outcome);
    this.name = 'IngestPublishError';
  }

  /** The request record indices that are durable. */
  writtenRanges(written = this.written): IndexRange[] {
    return indexRanges(this.acceptedIndices.slice(0, written));
  }

  /** The request record indices handed to the log whose outcome is open. */
  unknownRanges(): IndexRange[] {
    return indexRanges(this.acceptedIndices.slice(this.written, this.written + this.unknown));
  }
}
