import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEAD_LETTER_HEADERS, sinkDeadLetterTopic, sinkRetryTopic } from '@telemetry/contracts';
import { EmbeddedEventLog, EventLog, KafkaEventLog, LogRecord, Subscription } from '@telemetry/event-log';
import { kafkaBrokers, uniqueName, waitFor } from '@telemetry/testing';
import { Exporter, ItemOutcome, SinkConfigurationError, SinkItem } from './exporter.port';
import { SinkRunner } from './sink.runner';

/** A destination whose answers the test scripts per event id; it records every delivery. */
class ScriptedDestination implements Exporter {
  readonly name = 'scripted';
  readonly deliveries: Array<{ eventId: string; at: number; attempt: string | undefined }> = [];
  readonly requestSizes: number[] = [];
  answers = new Map<string, ItemOutcome[]>();
  misconfigured = false;

  async export(items: readonly SinkItem[]): Promise<ItemOutcome[]> {
    if (this.misconfigured) throw new SinkConfigurationError('token refused (401)', 'http_401');
    this.requestSizes.push(items.length);
    return items.map((item) => {
      const queue = this.answers.get(item.eventId);
      const outcome = queue && queue.length > 0 ? queue.shift()! : ({ kind: 'delivered' } as const);
      if (outcome.kind === 'delivered')
        this.deliveries.push({ eventId: item.eventId, at: Date.now(), attempt: item.source.headers[DEAD_LETTER_HEADERS.attempt] });
      return outcome;
    });
  }

  async health() {
    return { ok: true, detail: 'scripted' };
  }

  async shutdown(): Promise<void> {}
}

const busy: ItemOutcome = { kind: 'retriable', errorClass: 'http_503', message: 'Server is busy' };

