/** Why a record went to a dead-letter topic. Codes are stable: users filter and alert on them. */
export const DEAD_LETTER_CODES = {
  invalidJson: 'invalid_json',
  invalidRecord: 'invalid_record',
  unknownTopic: 'unknown_topic',
  enrichmentFailed: 'enrichment_failed',
  /** A message on the goflow2 protobuf topic that is not one length-prefixed flowpb.FlowMessage. */
  invalidProtobuf: 'invalid_protobuf',
  /** A Zeek log other than conn (dns, http, ssl, …) on the Zeek topic; the reason names the log. */
  unsupportedZeekLog: 'unsupported_zeek_log',
  /** A `tenant-id` or `collector-id` header that breaks the identifier rule; the reason names the header. */
  invalidHeader: 'invalid_header',
  /** A fetched Kafka record batch no codec could decode, given up on by a consumer (the value is its compressed records). */
  undecodableBatch: 'undecodable_batch',
  /** A message marked as a frame (`content-type: application/x-ndjson`) whose `record-count` does not match its lines. */
  invalidFrame: 'invalid_frame',
} as const;

export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[keyof typeof DEAD_LETTER_CODES];

/**
 * One header vocabulary for the story of a record that failed, at every stage: the enricher's
 * dead letters, the sinks' retry and dead-letter records, and replays. A record keeps its story as it
 * moves from a retry topic to the next and to a DLQ; a replayed one says which entry it replays.
 */
export const DEAD_LETTER_HEADERS = {
  /** Stable: the enricher's DEAD_LETTER_CODES, or a sink's error class (`hec_code_6`, `http_429`, …). */
  code: 'dlq-code',
  /** Readable, at most 1,000 characters. */
  reason: 'dlq-reason',
  /** Where it failed: `enricher`, `sink-splunk`, `sink-elastic`. */
  stage: 'dlq-stage',
  /** Where the record first was (the ingress or enriched topic), while retention keeps it there. */
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  /** RFC 3339 time of the first failure. */
  failedAt: 'dlq-failed-at',
  /** How many deliveries failed so far (1 on the first retry topic; 0 on a replayed record). */
  attempt: 'dlq-attempt',
  /** Retry topics: epoch ms before which the record is not offered to the destination again. */
  notBefore: 'dlq-not-before',
  /** The DLQ entry (`<topic>/<partition>/<offset>`) a replayed record comes from. */
  replayedFrom: 'dlq-replayed-from',
} as const;

export const deadLetterStageOfSink = (sink: string): string => `sink-${sink}`;

/**
 * The names sink retry and DLQ records carried before the one vocabulary (schema 1 of those topics):
 * readers fall back to them, so records written by an older version are read the same.
 */
const LEGACY_SINK_HEADERS: Readonly<Partial<Record<keyof typeof DEAD_LETTER_HEADERS, string>>> = {
  code: 'sink-error-class',
  reason: 'sink-error-message',
  originalTopic: 'sink-original-topic',
  originalPartition: 'sink-original-partition',
  originalOffset: 'sink-original-offset',
  failedAt: 'sink-first-failure-at',
  attempt: 'sink-attempt',
  notBefore: 'sink-not-before',
  replayedFrom: 'sink-replayed-from',
};

/** One story header of a record, by its current name or, for older records, its former one. */
export function deadLetterHeader(headers: Readonly<Record<string, string>>, field: keyof typeof DEAD_LETTER_HEADERS): string | undefined {
  const value = headers[DEAD_LETTER_HEADERS[field]];
  if (value !== undefined) return value;
  const legacy = LEGACY_SINK_HEADERS[field];
  return legacy === undefined ? undefined : headers[legacy];
}

/** A record's headers without any story header (current or former names), e.g. to send it back to its ingress topic. */
export function withoutDeadLetterHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const story = new Set<string>([
    ...Object.values(DEAD_LETTER_HEADERS),
    ...Object.values(LEGACY_SINK_HEADERS).filter((name): name is string => !!name),
    'sink-name',
  ]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !story.has(name)));
}
