import { opensearchUrl, uniqueName } from '@telemetry/testing';
import { ItemOutcome, SinkConfigurationError, SinkItem } from '../exporter.port';
import { ElasticBulkExporter, ElasticBulkOptions } from './elastic-bulk.exporter';
import { aSinkItem, anEnrichedFlow, someSinkItems } from './testing/enriched-flow.builders';

/** 2024-11-22T23:57:00Z: 50 flows 7.5 s apart cross midnight (UTC) after the 24th. */
const BEFORE_MIDNIGHT = Date.UTC(2024, 10, 22, 23, 57) / 1000;

const delivered: ItemOutcome = { kind: 'delivered' };

describe('ElasticBulkExporter against a real OpenSearch node', () => {
  let url: string;
  // Every index, data stream and template of this run starts with it (cleaned up after).
  const run = uniqueName('sink-es');

  /** A plain call to the node, for setting up and reading back. */
  // The OpenSearch answers these checks read are deep JSON; the specs index into them freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function node(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function ok(method: string, path: string, body?: unknown): Promise<any> {
    const answer = await node(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
  async function count(target: string): Promise<number> {
    await ok('POST', `/${target}/_refresh`);
    return (await ok('GET', `/${target}/_count`)).count;
  }
  function sink(options: Partial<ElasticBulkOptions>): ElasticBulkExporter {
    return new ElasticBulkExporter({ url, ...options });
  }
  const midnightFlows = (count_: number) => Array.from({ length: count_ }, (_, n) => aSinkItem(anEnrichedFlow(n, { ts: BEFORE_MIDNIGHT + n * 7.5 })));

  beforeAll(() => {
    // Throws (the suite fails) when the node is not configured: never skipped.
    url = opensearchUrl();
  });

  afterAll(async () => {
    if (!url) return;
    await node('DELETE', `/_data_stream/${run}*`);
    await node('DELETE', `/${run}*?expand_wildcards=all`);
    await node('DELETE', `/_index_template/${run}*`);
  });

  it('delivers 50 enriched flows, gzipped, into the day index of each flow, and they read back as sent', async () => {
    const prefix = `${run}-delivery`;
    const sent: Array<Record<string, string>> = [];
    // The real fetch, watched: what went over the wire is what the node accepted.
    const watched = ((input: string | URL | Request, init?: RequestInit) => {
      sent.push(Object.fromEntries(new Headers(init?.headers)));
      return fetch(input, init);
    }) as typeof fetch;
    const items = midnightFlows(50);

    const outcomes = await sink({ indexPattern: `${prefix}-{yyyy.MM.dd}`, fetch: watched }).export(items);

    expect(outcomes).toEqual(Array(50).fill(delivered));
    expect(sent).toHaveLength(1);
    expect(sent[0]['content-encoding']).toBe('gzip');
    expect(await count(`${prefix}-2024.11.22`)).toBe(24);
    expect(await count(`${prefix}-2024.11.23`)).toBe(26);
    const last = items[49];
    const stored = await ok('GET', `/${prefix}-2024.11.23/_doc/${last.eventId}`);
    expect(stored._source).toEqual(JSON.parse(last.payload));
    const search = await ok('POST', `/${prefix}-*/_search`, { size: 0, query: { term: { dst_port: 3389 } } });
    expect(search.hits.total.value).toBe(10);
  });

  it('redelivering the same 50 flows leaves one document per event id (the event id is the _id)', async () => {
    const prefix = `${run}-redelivery`;
    const exporter = sink({ indexPattern: `${prefix}-{yyyy.MM.dd}` });
    const items = midnightFlows(50);

    expect(await exporter.export(items)).toEqual(Array(50).fill(delivered));
    expect(await exporter.export(items)).toEqual(Array(50).fill(delivered));

    expect(await count(`${prefix}-*`)).toBe(50);
    const stored = await ok('GET', `/${prefix}-2024.11.22/_doc/${items[0].eventId}`);
    expect(stored._version).toBe(2);
    expect(stored._source).toEqual(JSON.parse(items[0].payload));
  });

  it('dead-letters a document that conflicts with the mapping, with the error, and delivers the others', async () => {
    const prefix = `${run}-mapping`;
    await ok('PUT', `/${prefix}-2024.11.22`, { mappings: { properties: { risk_score: { type: 'integer' } } } });
    const items = someSinkItems(10);
    items[4] = aSinkItem({ ...anEnrichedFlow(4), risk_score: 'high' });

    const outcomes = await sink({ indexPattern: `${prefix}-{yyyy.MM.dd}` }).export(items);

    expect(outcomes.filter((outcome) => outcome.kind === 'delivered')).toHaveLength(9);
    expect(outcomes[4]).toEqual({
      kind: 'permanent',
      // OpenSearch and Elasticsearch 7 say mapper_parsing_exception, Elasticsearch 8 document_parsing_exception.
      errorClass: expect.stringMatching(/^(mapper|document)_parsing_exception$/),
      message: expect.stringMatching(/risk_score.*high.*caused by number_format_exception/),
    });
    expect(await count(`${prefix}-2024.11.22`)).toBe(9);
  });

  it('writes to a data stream with create: a redelivered event answers 409 and counts as delivered, the stored one untouched', async () => {
    const stream = `${run}-stream`;
    await ok('PUT', `/_index_template/${stream}`, { index_patterns: [`${stream}*`], data_stream: {}, priority: 500 });
    const exporter = sink({ dataStream: stream });
    const first = someSinkItems(10);
    const again = [...first, ...someSinkItems(5, 10)];

    expect(await exporter.export(first)).toEqual(Array(10).fill(delivered));
    expect(await exporter.export(again)).toEqual(Array(15).fill(delivered));

    expect(await count(stream)).toBe(15);
    const hit = (await ok('POST', `/${stream}/_search`, { version: true, query: { ids: { values: [first[0].eventId] } } })).hits.hits[0];
    expect(hit._version).toBe(1);
    expect(hit._index).toMatch(new RegExp(`^\\.ds-${stream}-0+1$`));
    expect(hit._source).toEqual({ '@timestamp': JSON.parse(first[0].payload).timestamp, ...JSON.parse(first[0].payload) });
  });

  it('retries the items an index refuses with 429 (the flood-stage block) and delivers them once it is lifted', async () => {
    const prefix = `${run}-flood`;
    await ok('PUT', `/${prefix}-acme`, { settings: { 'index.blocks.read_only_allow_delete': true } });
    const exporter = sink({ indexPattern: `${prefix}-{tenant}` });
    const acme = someSinkItems(4);
    const globex = someSinkItems(4, 4, { tenant_id: 'globex' });

    const outcomes = await exporter.export([...acme, ...globex]);

    expect(outcomes.slice(0, 4)).toEqual(
      Array(4).fill({ kind: 'retriable', errorClass: 'es_429', message: expect.stringContaining('read-only-allow-delete'), retryAfterMs: undefined }),
    );
    expect(outcomes.slice(4)).toEqual(Array(4).fill(delivered));
    await ok('PUT', `/${prefix}-acme/_settings`, { 'index.blocks.read_only_allow_delete': null });
    expect(await exporter.export(acme)).toEqual(Array(4).fill(delivered));
    expect(await count(`${prefix}-*`)).toBe(8);
  });

  it('stops with SinkConfigurationError when an index has a write block (a real item-level 403)', async () => {
    const prefix = `${run}-blocked`;
    await ok('PUT', `/${prefix}-acme`, { settings: { 'index.blocks.write': true } });
    const failure = sink({ indexPattern: `${prefix}-{tenant}` }).export(someSinkItems(2));
    await expect(failure).rejects.toBeInstanceOf(SinkConfigurationError);
    await expect(failure).rejects.toMatchObject({ errorClass: 'es_403' });
  });

  it('retries every item of a request the node rejects under indexing pressure (a real whole-request 429)', async () => {
    const stats = await ok('GET', '/_nodes/stats/indexing_pressure');
    const limit: number = (Object.values(stats.nodes)[0] as { indexing_pressure: { memory: { limit_in_bytes: number } } }).indexing_pressure.memory
      .limit_in_bytes;
    const pad = 'x'.repeat(1024 * 1024);
    const items: SinkItem[] = Array.from({ length: Math.ceil((limit * 1.2) / pad.length) }, (_, n) => aSinkItem({ ...anEnrichedFlow(n), pad }));

    const outcomes = await sink({ indexPattern: `${run}-pressure-{yyyy.MM.dd}`, requestTimeoutMs: 60_000 }).export(items);

    expect(new Set(outcomes.map((outcome) => outcome.kind === 'retriable' && outcome.errorClass))).toEqual(new Set(['es_rejected_execution_exception']));
    expect((await node('GET', `/${run}-pressure-*/_count`)).body?.count ?? 0).toBe(0);
  });

  it('fails over from a node that refuses connections to one that answers', async () => {
    const prefix = `${run}-failover`;
    const outcomes = await sink({ url: `http://127.0.0.1:1,${url}`, indexPattern: `${prefix}-{yyyy.MM.dd}` }).export(someSinkItems(3));
    expect(outcomes).toEqual(Array(3).fill(delivered));
    expect(await count(`${prefix}-*`)).toBe(3);
  });

  it('reports the cluster healthy', async () => {
    await expect(sink({}).health()).resolves.toEqual({ ok: true, detail: expect.stringMatching(/^cluster telemetry-opensearch (green|yellow), 1 node\(s\)$/) });
    await expect(sink({ url: 'http://127.0.0.1:1' }).health()).resolves.toMatchObject({ ok: false });
  });
});
