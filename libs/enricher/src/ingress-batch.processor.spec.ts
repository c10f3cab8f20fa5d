import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEAD_LETTER_HEADERS,
  ENRICHED_HEADERS,
  enrichedFlowRecords,
  FRAME_HEADERS,
  frameHeaders,
  NDJSON_CONTENT_TYPE,
  enrichedKeyFieldsFromHeaders,
  enrichedKeyFieldsFromValue,
  HEADERS,
  TOPICS,
  type EnrichedFlow,
} from '@telemetry/contracts';
import { InMemoryGeoLookup, ORIGINAL_LIVE_POLICY, ThreatIntelIndex } from '@telemetry/enrichment';
import { aFlowRecord, aZeekConn, anIndicator } from '../../enrichment/src/testing/flow-builders';
import type { LogRecord, OutgoingRecord, RecordBatch } from '@telemetry/event-log';
import { IngressBatchOptions, processIngressBatch as processInFrames } from './ingress-batch.processor';

/** The processor writing schema 1's shape (one flow per message, key fields as headers), which most cases below read. */
const processIngressBatch = (batch: RecordBatch, dependencies: typeof deps, at: Date, options: IngressBatchOptions = {}) =>
  processInFrames(batch, dependencies, at, { flowsPerMessage: 1, ...options });

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

// --- producers as they are: captured and documented output shapes under fixtures/{ok,not-ok} ---------

const FIXTURES = path.resolve(__dirname, '../../../fixtures');
/** When the captures were made (goflow2's time_received_ns of the softflowd and pmacct runs). */
const CAPTURED_AT = new Date('2026-12-02T00:19:49.600Z');

