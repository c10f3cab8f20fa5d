import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { DEAD_LETTER_HEADERS, HEADERS, TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog, type LogRecord } from '@telemetry/event-log';
import { uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };

async function download(product: RunningProduct, limit = 100): Promise<EnrichedFlow[]> {
  const response = await request(product.server).get(`/v1/download/json?limit=${limit}`).set(auth).expect(200);
  expect(response.headers['content-type']).toContain('application/x-ndjson');
  return response.text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EnrichedFlow);
}

describe.each(['embedded', 'kafka'] as const)('ingest → enrich → project → download (%s mode)', (mode) => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct(mode);
  });

  afterAll(async () => {
    await product?.close();
  });

  it('enriches the Zeek and NetFlow samples and serves them newest first, with a threat-intel hit scored up', async () => {
    // The sample files exactly as a user would post them with curl --data @file.
    const zeek = fs.readFileSync(path.join(SAMPLES, 'zeek_conn.json'), 'utf8');
    const zeekSmall = fs.readFileSync(path.join(SAMPLES, 'zeek_conn_small.json'), 'utf8');
    const flows = fs.readFileSync(path.join(SAMPLES, 'flows_v1.json'), 'utf8');

    const zeekResponse = await request(product.server).post('/v1/ingest/zeek').set(auth).set('Content-Type', 'application/json').send(zeek).expect(202);
    expect(zeekResponse.body).toMatchObject({ status: 'accepted', accepted: 3, rejected: 0, total: 3, collector_id: 'zeek-sensor-1' });
    await request(product.server).post('/v1/ingest/zeek').set(auth).set('Content-Type', 'application/json').send(zeekSmall).expect(202);
    const flowResponse = await request(product.server).post('/v1/ingest/netflow').set(auth).set('Content-Type', 'application/json').send(flows).expect(202);
    expect(flowResponse.body).toMatchObject({ accepted: 3, format: 'flows.v1' });

    const records = await waitFor(
      async () => {
        const current = await download(product);
        return current.length >= 8 ? current : undefined;
      },
      { timeoutMs: 60_000, description: '8 enriched records downloadable' },
    );
    expect(records).toHaveLength(8);
    expect(new Set(records.map((record) => record.event_id)).size).toBe(8);
    for (const record of records) {
      expect(record.tenant_id).toBe(product.tenant);
      expect(record).toHaveProperty('geo');
      expect(record).toHaveProperty('asn');
      expect(record).toHaveProperty('ti.matches');
      expect(record.risk_score).toBeGreaterThanOrEqual(0);
      expect(record.risk_score).toBeLessThanOrEqual(100);
    }

    const rdp = records.find((record) => record.dst_ip === '45.155.205.233');
    expect(rdp).toBeDefined();
    expect(rdp!.format).toBe('zeek.conn');
    expect(rdp!.geo.dst).toMatchObject({ country: 'NL', city: 'Amsterdam' });
    expect(rdp!.asn.dst).toMatchObject({ number: 49870 });
    expect(rdp!.ti.matches).toEqual([
      expect.objectContaining({ indicator: '45.155.205.233', category: 'C2', confidence: 85, field: 'dst_ip', ip: '45.155.205.233' }),
    ]);
    // base 10 + threat intel 60 + RDP port 10 + 2.4 MB from ephemeral port 49822: 10.
    expect(rdp!.risk_score).toBe(90);
    expect(rdp!.risk_reasons.map((reason) => reason.code).sort()).toEqual(
      ['base', 'large_upload_from_ephemeral_port', 'sensitive_port', 'threat_intel_match'].sort(),
    );

    const dns = records.find((record) => record.dst_ip === '8.8.8.8');
    expect(dns!.risk_score).toBe(10);
    expect(dns!.geo.dst).toMatchObject({ country: 'US' });
    expect(dns!.asn.dst).toMatchObject({ number: 15169 });

    // A value of 0 is a value: the zero source port and zero bytes survive normalization.
    const zero = records.find((record) => record.dst_ip === '1.1.1.1' && record.format === 'zeek.conn');
    expect(zero!.src_port).toBe(0);

    const tor = records.find((record) => record.dst_ip === '185.220.101.45');
    expect(tor!.ti.matches[0]).toMatchObject({ indicator: '185.220.101.0/24', category: 'tor-exit' });
    expect(tor!.risk_score).toBe(80);

    // The dotted Zeek spelling enriches like the underscore one (the original's defect D3).
    const smb = records.find((record) => record.dst_ip === '81.2.69.160');
    expect(smb!.geo.dst).toMatchObject({ country: 'GB' });
    expect(smb!.risk_score).toBe(20);

    // Newest first: the NetFlow batch went in last.
    expect(records.slice(0, 3).every((record) => record.format === 'flows.v1')).toBe(true);
  });

  it('rejects invalid records with their index and field, and accepts the rest', async () => {
    const response = await request(product.server)
      .post('/v1/ingest/netflow')
      .set(auth)
      .send([
        { ts: 1732288900, src_ip: '10.9.9.9', dst_ip: '8.8.8.8', dst_port: 80 },
        { ts: 1732288900, src_ip: '10.9.9.9' },
      ])
      .expect(207);
    expect(response.body).toMatchObject({ status: 'partial', accepted: 1, rejected: 1 });
    expect(response.body.errors).toEqual([expect.objectContaining({ index: 1, field: 'dst_ip', code: 'missing_field' })]);
  });

  it('answers 401 without a key and serves health, version and the OpenAPI document publicly', async () => {
    await request(product.server).post('/v1/ingest/zeek').send([]).expect(401);
    await request(product.server).get('/v1/download/json').expect(401);
    const health = await request(product.server).get('/v1/health').expect(200);
    expect(health.body.status).toBe('ok');
    const version = await request(product.server).get('/v1/version').expect(200);
    expect(version.body).toMatchObject({ api_version: 'v1', event_log: mode, database: mode === 'kafka' ? 'postgres' : 'embedded' });
    const openapi = await request(product.server).get('/openapi.json').expect(200);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/ingest/zeek', '/v1/download/json']));
    for (const route of ['/v1/ingest', '/v1/ingest/bulk', '/v1/ingest/zeek', '/v1/ingest/netflow']) {
      const operation = openapi.body.paths[route].post;
      expect(Object.keys(operation.responses).sort()).toEqual(['202', '207', '400', '401', '403', '408', '409', '413', '415', '422', '429', '503']);
      expect(Object.keys(operation.responses['400'].content['application/json'].examples)).toEqual(
        expect.arrayContaining(['invalid_json', 'bad_batch_shape', 'invalid_encoding', 'decompress_failed', 'unknown_format']),
      );
      expect(Object.keys(operation.requestBody.content['application/json'].examples ?? {}).length).toBeGreaterThan(0);
    }
  });
});

