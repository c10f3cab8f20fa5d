import { DEAD_LETTER_HEADERS, HEADERS } from '@telemetry/contracts';
import type { LogRecord } from '@telemetry/event-log';
import { deadLetterRowOf } from './dead-letters.projection';

const flow = { schema_version: 1, event_id: 'ev-1', tenant_id: 'acme', src_ip: '10.0.0.1', dst_ip: '8.8.8.8' };

function aSinkDeadLetter(overrides: Partial<LogRecord> = {}, headers: Record<string, string> = {}): LogRecord {
  return {
    topic: 'telemetry.sink.splunk.dlq.v1',
    partition: 0,
    offset: '41',
    key: Buffer.from('acme:10.0.0.1'),
    value: Buffer.from(JSON.stringify(flow)),
    timestamp: 1_767_000_000_000,
    headers: {
      [HEADERS.tenantId]: 'acme',
      [HEADERS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [DEAD_LETTER_HEADERS.stage]: 'sink-splunk',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '18734',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-01-01T10:00:00.000Z',
      [DEAD_LETTER_HEADERS.attempt]: '4',
      [DEAD_LETTER_HEADERS.code]: 'http_503',
      [DEAD_LETTER_HEADERS.reason]: 'Server is busy (HTTP 503, code 9) (gave up after 4 attempts)',
      ...headers,
    },
    ...overrides,
  };
}

function anIngestDeadLetter(value: Buffer, headers: Record<string, string> = {}): LogRecord {
  return {
    topic: 'telemetry.ingest.dlq.v1',
    partition: 0,
    offset: '7',
    key: null,
    value,
    timestamp: 1_767_000_100_000,
    headers: {
      [HEADERS.tenantId]: 'acme',
      [HEADERS.collectorId]: 'edge-1',
      [DEAD_LETTER_HEADERS.code]: 'invalid_json',
      [DEAD_LETTER_HEADERS.reason]: 'value is not JSON: Unexpected token',
      [DEAD_LETTER_HEADERS.stage]: 'enricher',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.ingest.zeek-conn.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '1',
      [DEAD_LETTER_HEADERS.originalOffset]: '99',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-01-01T11:00:00.000Z',
      ...headers,
    },
  };
}

describe('deadLetterRowOf', () => {
  it("reads a sink DLQ record's story from its dead-letter headers", () => {
    const row = deadLetterRowOf(aSinkDeadLetter());
    expect(row).toMatchObject({
      id: 'telemetry.sink.splunk.dlq.v1/0/41',
      sink: 'splunk',
      tenantId: 'acme',
      errorClass: 'http_503',
      errorMessage: 'Server is busy (HTTP 503, code 9) (gave up after 4 attempts)',
      attempt: 4,
      originalTopic: 'telemetry.enriched.v1',
      originalPartition: 2,
      originalOffset: '18734',
      firstFailureAt: String(Date.parse('2026-01-01T10:00:00.000Z')),
      failedAt: '1767000000000',
      recordKey: Buffer.from('acme:10.0.0.1').toString('base64'),
      payload: JSON.stringify(flow),
      payloadEncoding: 'utf8',
      state: 'dead',
      replayedAt: null,
    });
    expect(JSON.parse(row!.headers)).toMatchObject({ [HEADERS.traceparent]: expect.stringMatching(/^00-/) });
  });

  it('reads a record a sink wrote before the one vocabulary (sink-* headers) into the same row', () => {
    const legacyHeaders = {
      [HEADERS.tenantId]: 'acme',
      'sink-name': 'splunk',
      'sink-original-topic': 'telemetry.enriched.v1',
      'sink-original-partition': '2',
      'sink-original-offset': '18734',
      'sink-first-failure-at': '2026-01-01T10:00:00.000Z',
      'sink-attempt': '4',
      'sink-error-class': 'http_503',
      'sink-error-message': 'Server is busy (HTTP 503, code 9) (gave up after 4 attempts)',
    };
    const current = deadLetterRowOf(aSinkDeadLetter())!;
    const legacy = deadLetterRowOf({ ...aSinkDeadLetter(), headers: legacyHeaders })!;
    const story = (row: typeof current) => [
      row.errorClass,
      row.errorMessage,
      row.attempt,
      row.originalTopic,
      row.originalPartition,
      row.originalOffset,
      row.firstFailureAt,
    ];
    expect(story(legacy)).toEqual(story(current));
  });

  it('names the DLQ after its topic (elastic)', () => {
    expect(deadLetterRowOf(aSinkDeadLetter({ topic: 'telemetry.sink.elastic.dlq.v1', partition: 0, offset: '3' }))).toMatchObject({
      id: 'telemetry.sink.elastic.dlq.v1/0/3',
      sink: 'elastic',
    });
  });

  it("maps the ingest DLQ's dlq-code, dlq-reason and dlq-original-* headers to the same columns", () => {
    const row = deadLetterRowOf(anIngestDeadLetter(Buffer.from('{"ts": oops')));
    expect(row).toMatchObject({
      id: 'telemetry.ingest.dlq.v1/0/7',
      sink: 'ingest',
      tenantId: 'acme',
      errorClass: 'invalid_json',
      errorMessage: 'value is not JSON: Unexpected token',
      attempt: 1,
      originalTopic: 'telemetry.ingest.zeek-conn.v1',
      originalPartition: 1,
      originalOffset: '99',
      firstFailureAt: String(Date.parse('2026-01-01T11:00:00.000Z')),
      failedAt: '1767000100000',
      recordKey: null,
      payload: '{"ts": oops',
      payloadEncoding: 'utf8',
    });
  });

  it('keeps a binary value (a NetFlow datagram) as base64, and text with NUL too (Postgres text refuses NUL)', () => {
    const datagram = Buffer.from([0x00, 0x09, 0xff, 0xfe, 0x80, 0x01]);
    expect(deadLetterRowOf(anIngestDeadLetter(datagram))).toMatchObject({ payload: datagram.toString('base64'), payloadEncoding: 'base64' });
    const withNul = Buffer.from('a\u0000b');
    expect(deadLetterRowOf(anIngestDeadLetter(withNul))).toMatchObject({ payload: withNul.toString('base64'), payloadEncoding: 'base64' });
  });

  it('falls back to the default tenant, attempt 1 and unknown class when headers are missing, and drops malformed coordinates', () => {
    const record = aSinkDeadLetter();
    const row = deadLetterRowOf({
      ...record,
      headers: { [DEAD_LETTER_HEADERS.originalPartition]: 'x', [DEAD_LETTER_HEADERS.originalOffset]: '-1', [DEAD_LETTER_HEADERS.failedAt]: 'yesterday' },
    });
    expect(row).toMatchObject({
      tenantId: 'default',
      attempt: 1,
      errorClass: 'unknown',
      errorMessage: '',
      originalTopic: null,
      originalPartition: null,
      originalOffset: null,
      firstFailureAt: null,
    });
  });

  it('cuts oversized header values to the column sizes instead of failing the batch', () => {
    const row = deadLetterRowOf(
      aSinkDeadLetter(
        {},
        { [HEADERS.tenantId]: 't'.repeat(500), [DEAD_LETTER_HEADERS.code]: 'c'.repeat(500), [DEAD_LETTER_HEADERS.reason]: 'm'.repeat(10_000) },
      ),
    );
    expect(row!.tenantId).toHaveLength(128);
    expect(row!.errorClass).toHaveLength(128);
    expect(row!.errorMessage).toHaveLength(4_000);
  });

  it('answers undefined for a record of a topic that is not a DLQ', () => {
    expect(deadLetterRowOf(aSinkDeadLetter({ topic: 'telemetry.enriched.v1' }))).toBeUndefined();
  });
});
