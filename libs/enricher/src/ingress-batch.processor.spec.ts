import {
  DEAD_LETTER_HEADERS,
  ENRICHED_HEADERS,
  enrichedKeyFieldsFromHeaders,
  enrichedKeyFieldsFromValue,
  HEADERS,
  TOPICS,
  type EnrichedFlow,
} from '@telemetry/contracts';
import { InMemoryGeoLookup, ORIGINAL_LIVE_POLICY, ThreatIntelIndex } from '@telemetry/enrichment';
import { aFlowRecord, aZeekConn, anIndicator } from '../../enrichment/src/testing/flow-builders';
import type { LogRecord, RecordBatch } from '@telemetry/event-log';
import { processIngressBatch } from './ingress-batch.processor';

const now = new Date('2026-11-22T12:00:00Z');
const deps = {
  geo: new InMemoryGeoLookup([]),
  threatIntel: new ThreatIntelIndex([anIndicator({ indicator: '203.0.113.0/24', category: 'C2', confidence: 90, source: 'test.csv' })]),
  policy: ORIGINAL_LIVE_POLICY,
};

function aBatch(topic: string, values: Array<string | Buffer>, headers: Record<string, string> = { [HEADERS.tenantId]: 'tenant-x' }): RecordBatch {
  const records: LogRecord[] = values.map((value, index) => ({
    topic,
    partition: 2,
    offset: String(100 + index),
    key: Buffer.from('tenant-x:sensor'),
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers,
    timestamp: now.getTime(),
  }));
  return { topic, partition: 2, records };
}

describe('processIngressBatch', () => {
  it('enriches every valid record, keyed by tenant and source, with the tenant and trace headers carried over', () => {
    const batch = aBatch(
      TOPICS.ingestZeekConn,
      [JSON.stringify(aZeekConn({ dstIp: '203.0.113.7', dstPort: 445 })), JSON.stringify(aZeekConn({ spelling: 'underscore' }))],
      { [HEADERS.tenantId]: 'tenant-x', [HEADERS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    const result = processIngressBatch(batch, deps, now);
    expect(result.deadLetters).toEqual([]);
    expect(result.enriched).toHaveLength(2);
    const first = JSON.parse(result.enriched[0].value.toString()) as EnrichedFlow;
    expect(first).toMatchObject({ tenant_id: 'tenant-x', dst_ip: '203.0.113.7', risk_score: 80, format: 'zeek.conn' });
    expect(first.ingest).toMatchObject({ topic: TOPICS.ingestZeekConn, partition: 2, offset: '100' });
    expect(result.enriched[0].key).toBe(`tenant-x:${first.src_ip}`);
    expect(result.enriched[0].headers).toMatchObject({ [HEADERS.tenantId]: 'tenant-x', [HEADERS.traceparent]: expect.stringMatching(/^00-/) });
  });

  it('carries the key fields as ENRICHED_HEADERS, equal to the same fields of the value', () => {
    const result = processIngressBatch(aBatch(TOPICS.ingestZeekConn, [JSON.stringify(aZeekConn({ dstIp: '203.0.113.7', dstPort: 445 }))]), deps, now);
    const flow = JSON.parse(result.enriched[0].value.toString()) as EnrichedFlow;
    const headers = result.enriched[0].headers ?? {};
    expect(enrichedKeyFieldsFromHeaders(headers)).toEqual(enrichedKeyFieldsFromValue(flow));
    expect(headers).toMatchObject({
      [ENRICHED_HEADERS.eventId]: flow.event_id,
      [ENRICHED_HEADERS.riskScore]: '80',
      [ENRICHED_HEADERS.tsMs]: String(Math.round(flow.ts * 1000)),
      [ENRICHED_HEADERS.receivedAt]: flow.ingest.received_at,
    });
  });

  it('gives the same event id to a redelivered record, so sinks can write idempotently', () => {
    const batch = aBatch(TOPICS.ingestFlows, [JSON.stringify(aFlowRecord())]);
    const once = JSON.parse(processIngressBatch(batch, deps, now).enriched[0].value.toString());
    const twice = JSON.parse(processIngressBatch(batch, deps, new Date(now.getTime() + 60_000)).enriched[0].value.toString());
    expect(twice.event_id).toBe(once.event_id);
  });

  it.each([
    ['not JSON', '{"ts": 1', 'invalid_json'],
    ['a JSON array, not one object', '[1,2]', 'invalid_record'],
    ['a record missing dst_ip', JSON.stringify({ ts: 1700000000, src_ip: '10.0.0.1' }), 'invalid_record'],
    ['a record with a bad address', JSON.stringify({ ts: 1700000000, src_ip: '10.0.0.1', dst_ip: '999.1.1.1' }), 'invalid_record'],
  ])('sends %s to the dead-letter topic with the reason and its original coordinates', (_, value, code) => {
    const good = JSON.stringify(aFlowRecord());
    const result = processIngressBatch(aBatch(TOPICS.ingestFlows, [good, value]), deps, now);
    expect(result.enriched).toHaveLength(1);
    expect(result.deadLetters).toHaveLength(1);
    const letter = result.deadLetters[0];
    expect(letter.value.toString()).toBe(value);
    expect(letter.headers).toMatchObject({
      [HEADERS.tenantId]: 'tenant-x',
      [DEAD_LETTER_HEADERS.code]: code,
      [DEAD_LETTER_HEADERS.stage]: 'enricher',
      [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.ingestFlows,
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '101',
      [DEAD_LETTER_HEADERS.failedAt]: now.toISOString(),
    });
    expect(letter.headers?.[DEAD_LETTER_HEADERS.reason]).toEqual(expect.any(String));
  });

  it('names the field that failed normalization in the dead-letter reason', () => {
    const result = processIngressBatch(aBatch(TOPICS.ingestFlows, [JSON.stringify({ ts: 1700000000, src_ip: '10.0.0.1', dst_ip: 'nope' })]), deps, now);
    expect(result.deadLetters[0].headers?.[DEAD_LETTER_HEADERS.reason]).toContain('dst_ip');
  });

  it('uses the default tenant when a direct producer sends no tenant-id header', () => {
    const result = processIngressBatch(aBatch(TOPICS.ingestFlows, [JSON.stringify(aFlowRecord())], {}), deps, now);
    expect(JSON.parse(result.enriched[0].value.toString()).tenant_id).toBe('default');
  });

  it('accounts for every input: enriched + dead letters = records in', () => {
    const values = [JSON.stringify(aFlowRecord()), 'garbage', JSON.stringify(aFlowRecord({ dstPort: 3389 })), '{}'];
    const result = processIngressBatch(aBatch(TOPICS.ingestFlows, values), deps, now);
    expect(result.enriched.length + result.deadLetters.length).toBe(values.length);
  });
});
