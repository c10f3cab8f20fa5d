import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import request from 'supertest';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog } from '@telemetry/event-log';
import { recordsWritten, uniqueName } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

/*
 * The ingest contract over real HTTP (README "API"): every endpoint takes every body shape, and every
 * body-level error leaves with its status, its stable `error` code and its detail fields.
 */

const auth = { Authorization: `Bearer ${TEST_KEY}` };
const MiB = 1024 * 1024;
const MAX_BODY_BYTES = 5 * MiB;
const MAX_RECORDS = 10_000;

type Format = 'zeek.conn' | 'flows.v1';

function aFlow(marker: string, index: number): Record<string, unknown> {
  return {
    ts: 1732288805 + index,
    src_ip: '10.1.2.3',
    dst_ip: '185.220.101.45',
    src_port: 55000 + index,
    dst_port: 443,
    protocol: 'tcp',
    bytes: 1500,
    packets: 11,
    marker,
  };
}

function aZeekConn(marker: string, index: number): Record<string, unknown> {
  return {
    ts: 1732288800.123 + index,
    uid: `${marker}-${index}`,
    'id.orig_h': '10.0.0.15',
    'id.orig_p': 51514 + index,
    'id.resp_h': '8.8.8.8',
    'id.resp_p': 53,
    proto: 'udp',
  };
}

function recordsOf(format: Format, count: number): Array<Record<string, unknown>> {
  const marker = uniqueName('http');
  return Array.from({ length: count }, (_, index) => (format === 'zeek.conn' ? aZeekConn(marker, index) : aFlow(marker, index)));
}

const ndjson = (items: readonly unknown[]): string => items.map((item) => JSON.stringify(item)).join('\n') + '\n';

const INGRESS_TOPIC: Record<Format, string> = { 'zeek.conn': TOPICS.ingestZeekConn, 'flows.v1': TOPICS.ingestFlows };

interface Shape {
  readonly name: string;
  /** True when the body names its format (the envelope). */
  readonly envelope?: boolean;
  /** The body, its headers and how many records it holds, for records of `format`. */
  build(format: Format, envelopeFormat: string): { body: Buffer; headers: Record<string, string>; count: number; collectorId?: string };
}

const SHAPES: readonly Shape[] = [
  {
    name: 'a JSON array',
    build: (format) => ({ body: Buffer.from(JSON.stringify(recordsOf(format, 3))), headers: { 'Content-Type': 'application/json' }, count: 3 }),
  },
  {
    name: 'the envelope {collector_id, format, records}',
    envelope: true,
    build: (format, envelopeFormat) => {
      const collectorId = uniqueName('collector');
      const body = JSON.stringify({ collector_id: collectorId, format: envelopeFormat, records: recordsOf(format, 4) });
      return { body: Buffer.from(body), headers: { 'Content-Type': 'application/json' }, count: 4, collectorId };
    },
  },
  {
    name: 'a single pretty-printed record object',
    build: (format) => ({ body: Buffer.from(JSON.stringify(recordsOf(format, 1)[0], null, 2)), headers: { 'Content-Type': 'application/json' }, count: 1 }),
  },
  {
    name: 'JSON Lines (application/x-ndjson)',
    build: (format) => ({ body: Buffer.from(ndjson(recordsOf(format, 5))), headers: { 'Content-Type': 'application/x-ndjson' }, count: 5 }),
  },
  {
    name: 'a gzip array named by Content-Encoding',
    build: (format) => ({
      body: zlib.gzipSync(JSON.stringify(recordsOf(format, 3))),
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      count: 3,
    }),
  },
  {
    name: 'gzip JSON Lines recognised by magic bytes only',
    build: (format) => ({ body: zlib.gzipSync(ndjson(recordsOf(format, 6))), headers: { 'Content-Type': 'application/octet-stream' }, count: 6 }),
  },
];

/** Each endpoint, the format its records are in, and the envelope `format` the test sends. */
const ENDPOINTS: ReadonlyArray<{ path: string; format: Format; envelopeFormat: string }> = [
  // The generic endpoints default to flows.v1; their envelope names another format and it is taken.
  { path: '/v1/ingest', format: 'zeek.conn', envelopeFormat: 'zeek.conn.v1' },
  { path: '/v1/ingest/bulk', format: 'flows.v1', envelopeFormat: 'netflow' },
  { path: '/v1/ingest/zeek', format: 'zeek.conn', envelopeFormat: 'zeek' },
  { path: '/v1/ingest/netflow', format: 'flows.v1', envelopeFormat: 'flows.v1' },
];

const CASES = ENDPOINTS.flatMap((endpoint) => SHAPES.map((shape) => [endpoint.path, shape.name, endpoint, shape] as const));