function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** One message as a direct producer writes it: no key, no headers (Zeek's plugin, goflow2), the Kafka timestamp as the receive time. */
function aDirectBatch(topic: string, values: Buffer[], options: { headers?: Record<string, string>; receivedAt?: Date } = {}): RecordBatch {
  const timestamp = (options.receivedAt ?? CAPTURED_AT).getTime();
  const records: LogRecord[] = values.map((value, index) => ({
    topic,
    partition: 0,
    offset: String(7 + index),
    key: null,
    value,
    headers: options.headers ?? {},
    timestamp,
  }));
  return { topic, partition: 0, records };
}

function enrichedOf(result: ReturnType<typeof processIngressBatch>): EnrichedFlow[] {
  return result.enriched.map((record) => JSON.parse(String(record.value)) as EnrichedFlow);
}

describe('processIngressBatch: frames', () => {
  const frame = (lines: string[], headers: Record<string, string> = {}) => ({
    value: lines.join('\n'),
    headers: { ...frameHeaders(lines.length), [HEADERS.tenantId]: 'tenant-x', ...headers },
  });
  function aFrameBatch(frames: Array<{ value: string; headers: Record<string, string> }>): RecordBatch {
    const records: LogRecord[] = frames.map((entry, index) => ({
      topic: TOPICS.ingestFlows,
      partition: 1,
      offset: String(40 + index),
      key: Buffer.from('tenant-x:edge-1'),
      value: Buffer.from(entry.value),
      headers: { [HEADERS.receivedAt]: '2026-11-22T11:59:00.000Z', ...entry.headers },
      timestamp: now.getTime(),
    }));
    return { topic: TOPICS.ingestFlows, partition: 1, records };
  }
  const flowsOf = (messages: readonly OutgoingRecord[]) =>
    enrichedFlowRecords(messages.map((m) => ({ value: Buffer.from(m.value), headers: m.headers ?? {} })));

  it('reads each line of an ingress frame as a record, addressed by offset and index, with an event id of its own', () => {
    const lines = [aFlowRecord({ dstPort: 53 }), aFlowRecord({ dstPort: 80 }), aFlowRecord({ dstPort: 443 })].map((record) => JSON.stringify(record));
    const result = processInFrames(aFrameBatch([frame(lines)]), deps, now);
    expect(result.deadLetters).toEqual([]);
    expect(result.flows.map((flow) => [flow.dst_port, flow.ingest.offset, flow.ingest.index])).toEqual([
      [53, '40', 0],
      [80, '40', 1],
      [443, '40', 2],
    ]);
    expect(new Set(result.flows.map((flow) => flow.event_id)).size).toBe(3);
    // Redelivered: the same ids.
    expect(processInFrames(aFrameBatch([frame(lines)]), deps, now).flows.map((flow) => flow.event_id)).toEqual(result.flows.map((flow) => flow.event_id));
  });

  it('writes enriched frames whose flow-index equals the fields of each line, and a reader sees one flow per record', () => {
    const lines = Array.from({ length: 450 }, (_, i) => JSON.stringify(aFlowRecord({ dstIp: i % 3 === 0 ? '203.0.113.9' : '198.51.100.1' })));
    const result = processInFrames(aFrameBatch([frame(lines.slice(0, 300)), frame(lines.slice(300))]), deps, now, { flowsPerMessage: 200 });
    expect(result.enriched.map((message) => message.headers?.[FRAME_HEADERS.recordCount])).toEqual(['200', '200', '50']);
    for (const message of result.enriched) {
      expect(message.headers).toMatchObject({
        [FRAME_HEADERS.contentType]: NDJSON_CONTENT_TYPE,
        [HEADERS.tenantId]: 'tenant-x',
        [HEADERS.schemaVersion]: expect.any(String),
      });
      expect(message.key).toBe(`tenant-x:${(JSON.parse(String(message.value).split('\n')[0]) as EnrichedFlow).event_id}`);
    }
    const records = flowsOf(result.enriched);
    expect(records).toHaveLength(450);
    for (const record of records) {
      expect(enrichedKeyFieldsFromHeaders(record.headers)).toEqual(enrichedKeyFieldsFromValue(JSON.parse(record.value.toString())));
    }
    expect(records.map((record) => (JSON.parse(record.value.toString()) as EnrichedFlow).event_id)).toEqual(result.flows.map((flow) => flow.event_id));
  });

  it('keeps tenants apart: a frame holds the flows of one tenant and collector', () => {
    const line = JSON.stringify(aFlowRecord());
    const result = processInFrames(
      aFrameBatch([
        frame([line, line], { [HEADERS.tenantId]: 'tenant-a' }),
        frame([line], { [HEADERS.tenantId]: 'tenant-b' }),
        frame([line], { [HEADERS.tenantId]: 'tenant-a' }),
      ]),
      deps,
      now,
    );
    expect(result.enriched.map((message) => [message.headers?.[HEADERS.tenantId], message.headers?.[FRAME_HEADERS.recordCount]])).toEqual([
      ['tenant-a', '3'],
      ['tenant-b', '1'],
    ]);
  });

  it('dead-letters a bad line alone, with the frame headers and its index, and enriches the lines around it', () => {
    const good = JSON.stringify(aFlowRecord());
    const result = processInFrames(aFrameBatch([frame([good, '{"ts": 1', good, JSON.stringify({ ts: 1700000000, src_ip: '10.0.0.1' })])]), deps, now);
    expect(result.flows).toHaveLength(2);
    expect(
      result.deadLetters.map((letter) => [String(letter.value), letter.headers?.[FRAME_HEADERS.index], letter.headers?.[DEAD_LETTER_HEADERS.code]]),
    ).toEqual([
      ['{"ts": 1', '1', 'invalid_json'],
      [JSON.stringify({ ts: 1700000000, src_ip: '10.0.0.1' }), '3', 'invalid_record'],
    ]);
    const letter = result.deadLetters[0].headers ?? {};
    expect(letter).toMatchObject({
      [HEADERS.tenantId]: 'tenant-x',
      [DEAD_LETTER_HEADERS.originalOffset]: '40',
      [HEADERS.receivedAt]: '2026-11-22T11:59:00.000Z',
    });
    expect(letter[FRAME_HEADERS.contentType]).toBeUndefined();
    expect(letter[FRAME_HEADERS.recordCount]).toBeUndefined();
  });

  it('refuses a frame whose record-count does not match its lines, whole, as invalid_frame', () => {
    const good = JSON.stringify(aFlowRecord());
    const cut = { value: good, headers: { ...frameHeaders(2), [HEADERS.tenantId]: 'tenant-x' } };
    const result = processInFrames(aFrameBatch([cut, frame([good])]), deps, now);
    expect(result.flows).toHaveLength(1);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0].headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: 'invalid_frame', [FRAME_HEADERS.recordCount]: '2' });
    expect(result.deadLetters[0].headers?.[DEAD_LETTER_HEADERS.reason]).toContain('says 2 record(s)');
  });
});

