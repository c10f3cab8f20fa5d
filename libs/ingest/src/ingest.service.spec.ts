import { FRAME_HEADERS, frameLines, HEADERS, isFrame, NDJSON_CONTENT_TYPE, TOPICS } from '@telemetry/contracts';
import { EventLogUnavailableError, InMemoryEventLog, LogRecord } from '@telemetry/event-log';
import type { IngestConfig } from './ingest.config';
import { INGRESS_TOPIC_BY_FORMAT, IngestPublishError, IngestService, PUBLISH_CHUNK_BYTES } from './ingest.service';

/** The in-memory event log with the ingress topics; its fault hooks stand in for a slow or failing broker. */
async function ingressLog(): Promise<InMemoryEventLog> {
  const log = new InMemoryEventLog();
  await log.ensureTopics(Object.values(INGRESS_TOPIC_BY_FORMAT).map((name) => ({ name, partitions: 3, retentionMs: -1 })));
  return log;
}

/** The records of a topic as a reader sees them: each line of a frame is one. */
const recordsOf = (log: InMemoryEventLog, topic: string): LogRecord[] =>
  log
    .records(topic)
    .flatMap((record) => (isFrame(record.headers) ? frameLines(record.value, record.headers).map((value) => ({ ...record, value })) : [record]));