describe('ingest over HTTP (embedded mode)', () => {
  let product: RunningProduct;
  let log: EventLog;

  beforeAll(async () => {
    product = await startProduct('embedded');
    log = product.app.get<EventLog>(EVENT_LOG);
  });

  afterAll(async () => {
    await product?.close();
  });

  const written = (topic: string): Promise<number> => recordsWritten(log, topic);

  /**
   * A POST whose body goes out byte for byte: superagent would otherwise JSON-serialize a Buffer
   * sent with a JSON Content-Type.
   */
  function post(path: string) {
    return request(product.server)
      .post(path)
      .set(auth)
      .serialize((data: unknown) => data as string);
  }

  describe('every endpoint takes every body shape', () => {
    it.each(CASES)('%s: %s → 202 with the counts', async (path, _, endpoint, shape) => {
      // Without an envelope naming the format, the generic endpoints take flows.v1, their default.
      const generic = path === '/v1/ingest' || path === '/v1/ingest/bulk';
      const format: Format = shape.envelope || !generic ? endpoint.format : 'flows.v1';
      const { body, headers, count, collectorId } = shape.build(format, endpoint.envelopeFormat);
      const before = await written(INGRESS_TOPIC[format]);

      const response = await post(path).set(headers).send(body);

      expect({ status: response.status, body: response.body }).toMatchObject({
        status: 202,
        body: { status: 'accepted', format, total: count, accepted: count, rejected: 0, records_processed: count, errors: [], errors_truncated: false },
      });
      expect(response.body.collector_id).toBe(collectorId ?? 'default');
      expect(await written(INGRESS_TOPIC[format])).toBe(before + count);
    });
  });

  describe('body-level errors: status, stable code and details', () => {
    it('invalid_json (400) says what is wrong in `detail`', async () => {
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send('[{"ts": 1732288805, "src_ip": "10.1.2.3",');
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_json', message: expect.any(String), detail: expect.any(String) });
      expect(response.body.detail.length).toBeGreaterThan(0);
    });

    it('invalid_json in JSON Lines names the line', async () => {
      const body = `${JSON.stringify(aFlow('x', 0))}\n${JSON.stringify(aFlow('x', 1))}\n{"ts": oops}\n`;
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/x-ndjson').send(body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_json', line: 3, detail: expect.any(String) });
    });

    it('bad_batch_shape (400) for a scalar body and for an envelope whose records is not an array', async () => {
      const scalar = await post('/v1/ingest').set('Content-Type', 'application/json').send('42');
      expect(scalar.status).toBe(400);
      expect(scalar.body).toMatchObject({ error: 'bad_batch_shape', message: expect.any(String) });

      const envelope = await post('/v1/ingest').set('Content-Type', 'application/json').send('{"collector_id":"c1","records":{"ts":1}}');
      expect(envelope.status).toBe(400);
      expect(envelope.body).toMatchObject({ error: 'bad_batch_shape', field: 'records' });
    });

    it('invalid_encoding (400) for bytes that are not UTF-8 (an overlong sequence)', async () => {
      const body = Buffer.concat([
        Buffer.from('[{"ts":1732288805,"src_ip":"10.1.2.3","dst_ip":"8.8.8.8","note":"'),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('"}]'),
      ]);
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_encoding', message: expect.any(String) });
    });

    it('decompress_failed (400) for a body that claims gzip but is not, and for truncated gzip', async () => {
      const notGzip = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(Buffer.from('[{"ts":1}]'));
      expect(notGzip.status).toBe(400);
      expect(notGzip.body).toMatchObject({ error: 'decompress_failed', content_encoding: 'gzip' });

      const gz = zlib.gzipSync(JSON.stringify(recordsOf('flows.v1', 3)));
      const truncated = await post('/v1/ingest/netflow')
        .set('Content-Type', 'application/octet-stream')
        .send(gz.subarray(0, gz.length - 10));
      expect(truncated.status).toBe(400);
      expect(truncated.body).toMatchObject({ error: 'decompress_failed' });
    });

    it('unsupported_media_type (415) for Content-Encoding: br, listing what is supported', async () => {
      const body = zlib.brotliCompressSync(Buffer.from(JSON.stringify(recordsOf('flows.v1', 2))));
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').set('Content-Encoding', 'br').send(body);
      expect(response.status).toBe(415);
      expect(response.body).toMatchObject({ error: 'unsupported_media_type', content_encoding: 'br', supported: expect.arrayContaining(['gzip', 'identity']) });
    });

    it('batch_too_large (413) by Content-Length, with the limit and the declared size', async () => {
      const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
      body[0] = 0x5b;
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(body);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: 'batch_too_large', limit_bytes: MAX_BODY_BYTES, actual_bytes: MAX_BODY_BYTES + 1 });
    });

    it('batch_too_large (413) for a chunked upload without Content-Length: answered before the client sends it all', async () => {
      const offered = 64 * MiB;
      const result = await postChunked(product, '/v1/ingest/netflow', offered);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(413);
      expect(result.body).toMatchObject({ error: 'batch_too_large', limit_bytes: MAX_BODY_BYTES });
      // The server answered while the upload was still going: it did not wait for (or read) all of it.
      expect(result.writtenBeforeResponse).toBeLessThan(offered);
    });

    it.each([
      ['named by Content-Encoding', { 'Content-Encoding': 'gzip' }],
      ['recognised by magic bytes', {}],
    ])('batch_too_large (413) for gzip inflating past 5 MiB (%s), with the inflated limit', async (_, headers: Record<string, string>) => {
      // 50 MiB of JSON whitespace around one record: ~50 KB on the wire, a bomb once inflated.
      const inflated = Buffer.concat([Buffer.from(`[${JSON.stringify(aFlow('bomb', 0))}`), Buffer.alloc(50 * MiB, 0x20), Buffer.from(']')]);
      const bomb = zlib.gzipSync(inflated, { level: 9 });
      expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').set(headers).send(bomb);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: 'batch_too_large', limit_bytes: MAX_BODY_BYTES, measured: 'inflated' });
    });

    it('too_many_records (413) for 10,001 records, with limit 10000 and observed 10001', async () => {
      const body = JSON.stringify(Array.from({ length: MAX_RECORDS + 1 }, (_, index) => ({ ts: index, src_ip: '10.0.0.1', dst_ip: '10.0.0.2' })));
      const before = await written(TOPICS.ingestFlows);
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(body);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: 'too_many_records', limit: MAX_RECORDS, observed: MAX_RECORDS + 1 });
      expect(await written(TOPICS.ingestFlows)).toBe(before);
    });

    it('unknown_format (400) lists the known formats', async () => {
      const response = await post('/v1/ingest')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ collector_id: 'c1', format: 'syslog', records: recordsOf('flows.v1', 1) }));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'unknown_format', field: 'format', known_formats: expect.arrayContaining(['zeek.conn', 'flows.v1']) });
    });

    it.each(['/v1/ingest', '/v1/ingest/bulk'].flatMap((path) => ['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map((name) => [path, name])))(
      '%s: the envelope format %j (an Object.prototype member) is unknown_format (400), and nothing is written',
      async (path, name) => {
        const before = await written(TOPICS.ingestFlows);
        const response = await post(path)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ format: name, records: recordsOf('flows.v1', 1) }));
        expect({ status: response.status, body: response.body }).toEqual({
          status: 400,
          body: {
            error: 'unknown_format',
            message: expect.any(String),
            field: 'format',
            known_formats: ['zeek.conn', 'zeek.conn.v1', 'zeek', 'flows.v1', 'netflow', 'ipfix'],
          },
        });
        expect(await written(TOPICS.ingestFlows)).toBe(before);
      },
    );

    it('format_mismatch (400) when the envelope names another format than the endpoint takes', async () => {
      const response = await post('/v1/ingest/zeek')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ format: 'flows.v1', records: recordsOf('flows.v1', 1) }));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'format_mismatch', field: 'format', expected: 'zeek.conn' });
    });

    it('invalid_header (400) for an X-Collector-Id no record could carry (the identifier rule: 1-128 characters, no control characters)', async () => {
      const response = await post('/v1/ingest/zeek')
        .set('Content-Type', 'application/json')
        .set('X-Collector-Id', 'c'.repeat(200))
        .send(JSON.stringify(recordsOf('zeek.conn', 1)));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'invalid_header', field: 'X-Collector-Id' });
      expect(response.body.detail ?? response.body.message).toContain('at most 128 characters, got 200');
    });

    it('empty_batch (400) for an empty array and an envelope without records', async () => {
      const array = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send('[]');
      expect(array.status).toBe(400);
      expect(array.body).toMatchObject({ error: 'empty_batch' });
      const envelope = await post('/v1/ingest')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ collector_id: 'c1', records: [] }));
      expect(envelope.status).toBe(400);
      expect(envelope.body).toMatchObject({ error: 'empty_batch' });
    });
  });

  describe('per-record outcomes', () => {
    it('207 when some records are accepted: each rejected one has {index, field, code, message}', async () => {
      const [first, second, third] = recordsOf('flows.v1', 3);
      delete second.dst_ip;
      const before = await written(TOPICS.ingestFlows);
      const response = await post('/v1/ingest/netflow')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify([first, second, third, 'not a record']));
      expect(response.status).toBe(207);
      expect(response.body).toMatchObject({ status: 'partial', total: 4, accepted: 2, rejected: 2, records_processed: 2, errors_truncated: false });
      expect(response.body.errors).toEqual([
        { index: 1, field: 'dst_ip', code: 'missing_field', message: expect.any(String) },
        { index: 3, field: expect.any(String), code: expect.any(String), message: expect.any(String) },
      ]);
      expect(await written(TOPICS.ingestFlows)).toBe(before + 2);
    });

    it('422 when no record is accepted, and nothing is written', async () => {
      const before = await written(TOPICS.ingestZeekConn);
      const response = await post('/v1/ingest/zeek')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify([{ uid: 'no-ts-no-hosts' }, { ts: 1732288800 }]));
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ status: 'rejected', total: 2, accepted: 0, rejected: 2, records_processed: 0 });
      // Like every other error answer: a stable code and a message a person can read, naming the first problem.
      expect(response.body.error).toBe('all_records_rejected');
      expect(response.body.message).toMatch(/^None of the 2 record\(s\) was accepted, see errors; the first: record 0, field /);
      expect(response.body.errors).toHaveLength(2);
      for (const [index, error] of (response.body.errors as Array<Record<string, unknown>>).entries()) {
        expect(Object.keys(error).sort()).toEqual(['code', 'field', 'index', 'message']);
        expect(error).toMatchObject({ index, field: expect.any(String), code: expect.any(String), message: expect.any(String) });
      }
      expect(await written(TOPICS.ingestZeekConn)).toBe(before);
    });

    it('lists the first 100 rejections and counts them all (500 invalid records)', async () => {
      const invalid = Array.from({ length: 500 }, (_, index) => ({ ts: 1732288800 + index, src_ip: '10.0.0.1' }));
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(JSON.stringify(invalid));
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ total: 500, accepted: 0, rejected: 500, errors_truncated: true });
      expect(response.body.errors).toHaveLength(100);
      expect((response.body.errors as Array<{ index: number }>).map((error) => error.index)).toEqual(Array.from({ length: 100 }, (_, index) => index));
    });

    it('a record nested 100k levels deep is answered with a client status, never a 500', async () => {
      // JSON.parse takes any depth; anything that recurses over the record (JSON.stringify, a
      // clone) overflows the stack. The body is small (200 KB), so this is a client error or accepted.
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const body = `[${JSON.stringify(aFlow('deep', 0)).slice(0, -1)},"deep":${deep}}]`;
      const response = await post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(body);
      expect(response.status).toBeLessThan(500);
      expect([202, 400, 413, 422]).toContain(response.status);
    });
  });

  describe('authentication', () => {
    it('401 without a key', async () => {
      const response = await request(product.server).post('/v1/ingest/netflow').set('Content-Type', 'application/json').send(recordsOf('flows.v1', 1));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    });

    it('401 with a wrong key', async () => {
      const response = await request(product.server)
        .post('/v1/ingest/zeek')
        .set('Authorization', 'Bearer not-the-key')
        .set('Content-Type', 'application/json')
        .send(recordsOf('zeek.conn', 1));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'unauthorized' });
    });
  });
});

