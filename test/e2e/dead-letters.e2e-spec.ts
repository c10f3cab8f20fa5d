import request from 'supertest';
import { DEAD_LETTER_HEADERS, HEADERS, sinkDeadLetterTopic, TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog } from '@telemetry/event-log';
import { routeOutcomes } from '@telemetry/sink';
import { FAKE_HEC_TOKEN, FakeHec, startFakeHec, uniqueName, waitFor } from '@telemetry/testing';
import { issueKey, RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

/*
 * DLQ inspection and replay in the query app, end to end: a destination refuses an event for good →
 * the sink dead-letters it → the DLQ projection lists it with its error → an operator fetches it,
 * replays it once the destination is healthy (it arrives), or purges it. Plus the original's export
 * endpoints, which now queue flows for the running sink.
 */

const admin = { Authorization: `Bearer ${TEST_KEY}` };
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

interface Entry {
  id: string;
  sink: string;
  tenant_id: string;
  error_class: string;
  error_message: string;
  attempt: number;
  original: { topic: string | null; partition: number | null; offset: string | null };
  first_failure_at: string | null;
  failed_at: string;
  state: 'dead' | 'replayed';
  replayed_at: string | null;
}

interface Detail extends Entry {
  payload: unknown;
  payload_encoding: string;
  headers: Record<string, string>;
}

function aZeekConn(uid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts: 1732288900, uid, 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp', ...extra };
}

const uidOf = (payload: unknown): string | undefined => (payload as { zeek?: { uid?: string } } | undefined)?.zeek?.uid;
const hecUids = (hec: FakeHec): string[] => hec.events.map((event) => uidOf(event.event)).filter((uid): uid is string => uid !== undefined);
const path = (sink: string, id: string) => `/v1/dlq/${sink}/${encodeURIComponent(id)}`;

async function ingest(product: RunningProduct, records: unknown[], headers = admin): Promise<void> {
  await request(product.server).post('/v1/ingest/zeek').set(headers).send(records).expect(202);
}

/** The DLQ entry whose payload is the flow with this Zeek uid (the list carries no payloads: each candidate is fetched). */
async function findEntry(product: RunningProduct, sink: string, uid: string, query: Record<string, string> = {}): Promise<Detail | undefined> {
  const list = await request(product.server)
    .get(`/v1/dlq/${sink}`)
    .query({ limit: '500', ...query })
    .set(admin)
    .expect(200);
  for (const item of list.body.items as Entry[]) {
    const detail = await request(product.server).get(path(sink, item.id)).query(query).set(admin).expect(200);
    const payload = detail.body.payload_encoding === 'json' ? detail.body.payload : undefined;
    if (uidOf(payload) === uid || (typeof detail.body.payload === 'string' && detail.body.payload.includes(uid))) return detail.body as Detail;
  }
  return undefined;
}

const productEnv = (hec: FakeHec): Record<string, string> => ({
  SPLUNK_HEC_URL: hec.url,
  SPLUNK_HEC_TOKEN: FAKE_HEC_TOKEN,
  SINK_RETRY_DELAYS_MS: '300,600,1200',
  // The tests poll the API; the per-key request limit is not what they are about.
  RATE_LIMIT_PER_MIN: '0',
});

describe('the DLQ API (embedded mode)', () => {
  let hec: FakeHec;
  let product: RunningProduct;

  beforeAll(async () => {
    hec = await startFakeHec();
    product = await startProduct('embedded', productEnv(hec));
  });

  afterAll(async () => {
    await product?.close();
    await hec?.close();
  });

  /** Ingests one flow, waits until HEC has it: the sink is idle afterwards (it has nothing else). */
  async function deliverOne(): Promise<void> {
    const uid = uniqueName('warm');
    await ingest(product, [aZeekConn(uid)]);
    await waitFor(() => hecUids(hec).includes(uid), { timeoutMs: 60_000, description: `${uid} in HEC` });
  }

  /** Ingests one flow that HEC refuses for good (code 6, its event 0) and waits for its DLQ entry. */
  async function deadLetterOne(): Promise<Detail> {
    await deliverOne();
    const uid = uniqueName('refused');
    hec.script({ status: 400, body: JSON.stringify({ text: 'Invalid data format', code: 6, 'invalid-event-number': 0 }) });
    await ingest(product, [aZeekConn(uid)]);
    return waitFor(() => findEntry(product, 'splunk', uid), { timeoutMs: 60_000, intervalMs: 100, description: `DLQ entry of ${uid}` });
  }

  it('lists an event HEC refused for good with its error, serves it with its payload, and replays it once HEC is healthy', async () => {
    const entry = await deadLetterOne();
    const uid = uidOf(entry.payload)!;
    expect(entry).toMatchObject({
      id: expect.stringMatching(/^telemetry\.sink\.splunk\.dlq\.v1\/0\/\d+$/),
      sink: 'splunk',
      tenant_id: product.tenant,
      error_class: 'hec_code_6',
      error_message: expect.stringContaining('Invalid data format'),
      attempt: 1,
      original: { topic: TOPICS.enriched, partition: expect.any(Number), offset: expect.stringMatching(/^\d+$/) },
      first_failure_at: expect.any(String),
      failed_at: expect.any(String),
      state: 'dead',
      replayed_at: null,
      payload_encoding: 'json',
      payload: expect.objectContaining({ tenant_id: product.tenant, event_id: expect.any(String) }),
      headers: expect.objectContaining({ 'dlq-code': 'hec_code_6', [HEADERS.tenantId]: product.tenant }),
    });
    expect(hecUids(hec)).not.toContain(uid);
    // The id may also be sent as is, slashes and all.
    expect((await request(product.server).get(`/v1/dlq/splunk/${entry.id}`).set(admin).expect(200)).body.id).toBe(entry.id);

    const list = await request(product.server).get('/v1/dlq/splunk').query({ error_class: 'hec_code_6' }).set(admin).expect(200);
    expect(list.body.items.map((item: Entry) => item.id)).toContain(entry.id);
    expect(list.body.items[0]).not.toHaveProperty('payload');
    expect(list.body.total).toBeGreaterThanOrEqual(1);

    // HEC is healthy again (the scripted refusal was one answer): the replay is delivered.
    const replay = await request(product.server)
      .post('/v1/dlq/splunk/replay')
      .set(admin)
      .send({ ids: [entry.id] })
      .expect(202);
    expect(replay.body).toEqual({ replayed: 1, remaining: 0 });
    await waitFor(() => hecUids(hec).includes(uid), { timeoutMs: 30_000, description: 'the replayed event in HEC' });
    const after = await request(product.server).get(path('splunk', entry.id)).set(admin).expect(200);
    expect(after.body).toMatchObject({ state: 'replayed', replayed_at: expect.any(String) });
    // A replayed entry is not replayed twice.
    expect(
      (
        await request(product.server)
          .post('/v1/dlq/splunk/replay')
          .set(admin)
          .send({ ids: [entry.id] })
          .expect(202)
      ).body,
    ).toEqual({ replayed: 0, remaining: 0 });
    expect(
      (await request(product.server).get('/v1/dlq/splunk').query({ state: 'replayed' }).set(admin).expect(200)).body.items.map((item: Entry) => item.id),
    ).toContain(entry.id);
  });

  it('replays by error class at most `limit` entries per call, and purges', async () => {
    const first = await deadLetterOne();
    const second = await deadLetterOne();
    const one = await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({ error_class: 'hec_code_6', limit: 1 }).expect(202);
    expect(one.body).toEqual({ replayed: 1, remaining: 1 });
    // Oldest failure first.
    await waitFor(() => hecUids(hec).includes(uidOf(first.payload)!), { timeoutMs: 30_000, description: 'the older entry replayed' });
    expect((await request(product.server).get(path('splunk', second.id)).set(admin).expect(200)).body.state).toBe('dead');

    await request(product.server)
      .delete('/v1/dlq/splunk')
      .set(admin)
      .expect(400, { error: 'missing_selector', message: 'Say which entries to purge: ids, error_class, or all=true', fields: ['ids', 'error_class', 'all'] });
    expect((await request(product.server).delete('/v1/dlq/splunk').query({ ids: second.id }).set(admin).expect(200)).body).toEqual({ purged: 1 });
    await request(product.server).get(path('splunk', second.id)).set(admin).expect(404);
    const list = await request(product.server).get('/v1/dlq/splunk').set(admin).expect(200);
    expect(list.body.items.map((item: Entry) => item.id)).not.toContain(second.id);
    // Purged entries are not replayed either.
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({ all: true }).expect(202)).body).toEqual({
      replayed: 0,
      remaining: 0,
    });
  });

  it('pages newest first with next_cursor', async () => {
    await deadLetterOne();
    await deadLetterOne();
    const all = await request(product.server).get('/v1/dlq/splunk').set(admin).expect(200);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(product.server)
        .get('/v1/dlq/splunk')
        .query({ limit: '1', ...(cursor ? { cursor } : {}) })
        .set(admin)
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      expect(page.body.total).toBe(all.body.total);
      ids.push(...page.body.items.map((item: Entry) => item.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(ids).toEqual(all.body.items.map((item: Entry) => item.id));
    const failedAt = ids.map((id) => all.body.items.find((item: Entry) => item.id === id).failed_at);
    expect(failedAt).toEqual([...failedAt].sort().reverse());
  });

  it('keeps each tenant to its own entries; only an admin key sees every tenant and picks one with ?tenant=', async () => {
    const entry = await deadLetterOne();
    const otherReader = await issueKey(product.server, TEST_KEY, uniqueName('other-tenant'), ['read_requests', 'export']);
    const ownReader = await issueKey(product.server, TEST_KEY, product.tenant, ['read_requests']);
    const ownOperator = await issueKey(product.server, TEST_KEY, product.tenant, ['read_requests', 'export']);

    const other = await request(product.server).get('/v1/dlq/splunk').set(bearer(otherReader)).expect(200);
    expect(other.body).toEqual({ items: [], next_cursor: null, total: 0 });
    await request(product.server).get(path('splunk', entry.id)).set(bearer(otherReader)).expect(404);
    expect(
      (
        await request(product.server)
          .post('/v1/dlq/splunk/replay')
          .set(bearer(otherReader))
          .send({ ids: [entry.id] })
          .expect(202)
      ).body,
    ).toEqual({ replayed: 0, remaining: 0 });
    const peek = await request(product.server).get('/v1/dlq/splunk').query({ tenant: product.tenant }).set(bearer(otherReader)).expect(403);
    expect(peek.body.error).toBe('forbidden');

    const own = await request(product.server).get('/v1/dlq/splunk').set(bearer(ownReader)).expect(200);
    expect(own.body.items.map((item: Entry) => item.id)).toContain(entry.id);
    expect(own.body.items.every((item: Entry) => item.tenant_id === product.tenant)).toBe(true);
    await request(product.server).get(path('splunk', entry.id)).set(bearer(ownReader)).expect(200);
    // Scopes: replay needs export, purge needs admin.
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(bearer(ownReader)).send({ all: true }).expect(403)).body.error).toBe('forbidden');
    expect((await request(product.server).delete('/v1/dlq/splunk').query({ ids: entry.id }).set(bearer(ownOperator)).expect(403)).body.error).toBe('forbidden');

    const scoped = await request(product.server).get('/v1/dlq/splunk').query({ tenant: 'nobody' }).set(admin).expect(200);
    expect(scoped.body.total).toBe(0);
    expect(
      (
        await request(product.server)
          .post('/v1/dlq/splunk/replay')
          .set(bearer(ownOperator))
          .send({ ids: [entry.id] })
          .expect(202)
      ).body,
    ).toEqual({ replayed: 1, remaining: 0 });
    await waitFor(() => hecUids(hec).includes(uidOf(entry.payload)!), { timeoutMs: 30_000, description: 'the entry replayed by a tenant key' });
  });

  it('answers 401, 403, 400 and 404 with stable codes', async () => {
    expect((await request(product.server).get('/v1/dlq/splunk').expect(401)).body.error).toBe('unauthorized');
    expect((await request(product.server).get('/v1/dlq/splunk').set(bearer('not-a-key-at-all')).expect(401)).body.error).toBe('unauthorized');
    const noScope = await issueKey(product.server, TEST_KEY, product.tenant, ['ingest']);
    expect((await request(product.server).get('/v1/dlq/splunk').set(bearer(noScope)).expect(403)).body.error).toBe('forbidden');
    expect((await request(product.server).post('/v1/export/splunk-hec').set(bearer(noScope)).expect(403)).body.error).toBe('forbidden');

    expect((await request(product.server).get('/v1/dlq/kafka').set(admin).expect(404)).body.error).toBe('not_found');
    const missing = await request(product.server).get(path('splunk', 'telemetry.sink.splunk.dlq.v1/0/999999')).set(admin).expect(404);
    expect(missing.body).toEqual({
      error: 'not_found',
      message: 'No entry telemetry.sink.splunk.dlq.v1/0/999999 in the splunk dead-letter queue',
      id: 'telemetry.sink.splunk.dlq.v1/0/999999',
    });
    expect((await request(product.server).get('/v1/dlq/splunk').query({ limit: '501' }).set(admin).expect(400)).body).toMatchObject({
      error: 'invalid_parameter',
      field: 'limit',
    });
    expect((await request(product.server).get('/v1/dlq/splunk').query({ cursor: 'garbage' }).set(admin).expect(400)).body).toMatchObject({
      error: 'invalid_parameter',
      field: 'cursor',
    });
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({}).expect(400)).body.error).toBe('missing_selector');
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({ limit: 5 }).expect(400)).body.error).toBe('missing_selector');
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({ all: true, limit: 10_001 }).expect(400)).body).toMatchObject({
      error: 'invalid_parameter',
      field: 'limit',
    });
    expect((await request(product.server).post('/v1/dlq/splunk/replay').set(admin).send({ ids: 'x' }).expect(400)).body).toMatchObject({
      error: 'invalid_body',
      field: 'ids',
    });
  });

  it('lists ingest DLQ records with their dlq-code and replays them to their ingress topic, where the enricher reads them again', async () => {
    // As an outside Kafka producer would: a value that is not JSON, straight onto the ingress topic.
    const marker = uniqueName('not-json');
    const log = product.app.get<EventLog>(EVENT_LOG);
    await log.publish(TOPICS.ingestZeekConn, [
      { key: marker, value: `{"uid": "${marker}", oops`, headers: { [HEADERS.tenantId]: product.tenant, [HEADERS.collectorId]: 'edge-1' } },
    ]);
    const entry = await waitFor(() => findEntry(product, 'ingest', marker), { timeoutMs: 30_000, description: 'the ingest DLQ entry' });
    expect(entry).toMatchObject({
      sink: 'ingest',
      tenant_id: product.tenant,
      error_class: 'invalid_json',
      error_message: expect.stringContaining('value is not JSON'),
      attempt: 1,
      original: { topic: TOPICS.ingestZeekConn, partition: expect.any(Number), offset: expect.any(String) },
      payload: `{"uid": "${marker}", oops`,
      payload_encoding: 'utf8',
      headers: expect.objectContaining({ [DEAD_LETTER_HEADERS.code]: 'invalid_json', [HEADERS.collectorId]: 'edge-1' }),
    });
    expect(
      (
        await request(product.server)
          .post('/v1/dlq/ingest/replay')
          .set(admin)
          .send({ ids: [entry.id] })
          .expect(202)
      ).body,
    ).toEqual({ replayed: 1, remaining: 0 });
    // Still not JSON: the enricher dead-letters it again, and the new entry says where it was replayed from.
    const again = await waitFor(
      async () => {
        const list = await request(product.server).get('/v1/dlq/ingest').set(admin).expect(200);
        for (const item of list.body.items as Entry[]) {
          if (item.id === entry.id) continue;
          const detail = await request(product.server).get(path('ingest', item.id)).set(admin).expect(200);
          if (detail.body.headers['dlq-replayed-from'] === entry.id) return detail.body as Detail;
        }
        return undefined;
      },
      { timeoutMs: 30_000, description: 'the replayed record dead-lettered again' },
    );
    expect(again).toMatchObject({ error_class: 'invalid_json', payload: entry.payload, headers: expect.objectContaining({ [HEADERS.collectorId]: 'edge-1' }) });
    expect((await request(product.server).get(path('ingest', entry.id)).set(admin).expect(200)).body.state).toBe('replayed');
  });

  it("POST /v1/export/splunk-hec queues the tenant's newest flows for the sink, which delivers them again", async () => {
    const marker = uniqueName('export');
    const uids = [0, 1, 2].map((index) => `${marker}-${index}`);
    await ingest(
      product,
      uids.map((uid) => aZeekConn(uid)),
    );
    await waitFor(() => uids.every((uid) => hecUids(hec).includes(uid)), { timeoutMs: 30_000, description: 'first delivery' });
    // The export reads the enriched-events read model: wait until it has the three flows.
    await waitFor(
      async () => {
        const download = await request(product.server).get('/v1/download/json').query({ limit: '3' }).set(admin).expect(200);
        return uids.every((uid) => download.text.includes(uid));
      },
      { timeoutMs: 30_000, description: 'the flows in the read model' },
    );
    const delivered = (uid: string) => hecUids(hec).filter((seen) => seen === uid).length;
    const exported = await request(product.server).post('/v1/export/splunk-hec').query({ limit: '3' }).set(admin).expect(202);
    expect(exported.body).toEqual({ status: 'queued', queued: 3 });
    await waitFor(() => uids.every((uid) => delivered(uid) === 2), { timeoutMs: 30_000, description: 'the exported flows in HEC' });
    expect((await request(product.server).post('/v1/export/splunk-hec').query({ limit: '0' }).set(admin).expect(400)).body).toMatchObject({
      error: 'invalid_parameter',
      field: 'limit',
    });
  });

  it('POST /v1/export/elastic answers 400 not_configured without ELASTIC_URL', async () => {
    const answer = await request(product.server).post('/v1/export/elastic').set(admin).expect(400);
    expect(answer.body).toEqual({ error: 'not_configured', message: 'Elasticsearch is not configured (set ELASTIC_URL)', sink: 'elastic' });
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const document = await request(product.server).get('/openapi.json').expect(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/dlq/{sink}', '/v1/dlq/{sink}/{id}', '/v1/dlq/{sink}/replay', '/v1/export/splunk-hec', '/v1/export/elastic']),
    );
    expect(document.body.paths['/v1/dlq/{sink}/replay'].post.responses['202']).toBeDefined();
  });
});

