import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ItemOutcome, SinkConfigurationError, SinkItem } from '../exporter.port';
import { ElasticBulkExporter, ElasticBulkOptions, compileIndexPattern } from './elastic-bulk.exporter';
import { aSinkItem, anEnrichedFlow, someSinkItems } from './testing/enriched-flow.builders';

/** A real OpenSearch answer: the shared ones (libs/testing) and this exporter's own (./fixtures, see capture.mjs). */
interface Fixture {
  readonly description: string;
  readonly response: { readonly status: number; readonly contentType: string | null; readonly body: unknown };
}
const SHARED = path.join(__dirname, '../../../testing/src/fixtures/opensearch');
const OWN = path.join(__dirname, 'fixtures');
function fixture(name: string): Fixture {
  const file = [path.join(SHARED, `${name}.json`), path.join(OWN, `${name}.json`)].find((candidate) => fs.existsSync(candidate));
  if (!file) throw new Error(`no OpenSearch fixture ${name}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Fixture;
}

interface SentRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  /** The body as the node reads it (gunzipped when Content-Encoding says so). */
  readonly body: string;
  readonly lines: string[];
  /** Event ids of the actions, in order. */
  readonly ids: string[];
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error | 'hang';

/** A scripted destination: answers what the test says, records exactly what was sent. */
function scriptedFetch(answer: (request: SentRequest, n: number) => Reply) {
  const requests: SentRequest[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
    const raw = init?.body ? Buffer.from(init.body as Uint8Array) : Buffer.alloc(0);
    const body = (headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    const lines = body === '' ? [] : body.replace(/\n$/, '').split('\n');
    const ids = lines.filter((_, i) => i % 2 === 0).map((line) => (Object.values(JSON.parse(line))[0] as { _id: string })._id);
    const request: SentRequest = { url: String(input), method: init?.method ?? 'GET', headers, body, lines, ids };
    requests.push(request);
    const reply = answer(request, requests.length - 1);
    if (reply instanceof Error) throw reply;
    if (reply === 'hang') {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(text, { status: reply.status, headers: { 'content-type': 'application/json; charset=UTF-8', ...reply.headers } });
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}

const fromFixture = (name: string, headers: Record<string, string> = {}): Reply => {
  const { response } = fixture(name);
  return { status: response.status, body: response.body, headers: { ...(response.contentType ? { 'content-type': response.contentType } : {}), ...headers } };
};

/** A `_bulk` answer with the given status per action, in the documented format. */
function bulkAnswer(request: SentRequest, statusOf: (id: string, position: number) => number | { status: number; error: unknown } = () => 201) {
  const items = request.ids.map((id, position) => {
    const result = statusOf(id, position);
    const op = Object.keys(JSON.parse(request.lines[position * 2]))[0];
    return { [op]: typeof result === 'number' ? { _index: 'x', _id: id, status: result } : { _index: 'x', _id: id, ...result } };
  });
  return { status: 200, body: { took: 3, errors: items.some((item) => Object.values(item)[0].status >= 300), items } };
}

const refused = (host: string) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ECONNREFUSED ${host}`), { code: 'ECONNREFUSED' }) });

function exporter(answer: (request: SentRequest, n: number) => Reply, options: Partial<ElasticBulkOptions> = {}) {
  const scripted = scriptedFetch(answer);
  return { exporter: new ElasticBulkExporter({ url: 'http://es1:9200', fetch: scripted.fetch, ...options }), requests: scripted.requests };
}

const delivered: ItemOutcome = { kind: 'delivered' };

