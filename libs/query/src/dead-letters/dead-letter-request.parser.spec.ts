import { encodeCursor, parseCursor, parseIdList, parseLimit, parseReplayRequest, parseSink } from './dead-letter-request.parser';

describe('DLQ request parsing', () => {
  it('knows the three DLQs and answers not_found for others', () => {
    expect(parseSink('ingest')).toBe('ingest');
    expect(() => parseSink('kafka')).toThrow(expect.objectContaining({ code: 'not_found', status: 404 }));
  });

  it('checks limits', () => {
    expect(parseLimit(undefined, 50, 500)).toBe(50);
    expect(parseLimit('500', 50, 500)).toBe(500);
    for (const bad of ['0', '501', '1.5', 'ten', '-1'])
      expect(() => parseLimit(bad, 50, 500)).toThrow(expect.objectContaining({ code: 'invalid_parameter', details: { field: 'limit', value: bad } }));
  });

  it('round-trips a cursor and refuses a forged one', () => {
    const cursor = { failedAt: '1767000000000', id: 'telemetry.sink.splunk.dlq.v1/0/41' };
    expect(parseCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(() => parseCursor('not-a-cursor')).toThrow(expect.objectContaining({ code: 'invalid_parameter' }));
    expect(() => parseCursor(Buffer.from('["1 OR 1=1","x"]').toString('base64url'))).toThrow(expect.objectContaining({ code: 'invalid_parameter' }));
  });

  it('reads ids given comma-separated or repeated', () => {
    expect(parseIdList('a/0/1,a/0/2')).toEqual(['a/0/1', 'a/0/2']);
    expect(parseIdList(['a/0/1', 'a/0/2'])).toEqual(['a/0/1', 'a/0/2']);
    expect(parseIdList(undefined)).toBeUndefined();
  });

  it('needs a selector to replay', () => {
    for (const body of [undefined, {}, { limit: 10 }, { ids: [] }, { all: false }]) {
      expect(() => parseReplayRequest(body)).toThrow(expect.objectContaining({ code: 'missing_selector', status: 400 }));
    }
    expect(parseReplayRequest({ all: true })).toEqual({ ids: undefined, errorClass: undefined, all: true, limit: 1000 });
    expect(parseReplayRequest({ ids: ['x/0/1'], limit: 10_000 })).toEqual({ ids: ['x/0/1'], errorClass: undefined, all: false, limit: 10_000 });
    expect(parseReplayRequest({ error_class: 'http_400' })).toMatchObject({ errorClass: 'http_400' });
  });

  it('names what is wrong in a replay body', () => {
    expect(() => parseReplayRequest({ all: true, limit: 10_001 })).toThrow(
      expect.objectContaining({ code: 'invalid_parameter', details: { field: 'limit', value: 10_001 } }),
    );
    expect(() => parseReplayRequest({ all: 'yes' })).toThrow(expect.objectContaining({ code: 'invalid_body', details: { field: 'all' } }));
    expect(() => parseReplayRequest({ ids: 'x/0/1' })).toThrow(expect.objectContaining({ code: 'invalid_body', details: { field: 'ids' } }));
    expect(() => parseReplayRequest({ all: true, everything: true })).toThrow(
      expect.objectContaining({ code: 'invalid_body', details: { field: 'everything' } }),
    );
    expect(() => parseReplayRequest([1])).toThrow(expect.objectContaining({ code: 'invalid_body' }));
  });
});