describe.each(['embedded', 'kafka'] as const)('direct producers on the ingress topics (%s mode)', (mode) => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct(mode);
  });

  afterAll(async () => {
    await product?.close();
  });

  it('enriches what a Kafka producer writes and dead-letters what cannot be decoded, with the reason', async () => {
    const log = product.app.get<EventLog>(EVENT_LOG);
    const marker = uniqueName('marker');
    const headers = { [HEADERS.tenantId]: product.tenant };
    await log.publish(TOPICS.ingestZeekConn, [
      {
        key: 'sensor-9',
        value: JSON.stringify({
          ts: 1732289000.5,
          uid: marker,
          'id.orig_h': '10.0.0.9',
          'id.orig_p': 40000,
          'id.resp_h': '8.8.8.8',
          'id.resp_p': 53,
          proto: 'udp',
        }),
        headers,
      },
      { key: 'sensor-9', value: `{"uid": "${marker}", broken`, headers },
    ]);

    const enriched = await waitFor(async () => (await download(product)).find((record) => record.zeek?.uid === marker), {
      timeoutMs: 60_000,
      description: 'the directly produced record enriched and downloadable',
    });
    expect(enriched).toMatchObject({ tenant_id: product.tenant, dst_ip: '8.8.8.8', collector_id: 'default' });

    const letters: LogRecord[] = [];
    const subscription = await log.subscribe({
      groupId: uniqueName('dlq-reader'),
      topics: [TOPICS.ingestDeadLetter],
      fromBeginning: true,
      handler: async (batch) => {
        letters.push(...batch.records.filter((record) => record.value.toString().includes(marker)));
      },
    });
    try {
      const letter = await waitFor(() => letters[0], { timeoutMs: 60_000, description: 'the undecodable record in the dead-letter topic' });
      expect(letter.headers).toMatchObject({
        [DEAD_LETTER_HEADERS.code]: 'invalid_json',
        [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.ingestZeekConn,
        [HEADERS.tenantId]: product.tenant,
      });
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);
      expect(letter.headers[DEAD_LETTER_HEADERS.originalOffset]).toMatch(/^\d+$/);
    } finally {
      await subscription.close();
    }
  });
});
