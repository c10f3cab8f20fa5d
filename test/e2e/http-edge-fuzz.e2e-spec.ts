import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';
import { chunk, ClientStep, exchange, LAST_CHUNK, RawExchange, requestHead } from './raw-http.client';
import { fuzzSeed, SeededRng } from '@telemetry/testing';

/*
 * Fuzz of the HTTP edge, end to end over raw sockets: a few hundred malformed requests of the kinds
 * that once answered 500 or lost their answer (Object.prototype names as formats and fields, odd
 * encodings and charsets, truncated gzip, oversized and malformed bodies, stalled bodies, broken
 * HTTP) at the ingest routes and at POST /v1/dlq/splunk/replay.
 *
 * Property, for every case: the server answers (the connection is never dropped without one) with
 * a 4xx whose JSON body's `error` is a stable code — one the case allows where it is known — and
 * closes the connection at the latest shortly after (every case sends Connection: close). Never 5xx.
 *
 * The PRNG is seeded; set HTTP_FUZZ_SEED to replay or explore. A failure names the seed and the case.
 */

const SEED = fuzzSeed('HTTP_FUZZ_SEED', process.env.HTTP_FUZZ_SEED, 0x0edfe55);
const CASES = 320;
const CONCURRENCY = 8;
const TIMEOUTS = { headers: 1_000, request: 3_000, bodyIdle: 1_000 };
/** The longest any case may take before the server has answered and closed: the request timeout plus slack. */
const CASE_DEADLINE_MS = TIMEOUTS.request + 3_000;

const MiB = 1024 * 1024;
const INGEST_ROUTES = ['/v1/ingest', '/v1/ingest/bulk', '/v1/ingest/zeek', '/v1/ingest/netflow'] as const;
const DLQ_ROUTE = '/v1/dlq/splunk/replay';

/** Every `error` code the edge answers 4xx with (README "API", the DLQ API, auth, timeouts). */
const STABLE_CODES = new Set([
  'invalid_json',
  'bad_batch_shape',
  'invalid_encoding',
  'decompress_failed',
  'unsupported_media_type',
  'batch_too_large',
  'too_many_records',
  'unknown_format',
  'format_mismatch',
  'invalid_idempotency_key',
  'empty_batch',
  'request_timeout',
  'payload_too_large',
  'unsupported_encoding',
  'unsupported_charset',
  'request_aborted',
  'bad_request',
  'headers_too_large',
  'missing_selector',
  'invalid_body',
  'invalid_parameter',
  'not_found',
  'unauthorized',
  'forbidden',
]);
/** Per-record codes of a 422 (every record refused). */
const RECORD_CODES = new Set(['missing_field', 'invalid_ip', 'invalid_port', 'invalid_timestamp', 'invalid_number', 'not_an_object', 'too_deep']);

const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];

interface FuzzCase {
  readonly family: string;
  readonly name: string;
  readonly steps: readonly ClientStep[];
  /** The codes this case may be answered with; undefined: any stable code. */
  readonly codes?: readonly string[];
  /** True when every record is refused (422 with per-record codes) is a correct answer too. */
  readonly mayRejectRecords?: boolean;
}

const auth = { Authorization: `Bearer ${TEST_KEY}` };

function aFlow(index: number): Record<string, unknown> {
  return { ts: 1732288805 + index, src_ip: '10.1.2.3', dst_ip: '8.8.8.8', dst_port: 443, protocol: 'tcp' };
}

/** A whole request with Content-Length, sent in one write. */
function whole(route: string, body: Buffer, headers: Record<string, string> = {}): ClientStep[] {
  const head = requestHead('POST', route, {
    ...auth,
    'Content-Type': 'application/json',
    Connection: 'close',
    'Content-Length': String(body.length),
    ...headers,
  });
  return [{ write: Buffer.concat([Buffer.from(head), body]) }];
}

/** A body JSON-invalid or batch-invalid whatever decoding it goes through: it can never be a 2xx. */
function invalidBody(rng: SeededRng, route: string): Buffer {
  if (route === DLQ_ROUTE) return Buffer.from(rng.pick(['{"all":', '{"unknown_field":1}', '[1,2]', '{}', '"all"', 'null']));
  return Buffer.from(rng.pick(['[]', '{"records":[]}', '[{"ts":1,', '42', '{"format":"syslog","records":[{}]}', 'not json']));
}