interface ChunkedResult {
  readonly status?: number;
  readonly body?: Record<string, unknown>;
  readonly error?: string;
  readonly writtenBeforeResponse: number;
}

/**
 * POSTs with `Transfer-Encoding: chunked` (no Content-Length), writing up to `offered` bytes as
 * fast as the socket takes them, and stops writing as soon as the response arrives.
 */
function postChunked(product: RunningProduct, path: string, offered: number): Promise<ChunkedResult> {
  const { port } = product.server.address() as AddressInfo;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve) => {
    let written = 0;
    let settled = false;
    let responded = false;
    const finish = (result: ChunkedResult) => {
      if (settled) return;
      settled = true;
      outgoing.destroy();
      resolve(result);
    };
    const outgoing = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path,
      headers: { ...auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    });
    outgoing.on('response', (incoming) => {
      responded = true;
      const writtenBeforeResponse = written;
      const parts: Buffer[] = [];
      incoming.on('data', (part: Buffer) => parts.push(part));
      incoming.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let body: Record<string, unknown> | undefined;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { unparsed: text };
        }
        finish({ status: incoming.statusCode, body, writtenBeforeResponse });
      });
      incoming.on('error', (error) => finish({ error: `response stream: ${error.message}`, writtenBeforeResponse }));
    });
    outgoing.on('error', (error) => {
      // Writing after the server answered and closed is expected; losing the answer is not.
      if (!responded)
        finish({
          error: `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message} after ${written} bytes, with no response`,
          writtenBeforeResponse: written,
        });
    });
    const pump = () => {
      while (!responded && !settled && written < offered) {
        const part = written === 0 ? Buffer.concat([Buffer.from('['), chunk.subarray(1)]) : chunk;
        written += part.length;
        if (!outgoing.write(part)) {
          outgoing.once('drain', pump);
          return;
        }
      }
      if (!responded && !settled) outgoing.end(']');
    };
    pump();
  });
}