describe('ElasticBulkExporter: the request it sends', () => {
  it('sends one action and one document line per item: index, the event id as _id, the day of ts (UTC) in the index name, gzipped', async () => {
    const late = aSinkItem(anEnrichedFlow(1, { ts: Date.UTC(2024, 10, 22, 23, 59, 59, 900) / 1000 }));
    const early = aSinkItem(anEnrichedFlow(2, { ts: Date.UTC(2024, 10, 23, 0, 0, 0, 100) / 1000 }));
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request));

    await expect(sink.export([late, early])).resolves.toEqual([delivered, delivered]);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('http://es1:9200/_bulk?timeout=15000ms&filter_path=errors,items.*.status,items.*.error');
    expect(request.headers).toMatchObject({ 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', accept: 'application/json' });
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body.endsWith('\n')).toBe(true);
    expect(request.lines).toEqual([
      JSON.stringify({ index: { _index: 'telemetry-enriched-2024.11.22', _id: late.eventId } }),
      late.payload,
      JSON.stringify({ index: { _index: 'telemetry-enriched-2024.11.23', _id: early.eventId } }),
      early.payload,
    ]);
  });

  it('cannot be made to create thousands of daily indices by one request: a ts far from enriched_at takes the enrichment day', async () => {
    const enrichedAt = Date.UTC(2026, 11, 2, 10, 30);
    // 3,300 flows, one a day (at midnight) from 2018 to 2027, all enriched the same morning.
    const items = Array.from({ length: 3_300 }, (_, n) =>
      aSinkItem(anEnrichedFlow(n, { ts: (Date.UTC(2018, 0, 1) + n * 86_400_000) / 1000, enriched_at: new Date(enrichedAt).toISOString() })),
    );
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request));
    await sink.export(items);
    const indices = new Set(requests.flatMap((request) => request.lines.filter((_, i) => i % 2 === 0).map((line) => JSON.parse(line).index._index as string)));
    // Within 7 days before the enrichment (from Nov 25 10:30) and a day after, a flow keeps its own day; the rest go to the enrichment day.
    expect([...indices].sort()).toEqual([
      'telemetry-enriched-2026.11.26',
      'telemetry-enriched-2026.11.27',
      'telemetry-enriched-2026.11.28',
      'telemetry-enriched-2026.11.29',
      'telemetry-enriched-2026.11.30',
      'telemetry-enriched-2026.12.01',
      'telemetry-enriched-2026.12.02',
      'telemetry-enriched-2026.12.03',
    ]);
    // The document itself is unchanged: its ts is what the flow said.
    expect(JSON.parse(requests[0].lines[1]).ts).toBe(Date.UTC(2018, 0, 1) / 1000);
  });

  it('bounds by the Kafka timestamp of the record when the payload has no enriched_at', async () => {
    const flow = { event_id: 'e-1', tenant_id: 'acme', ts: Date.UTC(1999, 0, 1) / 1000 };
    const item = aSinkItem(flow);
    const bounded = { ...item, source: { ...item.source, timestamp: Date.UTC(2026, 11, 2, 12) } };
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), { indexDateWindow: { pastMs: 3_600_000, futureMs: 0 } });
    await sink.export([bounded]);
    expect(JSON.parse(requests[0].lines[0]).index._index).toBe('telemetry-enriched-2026.12.02');
  });

  it('fills {tenant} (lower-cased, index-safe) and any date format from the flow', async () => {
    const item = aSinkItem(anEnrichedFlow(1, { tenant_id: 'Acme Corp/EU', ts: Date.UTC(2025, 0, 5, 7) / 1000 }));
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), { indexPattern: 'flows-{tenant}-{yyyy-MM}-{dd.HH}' });
    await sink.export([item]);
    expect(JSON.parse(requests[0].lines[0])).toEqual({ index: { _index: 'flows-acme_corp_eu-2025-01-05.07', _id: item.eventId } });
  });

  it('refuses an index pattern that cannot make an index name, at construction', () => {
    expect(() => compileIndexPattern('Telemetry-{yyyy.MM.dd}')).toThrow(SinkConfigurationError);
    expect(() => compileIndexPattern('telemetry-{week}')).toThrow(/unknown placeholder \{week\}/);
    expect(() => compileIndexPattern('_telemetry')).toThrow(SinkConfigurationError);
    expect(compileIndexPattern('telemetry-enriched-{yyyy.MM.dd}')('acme', new Date(Date.UTC(2024, 1, 9)))).toBe('telemetry-enriched-2024.02.09');
  });

  it('writes to a data stream with create, the event id as _id, and @timestamp from ts when the document has none', async () => {
    const plain = aSinkItem(anEnrichedFlow(1));
    const stamped = aSinkItem({ ...anEnrichedFlow(2), '@timestamp': '2020-01-01T00:00:00.000Z' });
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), { dataStream: 'logs-telemetry-{tenant}' });
    await sink.export([plain, stamped]);
    const lines = requests[0].lines;
    expect(JSON.parse(lines[0])).toEqual({ create: { _index: 'logs-telemetry-acme', _id: plain.eventId } });
    expect(JSON.parse(lines[1])).toEqual({ '@timestamp': new Date(plain.ts * 1000).toISOString(), ...JSON.parse(plain.payload) });
    expect(JSON.parse(lines[2])).toEqual({ create: { _index: 'logs-telemetry-acme', _id: stamped.eventId } });
    expect(lines[3]).toBe(stamped.payload);
  });

  it.each([
    ['basic auth', { username: 'sink', password: 's3cr:t' }, `Basic ${Buffer.from('sink:s3cr:t').toString('base64')}`],
    [
      'an encoded API key',
      { apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' },
      'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==',
    ],
    ['an API key as id:key', { apiKey: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw' }, 'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=='],
    ['credentials in the URL', { url: 'https://sink:p%40ss@es1:9200/' }, `Basic ${Buffer.from('sink:p@ss').toString('base64')}`],
  ])('authenticates with %s', async (_, options, header) => {
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), options);
    await sink.export(someSinkItems(1));
    expect(requests[0].headers.authorization).toBe(header);
    expect(requests[0].url).not.toContain('@');
  });

  it('sends the body uncompressed when gzip is off', async () => {
    const items = someSinkItems(2);
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), { gzip: false });
    await sink.export(items);
    expect(requests[0].headers['content-encoding']).toBeUndefined();
    expect(requests[0].lines[1]).toBe(items[0].payload);
  });

  it('puts a pretty-printed document on one line, and settles what cannot be sent without sending it', async () => {
    const pretty = aSinkItem(anEnrichedFlow(1), { payload: JSON.stringify(anEnrichedFlow(1), null, 2) });
    const broken = aSinkItem(anEnrichedFlow(2), { payload: '{"event_id":\n' });
    const noDate = aSinkItem(anEnrichedFlow(3), { ts: Number.NaN });
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request));

    const outcomes = await sink.export([pretty, broken, noDate]);

    expect(outcomes).toEqual([
      delivered,
      expect.objectContaining({ kind: 'permanent', errorClass: 'invalid_document' }),
      expect.objectContaining({ kind: 'permanent', errorClass: 'invalid_timestamp' }),
    ]);
    expect(requests[0].ids).toEqual([pretty.eventId]);
    expect(JSON.parse(requests[0].lines[1])).toEqual(anEnrichedFlow(1));
    expect(requests[0].lines[1]).not.toContain('\n');
  });

  it('sends nothing for an empty batch', async () => {
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request));
    await expect(sink.export([])).resolves.toEqual([]);
    expect(requests).toHaveLength(0);
  });
});

