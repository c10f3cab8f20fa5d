import { HEADERS, TOPICS } from '@telemetry/contracts';
import { EventLogUnavailableError, InMemoryEventLog } from '@telemetry/event-log';
import type { IngestConfig } from './ingest.config';
import { INGRESS_TOPIC_BY_FORMAT, IngestOutcomePendingError, IngestService } from './ingest.service';

/** The in-memory event log with the ingress topics; its fault hooks stand in for a slow or failing broker. */
async function ingressLog(): Promise<InMemoryEventLog> {
  const log = new InMemoryEventLog();
  await log.ensureTopics(Object.values(INGRESS_TOPIC_BY_FORMAT).map((name) => ({ name, partitions: 3, retentionMs: -1 })));
  return log;
}

const allRecords = (log: InMemoryEventLog) => Object.values(INGRESS_TOPIC_BY_FORMAT).flatMap((topic) => log.records(topic));

const config: IngestConfig = { maxInflightRecords: 10_000, idempotencyTtlSeconds: 86_400 };
const flow = (i: number) => ({ ts: 1732288800 + i, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', dst_port: 53 });
const command = (count: number) => ({
  tenantId: 'acme',
  collectorId: 'edge-1',
  format: 'flows.v1' as const,
  records: Array.from({ length: count }, (_, i) => flow(i)),
  receivedAt: new Date('2026-11-22T12:00:00Z'),
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
});

describe('IngestService', () => {
  it('publishes each valid record as one message keyed by tenant and collector, with the headers', async () => {
    const log = await ingressLog();
    const service = new IngestService(log, config);
    const result = await service.ingest({ ...command(2), records: [flow(0), { ts: 1 }, flow(1)] });
    expect(result).toMatchObject({ status: 'partial', accepted: 2, rejected: 1, total: 3 });
    // Exactly the two valid records, on the flows topic only, in order (one key: one partition).
    expect(allRecords(log)).toHaveLength(2);
    const published = log.records(TOPICS.ingestFlows);
    expect(published.map((record) => JSON.parse(String(record.value)).ts)).toEqual([1732288800, 1732288801]);
    expect(published.map((record) => record.key?.toString())).toEqual(['acme:edge-1', 'acme:edge-1']);
    expect(published[0]).toMatchObject({
      headers: {
        [HEADERS.tenantId]: 'acme',
        [HEADERS.collectorId]: 'edge-1',
        [HEADERS.format]: 'flows.v1',
        [HEADERS.receivedAt]: '2026-11-22T12:00:00.000Z',
        [HEADERS.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    });
  });

  it('publishes nothing when no record is valid', async () => {
    const log = await ingressLog();
    const result = await new IngestService(log, config).ingest({ ...command(0), records: [{ ts: 1 }] });
    expect(result).toMatchObject({ status: 'rejected', accepted: 0, rejected: 1 });
    expect(allRecords(log)).toEqual([]);
  });

  it('refuses a batch that would pass the in-flight limit while earlier ones wait for the log', async () => {
    const log = await ingressLog();
    const held = log.holdNextPublish();
    const service = new IngestService(log, config);
    const first = service.ingest(command(8_000));
    await held.reached;
    await expect(service.ingest(command(3_000))).rejects.toBeInstanceOf(EventLogUnavailableError);
    held.release();
    await first;
    await expect(service.ingest(command(3_000))).resolves.toMatchObject({ accepted: 3_000 });
    expect(log.records(TOPICS.ingestFlows)).toHaveLength(11_000);
  });

  it('when the log gives up but the write may still land, says so and keeps the records counted until it knows', async () => {
    const log = await ingressLog();
    let settle!: (written: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    log.failNextPublish(new EventLogUnavailableError('timed out', undefined, outcome));
    const service = new IngestService(log, config);
    const failure = await service.ingest(command(8_000)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IngestOutcomePendingError);
    expect((failure as IngestOutcomePendingError).result).toMatchObject({ status: 'accepted', accepted: 8_000 });

    // The log takes records again, but the 8 000 whose outcome is open still count against the limit.
    await expect(service.ingest(command(3_000))).rejects.toBeInstanceOf(EventLogUnavailableError);
    settle(true);
    await outcome;
    await new Promise((resolve) => setImmediate(resolve));
    await expect(service.ingest(command(3_000))).resolves.toMatchObject({ accepted: 3_000 });
  });
});
