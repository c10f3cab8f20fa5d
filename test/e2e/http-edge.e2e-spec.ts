import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { TOPICS } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog } from '@telemetry/event-log';
import { uniqueName } from '@telemetry/testing';
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
  return Array.from({ length: count }, (_, index) => ({ ts: 1732288805 + index, src_ip: '10.1.2.3', dst_ip: '185.220.101.45', dst_port: 443, protocol: 'tcp', bytes: 100, marker }));
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
    product = await startProduct('embedded');
    port = (product.server.address() as AddressInfo).port;
    log = product.app.get<EventLog>(EVENT_LOG);
  });

  afterAll(async () => {
    await product?.close();
  });

  async function written(topic: string): Promise<number> {
    const offsets = await log.endOffsets(topic);
    return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
  }

  describe('bodies Express\'s JSON parser refuses get coded 4xx answers (POST /v1/dlq/splunk/replay)', () => {
    function replay(body: Buffer, headers: Record<string, string> = {}) {
      return exchange(port, [
        { write: Buffer.concat([Buffer.from(requestHead('POST', '/v1/dlq/splunk/replay', { ...auth, 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers })), body]) },
      ], { untilAnswered: true });
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
      const answer = await exchange(port, [
        { write: requestHead('POST', '/v1/dlq/splunk/replay', { ...auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }) },
        ...Array.from({ length: 6 }, () => ({ write: chunk(part) })),
        { write: LAST_CHUNK },
      ], { untilAnswered: true });
      expect({ status: answer.status, error: answer.json?.error, limit: answer.json?.limit_bytes }).toEqual({ status: 413, error: 'payload_too_large', limit: 1024 * 1024 });
    });

    it.each([
      ['brotli that is not brotli', { 'Content-Encoding': 'br' }, Buffer.from('{"all":true}')],
      ['truncated gzip', { 'Content-Encoding': 'gzip' }, zlib.gzipSync('{"all":true,"limit":10}').subarray(0, 12)],
      ['deflate that is not deflate', { 'Content-Encoding': 'deflate' }, Buffer.from('{"all":true}')],
    ])('%s → 400 decompress_failed', async (_, headers, body) => {
      const answer = await replay(body, headers);
      expect({ status: answer.status, body: answer.json }).toEqual({ status: 400, body: { error: 'decompress_failed', message: expect.stringContaining('decompress'), detail: expect.any(String) } });
    });

    it('a valid brotli body is inflated like gzip → 202', async () => {
      const answer = await replay(zlib.brotliCompressSync('{"all":true}'), { 'Content-Encoding': 'br' });
      expect(answer.status).toBe(202);
    });

    it.each(['compress', 'x-gzip', 'gzip, br'])('Content-Encoding %j → 415 unsupported_encoding with what is supported', async (encoding) => {
      const answer = await replay(Buffer.from('{"all":true}'), { 'Content-Encoding': encoding });
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 415,
        body: { error: 'unsupported_encoding', message: expect.stringContaining('not supported'), content_encoding: encoding, supported: expect.arrayContaining(['identity', 'gzip']) },
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
      expect({ status: answer.status, body: answer.json }).toEqual({ status: 400, body: { error: 'invalid_json', message: expect.stringContaining('JSON'), detail: expect.any(String) } });
    });
  });
});