describe('ElasticBulkExporter: item by item, on real OpenSearch answers', () => {
  it('counts created items as delivered', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-index-create-success'));
    await expect(sink.export(someSinkItems(4))).resolves.toEqual([delivered, delivered, delivered, delivered]);
  });

  it('counts a redelivery (200 updated, same _id) as delivered', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-index-redelivery'));
    await expect(sink.export(someSinkItems(2))).resolves.toEqual([delivered, delivered]);
  });

  it('makes a mapping conflict permanent for that item only, with the error type and reasons', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-mapping-conflict'));
    await expect(sink.export(someSinkItems(3))).resolves.toEqual([
      delivered,
      {
        kind: 'permanent',
        errorClass: 'mapper_parsing_exception',
        message: `failed to parse field [risk_score] of type [integer] in document with id 'evt-2'. Preview of field's value: 'abc' (caused by number_format_exception: For input string: "abc")`,
      },
      delivered,
    ]);
  });

  it('counts a create on an existing _id (409) as delivered: the event is already there', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-create-conflict'), { dataStream: 'telemetry-flows' });
    await expect(sink.export(someSinkItems(3))).resolves.toEqual([delivered, delivered, delivered]);
    const again = exporter(() => fromFixture('data-stream-bulk-redelivery'), { dataStream: 'telemetry-flows' });
    await expect(again.exporter.export(someSinkItems(1))).resolves.toEqual([delivered]);
  });

  it('classifies a data stream answer item by item', async () => {
    const { exporter: sink } = exporter(() => fromFixture('data-stream-bulk'), { dataStream: 'telemetry-flows' });
    const outcomes = await sink.export(someSinkItems(5));
    expect(outcomes.map((outcome) => (outcome.kind === 'delivered' ? 'delivered' : `${outcome.kind}:${outcome.errorClass}`))).toEqual([
      'delivered',
      'delivered',
      'permanent:illegal_argument_exception',
      'permanent:mapper_parsing_exception',
      'permanent:mapper_parsing_exception',
    ]);
    expect(outcomes[3]).toMatchObject({ message: expect.stringContaining("single-valued timestamp field '@timestamp'") });
  });

  it('retries an item refused with 429 (the flood-stage block) and delivers the rest', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-read-only-429'));
    await expect(sink.export(someSinkItems(2))).resolves.toEqual([
      { kind: 'retriable', errorClass: 'es_429', message: expect.stringContaining('disk usage exceeded flood-stage watermark') },
      delivered,
    ]);
  });

  it('retries an item whose shard is unavailable (503)', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-unavailable-shards-503'));
    await expect(sink.export(someSinkItems(2))).resolves.toEqual([
      { kind: 'retriable', errorClass: 'es_5xx', message: expect.stringContaining('primary shard is not active') },
      delivered,
    ]);
  });

  it('dead-letters an item the node refuses for good (an invalid index name)', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-invalid-index-name'));
    await expect(sink.export(someSinkItems(2))).resolves.toEqual([
      { kind: 'permanent', errorClass: 'invalid_index_name_exception', message: expect.stringContaining('must be lowercase') },
      delivered,
    ]);
  });

  it('stops on an item refused with 403 (a write block): the operator must act', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-write-block-403'));
    const failure = sink.export(someSinkItems(2));
    await expect(failure).rejects.toBeInstanceOf(SinkConfigurationError);
    await expect(failure).rejects.toMatchObject({ errorClass: 'es_403', message: expect.stringContaining('index write (api)') });
  });

  it("retries Elasticsearch's es_rejected_execution_exception items (modelled on the documented format)", async () => {
    const rejected = {
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        reason:
          'rejected execution of org.elasticsearch.action.support.replication.TransportWriteAction on EsThreadPoolExecutor[name = es1/write, queue capacity = 10000]',
      },
    };
    const { exporter: sink } = exporter((request) => bulkAnswer(request, (_, position) => (position === 1 ? rejected : 201)));
    await expect(sink.export(someSinkItems(3))).resolves.toEqual([
      delivered,
      { kind: 'retriable', errorClass: 'es_rejected_execution_exception', message: expect.stringContaining('queue capacity') },
      delivered,
    ]);
  });

  it('stops when the index does not exist and may not be created (auto-create off)', async () => {
    const missing = { status: 404, error: { type: 'index_not_found_exception', reason: 'no such index [telemetry-enriched-2024.11.22]' } };
    const { exporter: sink } = exporter((request) => bulkAnswer(request, () => missing));
    await expect(sink.export(someSinkItems(1))).rejects.toMatchObject({ errorClass: 'es_404' });
  });

  it('retries the whole batch when the answer does not have one result per action', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-index-redelivery'));
    const outcomes = await sink.export(someSinkItems(3));
    expect(outcomes.every((outcome) => outcome.kind === 'retriable' && outcome.errorClass === 'es_invalid_response')).toBe(true);
  });
});

