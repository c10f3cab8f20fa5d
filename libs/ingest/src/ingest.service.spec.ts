import { HEADERS, TOPICS } from '@telemetry/contracts';
import { EventLog, EventLogUnavailableError, OutgoingRecord } from '@telemetry/event-log';
import type { AppConfig } from '@telemetry/runtime';
import { IngestOutcomePendingError, IngestService } from './ingest.service';

/** An event log whose publish the test resolves, rejects or leaves pending, recording what it got. */
class ScriptedLog {
  readonly published: Array<{ topic: string; records: readonly OutgoingRecord[] }> = [];
  next: () => Promise<void> = async () => undefined;

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    this.published.push({ topic, records });
    return this.next();
  }
}

const config = { ingest: { maxInflightRecords: 10_000, rateLimitPerMin: 600, idempotencyTtlSeconds: 86_400 } } as unknown as AppConfig;
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
    const log = new ScriptedLog();
    const service = new IngestService(log as unknown as EventLog, config);
    const result = await service.ingest({ ...command(2), records: [flow(0), { ts: 1 }, flow(1)] });
    expect(result).toMatchObject({ status: 'partial', accepted: 2, rejected: 1, total: 3 });
    expect(log.published).toHaveLength(1);
    expect(log.published[0].topic).toBe(TOPICS.ingestFlows);
    expect(log.published[0].records.map((record) => JSON.parse(String(record.value)).ts)).toEqual([1732288800, 1732288801]);
    expect(log.published[0].records[0]).toMatchObject({
      key: 'acme:edge-1',
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
    const log = new ScriptedLog();
    const result = await new IngestService(log as unknown as EventLog, config).ingest({ ...command(0), records: [{ ts: 1 }] });
    expect(result).toMatchObject({ status: 'rejected', accepted: 0, rejected: 1 });
    expect(log.published).toEqual([]);
  });

  it('refuses a batch that would pass the in-flight limit while earlier ones wait for the log', async () => {
    const log = new ScriptedLog();
    let acknowledge!: () => void;
    log.next = () => new Promise<void>((resolve) => (acknowledge = resolve));
    const service = new IngestService(log as unknown as EventLog, config);
    const first = service.ingest(command(8_000));
    await expect(service.ingest(command(3_000))).rejects.toBeInstanceOf(EventLogUnavailableError);
    acknowledge();
    await first;
    log.next = async () => undefined;
    await expect(service.ingest(command(3_000))).resolves.toMatchObject({ accepted: 3_000 });
  });

  it('when the log gives up but the write may still land, says so and keeps the records counted until it knows', async () => {
    const log = new ScriptedLog();
    let settle!: (written: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    log.next = () => Promise.reject(new EventLogUnavailableError('timed out', undefined, outcome));
    const service = new IngestService(log as unknown as EventLog, config);
    const failure = await service.ingest(command(8_000)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IngestOutcomePendingError);
    expect((failure as IngestOutcomePendingError).result).toMatchObject({ status: 'accepted', accepted: 8_000 });

    log.next = async () => undefined;
    await expect(service.ingest(command(3_000))).rejects.toBeInstanceOf(EventLogUnavailableError);
    settle(true);
    await outcome;
    await new Promise((resolve) => setImmediate(resolve));
    await expect(service.ingest(command(3_000))).resolves.toMatchObject({ accepted: 3_000 });
  });
});