const allRecords = (log: InMemoryEventLog) => Object.values(INGRESS_TOPIC_BY_FORMAT).flatMap((topic) => recordsOf(log, topic));
const flow = (i: number) => ({ ts: 1732288800 + i, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', dst_port: 53 });
const command = (count: number) => ({
  tenantId: 'acme',
  collectorId: 'edge-1',
  format: 'flows.v1' as const,
  records: Array.from({ length: count }, (_, i) => flow(i)),
  receivedAt: new Date('2026-11-22T12:00:00Z'),
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
});

describe('IngestService, in frames of up to 1 000 records', () => {
  const config: IngestConfig = { maxInflightRecords: 10_000, idempotencyTtlSeconds: 86_400, publishTimeoutMs: 60_000, recordsPerMessage: 1_000 };

  it('writes consecutive accepted records as frames: the shared headers once, content-type and record-count, one key', async () => {
    const log = await ingressLog();
    const records: unknown[] = command(2_500).records;
    records.splice(3, 0, { ts: 1 });
    const result = await new IngestService(log, config).ingest({ ...command(0), records });
    expect(result).toMatchObject({ status: 'partial', accepted: 2_500, rejected: 1 });
    const messages = log.records(TOPICS.ingestFlows);
    expect(messages.map((message) => message.headers[FRAME_HEADERS.recordCount])).toEqual(['1000', '1000', '500']);
    expect(new Set(messages.map((message) => message.key?.toString()))).toEqual(new Set(['acme:edge-1']));
    for (const message of messages) {
      expect(message.headers).toMatchObject({
        [FRAME_HEADERS.contentType]: NDJSON_CONTENT_TYPE,
        [HEADERS.tenantId]: 'acme',
        [HEADERS.collectorId]: 'edge-1',
        [HEADERS.origin]: 'rest',
        [HEADERS.receivedAt]: '2026-11-22T12:00:00.000Z',
      });
    }
    const lines = recordsOf(log, TOPICS.ingestFlows).map((record) => (JSON.parse(String(record.value)) as { ts: number }).ts);
    expect(lines).toEqual(command(2_500).records.map((record) => record.ts));
  });

  it('keeps each frame within a quarter of a publish chunk, however many records it may hold', async () => {
    const log = await ingressLog();
    const wide = Array.from({ length: 2_000 }, (_, i) => ({ ...flow(i), note: 'x'.repeat(1_000) }));
    await new IngestService(log, config).ingest({ ...command(0), records: wide });
    const sizes = log.records(TOPICS.ingestFlows).map((message) => message.value.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PUBLISH_CHUNK_BYTES / 4);
    expect(recordsOf(log, TOPICS.ingestFlows)).toHaveLength(2_000);
  });
});

describe.each([
  ['one record per message', 1],
  ['frames of 1 000 records', 1_000],
])('IngestService, %s', (_, recordsPerMessage) => {
  const config: IngestConfig = { maxInflightRecords: 10_000, idempotencyTtlSeconds: 86_400, publishTimeoutMs: 60_000, recordsPerMessage };

  it('publishes each valid record keyed by tenant and collector, with the headers', async () => {
    const log = await ingressLog();
    const service = new IngestService(log, config);
    const result = await service.ingest({ ...command(2), records: [flow(0), { ts: 1 }, flow(1)] });
    expect(result).toMatchObject({ status: 'partial', accepted: 2, rejected: 1, total: 3 });
    // Exactly the two valid records, on the flows topic only, in order (one key: one partition).
    expect(allRecords(log)).toHaveLength(2);
    const published = recordsOf(log, TOPICS.ingestFlows);
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
    expect(recordsOf(log, TOPICS.ingestFlows)).toHaveLength(11_000);
  });

  it('when the log gives up but the write may still land, says so and keeps the records counted until it knows', async () => {
    const log = await ingressLog();
    let settle!: (written: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    log.failNextPublish(new EventLogUnavailableError('timed out', undefined, outcome));
    const service = new IngestService(log, config);
    const failure = await service.ingest(command(8_000)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(IngestPublishError);
    expect(failure).toMatchObject({ written: 0, unknown: 8_000, result: { status: 'accepted', accepted: 8_000 } });

    // The log takes records again, but the 8 000 whose outcome is open still count against the limit.
    await expect(service.ingest(command(3_000))).rejects.toBeInstanceOf(EventLogUnavailableError);
    settle(true);
    await outcome;
    await new Promise((resolve) => setImmediate(resolve));
    await expect(service.ingest(command(3_000))).resolves.toMatchObject({ accepted: 3_000 });
  });

  describe('a batch over 1 MiB', () => {
    // ~340 bytes per record: 10 000 of them are about 3.4 MB, four chunks.
    const bigFlow = (i: number) => ({ ...flow(i), uid: `rec-${i}`, note: 'x'.repeat(240) });
    const bigCommand = () => ({ ...command(0), records: Array.from({ length: 10_000 }, (_, i) => bigFlow(i)) });
    const uids = (log: InMemoryEventLog) => recordsOf(log, TOPICS.ingestFlows).map((record) => (JSON.parse(String(record.value)) as { uid: string }).uid);
    const big = { ...config, maxInflightRecords: 100_000 };

    /** The sizes (value and key bytes) of each publish call the service makes. */
    function publishSizes(log: InMemoryEventLog): number[] {
      const sizes: number[] = [];
      const publish = log.publish.bind(log);
      log.publish = (topic, records) => {
        sizes.push(records.reduce((sum, record) => sum + Buffer.byteLength(record.value) + Buffer.byteLength(record.key ?? ''), 0));
        return publish(topic, records);
      };
      return sizes;
    }

    it('is published in order in chunks of at most 1 MiB', async () => {
      const log = await ingressLog();
      const sizes = publishSizes(log);
      await expect(new IngestService(log, big).ingest(bigCommand())).resolves.toMatchObject({ status: 'accepted', accepted: 10_000 });
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(PUBLISH_CHUNK_BYTES);
      expect(uids(log)).toEqual(bigCommand().records.map((record) => record.uid));
    });

    it('stops at the first chunk the log refuses, says which records are written, and a resumed call writes only the rest', async () => {
      const log = await ingressLog();
      const progress: number[] = [];
      log.holdNextPublish().release();
      log.failNextPublish(new EventLogUnavailableError('broker gone'));
      const service = new IngestService(log, big);
      const failure = await service.ingest(bigCommand(), async (written) => void progress.push(written)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(IngestPublishError);
      const partial = failure as IngestPublishError;
      const firstChunk = uids(log).length;
      expect({ written: partial.written, unknown: partial.unknown, progress }).toEqual({ written: firstChunk, unknown: 0, progress: [firstChunk] });
      expect(firstChunk).toBeGreaterThan(0);
      expect(partial.writtenRanges()).toEqual([{ from: 0, to: firstChunk - 1 }]);

      const result = await service.ingest({ ...bigCommand(), alreadyWritten: partial.written });
      expect(result).toEqual(partial.result);
      expect(uids(log)).toEqual(bigCommand().records.map((record) => record.uid));
    });

    it('names written ranges in request indices, around rejected records', async () => {
      const log = await ingressLog();
      log.holdNextPublish().release();
      log.failNextPublish(new EventLogUnavailableError('broker gone'));
      const records: unknown[] = bigCommand().records;
      records.splice(1, 0, { ts: 1 }); // index 1 is rejected, the accepted ones are 0, 2, 3, …
      const failure = (await new IngestService(log, big).ingest({ ...bigCommand(), records }).catch((error: unknown) => error)) as IngestPublishError;
      expect(failure.writtenRanges()).toEqual([
        { from: 0, to: 0 },
        { from: 2, to: failure.written },
      ]);
      expect(failure.result).toMatchObject({ total: 10_001, accepted: 10_000, rejected: 1 });
    });
  });

  describe('an event log that acknowledges nothing', () => {
    afterEach(() => jest.useRealTimers());

    /** A log that is gone: the publish hangs, and so does any other question. */
    function unreachable(log: InMemoryEventLog): void {
      log.endOffsets = () => new Promise(() => undefined);
    }

    it('is answered within publishTimeoutMs with the chunk outcome open, resolved once the log knows', async () => {
      jest.useFakeTimers();
      const log = await ingressLog();
      unreachable(log);
      const held = log.holdNextPublish();
      const service = new IngestService(log, { ...config, publishTimeoutMs: 2_000 });
      const failure = service.ingest(command(100)).catch((error: unknown) => error);
      await held.reached;
      await jest.advanceTimersByTimeAsync(2_000);
      const error = (await failure) as IngestPublishError;
      expect(error).toBeInstanceOf(IngestPublishError);
      expect({ written: error.written, unknown: error.unknown, unknownRanges: error.unknownRanges() }).toEqual({
        written: 0,
        unknown: 100,
        unknownRanges: [{ from: 0, to: 99 }],
      });
      held.release();
      await expect(error.outcome).resolves.toBe(true);
    });

    it('is told apart from a slow one: a log that still answers (a cold producer, a big chunk) is waited for', async () => {
      jest.useFakeTimers();
      const log = await ingressLog();
      const held = log.holdNextPublish();
      const service = new IngestService(log, { ...config, publishTimeoutMs: 2_000 });
      let settled = false;
      const slow = service.ingest(command(100)).finally(() => (settled = true));
      await held.reached;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(settled).toBe(false);
      held.release();
      await expect(slow).resolves.toMatchObject({ status: 'accepted', accepted: 100 });
    });

    it('is told apart from a busy log: while other records are acknowledged, a slow chunk is waited for', async () => {
      jest.useFakeTimers();
      const log = await ingressLog();
      unreachable(log);
      const held = log.holdNextPublish();
      const service = new IngestService(log, { ...config, publishTimeoutMs: 2_000 });
      let settled = false;
      const slow = service.ingest(command(100)).finally(() => (settled = true));
      await held.reached;
      for (let second = 0; second < 5; second += 1) {
        await jest.advanceTimersByTimeAsync(1_000);
        await service.ingest(command(1)); // acknowledged at once: the log is up
      }
      expect(settled).toBe(false);
      held.release();
      await expect(slow).resolves.toMatchObject({ status: 'accepted', accepted: 100 });
    });
  });
});
