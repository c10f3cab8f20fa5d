import request from 'supertest';
import { TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog, type LogRecord } from '@telemetry/event-log';
import { DedicatedBroker, recordsOfTopic, startDedicatedBroker, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

// Issue 3, item 5: "accepted" means durable. With the broker stopped, ingest answers 503 with
// Retry-After within a bounded time and nothing of a refused batch shows up later; once the broker
// is back the product accepts again, and every record it acknowledged is downloadable exactly once.
// The broker here is the test's own: the shared one on 39092 serves parallel tests and never stops.

const auth = { Authorization: `Bearer ${TEST_KEY}` };
const RECORDS_PER_BATCH = 4;
/** What "bounded" means for a 503 during an outage: within a second or two (INGEST_PUBLISH_TIMEOUT_MS, 2 s by default), not 15. */
// 2 s of timeout plus up to 1.5 s of scheduling on a loaded 2-core runner (observed: 2.0–2.1 s).
const MAX_OUTAGE_ANSWER_MS = 3_500;

interface Posted {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | undefined;
  readonly markers: readonly string[];
  readonly elapsedMs: number;
}

describe('Kafka outage: the all-in-one on a broker that stops and comes back', () => {
  let broker: DedicatedBroker;
  let product: RunningProduct;
  let batchNumber = 0;

  beforeAll(async () => {
    broker = await startDedicatedBroker();
    product = await startProduct('kafka', { KAFKA_BROKERS: broker.brokers });
  }, 150_000);

  afterAll(async () => {
    // The product closes its Kafka clients cleanly only against a live broker (a no-op when it runs).
    await broker?.start().catch(() => undefined);
    await product?.close();
    await broker?.destroy();
  }, 120_000);

  function zeekBatch(): string[] {
    batchNumber += 1;
    return Array.from({ length: RECORDS_PER_BATCH }, (_, index) => uniqueName(`outage-b${batchNumber}-r${index}`));
  }

  async function postBatch(markers: readonly string[]): Promise<Posted> {
    const records = markers.map((uid, index) => ({
      ts: Date.now() / 1000,
      uid,
      'id.orig_h': '10.0.0.9',
      'id.orig_p': 40_000 + index,
      'id.resp_h': '8.8.8.8',
      'id.resp_p': 53,
      proto: 'udp',
    }));
    const started = Date.now();
    const response = await request(product.server).post('/v1/ingest/zeek').set(auth).send(records).timeout(90_000);
    return {
      status: response.status,
      body: response.body as Record<string, unknown>,
      retryAfter: response.headers['retry-after'] as string | undefined,
      markers,
      elapsedMs: Date.now() - started,
    };
  }

  async function download(): Promise<EnrichedFlow[]> {
    const response = await request(product.server).get('/v1/download/json?limit=10000').set(auth).expect(200);
    return response.text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as EnrichedFlow);
  }

  function expectAccepted(posted: Posted): void {
    expect({ status: posted.status, body: posted.body }).toEqual({
      status: 202,
      body: expect.objectContaining({ status: 'accepted', accepted: RECORDS_PER_BATCH, rejected: 0 }),
    });
  }

  function expectBackpressure(posted: Posted): void {
    expect({ status: posted.status, retryAfter: posted.retryAfter, error: posted.body.error }).toEqual({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      error: 'backpressure',
    });
    expect(posted.elapsedMs).toBeLessThan(MAX_OUTAGE_ANSWER_MS);
  }

  /** Every record on the ingress topic up to its end offsets as they are now (the lines of each frame). */
  function ingressLog(): Promise<LogRecord[]> {
    return recordsOfTopic(product.app.get<EventLog>(EVENT_LOG), TOPICS.ingestZeekConn, 60_000);
  }

  it('answers 503 with Retry-After while the broker is down, accepts again after its restart, and loses or duplicates nothing it acknowledged', async () => {
    const acknowledged: string[] = [];
    const refused: string[] = [];
    const timings: Record<string, number | number[]> = {};

    // Before the outage: accepted, and enriched through the consumers.
    for (let i = 0; i < 3; i += 1) {
      const posted = await postBatch(zeekBatch());
      expectAccepted(posted);
      acknowledged.push(...posted.markers);
    }
    await waitFor(
      async () => {
        const uids = new Set((await download()).map((record) => record.zeek?.uid));
        return acknowledged.every((marker) => uids.has(marker));
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'the records accepted before the outage enriched and downloadable' },
    );

    // Outage.
    let mark = Date.now();
    await broker.stop();
    timings.brokerStopMs = Date.now() - mark;

    timings.outage503Ms = [];
    for (let i = 0; i < 2; i += 1) {
      const pending = postBatch(zeekBatch());
      // Liveness while a publish waits on the missing broker: the process still serves.
      const healthStarted = Date.now();
      const health = await request(product.server).get('/v1/health').timeout(10_000);
      expect({ status: health.status, body: health.body }).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
      timings[`outageHealth${i}Ms`] = Date.now() - healthStarted;
      const posted = await pending;
      timings.outage503Ms.push(posted.elapsedMs);
      expectBackpressure(posted);
      refused.push(...posted.markers);
    }

    // Recovery: the same product (no restart) accepts again once the broker is back.
    mark = Date.now();
    await broker.start();
    timings.brokerStartMs = Date.now() - mark;
    mark = Date.now();
    const refusedAfterRestart: Posted[] = [];
    const firstAccepted = await waitFor(
      async () => {
        const posted = await postBatch(zeekBatch());
        if (posted.status !== 503) return posted;
        refusedAfterRestart.push(posted);
        refused.push(...posted.markers);
        return undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: 'a 202 after the broker restarted' },
    );
    refusedAfterRestart.forEach(expectBackpressure);
    expectAccepted(firstAccepted);
    acknowledged.push(...firstAccepted.markers);
    timings.acceptingAgainAfterRestartMs = Date.now() - mark;
    const next = await postBatch(zeekBatch());
    expectAccepted(next);
    acknowledged.push(...next.markers);

    // Nothing acknowledged lost, nothing duplicated; nothing refused shows up.
    mark = Date.now();
    const records = await waitFor(
      async () => {
        const current = await download();
        const uids = new Set(current.map((record) => record.zeek?.uid));
        return acknowledged.every((marker) => uids.has(marker)) ? current : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, description: `all ${acknowledged.length} acknowledged records enriched and downloadable after the outage` },
    );
    timings.enrichedAfterRestartMs = Date.now() - mark;
    const ingress = await ingressLog();

    console.log(`kafka outage timings: ${JSON.stringify({ ...timings, refusedAfterRestartMs: refusedAfterRestart.map((posted) => posted.elapsedMs) })}`);

    expect(records.every((record) => record.tenant_id === product.tenant)).toBe(true);
    expect(new Set(records.map((record) => record.event_id)).size).toBe(records.length);
    const enrichedCount = countBy(records.map((record) => String(record.zeek?.uid)));
    const ingressCount = countBy(ingress.map((record) => (JSON.parse(record.value.toString()) as { uid?: string }).uid ?? ''));
    for (const marker of acknowledged) {
      expect({ marker, enriched: enrichedCount.get(marker), inLog: ingressCount.get(marker) }).toEqual({ marker, enriched: 1, inLog: 1 });
    }
    const refusedButPresent = refused.filter((marker) => enrichedCount.has(marker) || ingressCount.has(marker));
    expect(refusedButPresent).toEqual([]);
    expect(records).toHaveLength(acknowledged.length);
  });
});

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