describe('processIngressBatch: producer shapes (fixtures/ok)', () => {
  it.each([
    [
      'zeek-kafka-tag-json-conn.json',
      TOPICS.ingestZeekConn,
      { format: 'zeek.conn', src_ip: '10.20.0.23', dst_port: 3389, bytes: 2_418_000, zeek: { uid: 'CzTagJson0conn01' }, ingest: { envelope: 'zeek-tag-json' } },
    ],
    ['zeek-json-streaming-path-conn.json', TOPICS.ingestZeekConn, { format: 'zeek.conn', dst_ip: '8.8.4.4', zeek: { uid: 'CzPathConn000001' } }],
    [
      'kafka-connect-json-struct-zeek-conn.json',
      TOPICS.ingestZeekConn,
      { format: 'zeek.conn', dst_ip: '45.155.205.233', zeek: { uid: 'CzConnectStruct1' }, ingest: { envelope: 'kafka-connect' } },
    ],
    ['kafka-connect-json-string-flow.json', TOPICS.ingestFlows, { dst_ip: '185.220.101.45', bytes: 1_500_000, ingest: { envelope: 'kafka-connect' } }],
    ['kafka-connect-json-schemaless-flow.json', TOPICS.ingestFlows, { dst_ip: '185.220.101.45', original: { note: 'connect-schemaless' } }],
    [
      'goflow2-v2-json-netflow-v5-softflowd.json',
      TOPICS.ingestFlows,
      {
        src_ip: '10.1.2.3',
        dst_ip: '185.220.101.45',
        proto: 'tcp',
        bytes: 1_500_000,
        packets: 1000,
        exporter: '127.0.0.1',
        tcp_flags: 26,
        ts_source: 'exporter',
      },
    ],
    [
      'goflow2-v2-bin-netflow-v5-softflowd.bin',
      TOPICS.ingestGoflow2Protobuf,
      { src_ip: '10.1.2.3', bytes: 1_500_000, packets: 1000, ingest: { envelope: 'goflow2-protobuf' } },
    ],
    ['goflow2-v2-json-ipfix-pmacct-sampled.json', TOPICS.ingestFlows, { src_ip: '10.1.2.3', sampling_rate: 10 }],
    ['goflow2-v2-bin-ipfix-pmacct-sampled.bin', TOPICS.ingestGoflow2Protobuf, { src_ip: '10.1.2.3', sampling_rate: 10 }],
  ] as const)('enriches %s from %s', (file, topic, expected) => {
    const result = processIngressBatch(aDirectBatch(topic, [fixture(`ok/${file}`)]), deps, now);
    expect(result.deadLetters.map((letter) => letter.headers?.[DEAD_LETTER_HEADERS.reason])).toEqual([]);
    const [flow] = enrichedOf(result);
    expect(flow).toMatchObject(expected);
    // Without headers: the deployment's default tenant and collector.
    expect(flow).toMatchObject({ tenant_id: 'default', collector_id: 'default' });
  });

  it('reads goflow2 -format=bin exactly as -format=json: exporter, interfaces, AS, next hop, flags, ToS and the duration from start and end', () => {
    const fromJson = enrichedOf(processIngressBatch(aDirectBatch(TOPICS.ingestFlows, [fixture('ok/goflow2-v2-json-netflow-v5-softflowd.json')]), deps, now))[0];
    const fromBin = enrichedOf(
      processIngressBatch(aDirectBatch(TOPICS.ingestGoflow2Protobuf, [fixture('ok/goflow2-v2-bin-netflow-v5-softflowd.bin')]), deps, now),
    )[0];
    const fields = [
      'src_ip',
      'src_port',
      'dst_ip',
      'dst_port',
      'proto',
      'bytes',
      'packets',
      'exporter',
      'in_if',
      'out_if',
      'src_as',
      'dst_as',
      'next_hop',
      'tcp_flags',
      'tos',
    ] as const;
    for (const field of fields) expect([field, fromBin[field]]).toEqual([field, fromJson[field]]);
    expect(fromJson).toMatchObject({ exporter: '127.0.0.1', in_if: 0, out_if: 0, src_as: 0, dst_as: 0, next_hop: '0.0.0.0', tcp_flags: 26, tos: 0 });
    // softflowd saw the first packet at :35.995 and the last at :36.994 (the pcap's times).
    expect(fromJson.duration).toBeCloseTo(0.999, 3);
    expect(fromBin.duration).toBeCloseTo(0.999, 3);
  });

  it('scales sampled counts by the sampling rate (pmacct sampling_rate: 10), keeps the exported ones, and the byte rule sees the scaled bytes', () => {
    for (const [topic, file] of [
      [TOPICS.ingestFlows, 'ok/goflow2-v2-json-ipfix-pmacct-sampled.json'],
      [TOPICS.ingestGoflow2Protobuf, 'ok/goflow2-v2-bin-ipfix-pmacct-sampled.bin'],
    ] as const) {
      const [flow] = enrichedOf(processIngressBatch(aDirectBatch(topic, [fixture(file)]), deps, now));
      expect(flow.sampling_rate).toBe(10);
      expect(flow.sampled_bytes).toBeGreaterThan(100_000);
      expect(flow.sampled_bytes).toBeLessThan(1_000_000);
      expect(flow.bytes).toBe(flow.sampled_bytes! * 10);
      expect(flow.packets).toBe(flow.sampled_packets! * 10);
      // Unscaled (~150 kB) the flow is under the rule's 1,000,000 bytes; scaled it is over.
      expect(flow.risk_reasons.map((reason) => reason.code)).toContain('large_upload_from_ephemeral_port');
    }
  });

  it("dates a flow by the receive time when the exporter's clock is off by more than the bound, and says so", () => {
    const fiftyDaysLater = new Date(CAPTURED_AT.getTime() - 50 * 86_400_000);
    const record = fixture('ok/goflow2-v2-json-netflow-v5-softflowd.json');
    const [skewed] = enrichedOf(processIngressBatch(aDirectBatch(TOPICS.ingestFlows, [record], { receivedAt: fiftyDaysLater }), deps, now));
    expect(skewed.ts).toBe(fiftyDaysLater.getTime() / 1000);
    expect(skewed.timestamp).toBe(fiftyDaysLater.toISOString());
    expect(skewed.ts_source).toBe('received');
    expect(skewed.clock_skew_s).toBeGreaterThan(49 * 86_400);
    expect(skewed.exported_ts).toBeCloseTo(1796170715.995, 3);
    // Within the bound the exporter's time stands; a larger bound (MAX_CLOCK_SKEW_S) lets it stand too.
    const [kept] = enrichedOf(
      processIngressBatch(aDirectBatch(TOPICS.ingestFlows, [record], { receivedAt: fiftyDaysLater }), deps, now, { maxClockSkewSec: 60 * 86_400 }),
    );
    expect(kept).toMatchObject({ ts_source: 'exporter' });
    expect(kept.ts).toBeCloseTo(1796170715.995, 3);
    expect(kept.exported_ts).toBeUndefined();
  });
});