describe('ElasticBulkExporter: whole-request failures', () => {
  it('dead-letters every item of a request the node refuses as malformed (400)', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-request-malformed'));
    const outcomes = await sink.export(someSinkItems(2));
    expect(outcomes).toEqual([
      { kind: 'permanent', errorClass: 'illegal_argument_exception', message: expect.stringContaining('Malformed action/metadata line [3]') },
      outcomes[0],
    ]);
  });

  it('retries every item of a request rejected by indexing pressure (429)', async () => {
    const { exporter: sink } = exporter(() => fromFixture('bulk-indexing-pressure-429'));
    const outcomes = await sink.export(someSinkItems(3));
    expect(outcomes).toEqual(
      Array(3).fill({
        kind: 'retriable',
        errorClass: 'es_rejected_execution_exception',
        message: expect.stringContaining('coordinating operation'),
        retryAfterMs: undefined,
      }),
    );
  });

  it('honours Retry-After on a 429 and on a 503', async () => {
    const { exporter: sink } = exporter((_, n): Reply =>
      n === 0
        ? { status: 429, body: 'Too Many Requests', headers: { 'retry-after': '30', 'content-type': 'text/plain' } }
        : {
            status: 503,
            body: { error: { type: 'cluster_block_exception', reason: 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];' }, status: 503 },
            headers: { 'retry-after': '2' },
          },
    );
    await expect(sink.export(someSinkItems(1))).resolves.toEqual([
      { kind: 'retriable', errorClass: 'es_429', message: 'HTTP 429: Too Many Requests', retryAfterMs: 30_000 },
    ]);
    await expect(sink.export(someSinkItems(1))).resolves.toEqual([
      { kind: 'retriable', errorClass: 'es_5xx', message: expect.stringContaining('state not recovered'), retryAfterMs: 2_000 },
    ]);
  });

  it.each([
    // Elasticsearch with security on, no or wrong credentials (documented format).
    [
      401,
      {
        error: {
          root_cause: [{ type: 'security_exception', reason: 'unable to authenticate user [sink] for REST request [/_bulk]' }],
          type: 'security_exception',
          reason: 'unable to authenticate user [sink] for REST request [/_bulk]',
        },
        status: 401,
      },
    ],
    // OpenSearch security plugin, a user without the write privilege.
    [
      403,
      {
        error: {
          root_cause: [
            { type: 'security_exception', reason: 'no permissions for [indices:data/write/bulk] and User [name=sink, backend_roles=[], requestedTenant=null]' },
          ],
          type: 'security_exception',
          reason: 'no permissions for [indices:data/write/bulk] and User [name=sink, backend_roles=[], requestedTenant=null]',
        },
        status: 403,
      },
    ],
  ])('throws SinkConfigurationError on %i: nothing is dropped, the sink pauses', async (status, body) => {
    const { exporter: sink } = exporter(() => ({ status, body }));
    await expect(sink.export(someSinkItems(2))).rejects.toMatchObject({
      name: 'SinkConfigurationError',
      errorClass: `es_${status}`,
      message: expect.stringContaining('security_exception'),
    });
  });

  it('retries every item when the node does not answer in time', async () => {
    const { exporter: sink } = exporter(() => 'hang', { requestTimeoutMs: 50 });
    await expect(sink.export(someSinkItems(2))).resolves.toEqual(
      Array(2).fill({ kind: 'retriable', errorClass: 'es_timeout', message: 'http://es1:9200 did not answer within 50 ms' }),
    );
  });

  it('fails over to the next node when one refuses the connection, and retries when none answers', async () => {
    const down = new Set(['es1']);
    const { exporter: sink, requests } = exporter(
      (request) => {
        const host = new URL(request.url).hostname;
        return down.has(host) ? refused(`${host}:9200`) : bulkAnswer(request);
      },
      { url: 'http://es1:9200, http://es2:9200' },
    );
    await expect(sink.export(someSinkItems(2))).resolves.toEqual([delivered, delivered]);
    expect(requests.map((request) => new URL(request.url).hostname)).toEqual(['es1', 'es2']);
    expect(requests[1].body).toBe(requests[0].body);

    down.add('es2');
    const outcomes = await sink.export(someSinkItems(1));
    expect(outcomes).toEqual([
      {
        kind: 'retriable',
        errorClass: 'es_unreachable',
        message: expect.stringMatching(/es1:9200: ECONNREFUSED.*es2:9200: ECONNREFUSED|es2:9200: ECONNREFUSED.*es1:9200: ECONNREFUSED/),
      },
    ]);
  });

  it('spreads requests over the nodes round robin', async () => {
    const { exporter: sink, requests } = exporter((request) => bulkAnswer(request), { url: 'http://es1:9200,http://es2:9200,http://es3:9200' });
    for (let i = 0; i < 4; i += 1) await sink.export(someSinkItems(1, i));
    expect(requests.map((request) => new URL(request.url).hostname)).toEqual(['es1', 'es2', 'es3', 'es1']);
  });

  it('splits a request refused as too large (413) in halves until each part is taken', async () => {
    const items = someSinkItems(8);
    const { exporter: sink, requests } = exporter((request) => (request.ids.length > 2 ? fromFixture('bulk-too-large-413') : bulkAnswer(request)));
    await expect(sink.export(items)).resolves.toEqual(Array(8).fill(delivered));
    expect(requests.map((request) => request.ids.length)).toEqual([8, 4, 2, 2, 4, 2, 2]);
    expect(
      requests
        .slice(2)
        .filter((request) => request.ids.length === 2)
        .flatMap((request) => request.ids),
    ).toEqual(items.map((item) => item.eventId));
  });

  it('dead-letters a single document that is still too large, and delivers the rest', async () => {
    const items = someSinkItems(5);
    const huge = items[3].eventId;
    const { exporter: sink } = exporter((request) => (request.ids.includes(huge) ? fromFixture('bulk-too-large-413') : bulkAnswer(request)));
    const outcomes = await sink.export(items);
    expect(outcomes).toEqual([
      delivered,
      delivered,
      delivered,
      { kind: 'permanent', errorClass: 'request_too_large', message: expect.stringContaining('HTTP 413') },
      delivered,
    ]);
  });

  it('rides out a 429 storm across several requests: each round retries what was refused, nothing is lost or doubled', async () => {
    // What the node answers to each request, as a cluster under write pressure does: the whole
    // request refused, then part of it, then a node busy, then everything taken.
    const rounds: Array<(request: SentRequest) => Reply> = [
      () => ({ status: 429, body: fixture('bulk-indexing-pressure-429').response.body, headers: { 'retry-after': '5' } }),
      (request) =>
        bulkAnswer(request, (_, position) =>
          position % 2 === 0
            ? { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } }
            : 201,
        ),
      () => ({ status: 429, body: fixture('bulk-indexing-pressure-429').response.body }),
      (request) =>
        bulkAnswer(request, (_, position) =>
          position === 0 ? { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } } : 201,
        ),
      (request) => bulkAnswer(request),
    ];
    const { exporter: sink, requests } = exporter((request, n) => rounds[n](request), { url: 'http://es1:9200,http://es2:9200' });
    const taken = new Map<string, number>();
    let pending: SinkItem[] = someSinkItems(10);
    const retryAfter: Array<number | undefined> = [];
    for (let round = 0; round < rounds.length && pending.length > 0; round += 1) {
      const outcomes = await sink.export(pending);
      // What the runner does: delivered items are done; retriable ones come back on the next round.
      pending.forEach((item, i) => outcomes[i].kind === 'delivered' && taken.set(item.eventId, (taken.get(item.eventId) ?? 0) + 1));
      expect(outcomes.every((outcome) => outcome.kind !== 'permanent')).toBe(true);
      const first = outcomes.find((outcome) => outcome.kind === 'retriable');
      retryAfter.push(first?.kind === 'retriable' ? first.retryAfterMs : undefined);
      pending = pending.filter((_, i) => outcomes[i].kind === 'retriable');
    }
    expect(pending).toEqual([]);
    expect([...taken.values()]).toEqual(Array(10).fill(1));
    expect(requests.map((request) => request.ids.length)).toEqual([10, 10, 5, 5, 1]);
    expect(requests.map((request) => new URL(request.url).hostname)).toEqual(['es1', 'es2', 'es1', 'es2', 'es1']);
    expect(retryAfter).toEqual([5_000, undefined, undefined, undefined, undefined]);
  });
});