describe('the export endpoints without a Splunk destination', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct('embedded', { RATE_LIMIT_PER_MIN: '0' });
  });

  afterAll(async () => {
    await product?.close();
  });

  it('answer 400 not_configured for /v1/export/splunk-hec', async () => {
    const answer = await request(product.server).post('/v1/export/splunk-hec').set(admin).expect(400);
    expect(answer.body).toEqual({ error: 'not_configured', message: 'Splunk HEC is not configured (set SPLUNK_HEC_URL and SPLUNK_HEC_TOKEN)', sink: 'splunk' });
  });

  it('still serves the (empty) DLQs', async () => {
    expect((await request(product.server).get('/v1/dlq/elastic').set(admin).expect(200)).body).toEqual({ items: [], next_cursor: null, total: 0 });
  });
});

/*
 * On the shared broker the sink also delivers every other run's flows, so a scripted HEC answer
 * cannot be aimed at one event, and a poison record would be read again by every later run. Here
 * the DLQ record is written as the sink writes it (its routing, on the real topic); the projection,
 * the API on Postgres and the replay through the running sink are the real ones.
 */
describe('the DLQ API (kafka mode)', () => {
  let hec: FakeHec;
  let product: RunningProduct;

  beforeAll(async () => {
    hec = await startFakeHec();
    product = await startProduct('kafka', productEnv(hec));
  });

  afterAll(async () => {
    await product?.close();
    await hec?.close();
  });

  it('lists a sink DLQ record for its tenant, and replays it through the sink to HEC', async () => {
    const uid = uniqueName('kafka-dlq');
    await ingest(product, [aZeekConn(uid)]);
    const delivered = await waitFor(() => hec.events.find((event) => uidOf(event.event) === uid), {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: 'first delivery',
    });
    const payload = JSON.stringify(delivered.event);
    const source = {
      topic: TOPICS.enriched,
      partition: 0,
      offset: '0',
      key: Buffer.from(`${product.tenant}:10.0.0.1`),
      value: Buffer.from(payload),
      headers: { [HEADERS.tenantId]: product.tenant },
      timestamp: Date.now(),
    };
    const refused = routeOutcomes(
      [{ eventId: (delivered.event as { event_id: string }).event_id, tenantId: product.tenant, payload, ts: Date.now() / 1000, source }],
      [{ kind: 'permanent', errorClass: 'hec_code_6', message: 'Invalid data format (event 0 of the request)' }],
      { sink: 'splunk', retryDelaysMs: [300] },
      Date.now(),
    );
    await product.app.get<EventLog>(EVENT_LOG).publish(sinkDeadLetterTopic('splunk'), refused.deadLetters);

    const query = { tenant: product.tenant };
    const entry = await waitFor(() => findEntry(product, 'splunk', uid, query), { timeoutMs: 60_000, intervalMs: 250, description: 'the DLQ entry' });
    expect(entry).toMatchObject({
      tenant_id: product.tenant,
      error_class: 'hec_code_6',
      state: 'dead',
      original: { topic: TOPICS.enriched, partition: 0, offset: '0' },
    });

    expect(
      (
        await request(product.server)
          .post('/v1/dlq/splunk/replay')
          .query(query)
          .set(admin)
          .send({ ids: [entry.id] })
          .expect(202)
      ).body,
    ).toEqual({ replayed: 1, remaining: 0 });
    await waitFor(() => hecUids(hec).filter((seen) => seen === uid).length === 2, {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'the replayed event in HEC',
    });
    expect((await request(product.server).get(path('splunk', entry.id)).query(query).set(admin).expect(200)).body.state).toBe('replayed');
    expect(
      (
        await request(product.server)
          .delete('/v1/dlq/splunk')
          .query({ ...query, ids: entry.id })
          .set(admin)
          .expect(200)
      ).body,
    ).toEqual({ purged: 1 });
  });
});
