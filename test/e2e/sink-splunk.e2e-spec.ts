import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { FAKE_HEC_TOKEN, FakeHec, startFakeHec, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };

function deliveredIds(hec: FakeHec, tenant: string): Set<string> {
  return new Set(
    hec.events
      .map((event) => event.event as { event_id?: string; tenant_id?: string })
      .filter((event) => event.tenant_id === tenant)
      .map((event) => event.event_id!),
  );
}

// Splunk cannot run here: the destination is the protocol-faithful fake HEC from libs/testing.
describe.each(['embedded', 'kafka'] as const)('the Splunk HEC sink (%s mode)', (mode) => {
  let hec: FakeHec;
  let product: RunningProduct;

  beforeAll(async () => {
    hec = await startFakeHec({ ackEnabled: true });
    product = await startProduct(mode, {
      SPLUNK_HEC_URL: hec.url,
      SPLUNK_HEC_TOKEN: FAKE_HEC_TOKEN,
      SPLUNK_HEC_ACK: 'true',
      SPLUNK_HEC_ACK_TIMEOUT_MS: '2000',
      SINK_RETRY_DELAYS_MS: '300,600,1200',
    });
  });

  afterAll(async () => {
    await product?.close();
    await hec?.close();
  });

  it('delivers every enriched flow to HEC with indexer acknowledgement', async () => {
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(fs.readFileSync(path.join(SAMPLES, 'zeek_conn.json'), 'utf8'))
      .expect(202);
    await request(product.server)
      .post('/v1/ingest/netflow')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(fs.readFileSync(path.join(SAMPLES, 'flows_v1.json'), 'utf8'))
      .expect(202);
    await waitFor(() => deliveredIds(hec, product.tenant).size >= 6, { timeoutMs: 60_000, description: '6 flows in HEC' });
    const rdp = hec.events
      .map((event) => event.event as { dst_ip: string; risk_score: number; geo: unknown; tenant_id: string })
      .find((event) => event.tenant_id === product.tenant && event.dst_ip === '45.155.205.233');
    expect(rdp).toMatchObject({ risk_score: 90, geo: expect.any(Object) });
    expect(hec.events.find((event) => (event.event as { tenant_id: string }).tenant_id === product.tenant)).toMatchObject({ sourcetype: 'telemetry:flow' });
  });

  it('rides out a HEC outage through the retry topics and delivers everything once it is back', async () => {
    const marker = uniqueName('outage');
    await hec.setDown(true, 'unavailable');
    const records = Array.from({ length: 20 }, (_, i) => ({
      ts: 1732288900 + i,
      uid: `${marker}-${i}`,
      'id.orig_h': '10.0.0.1',
      'id.resp_h': '8.8.8.8',
      'id.resp_p': 53,
      proto: 'udp',
    }));
    await request(product.server).post('/v1/ingest/zeek').set(auth).send(records).expect(202);
    // While HEC answers 503, the sink moves the items to its retry topics instead of blocking.
    await waitFor(
      async () => {
        const metrics = await request(product.server).get('/v1/metrics/prometheus').expect(200);
        return /telemetry_sink_items_total\{sink="splunk",outcome="retried"\} [1-9]/.test(metrics.text);
      },
      { timeoutMs: 60_000, description: 'retries counted while HEC is down' },
    );
    await hec.setDown(false);
    await waitFor(
      () => {
        const uids = new Set(hec.events.map((event) => (event.event as { zeek?: { uid?: string } }).zeek?.uid).filter((uid) => uid?.startsWith(marker)));
        return uids.size >= 20;
      },
      { timeoutMs: 60_000, description: 'all 20 flows delivered after the outage' },
    );
  });
});
