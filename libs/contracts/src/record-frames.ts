/**
 * Frames: many records in one Kafka message, on the topics the product itself writes (REST ingest
 * onto the ingress topics, the enricher onto telemetry.enriched.v1). A Kafka client pays most of its
 * cost per message (headers, record encoding, the produce and fetch bookkeeping), so a message of
 * hundreds of records costs about what one record did. Direct producers keep writing one record per
 * message: every reader accepts both.
 *
 * The frame contract (docs/enriched-topic.md):
 * - header `content-type: application/x-ndjson`; without it a message is one record, as always;
 * - the value is UTF-8 JSON documents, one per line, separated by `\n` (a trailing `\n` is allowed;
 *   JSON.stringify never writes a raw newline inside a document);
 * - header `record-count`: the number of lines, so a cut frame is told from a short one;
 * - every other header applies to every record of the frame (tenant-id, collector-id, received-at,
 *   origin, schema-version, traceparent of the first record's request).
 * A record of a frame is addressed as (topic, partition, offset, index), index from 0.
 */
export const FRAME_HEADERS = {
  contentType: 'content-type',
  recordCount: 'record-count',
  /**
   * On a record taken out of a frame (a dead letter, a sink's retry record, an exploded record inside
   * a consumer): its line in the frame at dlq-original-offset / its offset, from 0.
   */
  index: 'frame-index',
} as const;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** Bounds of one frame; a record larger than maxBytes is a frame of its own. */
export interface FrameLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export function isFrame(headers: Readonly<Record<string, string>>): boolean {
  return headers[FRAME_HEADERS.contentType] === NDJSON_CONTENT_TYPE;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

const NEWLINE = 0x0a;

/**
 * The lines of a frame's value, as views of it (no copy). Throws FrameError when `record-count` is
 * present and does not match, or is not a count: such a message is refused whole, never half read.
 */
export function frameLines(value: Buffer, headers: Readonly<Record<string, string>>): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = value.indexOf(NEWLINE, start);
    if (end === -1) {
      if (start < value.length) lines.push(value.subarray(start));
      break;
    }
    lines.push(value.subarray(start, end));
    start = end + 1;
  }
  const declared = headers[FRAME_HEADERS.recordCount];
  if (declared !== undefined) {
    if (!/^\d{1,9}$/.test(declared)) throw new FrameError(`header ${FRAME_HEADERS.recordCount} must be a count, got ${JSON.stringify(declared.slice(0, 40))}`);
    if (Number(declared) !== lines.length) {
      throw new FrameError(`header ${FRAME_HEADERS.recordCount} says ${declared} record(s), the value has ${lines.length} line(s)`);
    }
  }
  return lines;
}

/** The headers of a frame of `count` records besides the shared ones. */
export function frameHeaders(count: number): Record<string, string> {
  return { [FRAME_HEADERS.contentType]: NDJSON_CONTENT_TYPE, [FRAME_HEADERS.recordCount]: String(count) };
}

/** The headers of one record taken out of a frame: the frame's shared headers, without the frame's own, and its index. */
export function recordOfFrameHeaders(frame: Readonly<Record<string, string>>, index: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in frame) {
    if (name !== FRAME_HEADERS.contentType && name !== FRAME_HEADERS.recordCount && name !== FRAME_HEADERS_ENRICHED_INDEX) headers[name] = frame[name];
  }
  headers[FRAME_HEADERS.index] = String(index);
  return headers;
}

/** Declared here (not in enriched-record.ts) so both modules can name it without a cycle; see ENRICHED_HEADERS.flowIndex. */
export const FRAME_HEADERS_ENRICHED_INDEX = 'flow-index';

/**
 * Cuts serialized records into consecutive runs within `limits` (bytes counted as UTF-8, plus one
 * newline each); returns the runs as [start, end) index pairs of `lines`.
 */
export function frameRuns(lines: readonly string[], limits: FrameLimits): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const size = Buffer.byteLength(lines[index]) + 1;
    if (index > start && (index - start >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      runs.push([start, index]);
      start = index;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < lines.length) runs.push([start, lines.length]);
  return runs;
}

/** The parts of a consumed message a frame reader uses (structurally a LogRecord of the event log). */
export interface FramedMessage {
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The records of consumed messages, one per record, in order: a frame becomes one record per line
 * (the same topic, partition, offset and timestamp; its shared headers and `frame-index`, plus what
 * `headersOf` adds for the line), any other message stays as it is. A frame that breaks the contract
 * stays one record as it came, for the reader's own rejection path (it is not one JSON record) to
 * dead-letter whole.
 */
export function frameRecords<R extends FramedMessage>(
  messages: readonly R[],
  headersOf?: (message: R, lines: number) => ((position: number, headers: Record<string, string>) => void) | undefined,
): R[] {
  if (!messages.some((message) => isFrame(message.headers))) return messages as R[];
  const records: R[] = [];
  for (const message of messages) {
    if (!isFrame(message.headers)) {
      records.push(message);
      continue;
    }
    let lines: Buffer[];
    try {
      lines = frameLines(message.value, message.headers);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      records.push(message);
      continue;
    }
    const decorate = headersOf?.(message, lines.length);
    for (let position = 0; position < lines.length; position += 1) {
      const headers = recordOfFrameHeaders(message.headers, position);
      decorate?.(position, headers);
      records.push({ ...message, value: lines[position], headers });
    }
  }
  return records;
}