describe('processIngressBatch: what is refused (fixtures/not-ok)', () => {
  it.each([
    [
      'zeek-kafka-tag-json-dns.json',
      TOPICS.ingestZeekConn,
      'unsupported_zeek_log',
      /^Zeek log "dns" \(from its tag_json tag\) is not supported on telemetry\.ingest\.zeek-conn\.v1/,
    ],
    ['zeek-kafka-tag-json-http.json', TOPICS.ingestZeekConn, 'unsupported_zeek_log', /Zeek log "http"/],
    ['zeek-json-streaming-path-ssl.json', TOPICS.ingestZeekConn, 'unsupported_zeek_log', /Zeek log "ssl" \(from its _path\)/],
    ['kafka-connect-json-tombstone.json', TOPICS.ingestFlows, 'invalid_record', /Kafka Connect envelope: the payload must be one record.*null \(a tombstone\)/],
    ['kafka-connect-json-string-not-json.json', TOPICS.ingestFlows, 'invalid_json', /Kafka Connect envelope: the payload \(schema type string\) is not JSON/],
    ['goflow2-v2-bin-truncated.bin', TOPICS.ingestGoflow2Protobuf, 'invalid_protobuf', /the length prefix says 80 bytes but 39 follow/],
    ['goflow2-v2-bin-two-messages.bin', TOPICS.ingestGoflow2Protobuf, 'invalid_protobuf', /the length prefix says 85 bytes but 166 follow/],
    ['goflow2-v2-json-on-the-protobuf-topic.json', TOPICS.ingestGoflow2Protobuf, 'invalid_protobuf', /the length prefix says 123 bytes/],
  ] as const)('dead-letters %s from %s as %s, saying why', (file, topic, code, reason) => {
    const value = fixture(`not-ok/${file}`);
    const result = processIngressBatch(aDirectBatch(topic, [value]), deps, now);
    expect(result.enriched).toEqual([]);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0].value).toEqual(value);
    expect(result.deadLetters[0].headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: code, [DEAD_LETTER_HEADERS.originalTopic]: topic });
    expect(result.deadLetters[0].headers?.[DEAD_LETTER_HEADERS.reason]).toMatch(reason);
  });

  it.each([
    [HEADERS.tenantId, 'a'.repeat(200), /^header tenant-id must be at most 128 characters, got 200$/],
    [HEADERS.tenantId, 'acme\u0000', /^header tenant-id must not contain control characters, got "acme\\u0000"$/],
    [HEADERS.collectorId, 'c'.repeat(129), /^header collector-id must be at most 128 characters, got 129$/],
    [HEADERS.collectorId, 'sensor\n1', /^header collector-id must not contain control characters/],
  ])('dead-letters a record whose %s header breaks the identifier rule (invalid_header), and enriches the records around it', (header, bad, reason) => {
    const good = JSON.stringify(aFlowRecord());
    const batch = aBatch(TOPICS.ingestFlows, [good, good, good]);
    const records = batch.records.map((record, index) => (index === 1 ? { ...record, headers: { ...record.headers, [header]: bad } } : record));
    const result = processIngressBatch({ ...batch, records }, deps, now);
    expect(result.enriched).toHaveLength(2);
    expect(result.deadLetters).toHaveLength(1);
    expect(result.deadLetters[0].headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: 'invalid_header', [DEAD_LETTER_HEADERS.originalOffset]: '101' });
    expect(result.deadLetters[0].headers?.[DEAD_LETTER_HEADERS.reason]).toMatch(reason);
  });

  it('accepts identifiers of up to 128 characters, as the REST edge does', () => {
    const tenant = `Acme Corp/EU ${'a'.repeat(120)}`.slice(0, 128);
    const result = processIngressBatch(
      aBatch(TOPICS.ingestFlows, [JSON.stringify(aFlowRecord())], { [HEADERS.tenantId]: tenant, [HEADERS.collectorId]: 'zeek-sensor-1' }),
      deps,
      now,
    );
    expect(result.deadLetters).toEqual([]);
    expect(enrichedOf(result)[0].tenant_id).toBe(tenant);
  });
});
