import { ENRICHED_HEADERS, enrichedFlowRecords, type FlowIndexEntry } from './enriched-record';
import { HEADERS } from './headers';
import { FRAME_HEADERS, FrameError, frameHeaders, frameLines, frameRuns, isFrame, NDJSON_CONTENT_TYPE, recordOfFrameHeaders } from './record-frames';

describe('frames', () => {
  it('splits a value into its lines without copying, a trailing newline allowed', () => {
    const value = Buffer.from('{"a":1}\n{"b":2}\n');
    const lines = frameLines(value, frameHeaders(2));
    expect(lines.map(String)).toEqual(['{"a":1}', '{"b":2}']);
    expect(lines[1].buffer).toBe(value.buffer);
    expect(frameLines(Buffer.from('{"a":1}'), {}).map(String)).toEqual(['{"a":1}']);
  });

  it('keeps an empty line in the middle as a record (it is dead-lettered as not JSON, never skipped)', () => {
    expect(frameLines(Buffer.from('{"a":1}\n\n{"b":2}'), frameHeaders(3)).map(String)).toEqual(['{"a":1}', '', '{"b":2}']);
  });

  it.each([
    ['more lines than declared', '{"a":1}\n{"b":2}', '1', 'says 1 record(s), the value has 2 line(s)'],
    ['fewer lines than declared', '{"a":1}', '3', 'says 3 record(s)'],
    ['a count that is not one', '{"a":1}', 'many', 'must be a count'],
  ])('refuses %s', (_, value, count, message) => {
    expect(() => frameLines(Buffer.from(value), { [FRAME_HEADERS.recordCount]: count })).toThrow(FrameError);
    expect(() => frameLines(Buffer.from(value), { [FRAME_HEADERS.recordCount]: count })).toThrow(message);
  });

  it('knows a frame by its content type only', () => {
    expect(isFrame(frameHeaders(1))).toBe(true);
    expect(isFrame({ [FRAME_HEADERS.contentType]: 'application/json' })).toBe(false);
    expect(isFrame({})).toBe(false);
  });

  it('cuts runs within the record and byte limits, a record larger than the byte limit alone', () => {
    const lines = ['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(50), 'd', 'e', 'f'];
    expect(frameRuns(lines, { maxRecords: 2, maxBytes: 1_000 })).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
    expect(frameRuns(lines, { maxRecords: 100, maxBytes: 30 })).toEqual([
      [0, 2],
      [2, 3],
      [3, 6],
    ]);
    expect(frameRuns([], { maxRecords: 2, maxBytes: 30 })).toEqual([]);
  });

  it("gives a record taken out of a frame the frame's shared headers and its index, not the frame's own", () => {
    const headers = recordOfFrameHeaders({ ...frameHeaders(3), [HEADERS.tenantId]: 'acme', [ENRICHED_HEADERS.flowIndex]: '[]' }, 2);
    expect(headers).toEqual({ [HEADERS.tenantId]: 'acme', [FRAME_HEADERS.index]: '2' });
  });
});

describe('enrichedFlowRecords', () => {
  const entry = (i: number): FlowIndexEntry => [`${i}`.padStart(32, '0'), 1_732_288_800_000 + i, '10.0.0.1', '8.8.8.8', 40 + i, '2026-11-22T12:00:00.000Z'];
  const flow = (i: number) => JSON.stringify({ event_id: entry(i)[0], tenant_id: 'acme' });
  const message = (count: number, index: string | null = JSON.stringify(Array.from({ length: count }, (_, i) => entry(i)))) => ({
    topic: 'telemetry.enriched.v1',
    offset: '7',
    value: Buffer.from(Array.from({ length: count }, (_, i) => flow(i)).join('\n')),
    headers: { ...frameHeaders(count), [HEADERS.tenantId]: 'acme', ...(index === null ? {} : { [ENRICHED_HEADERS.flowIndex]: index }) } as Record<
      string,
      string
    >,
  });

  it('returns the messages themselves when none is a frame', () => {
    const single = [{ value: Buffer.from(flow(0)), headers: { [HEADERS.tenantId]: 'acme' } }];
    expect(enrichedFlowRecords(single)).toBe(single);
  });

  it('gives each flow of a frame its own record at the same offset, the key fields from the flow index', () => {
    const records = enrichedFlowRecords([message(3)]);
    expect(records.map((record) => [String(record.value), record.offset, record.headers[FRAME_HEADERS.index]])).toEqual([
      [flow(0), '7', '0'],
      [flow(1), '7', '1'],
      [flow(2), '7', '2'],
    ]);
    expect(records[2].headers).toMatchObject({
      [HEADERS.tenantId]: 'acme',
      [ENRICHED_HEADERS.eventId]: entry(2)[0],
      [ENRICHED_HEADERS.tsMs]: String(entry(2)[1]),
      [ENRICHED_HEADERS.riskScore]: '42',
    });
    expect(records[2].headers[FRAME_HEADERS.contentType]).toBeUndefined();
  });

  it.each([
    ['no flow index', null],
    ['a flow index that is not JSON', '[['],
    ['a flow index of the wrong length', JSON.stringify([entry(0)])],
    ['a flow index with a malformed entry', JSON.stringify([entry(0), ['x', 'not a number', '', '', 1, ''], entry(2)])],
  ])('leaves the key fields to the value when the frame has %s', (_, index) => {
    const records = enrichedFlowRecords([message(3, index)]);
    expect(records).toHaveLength(3);
    expect(records.every((record) => record.headers[ENRICHED_HEADERS.eventId] === undefined)).toBe(true);
  });

  it('keeps a frame that breaks the contract as one record, for the reader to dead-letter whole', () => {
    const broken = { ...message(2), headers: { ...message(2).headers, [FRAME_HEADERS.recordCount]: '5' } as Record<string, string> };
    expect(enrichedFlowRecords([broken])).toEqual([broken]);
    expect(broken.headers[FRAME_HEADERS.contentType]).toBe(NDJSON_CONTENT_TYPE);
  });
});
