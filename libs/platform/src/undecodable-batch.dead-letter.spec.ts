import { DEAD_LETTER_HEADERS, TOPICS } from '@telemetry/contracts';
import { undecodableBatchDeadLetter } from './undecodable-batch.dead-letter';

describe('undecodableBatchDeadLetter', () => {
  it('keeps the compressed records and says where the batch was and why, in the dead-letter vocabulary', () => {
    const compressed = Buffer.from([4, 34, 77, 24, 1, 2, 3]);
    const { topic, record } = undecodableBatchDeadLetter(
      {
        groupId: 'telemetry-enricher',
        topic: TOPICS.ingestZeekConn,
        partition: 3,
        baseOffset: '1200',
        lastOffset: '1399',
        records: 200,
        codec: 'lz4',
        reason: 'a lz4 record batch at offsets 1200..1399 (200 records), 7 compressed bytes, cannot be decoded: bad frame',
        compressed,
        attempts: 5,
      },
      new Date('2026-12-02T00:00:00Z'),
    );
    expect(topic).toBe(TOPICS.ingestDeadLetter);
    expect(record.value).toBe(compressed);
    expect(record.key).toBe(`${TOPICS.ingestZeekConn}:3:1200`);
    expect(record.headers).toEqual({
      [DEAD_LETTER_HEADERS.code]: 'undecodable_batch',
      [DEAD_LETTER_HEADERS.reason]:
        'consumer group telemetry-enricher gave up after 5 attempts: a lz4 record batch at offsets 1200..1399 (200 records), 7 compressed bytes, cannot be decoded: bad frame',
      [DEAD_LETTER_HEADERS.stage]: 'event-log',
      [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.ingestZeekConn,
      [DEAD_LETTER_HEADERS.originalPartition]: '3',
      [DEAD_LETTER_HEADERS.originalOffset]: '1200',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-12-02T00:00:00.000Z',
      [DEAD_LETTER_HEADERS.attempt]: '5',
    });
  });
});
