import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEAD_LETTER_HEADERS, HEADERS, INGEST_DEAD_LETTER_TOPIC_SPEC, TOPICS } from '@telemetry/contracts';
import { InMemoryEventLog, LogRecord } from '@telemetry/event-log';
import { EnrichedEventsQueries, SqlStore } from '@telemetry/persistence';
import { ConfigReader, createMetricsRegistry, readPlatformConfig } from '@telemetry/platform';
import { ControlState } from '@telemetry/control';
import { EnrichedEventsConsumer } from './enriched-events.consumer';
import { ProjectionMetrics } from './projection.metrics';

function anEnrichedRecord(offset: number, tenant = 'tenant-a'): LogRecord {
  const flow = {
    schema_version: 1,
    event_id: `event-${offset}`,
    tenant_id: tenant,
    ts: 1732288800,
    src_ip: '10.0.0.1',
    dst_ip: '198.51.100.1',
    risk_score: 10,
  };
  return {
    topic: TOPICS.enriched,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(JSON.stringify(flow)),
    headers: { [HEADERS.tenantId]: tenant },
    timestamp: 0,
  };
}

describe('EnrichedEventsConsumer', () => {
  let dir: string;
  let store: SqlStore;
  const log = new InMemoryEventLog();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'projection-consumer-'));
    store = await SqlStore.open({ kind: 'embedded', file: path.join(dir, 'store.sqlite') });
    await log.ensureTopics([INGEST_DEAD_LETTER_TOPIC_SPEC]);
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a record no row can hold to the ingest DLQ with its story and projects the others', async () => {
    const metrics = new ProjectionMetrics(createMetricsRegistry());
    const config = readPlatformConfig(new ConfigReader({}), 'query-api', ['query']);
    const consumer = new EnrichedEventsConsumer(store, config, log, metrics, { state: new ControlState() });
    const before = (await log.endOffsets(TOPICS.ingestDeadLetter)).get(0) ?? '0';

    await consumer.handle({ topic: TOPICS.enriched, partition: 0, records: [anEnrichedRecord(0), anEnrichedRecord(1, 'x'.repeat(200)), anEnrichedRecord(2)] });

    expect(await new EnrichedEventsQueries(store).count('tenant-a')).toBe(2);
    const letters: LogRecord[] = [];
    const tail = await log.tail({ topics: [TOPICS.ingestDeadLetter], handler: async (batch) => void letters.push(...batch.records) });
    await tail.caughtUp();
    await tail.close();
    const mine = letters.filter((letter) => BigInt(letter.offset) >= BigInt(before));
    expect(mine).toHaveLength(1);
    expect(mine[0].value.toString()).toBe(anEnrichedRecord(1, 'x'.repeat(200)).value.toString());
    expect(mine[0].headers).toMatchObject({
      [DEAD_LETTER_HEADERS.code]: 'unprojectable_record',
      [DEAD_LETTER_HEADERS.stage]: 'projection-enriched-events',
      [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.enriched,
      [DEAD_LETTER_HEADERS.originalOffset]: '1',
      [DEAD_LETTER_HEADERS.reason]: "tenantId is 200 characters, over the column's 128",
    });
    const counted = (await metrics.records.get()).values.find((value) => value.labels.outcome === 'dead_lettered');
    expect(counted?.value).toBe(1);
  });
});
