import { DEAD_LETTER_HEADERS, HEADERS } from '@telemetry/contracts';
import type { LogRecord } from '@telemetry/event-log';
import type { ItemOutcome, SinkItem } from './exporter.port';
import { splitIntoBatches } from './sink-batches';
import { routeOutcomes } from './sink-routing';

const now = Date.parse('2026-11-22T12:00:00Z');
const policy = { sink: 'splunk', retryDelaysMs: [10_000, 60_000, 600_000] };

function anItem(offset: number, headers: Record<string, string> = {}, payload = `{"event_id":"e${offset}"}`): SinkItem {
  const source: LogRecord = {
    topic: headers[DEAD_LETTER_HEADERS.attempt] ? `telemetry.sink.splunk.retry.${headers[DEAD_LETTER_HEADERS.attempt]}.v1` : 'telemetry.enriched.v1',
    partition: 2,
    offset: String(offset),
    key: Buffer.from('acme:10.0.0.1'),
    value: Buffer.from(payload),
    headers: { [HEADERS.tenantId]: 'acme', [HEADERS.traceparent]: '00-abc-def-01', ...headers },
    timestamp: now,
  };
  return { eventId: `e${offset}`, tenantId: 'acme', payload, ts: 1732288800, source };
}

const delivered: ItemOutcome = { kind: 'delivered' };
const busy: ItemOutcome = { kind: 'retriable', errorClass: 'http_503', message: 'Server is busy' };
const rejected: ItemOutcome = { kind: 'permanent', errorClass: 'invalid_event', message: 'Invalid data format' };

describe('routeOutcomes', () => {
  it('counts delivered items and routes nothing for them', () => {
    const routed = routeOutcomes([anItem(1), anItem(2)], [delivered, delivered], policy, now);
    expect(routed.delivered).toBe(2);
    expect(routed.retries.size).toBe(0);
    expect(routed.deadLetters).toEqual([]);
  });

  it('sends a retriable item from the main topic to retry topic 1, due after the first delay, with its story in headers', () => {
    const routed = routeOutcomes([anItem(7)], [busy], policy, now);
    const [record] = routed.retries.get('telemetry.sink.splunk.retry.1.v1')!;
    expect(record.value).toBe('{"event_id":"e7"}');
    expect(record.key).toEqual(Buffer.from('acme:10.0.0.1'));
    expect(record.headers).toMatchObject({
      [HEADERS.tenantId]: 'acme',
      [HEADERS.traceparent]: '00-abc-def-01',
      [DEAD_LETTER_HEADERS.stage]: 'sink-splunk',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '7',
      [DEAD_LETTER_HEADERS.attempt]: '1',
      [DEAD_LETTER_HEADERS.code]: 'http_503',
      [DEAD_LETTER_HEADERS.reason]: 'Server is busy',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-11-22T12:00:00.000Z',
      [DEAD_LETTER_HEADERS.notBefore]: String(now + 10_000),
    });
    expect(routed.retriedByClass.get('http_503')).toBe(1);
  });

  it('moves an item along the retry topics, keeping its original coordinates and first failure', () => {
    const fromRetry1 = anItem(3, {
      [DEAD_LETTER_HEADERS.attempt]: '1',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '5',
      [DEAD_LETTER_HEADERS.originalOffset]: '900',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-11-22T11:00:00.000Z',
      [DEAD_LETTER_HEADERS.notBefore]: String(now - 1),
    });
    const [record] = routeOutcomes([fromRetry1], [busy], policy, now).retries.get('telemetry.sink.splunk.retry.2.v1')!;
    expect(record.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.attempt]: '2',
      [DEAD_LETTER_HEADERS.originalPartition]: '5',
      [DEAD_LETTER_HEADERS.originalOffset]: '900',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-11-22T11:00:00.000Z',
      [DEAD_LETTER_HEADERS.notBefore]: String(now + 60_000),
    });
  });

  it('honours a longer Retry-After than the topic delay', () => {
    const routed = routeOutcomes([anItem(1)], [{ kind: 'retriable', errorClass: 'http_429', message: 'slow down', retryAfterMs: 30_000 }], policy, now);
    expect(routed.retries.get('telemetry.sink.splunk.retry.1.v1')![0].headers![DEAD_LETTER_HEADERS.notBefore]).toBe(String(now + 30_000));
  });

  it('sends permanent failures straight to the dead-letter list with the reason', () => {
    const routed = routeOutcomes([anItem(1), anItem(2)], [delivered, rejected], policy, now);
    expect(routed.deadLetters).toHaveLength(1);
    expect(routed.deadLetters[0].headers).toMatchObject({
      [DEAD_LETTER_HEADERS.code]: 'invalid_event',
      [DEAD_LETTER_HEADERS.attempt]: '1',
      [DEAD_LETTER_HEADERS.originalOffset]: '2',
    });
    expect(routed.deadLetteredByClass.get('invalid_event')).toBe(1);
  });

  it('dead-letters a retriable failure once the retries are exhausted, saying so', () => {
    const last = anItem(4, { [DEAD_LETTER_HEADERS.attempt]: '3' });
    const routed = routeOutcomes([last], [busy], policy, now);
    expect(routed.retries.size).toBe(0);
    expect(routed.deadLetters[0].headers).toMatchObject({ [DEAD_LETTER_HEADERS.attempt]: '4', [DEAD_LETTER_HEADERS.code]: 'http_503' });
    expect(routed.deadLetters[0].headers![DEAD_LETTER_HEADERS.reason]).toContain('gave up after 4 attempts');
    expect(routed.deadLetters[0].headers).not.toHaveProperty(DEAD_LETTER_HEADERS.notBefore);
  });

  it('refuses a mismatch between items and outcomes', () => {
    expect(() => routeOutcomes([anItem(1)], [], policy, now)).toThrow(/0 outcomes for 1 items/);
  });
});

describe('splitIntoBatches', () => {
  it('cuts by record count and by payload bytes, never leaving an item out', () => {
    const items = Array.from({ length: 10 }, (_, i) => anItem(i, {}, `{"event_id":"e${i}","pad":"${'x'.repeat(80)}"}`));
    expect(splitIntoBatches(items, { maxRecords: 4, maxBytes: 1_000_000 }).map((b) => b.length)).toEqual([4, 4, 2]);
    expect(splitIntoBatches(items, { maxRecords: 100, maxBytes: 250 }).map((b) => b.length)).toEqual([2, 2, 2, 2, 2]);
    expect(splitIntoBatches([anItem(1, {}, 'x'.repeat(500))], { maxRecords: 100, maxBytes: 10 }).map((b) => b.length)).toEqual([1]);
  });
});
