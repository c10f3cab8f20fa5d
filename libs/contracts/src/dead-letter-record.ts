import { DEAD_LETTER_HEADERS } from './dead-letter';

/** The parts of a consumed record a dead letter keeps (structurally a LogRecord of the event log). */
export interface FailedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DeadLetterStory {
  /** Stable, e.g. `unprojectable_record`. */
  readonly code: string;
  /** Readable; cut to 1,000 characters. */
  readonly reason: string;
  /** Where it failed, e.g. `enricher`, `projection-enriched-events`. */
  readonly stage: string;
  /** RFC 3339. */
  readonly failedAt: string;
}

/** The dead-letter record of `record`: its key, value and headers as they were, and its story in DEAD_LETTER_HEADERS. */
export function deadLetterRecordOf(record: FailedRecord, story: DeadLetterStory): { key: Buffer | null; value: Buffer; headers: Record<string, string> } {
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.code]: story.code,
      [DEAD_LETTER_HEADERS.reason]: story.reason.slice(0, 1_000),
      [DEAD_LETTER_HEADERS.stage]: story.stage,
      [DEAD_LETTER_HEADERS.originalTopic]: record.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(record.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: record.offset,
      [DEAD_LETTER_HEADERS.failedAt]: story.failedAt,
      [DEAD_LETTER_HEADERS.attempt]: '1',
    },
  };
}
