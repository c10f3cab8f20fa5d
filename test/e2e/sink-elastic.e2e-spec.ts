import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { opensearchUrl, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };

async function search(indexPrefix: string, tenant: string): Promise<Array<{ _id: string; _source: Record<string, unknown> }>> {
  await fetch(`${opensearchUrl()}/${indexPrefix}*/_refresh`, { method: 'POST' });
  // On the shared broker the sink also delivers earlier runs' flows: look only at this tenant's.
  const response = await fetch(`${opensearchUrl()}/${indexPrefix}*/_search`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ size: 100, query: { term: { tenant_id: tenant } } }),
  });
  if (response.status === 404) return [];
  const body = (await response.json()) as { hits?: { hits: Array<{ _id: string; _source: Record<string, unknown> }> } };
  return body.hits?.hits ?? [];
}

// A real OpenSearch 2.19 node (infra/opensearch) as the destination.
describe.each(['embedded', 'kafka'] as const)('the Elasticsearch/OpenSearch sink (%s mode)', (mode) => {
  let product: RunningProduct;
  let indexPrefix: string;

  beforeAll(async () => {
    indexPrefix = uniqueName(`e2e-${mode}`).toLowerCase();
    product = await startProduct(mode, {
      ELASTIC_URL: opensearchUrl(),
      ELASTIC_INDEX_PATTERN: `${indexPrefix}-{yyyy.MM.dd}`,
      SINK_RETRY_DELAYS_MS: '300,600,1200',
    });
  });

  afterAll(async () => {
    await product?.close();
    await fetch(`${opensearchUrl()}/${indexPrefix}*`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('indexes every enriched flow once, with the event id as the document id', async () => {
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
    const hits = await waitFor(
      async () => {
        const current = await search(indexPrefix, product.tenant);
        return current.length >= 6 ? current : undefined;
      },
      { timeoutMs: 60_000, description: '6 documents in OpenSearch' },
    );
    expect(hits).toHaveLength(6);
    for (const hit of hits) expect(hit._id).toBe(hit._source.event_id);
    const rdp = hits.find((hit) => hit._source.dst_ip === '45.155.205.233');
    expect(rdp!._source).toMatchObject({ risk_score: 90, format: 'zeek.conn' });
    // Uploads keep their own time however old (the samples are dated 2024-11-22). The daily index
    // comes from the flow's ts only within 7 days of when it was enriched, else from enriched_at, so
    // one request cannot spread over years of indices: these land in the index of the day they were
    // enriched (UTC).
    expect(rdp!._source).toMatchObject({ ts: 1732288801.456, ts_source: 'exporter' });
    const day = (iso: string) => iso.slice(0, 10).replace(/-/g, '.');
    const indices = (await (await fetch(`${opensearchUrl()}/_cat/indices/${indexPrefix}*?format=json`)).json()) as Array<{ index: string }>;
    const expected = [...new Set(hits.map((hit) => `${indexPrefix}-${day(hit._source.enriched_at as string)}`))];
    expect(indices.map((entry) => entry.index).sort()).toEqual(expected.sort());
    expect(expected).not.toContain(`${indexPrefix}-2024.11.22`);
  });
});
