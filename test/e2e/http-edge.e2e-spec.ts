import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog } from '@telemetry/event-log';
import { recordsWritten, uniqueName } from '@telemetry/testing';
import { loadAllInOneConfig } from '../../apps/all-in-one/src/all-in-one.config';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';
import { chunk, exchange, LAST_CHUNK, requestHead } from './raw-http.client';

/*
 * The HTTP edge over a raw socket (README "API"): clients that pause, stall, half-close or send a
 * body the JSON parser refuses get a coded 4xx answer, never a 500 or a connection closed without one.
 * The timeouts are set small here so a stalled client is answered within a second or two.
 */

// The body idle timeout is five times the 300 ms pauses of the slow-but-valid clients: the client and
// the product share one event loop here, and a busy machine delays both.
const TIMEOUTS = { headers: 1_000, request: 3_000, bodyIdle: 1_500, keepAlive: 1_000 };
/** A timeout fires on Node's checking interval (a quarter of the shortest timeout) plus scheduling noise. */
const SLACK_MS = 1_500;

const auth = { Authorization: `Bearer ${TEST_KEY}` };

function flows(count: number): Array<Record<string, unknown>> {
  const marker = uniqueName('edge');
  return Array.from({ length: count }, (_, index) => ({
    ts: 1732288805 + index,
    src_ip: '10.1.2.3',
    dst_ip: '185.220.101.45',
    dst_port: 443,
    protocol: 'tcp',
    bytes: 100,
    marker,
  }));
}

/** A body cut into three parts. */
function thirds(body: Buffer): [Buffer, Buffer, Buffer] {
  const third = Math.ceil(body.length / 3);
  return [body.subarray(0, third), body.subarray(third, 2 * third), body.subarray(2 * third)];
}