function randomCase(rng: SeededRng, index: number): FuzzCase {
  const route = rng.bool(0.75) ? rng.pick(INGEST_ROUTES) : DLQ_ROUTE;
  const ingest = route !== DLQ_ROUTE;
  const family = rng.pick([
    'prototype format',
    'prototype fields',
    'encoding',
    'charset',
    'truncated gzip',
    'oversized',
    'bad json',
    'slow body',
    'broken http',
  ] as const);
  switch (family) {
    case 'prototype format': {
      const name = rng.pick(PROTOTYPE_NAMES);
      const spelled = rng.pick([name, name.toUpperCase(), ` ${name} `]);
      const field = rng.pick(['format', 'type']);
      if (!ingest) {
        const body = Buffer.from(JSON.stringify({ [name]: rng.pick([true, 'x', 1, {}]) }));
        return { family, name: `DLQ body key ${name}`, steps: whole(route, body), codes: ['invalid_body', 'missing_selector'] };
      }
      const body = Buffer.from(JSON.stringify({ [field]: spelled, records: [aFlow(index)] }));
      return { family, name: `${route} ${field} ${JSON.stringify(spelled)}`, steps: whole(route, body), codes: ['unknown_format'] };
    }
    case 'prototype fields': {
      const keys = Array.from({ length: rng.int(1, 4) }, () => rng.pick(PROTOTYPE_NAMES));
      const record = Object.fromEntries(keys.map((key) => [key, rng.pick([1, 'tcp', '10.0.0.1', {}, [], null])]));
      if (!ingest)
        return { family, name: `DLQ ${keys.join(',')}`, steps: whole(route, Buffer.from(JSON.stringify(record))), codes: ['invalid_body', 'missing_selector'] };
      // No src_ip under any spelling: every record is refused, whatever the prototype names do.
      const body = Buffer.from(JSON.stringify(rng.bool() ? [record, { ...record, ts: 1 }] : { collector_id: 'fuzz', records: [record] }));
      return { family, name: `${route} record keys ${keys.join(',')}`, steps: whole(route, body), mayRejectRecords: true };
    }
    case 'encoding': {
      const encoding = rng.pick(['br', 'compress', 'zstd', 'deflate', 'gzip, br', 'x-gzip', 'GZIP', ' gzip ', 'identity;q=0', 'bogus', '', 'gzip']);
      const plain = invalidBody(rng, route);
      const encoded = rng.pick([plain, zlib.gzipSync(plain), zlib.brotliCompressSync(plain), zlib.deflateSync(plain), rng.bytes(rng.int(1, 64))]);
      return { family, name: `${route} Content-Encoding ${JSON.stringify(encoding)}`, steps: whole(route, encoded, { 'Content-Encoding': encoding }) };
    }
    case 'charset': {
      const charset = rng.pick(['klingon', 'latin1', 'utf-7000', 'UTF-16', 'utf-8', 'ascii', '"utf-8"', 'iso-8859-1', '', 'utf8;x=1']);
      return {
        family,
        name: `${route} charset ${JSON.stringify(charset)}`,
        steps: whole(route, invalidBody(rng, route), { 'Content-Type': `application/json; charset=${charset}` }),
      };
    }
    case 'truncated gzip': {
      const gz = zlib.gzipSync(ingest ? JSON.stringify([aFlow(index), aFlow(index + 1)]) : '{"all":true,"limit":5}');
      const cut = rng.int(1, gz.length - 1);
      const named = !ingest || rng.bool();
      return {
        family,
        name: `${route} gzip cut at ${cut}/${gz.length}${named ? '' : ' (magic bytes only)'}`,
        steps: whole(route, gz.subarray(0, cut), named ? { 'Content-Encoding': 'gzip' } : { 'Content-Type': 'application/octet-stream' }),
      };
    }
    case 'oversized': {
      const limit = ingest ? 5 * MiB : MiB;
      const size = limit + rng.int(1, 64 * 1024);
      const body = Buffer.alloc(size, 0x20);
      body[0] = 0x5b;
      const codes = ingest ? ['batch_too_large'] : ['payload_too_large'];
      if (rng.bool()) return { family, name: `${route} ${size} bytes with Content-Length`, steps: whole(route, body), codes };
      const head = requestHead('POST', route, { ...auth, 'Content-Type': 'application/json', Connection: 'close', 'Transfer-Encoding': 'chunked' });
      const parts: ClientStep[] = [{ write: head }];
      for (let offset = 0; offset < size; offset += 256 * 1024) parts.push({ write: chunk(body.subarray(offset, offset + 256 * 1024)) });
      parts.push({ write: LAST_CHUNK });
      return { family, name: `${route} ${size} bytes chunked`, steps: parts, codes };
    }
    case 'bad json': {
      const tokens = ['{', '}', '[', ']', ',', ':', '"', '"a"', '1', 'true', 'null', ' ', '\n', '\\', '"\\u12', '1e999', '-', '{"records":', '"format":'];
      const text = Array.from({ length: rng.int(1, 24) }, () => rng.pick(tokens)).join('');
      // JSON soup may happen to parse; these endings make sure it never is a valid request.
      const body = Buffer.from(ingest ? `${text}]]` : `${text}}}`);
      return { family, name: `${route} ${JSON.stringify(body.toString().slice(0, 60))}`, steps: whole(route, body) };
    }
    case 'slow body': {
      const full = ingest ? Buffer.from(JSON.stringify([aFlow(index)])) : Buffer.from('{"all":true}');
      const sent = rng.int(0, full.length - 1);
      const chunked = rng.bool();
      const head = requestHead('POST', route, {
        ...auth,
        'Content-Type': 'application/json',
        Connection: 'close',
        ...(chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(full.length) }),
      });
      const steps: ClientStep[] = [{ write: head }];
      if (sent > 0) steps.push({ afterMs: rng.int(0, 200), write: chunked ? chunk(full.subarray(0, sent)) : full.subarray(0, sent) });
      return { family, name: `${route} stalls after ${sent}/${full.length} bytes${chunked ? ' (chunked)' : ''}`, steps, codes: ['request_timeout'] };
    }
    case 'broken http': {
      const broken = rng.pick([
        `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
        `POST ${route} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`,
        `POST ${route} HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n`,
        `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
        `POST ${route} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
        `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`,
        `\u0000\u0001\u0002 ${route} HTTP/1.1\r\n\r\n`,
      ]);
      // A malformed request is refused before Express sees it, then the connection closes.
      return { family, name: JSON.stringify(broken.slice(0, 60)), steps: [{ write: broken }], codes: ['bad_request'] };
    }
  }
}

/** What is wrong with an answer, or undefined. */
function violation(testCase: FuzzCase, answer: RawExchange): string | undefined {
  if (answer.status === undefined)
    return `no answer (the connection closed${answer.socketError ? ` with ${answer.socketError}` : ''} after ${answer.elapsedMs} ms)`;
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 200)}`;
  if (answer.status < 400) return `answered ${answer.status} to a request that is never valid: ${answer.text.slice(0, 200)}`;
  if (!answer.closedByServer) return `the connection stayed open ${CASE_DEADLINE_MS} ms after the answer`;
  const body = answer.json;
  if (body === undefined) return `answered ${answer.status} without a JSON object body: ${JSON.stringify(answer.text.slice(0, 200))}`;
  if (answer.status === 422 && testCase.mayRejectRecords) {
    const errors = body.errors as Array<{ code?: unknown }> | undefined;
    if (body.status !== 'rejected' || !Array.isArray(errors) || errors.length === 0 || errors.some((error) => !RECORD_CODES.has(String(error.code)))) {
      return `422 without stable per-record codes: ${answer.text.slice(0, 200)}`;
    }
    return undefined;
  }
  if (typeof body.error !== 'string' || !STABLE_CODES.has(body.error))
    return `answered ${answer.status} with error ${JSON.stringify(body.error)}: ${answer.text.slice(0, 200)}`;
  if (typeof body.message !== 'string' || body.message.length === 0) return `answered ${body.error} without a message`;
  if (testCase.codes && !testCase.codes.includes(body.error)) return `answered ${body.error}, expected one of ${testCase.codes.join(', ')}`;
  return undefined;
}

describe(`the HTTP edge under fuzz (seed ${SEED}; replay with HTTP_FUZZ_SEED)`, () => {
  let product: RunningProduct;
  let port: number;

  beforeAll(async () => {
    product = await startProduct('embedded', {
      HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUTS.headers),
      HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUTS.request),
      HTTP_BODY_IDLE_TIMEOUT_MS: String(TIMEOUTS.bodyIdle),
      // Hundreds of requests from one key in a few seconds: the rate limit is not under test here.
      RATE_LIMIT_PER_MIN: '0',
    });
    port = (product.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await product?.close();
  });

  it(`${CASES} malformed requests: each answered 4xx with a stable code, never 5xx or a dropped connection`, async () => {
    const rng = new SeededRng(SEED);
    const cases = Array.from({ length: CASES }, (_, index) => randomCase(rng, index));
    const failures: string[] = [];
    const families = new Map<string, number>();
    let next = 0;
    const started = Date.now();
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const testCase = cases[index];
        families.set(testCase.family, (families.get(testCase.family) ?? 0) + 1);
        const answer = await exchange(port, testCase.steps, { closeWithinMs: CASE_DEADLINE_MS });
        const problem = violation(testCase, answer);
        if (problem) failures.push(`seed ${SEED} case ${index} [${testCase.family}] ${testCase.name}: ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures).toEqual([]);
    // Every family was exercised, and the whole run stayed bounded.
    expect([...families.keys()].sort()).toHaveLength(9);
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});