describe('ElasticBulkExporter: health', () => {
  it('is ok on a yellow cluster (the real single-node answer) and on green', async () => {
    const { exporter: sink, requests } = exporter(() => fromFixture('cluster-health'));
    await expect(sink.health()).resolves.toEqual({ ok: true, detail: 'cluster telemetry-opensearch yellow, 1 node(s)' });
    expect(requests[0]).toMatchObject({ method: 'GET', url: 'http://es1:9200/_cluster/health' });
    const green = exporter(() => ({ status: 200, body: { cluster_name: 'prod', status: 'green', number_of_nodes: 3 } }));
    await expect(green.exporter.health()).resolves.toEqual({ ok: true, detail: 'cluster prod green, 3 node(s)' });
  });

  it('is not ok on a red cluster, a refusal or no answer', async () => {
    const red = exporter(() => ({ status: 200, body: { cluster_name: 'prod', status: 'red', number_of_nodes: 3 } }));
    await expect(red.exporter.health()).resolves.toMatchObject({ ok: false, detail: expect.stringContaining('red') });
    const unauthorized = exporter(() => ({
      status: 401,
      body: { error: { type: 'security_exception', reason: 'missing authentication credentials' }, status: 401 },
    }));
    await expect(unauthorized.exporter.health()).resolves.toMatchObject({ ok: false, detail: expect.stringContaining('HTTP 401') });
    const down = exporter((request) => refused(new URL(request.url).host));
    await expect(down.exporter.health()).resolves.toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
  });
});