describe('the HTTP edge (embedded mode, small timeouts)', () => {
  let product: RunningProduct;
  let port: number;
  let log: EventLog;

  beforeAll(async () => {
    product = await startProduct('embedded', {
      HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUTS.headers),
      HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUTS.request),
      HTTP_BODY_IDLE_TIMEOUT_MS: String(TIMEOUTS.bodyIdle),
      HTTP_KEEPALIVE_TIMEOUT_MS: String(TIMEOUTS.keepAlive),
    });
    port = (product.server.address() as AddressInfo).port;
    log = product.app.get<EventLog>(EVENT_LOG);
  });

  afterAll(async () => {
    await product?.close();
  });

  const written = (topic: string): Promise<number> => recordsWritten(log, topic);

  describe('a valid body sent slowly gets its answer', () => {
    const CASES = ['/v1/ingest', '/v1/ingest/bulk', '/v1/ingest/netflow'].flatMap((path) =>
      [false, true].flatMap((gzip) =>
        [false, true].map((halfClose) => [path, gzip ? 'gzip' : 'plain', halfClose ? 'then half-closes' : 'keeps its side open', gzip, halfClose] as const),
      ),
    );

    it.each(CASES)('%s, %s, in three chunks 300 ms apart; the client %s → 202', async (path, _, __, gzip, halfClose) => {
      const records = flows(3);
      const json = Buffer.from(JSON.stringify(records));
      const [first, second, third] = thirds(gzip ? zlib.gzipSync(json) : json);
      const before = await written(TOPICS.ingestFlows);
      const answer = await exchange(
        port,
        [
          {
            write: requestHead('POST', path, {
              ...auth,
              'Content-Type': 'application/json',
              'Transfer-Encoding': 'chunked',
              ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
            }),
          },
          { afterMs: 300, write: chunk(first) },
          { afterMs: 300, write: chunk(second) },
          { afterMs: 300, write: Buffer.concat([chunk(third), Buffer.from(LAST_CHUNK)]), end: halfClose },
        ],
        halfClose ? { closeWithinMs: 5_000 } : { untilAnswered: true },
      );
      expect({ status: answer.status, body: answer.json }).toMatchObject({ status: 202, body: { status: 'accepted', total: 3, accepted: 3, rejected: 0 } });
      expect(await written(TOPICS.ingestFlows)).toBe(before + 3);
      // A half-closed client is answered, then the server closes its side too.
      if (halfClose) expect(answer.closedByServer).toBe(true);
    });

    it('a Content-Length body sent whole, then a half-close → 202 and the connection closes', async () => {
      const body = JSON.stringify(flows(2));
      const answer = await exchange(port, [
        {
          write:
            requestHead('POST', '/v1/ingest/netflow', { ...auth, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }) +
            body,
          end: true,
        },
      ]);
      expect({ status: answer.status, body: answer.json, closed: answer.closedByServer }).toMatchObject({ status: 202, body: { accepted: 2 }, closed: true });
    });
  });

  describe('a client that stalls gets 408 request_timeout and the connection closes', () => {
    it.each(['/v1/ingest', '/v1/ingest/netflow', '/v1/ingest/zeek'])(
      '%s: a body that stops halfway → 408 after the body idle timeout, nothing written',
      async (path) => {
        const body = Buffer.from(JSON.stringify(flows(4)));
        const before = await written(TOPICS.ingestFlows);
        const beforeZeek = await written(TOPICS.ingestZeekConn);
        const answer = await exchange(port, [
          { write: requestHead('POST', path, { ...auth, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }) },
          { write: body.subarray(0, Math.floor(body.length / 2)) },
        ]);
        expect({ status: answer.status, body: answer.json, connection: answer.headers.connection, closed: answer.closedByServer }).toEqual({
          status: 408,
          body: { error: 'request_timeout', message: expect.any(String), idle_timeout_ms: TIMEOUTS.bodyIdle, received_bytes: Math.floor(body.length / 2) },
          connection: 'close',
          closed: true,
        });
        expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUTS.bodyIdle - 50);
        expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.bodyIdle + SLACK_MS);
        // Nothing half-read is published, not even the records that arrived whole.
        expect(await written(TOPICS.ingestFlows)).toBe(before);
        expect(await written(TOPICS.ingestZeekConn)).toBe(beforeZeek);
      },
    );

    it('a chunked ingest body whose last chunk never comes → 408', async () => {
      const answer = await exchange(port, [
        { write: requestHead('POST', '/v1/ingest/bulk', { ...auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }) },
        { write: chunk(JSON.stringify(flows(1))) },
      ]);
      expect({ status: answer.status, error: answer.json?.error, closed: answer.closedByServer }).toEqual({
        status: 408,
        error: 'request_timeout',
        closed: true,
      });
    });

    it('a body that trickles (never idle long, but never done) → 408 by the request timeout', async () => {
      const steps = [{ write: requestHead('POST', '/v1/ingest/netflow', { ...auth, 'Content-Type': 'application/json', 'Content-Length': '100000' }) }];
      // One byte every 250 ms: under the idle timeout each time, far past the request timeout in total.
      const trickle = Array.from({ length: 60 }, () => ({ afterMs: 250, write: ' ' }));
      const answer = await exchange(port, [...steps, ...trickle], { closeWithinMs: 0 });
      expect({ status: answer.status, body: answer.json, closed: answer.closedByServer }).toEqual({
        status: 408,
        body: { error: 'request_timeout', message: expect.any(String), headers_timeout_ms: TIMEOUTS.headers, request_timeout_ms: TIMEOUTS.request },
        closed: true,
      });
      expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.request + SLACK_MS);
    });

    it('headers that never end → 408 after the headers timeout', async () => {
      const answer = await exchange(port, [{ write: `POST /v1/ingest/netflow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_KEY}\r\n` }]);
      expect({ status: answer.status, error: answer.json?.error, connection: answer.headers.connection, closed: answer.closedByServer }).toEqual({
        status: 408,
        error: 'request_timeout',
        connection: 'close',
        closed: true,
      });
      expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.headers + SLACK_MS);
    });

    it('a DLQ replay body (parsed by Express) that stalls → 408 by the request timeout', async () => {
      const answer = await exchange(port, [
        { write: requestHead('POST', '/v1/dlq/splunk/replay', { ...auth, 'Content-Type': 'application/json', 'Content-Length': '40' }) },
        { write: '{"all":' },
      ]);
      expect({ status: answer.status, error: answer.json?.error, closed: answer.closedByServer }).toEqual({
        status: 408,
        error: 'request_timeout',
        closed: true,
      });
      expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.request + SLACK_MS);
    });

    it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
      const answer = await exchange(port, [{ write: requestHead('GET', '/v1/health', {}) }]);
      expect(answer.status).toBe(200);
      expect(answer.closedByServer).toBe(true);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUTS.keepAlive - 50);
      // Node 24 keeps the socket open a further second (keepAliveTimeoutBuffer) past the advertised timeout.
      expect(answer.elapsedMs).toBeLessThan(TIMEOUTS.keepAlive + 1_000 + SLACK_MS);
    });

    it('malformed HTTP → 400 bad_request as JSON, and the connection closes', async () => {
      const answer = await exchange(port, [{ write: 'POST /v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello' }]);
      expect({ status: answer.status, error: answer.json?.error, closed: answer.closedByServer }).toEqual({ status: 400, error: 'bad_request', closed: true });
    });
  });

  describe("bodies Express's JSON parser refuses get coded 4xx answers (POST /v1/dlq/splunk/replay)", () => {
    function replay(body: Buffer, headers: Record<string, string> = {}) {
      return exchange(
        port,
        [
          {
            write: Buffer.concat([
              Buffer.from(
                requestHead('POST', '/v1/dlq/splunk/replay', {
                  ...auth,
                  'Content-Type': 'application/json',
                  'Content-Length': String(body.length),
                  ...headers,
                }),
              ),
              body,
            ]),
          },
        ],
        { untilAnswered: true },
      );
    }

    it('a valid body (plain and gzip) is still parsed → 202', async () => {
      for (const answer of [await replay(Buffer.from('{"all":true}')), await replay(zlib.gzipSync('{"all":true}'), { 'Content-Encoding': 'gzip' })]) {
        expect({ status: answer.status, body: answer.json }).toEqual({ status: 202, body: { replayed: 0, remaining: 0 } });
      }
    });

    it('a body over 1 MiB → 413 payload_too_large with the limit, Connection: close', async () => {
      const answer = await replay(Buffer.from(JSON.stringify({ ids: ['x'.repeat(1024 * 1024)] })));
      expect({ status: answer.status, body: answer.json, connection: answer.headers.connection }).toEqual({
        status: 413,
        body: { error: 'payload_too_large', message: expect.any(String), limit_bytes: 1024 * 1024, actual_bytes: expect.any(Number) },
        connection: 'close',
      });
    });

    it('a chunked body over 1 MiB → 413 payload_too_large', async () => {
      const part = Buffer.alloc(256 * 1024, 0x20);
      const answer = await exchange(
        port,
        [
          { write: requestHead('POST', '/v1/dlq/splunk/replay', { ...auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }) },
          ...Array.from({ length: 6 }, () => ({ write: chunk(part) })),
          { write: LAST_CHUNK },
        ],
        { untilAnswered: true },
      );
      expect({ status: answer.status, error: answer.json?.error, limit: answer.json?.limit_bytes }).toEqual({
        status: 413,
        error: 'payload_too_large',
        limit: 1024 * 1024,
      });
    });

    it.each([
      ['brotli that is not brotli', { 'Content-Encoding': 'br' }, Buffer.from('{"all":true}')],
      ['truncated gzip', { 'Content-Encoding': 'gzip' }, zlib.gzipSync('{"all":true,"limit":10}').subarray(0, 12)],
      ['deflate that is not deflate', { 'Content-Encoding': 'deflate' }, Buffer.from('{"all":true}')],
      ['zstd that is not zstd', { 'Content-Encoding': 'zstd' }, Buffer.from('{"all":true}')],
    ])('%s → 400 decompress_failed', async (_, headers, body) => {
      const answer = await replay(body, headers);
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 400,
        body: { error: 'decompress_failed', message: expect.stringContaining('decompress'), detail: expect.any(String) },
      });
    });

    it('a valid brotli body is inflated like gzip → 202', async () => {
      const answer = await replay(zlib.brotliCompressSync('{"all":true}'), { 'Content-Encoding': 'br' });
      expect(answer.status).toBe(202);
    });

    it.each(['compress', 'x-gzip', 'gzip, br'])('Content-Encoding %j → 415 unsupported_encoding with what is supported', async (encoding) => {
      const answer = await replay(Buffer.from('{"all":true}'), { 'Content-Encoding': encoding });
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 415,
        body: {
          error: 'unsupported_encoding',
          message: expect.stringContaining('not supported'),
          content_encoding: encoding,
          supported: expect.arrayContaining(['identity', 'gzip']),
        },
      });
    });

    it.each(['klingon', 'latin1', 'utf-7000'])('charset %j → 415 unsupported_charset', async (charset) => {
      const answer = await replay(Buffer.from('{"all":true}'), { 'Content-Type': `application/json; charset=${charset}` });
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 415,
        body: { error: 'unsupported_charset', message: expect.stringContaining(charset), charset, supported: ['utf-8'] },
      });
    });

    it.each([
      ['truncated JSON', '{"all":'],
      ['not JSON', 'all=true'],
      ['a bare string (strict JSON parser)', '"all"'],
    ])('%s → 400 invalid_json saying what is wrong', async (_, body) => {
      const answer = await replay(Buffer.from(body));
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 400,
        body: { error: 'invalid_json', message: expect.stringContaining('JSON'), detail: expect.any(String) },
      });
    });
  });
});

