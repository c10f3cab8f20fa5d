import { DEAD_LETTER_HEADERS, HEADERS } from '@telemetry/contracts';
import { DeadLetterEntity, deadLetterRowOf } from '@telemetry/persistence';
import { exportRecordOf, replayTargetOf } from './dead-letter-replay.records';

const NOW = 1_767_000_500_000;
const flow = JSON.stringify({ event_id: 'ev-1', tenant_id: 'acme', src_ip: '10.0.0.1' });

function aSinkEntry(): DeadLetterEntity {
  return deadLetterRowOf({
    topic: 'telemetry.sink.splunk.dlq.v1',
    partition: 0,
    offset: '41',
    key: Buffer.from('acme:10.0.0.1'),
    value: Buffer.from(flow),
    timestamp: NOW - 1000,
    headers: {
      [HEADERS.tenantId]: 'acme',
      [HEADERS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [HEADERS.schemaVersion]: '1',
      [DEAD_LETTER_HEADERS.stage]: 'sink-splunk',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '18734',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-01-01T10:00:00.000Z',
      [DEAD_LETTER_HEADERS.attempt]: '1',
      [DEAD_LETTER_HEADERS.code]: 'hec_code_6',
      [DEAD_LETTER_HEADERS.reason]: 'Invalid data format',
    },
  })!;
}

describe('replayTargetOf', () => {
  it("sends a sink entry to the sink's first retry topic with fresh headers, due now", () => {
    const target = replayTargetOf(aSinkEntry(), NOW)!;
    expect(target.topic).toBe('telemetry.sink.splunk.retry.1.v1');
    expect(target.record.value).toBe(flow);
    expect(target.record.key).toEqual(Buffer.from('acme:10.0.0.1'));
    // Exactly these: the failure story of the dead record is not carried into the new attempt.
    expect(target.record.headers).toEqual({
      [HEADERS.tenantId]: 'acme',
      [HEADERS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '18734',
      [DEAD_LETTER_HEADERS.attempt]: '0',
      [DEAD_LETTER_HEADERS.notBefore]: String(NOW),
      [DEAD_LETTER_HEADERS.replayedFrom]: 'telemetry.sink.splunk.dlq.v1/0/41',
    });
  });

  it('sends an ingest entry back to its ingress topic, bytes unchanged, without the dlq-* headers', () => {
    const datagram = Buffer.from([0x00, 0x09, 0xff, 0xfe]);
    const entry = deadLetterRowOf({
      topic: 'telemetry.ingest.dlq.v1',
      partition: 0,
      offset: '7',
      key: Buffer.from('192.0.2.1'),
      value: datagram,
      timestamp: NOW,
      headers: {
        [HEADERS.tenantId]: 'acme',
        [HEADERS.collectorId]: 'edge-1',
        [HEADERS.receivedAt]: '2026-01-01T11:00:00.000Z',
        [DEAD_LETTER_HEADERS.code]: 'enrichment_failed',
        [DEAD_LETTER_HEADERS.reason]: 'boom',
        [DEAD_LETTER_HEADERS.stage]: 'enricher',
        [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.ingest.netflow.v1',
        [DEAD_LETTER_HEADERS.originalPartition]: '0',
        [DEAD_LETTER_HEADERS.originalOffset]: '5',
        [DEAD_LETTER_HEADERS.failedAt]: '2026-01-01T11:00:01.000Z',
      },
    })!;
    const target = replayTargetOf(entry, NOW)!;
    expect(target.topic).toBe('telemetry.ingest.netflow.v1');
    expect(target.record.value).toEqual(datagram);
    expect(target.record.key).toEqual(Buffer.from('192.0.2.1'));
    expect(target.record.headers).toEqual({
      [HEADERS.tenantId]: 'acme',
      [HEADERS.collectorId]: 'edge-1',
      [HEADERS.receivedAt]: '2026-01-01T11:00:00.000Z',
      [DEAD_LETTER_HEADERS.replayedFrom]: 'telemetry.ingest.dlq.v1/0/7',
    });
  });

  it('replays an ingest entry only to an ingress topic, whatever its headers say', () => {
    const from = (headers: Record<string, string>) =>
      deadLetterRowOf({ topic: 'telemetry.ingest.dlq.v1', partition: 0, offset: '8', key: null, value: Buffer.from('x'), timestamp: NOW, headers })!;
    expect(replayTargetOf(from({}), NOW)).toBeUndefined();
    expect(replayTargetOf(from({ [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.control.v1' }), NOW)).toBeUndefined();
    expect(replayTargetOf(from({ [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.ingest.flows.v1' }), NOW)?.topic).toBe('telemetry.ingest.flows.v1');
  });

  it('replays a goflow2 protobuf entry to its topic, and never an undecodable_batch entry (its value is a whole compressed batch)', () => {
    const from = (headers: Record<string, string>) =>
      deadLetterRowOf({ topic: 'telemetry.ingest.dlq.v1', partition: 0, offset: '9', key: null, value: Buffer.from([0x05, 0x08]), timestamp: NOW, headers })!;
    expect(replayTargetOf(from({ [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.ingest.goflow2-pb.v1' }), NOW)?.topic).toBe('telemetry.ingest.goflow2-pb.v1');
    const batch = from({ [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.ingest.flows.v1', [DEAD_LETTER_HEADERS.code]: 'undecodable_batch' });
    expect(replayTargetOf(batch, NOW)).toBeUndefined();
  });
});

describe('exportRecordOf', () => {
  it('queues a flow for a sink: due now, attempt 0, keyed like the enricher keys it', () => {
    expect(exportRecordOf(flow, 'acme', NOW)).toEqual({
      key: 'acme:10.0.0.1',
      value: flow,
      headers: { [HEADERS.tenantId]: 'acme', [DEAD_LETTER_HEADERS.attempt]: '0', [DEAD_LETTER_HEADERS.notBefore]: String(NOW) },
    });
  });
});
