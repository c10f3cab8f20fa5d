import { DEAD_LETTER_HEADERS, deadLetterHeader, withoutDeadLetterHeaders } from './dead-letter';

describe('the one dead-letter header vocabulary', () => {
  const current = {
    'tenant-id': 'acme',
    [DEAD_LETTER_HEADERS.code]: 'hec_code_6',
    [DEAD_LETTER_HEADERS.reason]: 'Invalid data format',
    [DEAD_LETTER_HEADERS.attempt]: '2',
    [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
    [DEAD_LETTER_HEADERS.failedAt]: '2026-11-22T10:00:00.000Z',
  };
  // What a sink wrote before the one vocabulary (schema 1 of the retry and DLQ topics).
  const legacy = {
    'tenant-id': 'acme',
    'sink-name': 'splunk',
    'sink-error-class': 'hec_code_6',
    'sink-error-message': 'Invalid data format',
    'sink-attempt': '2',
    'sink-original-topic': 'telemetry.enriched.v1',
    'sink-first-failure-at': '2026-11-22T10:00:00.000Z',
    'sink-not-before': '1767000000000',
    'sink-replayed-from': 'telemetry.sink.splunk.dlq.v1/0/7',
  };

  it('reads a story by its current names', () => {
    expect(deadLetterHeader(current, 'code')).toBe('hec_code_6');
    expect(deadLetterHeader(current, 'attempt')).toBe('2');
    expect(deadLetterHeader(current, 'stage')).toBeUndefined();
  });

  it('reads a record written before it through the former sink-* names', () => {
    expect(
      ['code', 'reason', 'attempt', 'originalTopic', 'failedAt'].map((field) => deadLetterHeader(legacy, field as keyof typeof DEAD_LETTER_HEADERS)),
    ).toEqual(['code', 'reason', 'attempt', 'originalTopic', 'failedAt'].map((field) => deadLetterHeader(current, field as keyof typeof DEAD_LETTER_HEADERS)));
    expect(deadLetterHeader(legacy, 'notBefore')).toBe('1767000000000');
    expect(deadLetterHeader(legacy, 'replayedFrom')).toBe('telemetry.sink.splunk.dlq.v1/0/7');
  });

  it('the current name wins over a former one', () => {
    expect(deadLetterHeader({ ...legacy, [DEAD_LETTER_HEADERS.code]: 'http_400' }, 'code')).toBe('http_400');
  });

  it('strips every story header, current or former, and keeps the rest', () => {
    expect(withoutDeadLetterHeaders({ ...current, ...legacy, [DEAD_LETTER_HEADERS.stage]: 'enricher', 'collector-id': 'edge-1' })).toEqual({
      'tenant-id': 'acme',
      'collector-id': 'edge-1',
    });
  });
});