describe('the HTTP timeout settings', () => {
  const base = { API_KEY: TEST_KEY, DATA_DIR: '/tmp/telemetry-config-check' };

  it('default to 15 s headers, 60 s request, 10 s body idle, 5 s keep-alive', () => {
    expect(loadAllInOneConfig(base).platform.http).toEqual({
      headersTimeoutMs: 15_000,
      requestTimeoutMs: 60_000,
      bodyIdleTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
    });
  });

  it('refuse to boot with every problem listed: out of bounds, not integers, headers longer than the request', () => {
    const load = () =>
      loadAllInOneConfig({
        ...base,
        HTTP_HEADERS_TIMEOUT_MS: '20000',
        HTTP_REQUEST_TIMEOUT_MS: '10000',
        HTTP_BODY_IDLE_TIMEOUT_MS: '5',
        HTTP_KEEPALIVE_TIMEOUT_MS: 'soon',
      });
    expect(load).toThrow(/HTTP_HEADERS_TIMEOUT_MS \(20000\) must not exceed HTTP_REQUEST_TIMEOUT_MS \(10000\)/);
    expect(load).toThrow(/HTTP_BODY_IDLE_TIMEOUT_MS must be between 100 and 600000, got 5/);
    expect(load).toThrow(/HTTP_KEEPALIVE_TIMEOUT_MS must be an integer, got "soon"/);
  });
});
