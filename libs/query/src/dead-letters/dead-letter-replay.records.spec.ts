import { HEADERS, SINK_HEADERS } from '@telemetry/contracts';
import { DeadLetterEntity, deadLetterRowOf } from '@telemetry/persistence';
import { exportRecordOf, INGEST_REPLAYED_FROM_HEADER, replayTargetOf, SINK_REPLAYED_FROM_HEADER } from './dead-letter-replay.records';

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
      [SINK_HEADERS.sink]: 'splunk',
      [SINK_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [SINK_HEADERS.originalPartition]: '2',
      [SINK_HEADERS.originalOffset]: '18734',
      [SINK_HEADERS.firstFailureAt]: '2026-01-01T10:00:00.000Z',
      [SINK_HEADERS.attempt]: '1',
      [SINK_HEADERS.errorClass]: 'hec_code_6',
      [SINK_HEADERS.errorMessage]: 'Invalid data format',
    },
  })!;
}

describe('replayTargetOf', () => {
  it('sends a sink entry to the sink\'s first retry topic with fresh headers, due now', () => {
    const target = replayTargetOf(aSinkEntry(), NOW)!;
    expect(target.topic).toBe('telemetry.sink.splunk.retry.1.v1');
    expect(target.record.value).toBe(flow);
    expect(target.record.key).toEqual(Buffer.from('acme:10.0.0.1'));
    // Exactly these: the failure story of the dead record is not carried into the new attempt.
    expect(target.record.headers).toEqual({
      [HEADERS.tenantId]: 'acme',
      [HEADERS.traceparent]: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [SINK_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [SINK_HEADERS.originalPartition]: '2',
      [SINK_HEADERS.originalOffset]: '18734',
      [SINK_HEADERS.attempt]: '0',
      [SINK_HEADERS.notBefore]: String(NOW),
      [SINK_REPLAYED_FROM_HEADER]: 'telemetry.sink.splunk.dlq.v1/0/41',
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
        [HEADERS.dlqCode]: 'enrichment_failed',
        [HEADERS.dlqReason]: 'boom',
        [HEADERS.dlqStage]: 'enricher',
        [HEADERS.dlqOriginalTopic]: 'telemetry.ingest.netflow.v1',
        [HEADERS.dlqOriginalPartition]: '0',
        [HEADERS.dlqOriginalOffset]: '5',
        [HEADERS.dlqFailedAt]: '2026-01-01T11:00:01.000Z',
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
      [INGEST_REPLAYED_FROM_HEADER]: 'telemetry.ingest.dlq.v1/0/7',
    });
  });

  it('replays an ingest entry only to an ingress topic, whatever its headers say', () => {
    const from = (headers: Record<string, string>) => deadLetterRowOf({ topic: 'telemetry.ingest.dlq.v1', partition: 0, offset: '8', key: null, value: Buffer.from('x'), timestamp: NOW, headers })!;
    expect(replayTargetOf(from({}), NOW)).toBeUndefined();
    expect(replayTargetOf(from({ [HEADERS.dlqOriginalTopic]: 'telemetry.control.v1' }), NOW)).toBeUndefined();
    expect(replayTargetOf(from({ [HEADERS.dlqOriginalTopic]: 'telemetry.ingest.flows.v1' }), NOW)?.topic).toBe('telemetry.ingest.flows.v1');
  });
});

describe('exportRecordOf', () => {
  it('queues a flow for a sink: due now, attempt 0, keyed like the enricher keys it', () => {
    expect(exportRecordOf(flow, 'acme', NOW)).toEqual({
      key: 'acme:10.0.0.1',
      value: flow,
      headers: { [HEADERS.tenantId]: 'acme', [SINK_HEADERS.attempt]: '0', [SINK_HEADERS.notBefore]: String(NOW) },
    });
  });
});
