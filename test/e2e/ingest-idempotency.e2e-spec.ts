import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog } from '@telemetry/event-log';
import { dropFreshDatabases, freshDatabase, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };

function aBatch(marker: string, count = 3): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1732288800 + index,
    uid: `${marker}-${index}`,
    'id.orig_h': '10.0.0.1',
    'id.orig_p': 40000 + index,
    'id.resp_h': '8.8.8.8',
    'id.resp_p': 53,
    proto: 'udp',
  }));
}

async function countMarked(product: RunningProduct, marker: string): Promise<number> {
  const response = await request(product.server).get('/v1/download/json?limit=1000').set(auth).expect(200);
  return response.text.split('\n').filter((line) => line.includes(`"${marker}-`)).length;
}

/** Records ever written to the Zeek ingress topic (the sum of its end offsets). */
async function ingressRecords(product: RunningProduct): Promise<number> {
  const offsets = await product.app.get<EventLog>(EVENT_LOG).endOffsets(TOPICS.ingestZeekConn);
  return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
}

/** Waits until `expected` records of a marker are enriched, then checks there are no more. */
async function settledCount(product: RunningProduct, marker: string, expected: number): Promise<void> {
  await waitFor(async () => (await countMarked(product, marker)) >= expected, { description: `${expected} records of ${marker} enriched` });
  expect(await countMarked(product, marker)).toBe(expected);
}

describe('Idempotency-Key on ingest', () => {
  let product: RunningProduct;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idempotency-e2e-'));
    product = await startProduct('embedded', { DATA_DIR: dataDir });
  });

  afterAll(async () => {
    await product?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns the original answer for the same key and body, and publishes nothing again', async () => {
    const marker = uniqueName('idem');
    const key = uniqueName('key');
    const first = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(aBatch(marker)).expect(202);
    const publishedBefore = await ingressRecords(product);
    const again = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(aBatch(marker)).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await ingressRecords(product)).toBe(publishedBefore);
    await settledCount(product, marker, 3);
  });

  it('refuses the same key with a different body with 409 idempotency_key_reused', async () => {
    const key = uniqueName('key');
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .set('Idempotency-Key', key)
      .send(aBatch(uniqueName('a')))
      .expect(202);
    const conflict = await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .set('Idempotency-Key', key)
      .send(aBatch(uniqueName('b')))
      .expect(409);
    expect(conflict.body).toMatchObject({ error: 'idempotency_key_reused', field: 'Idempotency-Key' });
  });

  it('treats the same key on another endpoint as a different request (409)', async () => {
    const key = uniqueName('key');
    const batch = aBatch(uniqueName('c'));
    await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(batch).expect(202);
    await request(product.server).post('/v1/ingest/bulk').set(auth).set('Idempotency-Key', key).send({ format: 'zeek', records: batch }).expect(409);
  });

  it('replays 207 answers too, and does not keep keys of requests refused before publishing', async () => {
    const key = uniqueName('key');
    const mixed = [...aBatch(uniqueName('d'), 1), { ts: 1 }];
    const first = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(mixed).expect(207);
    const again = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(mixed).expect(207);
    expect(again.body).toEqual(first.body);

    const badKey = uniqueName('key');
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .set('Idempotency-Key', badKey)
      .set('Content-Type', 'application/json')
      .send('[{"ts":')
      .expect(400);
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .set('Idempotency-Key', badKey)
      .send(aBatch(uniqueName('e')))
      .expect(202);
  });

  it('refuses a malformed key with 400 invalid_idempotency_key', async () => {
    const response = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', 'has spaces in it').send(aBatch('x')).expect(400);
    expect(response.body.error).toBe('invalid_idempotency_key');
  });

  it('holds across a restart of the process', async () => {
    const marker = uniqueName('restart');
    const key = uniqueName('key');
    const first = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(aBatch(marker)).expect(202);
    await settledCount(product, marker, 3);
    const tenant = product.tenant;
    await product.close();
    product = await startProduct('embedded', { DATA_DIR: dataDir, DEFAULT_TENANT: tenant });
    const again = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(aBatch(marker)).expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await settledCount(product, marker, 3);
  });
});

describe('Idempotency-Key across ingest replicas (Kafka + Postgres)', () => {
  afterAll(dropFreshDatabases);

  it('a key used on one replica is honoured by another that shares the database', async () => {
    const databaseUrl = await freshDatabase('replicas');
    const tenant = uniqueName('tenant');
    const one = await startProduct('kafka', { DATABASE_URL: databaseUrl, DEFAULT_TENANT: tenant });
    const two = await startProduct('kafka', { DATABASE_URL: databaseUrl, DEFAULT_TENANT: tenant });
    try {
      const key = uniqueName('key');
      const batch = aBatch(uniqueName('replica'));
      const first = await request(one.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(batch).expect(202);
      const second = await request(two.server).post('/v1/ingest/zeek').set(auth).set('Idempotency-Key', key).send(batch).expect(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('rate limit per API key', () => {
  it('answers 429 with Retry-After and RateLimit headers past the limit', async () => {
    const product = await startProduct('embedded', { RATE_LIMIT_PER_MIN: '3' });
    try {
      for (let i = 0; i < 3; i += 1) {
        const ok = await request(product.server)
          .post('/v1/ingest/zeek')
          .set(auth)
          .send(aBatch(uniqueName('rl'), 1))
          .expect(202);
        expect(ok.headers['ratelimit-limit']).toBe('3');
        expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
      }
      const limited = await request(product.server)
        .post('/v1/ingest/zeek')
        .set(auth)
        .send(aBatch(uniqueName('rl'), 1))
        .expect(429);
      expect(limited.body).toMatchObject({ error: 'rate_limited', limit_per_min: 3 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.headers['ratelimit-remaining']).toBe('0');
      expect(limited.headers['ratelimit-policy']).toBe('3;w=60');
      // Public routes are not counted.
      await request(product.server).get('/v1/health').expect(200);
    } finally {
      await product.close();
    }
  });
});
