import { DEAD_LETTER_CODES, DEAD_LETTER_HEADERS, TOPICS } from '@telemetry/contracts';
import type { OutgoingRecord, UndecodableBatch } from '@telemetry/event-log';

/**
 * The ingest dead letter of a Kafka record batch a consumer gave up decoding: the value is the batch's
 * records as fetched (still compressed, so nothing of them is lost), the headers say where it was and
 * why, in the one dead-letter vocabulary. The offset is the batch's first; the reason names its last.
 */
export function undecodableBatchDeadLetter(batch: UndecodableBatch, failedAt: Date): { topic: string; record: OutgoingRecord } {
  const reason = `consumer group ${batch.groupId} gave up after ${batch.attempts} attempts: ${batch.reason}`;
  return {
    topic: TOPICS.ingestDeadLetter,
    record: {
      key: `${batch.topic}:${batch.partition}:${batch.baseOffset}`,
      value: batch.compressed,
      headers: {
        [DEAD_LETTER_HEADERS.code]: DEAD_LETTER_CODES.undecodableBatch,
        [DEAD_LETTER_HEADERS.reason]: reason.slice(0, 1_000),
        [DEAD_LETTER_HEADERS.stage]: 'event-log',
        [DEAD_LETTER_HEADERS.originalTopic]: batch.topic,
        [DEAD_LETTER_HEADERS.originalPartition]: String(batch.partition),
        [DEAD_LETTER_HEADERS.originalOffset]: batch.baseOffset,
        [DEAD_LETTER_HEADERS.failedAt]: failedAt.toISOString(),
        [DEAD_LETTER_HEADERS.attempt]: String(batch.attempts),
      },
    },
  };
}