describe.each(['embedded', 'kafka'] as const)('SinkRunner on the %s log', (mode) => {
  let log: EventLog;
  let dir: string;
  let runner: SinkRunner;
  let destination: ScriptedDestination;
  let observed: { delivered: number; retried: Map<string, number>; deadLettered: Map<string, number>; paused: Array<string | null> };
  let source: string;
  let sink: string;
  let groupPrefix: string;
  const extra: Subscription[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sink-runner-'));
    log =
      mode === 'kafka' ? await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'sink-runner-test' }) : await EmbeddedEventLog.open({ dataDir: dir });
    source = uniqueName('enriched');
    sink = uniqueName('sink').replace(/[^a-z0-9-]/g, '');
    await log.ensureTopics([{ name: source, partitions: 2, retentionMs: -1 }]);
    destination = new ScriptedDestination();
    groupPrefix = uniqueName('g');
    observed = { delivered: 0, retried: new Map(), deadLettered: new Map(), paused: [] };
    runner = new SinkRunner(
      log,
      destination,
      { sink, groupPrefix, retryDelaysMs: [300, 600], batch: { maxRecords: 50, maxBytes: 1_000_000, maxWaitMs: 800 }, partitions: 2, sourceTopic: source },
      {
        delivered: (count) => (observed.delivered += count),
        retried: (errorClass, count) => observed.retried.set(errorClass, (observed.retried.get(errorClass) ?? 0) + count),
        deadLettered: (errorClass, count) => observed.deadLettered.set(errorClass, (observed.deadLettered.get(errorClass) ?? 0) + count),
        paused: (reason) => observed.paused.push(reason),
      },
    );
    await runner.start();
  });

  afterEach(async () => {
    await Promise.all(extra.splice(0).map((subscription) => subscription.close()));
    await runner.stop();
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function publishFlows(ids: string[]): Promise<void> {
    await log.publish(
      source,
      ids.map((id) => ({ key: id, value: JSON.stringify({ event_id: id, tenant_id: 'acme', ts: 1732288800 }), headers: { 'tenant-id': 'acme' } })),
    );
  }

  async function readAll(topic: string): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    extra.push(
      await log.subscribe({
        groupId: uniqueName('reader'),
        topics: [topic],
        fromBeginning: true,
        handler: async (batch) => void records.push(...batch.records),
      }),
    );
    return records;
  }

  it('delivers every flow and commits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `ok-${i}`);
    await publishFlows(ids);
    await waitFor(() => destination.deliveries.length >= 20, { description: '20 deliveries' });
    expect(new Set(destination.deliveries.map((d) => d.eventId))).toEqual(new Set(ids));
    expect(observed.delivered).toBe(20);
  });

  it('holds a small batch up to the max wait to fill a request, then sends it, and reports no lag after', async () => {
    const published = Date.now();
    await log.publish(
      source,
      ['w-1', 'w-2', 'w-3'].map((id) => ({ key: 'same', value: JSON.stringify({ event_id: id, tenant_id: 'acme', ts: 1 }), partition: 0 })),
    );
    await waitFor(() => destination.deliveries.length >= 3, { description: 'the three held items delivered' });
    expect(Math.min(...destination.deliveries.map((d) => d.at)) - published).toBeGreaterThanOrEqual(700);
    expect(destination.requestSizes).toEqual([3]);
    await waitFor(async () => (await runner.lag()) === 0, { description: 'no lag once delivered and committed' });
  });

  it('retries a refused item through the delayed retry topics until the destination takes it', async () => {
    destination.answers.set('flaky', [busy, busy]);
    const published = Date.now();
    await publishFlows(['flaky', 'fine']);
    const delivery = await waitFor(() => destination.deliveries.find((d) => d.eventId === 'flaky'), { description: 'the flaky item delivered' });
    expect(delivery.attempt).toBe('2');
    // Not before the two delays (300 ms + 600 ms) had passed.
    expect(delivery.at - published).toBeGreaterThanOrEqual(900);
    expect(observed.retried.get('http_503')).toBe(2);
    const retried = await readAll(sinkRetryTopic(sink, 2));
    await waitFor(() => retried.length >= 1, { description: 'the record on retry topic 2' });
    expect(retried[0].headers).toMatchObject({
      [DEAD_LETTER_HEADERS.originalTopic]: source,
      [DEAD_LETTER_HEADERS.attempt]: '2',
      [DEAD_LETTER_HEADERS.code]: 'http_503',
      'tenant-id': 'acme',
    });
  });

  it('dead-letters permanent failures, exhausted retries and undecodable records, with the reason', async () => {
    destination.answers.set('bad', [{ kind: 'permanent', errorClass: 'mapping', message: 'mapper_parsing_exception' }]);
    destination.answers.set('hopeless', [busy, busy, busy]);
    await publishFlows(['bad', 'hopeless', 'good']);
    await log.publish(source, [{ value: 'not json' }]);
    const letters = await readAll(sinkDeadLetterTopic(sink));
    await waitFor(() => letters.length >= 3, { timeoutMs: 30_000, description: 'three dead letters' });
    const byClass = new Map(letters.map((letter) => [letter.headers[DEAD_LETTER_HEADERS.code], letter]));
    expect(byClass.get('mapping')!.headers).toMatchObject({ [DEAD_LETTER_HEADERS.attempt]: '1', [DEAD_LETTER_HEADERS.reason]: 'mapper_parsing_exception' });
    expect(byClass.get('http_503')!.headers[DEAD_LETTER_HEADERS.reason]).toContain('gave up after 3 attempts');
    expect(byClass.get('invalid_enriched_record')!.value.toString()).toBe('not json');
    expect(destination.deliveries.map((d) => d.eventId)).toContain('good');
  });

  it('pauses on a configuration failure, drops nothing, and delivers once the destination accepts again', async () => {
    destination.misconfigured = true;
    await publishFlows(['held-1', 'held-2']);
    await waitFor(() => observed.paused.some((reason) => reason?.startsWith('http_401')), { description: 'the sink paused' });
    expect(destination.deliveries).toEqual([]);
    destination.misconfigured = false;
    await waitFor(() => destination.deliveries.length >= 2, { description: 'both held items delivered after the fix' });
    expect(observed.paused.at(-1)).toBeNull();
  });
});
