import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { INGRESS_FORMATS, IngressFormat } from '@telemetry/contracts';
import { parseBatch, ParsedBatch } from './batch-parser';
import { readBody } from './body-reader';
import { IngestError } from './ingest-error';
import { DEFAULT_INGEST_LIMITS, IngestLimits } from './ingest-limits';
import { fuzzSeed, SeededRng } from '@telemetry/testing';

/*
 * Property / fuzz tests of the body path as the HTTP adapter runs it: readBody (wire limit, chunking,
 * gzip by header or magic bytes, inflated cap) then parseBatch (UTF-8, shapes, record limit).
 *
 * Properties, for every generated input:
 *  - the only failure is an IngestError whose code is one of the README's body-level codes and whose
 *    status is that code's documented 4xx;
 *  - no case hangs: each finishes before its deadline (elapsed time is asserted, nothing sleeps);
 *  - what readBody hands on is never larger than the inflated cap (a gzip bomb is refused, not buffered);
 *  - a successful parse is a non-empty array of at most maxRecords records of a known format;
 *  - where an oracle exists (JSON.parse, line splitting, byte positions) the outcome matches it.
 *
 * The PRNG is seeded; set INGEST_FUZZ_SEED to replay or explore. Every failure names the seed, the
 * family, the case number and a preview of the input.
 */

const SEED = fuzzSeed('INGEST_FUZZ_SEED', process.env.INGEST_FUZZ_SEED, 0x5eed_1e57);
const LIMITS = DEFAULT_INGEST_LIMITS;
const MiB = 1024 * 1024;

/** The body-level codes and statuses the README documents (the contract, not the product's own table). */
const DOCUMENTED_STATUS: Readonly<Record<string, number>> = {
  invalid_json: 400,
  bad_batch_shape: 400,
  invalid_encoding: 400,
  decompress_failed: 400,
  unknown_format: 400,
  format_mismatch: 400,
  empty_batch: 400,
  batch_too_large: 413,
  too_many_records: 413,
  unsupported_media_type: 415,
};

/** Per-case deadlines: generous for CI noise, far below anything that would mean "hangs". */
const SMALL_CASE_DEADLINE_MS = 2_000;
const LARGE_CASE_DEADLINE_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Seeded PRNG

function familyRng(family: string): SeededRng {
  let hash = 0x811c9dc5;
  for (const char of family) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return new SeededRng((SEED ^ hash) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Running one case and checking the universal properties

interface Case {
  readonly name: string;
  readonly body: Buffer;
  readonly contentEncoding?: string;
  /** Defaults to the body's length when `sendLength` is true. */
  readonly contentLength?: string;
  readonly sendLength?: boolean;
  /** Chunk sizes the body is streamed in; one chunk when absent. */
  readonly chunkSizes?: readonly number[];
  readonly format?: IngressFormat;
  readonly limits?: IngestLimits;
  readonly deadlineMs?: number;
}

type Outcome =
  | { readonly ok: true; readonly batch: ParsedBatch; readonly bodyBytes: number; readonly elapsedMs: number }
  | { readonly ok: false; readonly error: IngestError; readonly elapsedMs: number };

class PropertyFailure extends Error {}

class Context {
  constructor(
    readonly family: string,
    readonly index: number,
    readonly testCase: Case,
  ) {}

  fail(message: string): never {
    const { testCase } = this;
    throw new PropertyFailure(
      `[ingest fuzz seed=${SEED} (INGEST_FUZZ_SEED=${SEED}) family="${this.family}" case=#${this.index} "${testCase.name}"] ${message}\n` +
        `  input: ${testCase.body.length} bytes, content-encoding=${JSON.stringify(testCase.contentEncoding)}, ` +
        `content-length=${JSON.stringify(contentLengthOf(testCase))}, chunks=${testCase.chunkSizes?.length ?? 1}\n` +
        `  head: ${preview(testCase.body.subarray(0, 160))}\n` +
        `  tail: ${preview(testCase.body.subarray(Math.max(0, testCase.body.length - 80)))}`,
    );
  }
}

function preview(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1')).replace(/[\u0080-\u00ff]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function contentLengthOf(testCase: Case): string | undefined {
  if (testCase.contentLength !== undefined) return testCase.contentLength;
  return testCase.sendLength ? String(testCase.body.length) : undefined;
}

function chunksOf(body: Buffer, sizes: readonly number[] | undefined): Buffer[] {
  if (!sizes || sizes.length === 0) return [body];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= body.length) break;
    chunks.push(body.subarray(offset, offset + size));
    offset += size;
  }
  if (offset < body.length) chunks.push(body.subarray(offset));
  return chunks;
}

function randomChunkSizes(rng: SeededRng, length: number): number[] | undefined {
  if (length < 2 || rng.bool(0.5)) return undefined;
  const sizes: number[] = [];
  let covered = 0;
  const typical = Math.max(1, Math.floor(length / rng.int(2, 12)));
  while (covered < length) {
    const size = rng.bool(0.1) ? 1 : rng.int(1, typical);
    sizes.push(size);
    covered += size;
  }
  return sizes;
}

class DeadlineExceeded extends Error {}

async function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`did not settle within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runCase(context: Context): Promise<Outcome> {
  const { testCase } = context;
  const limits = testCase.limits ?? LIMITS;
  const deadlineMs = testCase.deadlineMs ?? (testCase.body.length > 256 * 1024 ? LARGE_CASE_DEADLINE_MS : SMALL_CASE_DEADLINE_MS);
  const format = testCase.format ?? 'flows.v1';
  const started = performance.now();
  let bodyBytes = -1;
  let outcome: Outcome;
  try {
    const batch = await withDeadline(
      (async () => {
        const body = await readBody(
          Readable.from(chunksOf(testCase.body, testCase.chunkSizes)),
          { contentLength: contentLengthOf(testCase), contentEncoding: testCase.contentEncoding },
          limits,
        );
        bodyBytes = body.length;
        return parseBatch(body, format, limits);
      })(),
      deadlineMs,
    );
    outcome = { ok: true, batch, bodyBytes, elapsedMs: performance.now() - started };
  } catch (error) {
    if (error instanceof DeadlineExceeded) context.fail(`hangs: ${error.message}`);
    if (!(error instanceof IngestError)) {
      const description = error instanceof Error ? `${error.constructor.name}: ${error.message}` : `non-error ${JSON.stringify(error)}`;
      context.fail(`threw something other than an IngestError: ${description}`);
    }
    outcome = { ok: false, error, elapsedMs: performance.now() - started };
  }
  if (bodyBytes > limits.maxInflatedBytes) context.fail(`readBody returned ${bodyBytes} bytes, over the inflated cap ${limits.maxInflatedBytes}`);
  if (outcome.elapsedMs > deadlineMs) context.fail(`took ${outcome.elapsedMs.toFixed(0)} ms, over the per-case deadline of ${deadlineMs} ms`);
  checkUniversal(context, outcome, limits, format);
  return outcome;
}

function checkUniversal(context: Context, outcome: Outcome, limits: IngestLimits, format: IngressFormat): void {
  if (outcome.ok) {
    const { batch } = outcome;
    if (!Array.isArray(batch.records)) context.fail(`success without a records array: ${typeof batch.records}`);
    if (batch.records.length < 1) context.fail('success with no records (expected empty_batch)');
    if (batch.records.length > limits.maxRecords) context.fail(`success with ${batch.records.length} records, over the limit ${limits.maxRecords}`);
    if (!(INGRESS_FORMATS as readonly string[]).includes(batch.format)) context.fail(`success with an unknown format ${batch.format}`);
    if (!batch.formatDeclared && batch.format !== format) context.fail(`format changed to ${batch.format} although the body declared none`);
    if (batch.collectorId !== undefined && (typeof batch.collectorId !== 'string' || batch.collectorId.length === 0 || batch.collectorId.length > 128)) {
      context.fail(`success with an invalid collector id ${JSON.stringify(batch.collectorId)}`);
    }
    return;
  }
  const { error } = outcome;
  const expectedStatus = DOCUMENTED_STATUS[error.code];
  if (expectedStatus === undefined) context.fail(`IngestError with an undocumented code "${error.code}"`);
  if (error.code === 'format_mismatch') context.fail('format_mismatch comes from the endpoint, never from the body parsers');
  if (error.status !== expectedStatus || error.status < 400 || error.status > 499) {
    context.fail(`code ${error.code} has status ${error.status}; the README documents ${expectedStatus}`);
  }
  if (typeof error.message !== 'string' || error.message.length === 0) context.fail(`code ${error.code} without a message`);
  if (error.details === null || typeof error.details !== 'object') context.fail(`code ${error.code} without a details object`);
  const details = error.details as Record<string, unknown>;
  switch (error.code) {
    case 'batch_too_large':
      if (details.limit_bytes !== limits.maxBodyBytes && details.limit_bytes !== limits.maxInflatedBytes) {
        context.fail(`batch_too_large with limit_bytes ${JSON.stringify(details.limit_bytes)}`);
      }
      break;
    case 'too_many_records':
      if (details.limit !== limits.maxRecords) context.fail(`too_many_records with limit ${JSON.stringify(details.limit)}`);
      if (typeof details.observed !== 'number' || details.observed <= limits.maxRecords) {
        context.fail(`too_many_records with observed ${JSON.stringify(details.observed)}`);
      }
      break;
    case 'invalid_json':
      if (typeof details.detail !== 'string' || details.detail.length === 0) context.fail('invalid_json without a detail string');
      break;
    case 'unknown_format':
      if (!Array.isArray(details.known_formats) || details.known_formats.length === 0) context.fail('unknown_format without known_formats');
      break;
    default:
      break;
  }
}

type Expectation = { readonly records: number } | { readonly code: IngestError['code'] | readonly IngestError['code'][] };

function expectOutcome(context: Context, outcome: Outcome, expected: Expectation): void {
  if ('records' in expected) {
    if (!outcome.ok) context.fail(`expected ${expected.records} records, got ${outcome.error.code}: ${outcome.error.message}`);
    if (outcome.batch.records.length !== expected.records) context.fail(`expected ${expected.records} records, got ${outcome.batch.records.length}`);
    return;
  }
  const codes = typeof expected.code === 'string' ? [expected.code] : expected.code;
  if (outcome.ok) context.fail(`expected ${codes.join(' | ')}, got success with ${outcome.batch.records.length} records`);
  if (!codes.includes(outcome.error.code)) context.fail(`expected ${codes.join(' | ')}, got ${outcome.error.code}: ${outcome.error.message}`);
}

async function check(family: string, index: number, testCase: Case, expected?: Expectation): Promise<Outcome> {
  const context = new Context(family, index, testCase);
  const outcome = await runCase(context);
  if (expected) expectOutcome(context, outcome, expected);
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Builders

const SAFE_TEXTS = ['tcp', 'udp', 'dns', 'SF', 'S0', 'ShADadFf', 'é', 'ü', '日本', '😀', 'a"b', 'back\\slash', 'tab\there', '', ' '];

function aFlowRecord(rng: SeededRng): Record<string, unknown> {
  const record: Record<string, unknown> = {
    ts: rng.bool() ? 1732288800 + rng.int(0, 100_000) : '2024-11-22T15:20:00Z',
    src_ip: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    dst_ip: rng.bool(0.8) ? `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}` : '2001:db8::1',
    src_port: rng.int(0, 65535),
    dst_port: rng.pick([53, 80, 443, 445, 3389, 0]),
    protocol: rng.pick(['tcp', 'udp', 6, 17]),
    bytes: rng.int(0, 3_000_000),
    packets: rng.int(0, 2_000),
  };
  if (rng.bool(0.3)) record.note = rng.pick(SAFE_TEXTS);
  if (rng.bool(0.2)) record.nested = { a: [1, 2, { b: null }], c: rng.pick(SAFE_TEXTS) };
  return record;
}

function aZeekRecord(rng: SeededRng): Record<string, unknown> {
  return {
    ts: 1732288800 + rng.int(0, 100_000) / 1000,
    uid: `C${rng.int(100_000, 999_999)}`,
    'id.orig_h': `10.0.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    'id.orig_p': rng.int(1024, 65535),
    'id.resp_h': `8.8.${rng.int(0, 8)}.8`,
    'id.resp_p': rng.pick([53, 443, 3389]),
    proto: rng.pick(['tcp', 'udp']),
    service: rng.pick(SAFE_TEXTS),
    orig_bytes: rng.int(0, 5_000_000),
  };
}

function records(rng: SeededRng, count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, () => (rng.bool(0.7) ? aFlowRecord(rng) : aZeekRecord(rng)));
}

function anEnvelope(rng: SeededRng, items: unknown[]): Record<string, unknown> {
  const envelope: Record<string, unknown> = { collector_id: `edge-${rng.int(1, 99)}`, records: items };
  if (rng.bool(0.5)) envelope[rng.bool() ? 'format' : 'type'] = rng.pick(['flows.v1', 'netflow', 'ipfix', 'zeek', 'zeek.conn', 'zeek.conn.v1', ' NetFlow ']);
  return envelope;
}

function ndjson(items: readonly unknown[], separator = '\n', trailing = true): string {
  return items.map((item) => JSON.stringify(item)).join(separator) + (trailing ? separator : '');
}

const gzip = (text: string | Buffer, level = 6): Buffer => zlib.gzipSync(typeof text === 'string' ? Buffer.from(text) : text, { level });

// ---------------------------------------------------------------------------------------------

describe(`readBody + parseBatch properties (seed ${SEED}; replay with INGEST_FUZZ_SEED)`, () => {
  it('random bytes under random headers and chunking: only documented IngestErrors, never a hang', async () => {
    const family = 'random bytes';
    const rng = familyRng(family);
    const encodings = [undefined, undefined, 'gzip', 'GZIP', ' x-gzip ', 'identity', '', 'br', 'deflate', 'gzip, br', 'compress'];
    for (let index = 0; index < 2_500; index += 1) {
      const length = rng.bool(0.05) ? rng.int(0, 128 * 1024) : rng.int(0, 600);
      const body = rng.bytes(length);
      if (length >= 2 && rng.bool(0.2)) {
        body[0] = 0x1f;
        body[1] = 0x8b;
      }
      if (length >= 1 && rng.bool(0.2)) body[0] = rng.pick([0x5b, 0x7b, 0x20, 0xef]);
      const contentEncoding = rng.pick(encodings);
      const lengthMode = rng.int(0, 4);
      const testCase: Case = {
        name: `${length} random bytes`,
        body,
        contentEncoding,
        sendLength: lengthMode === 0,
        contentLength: lengthMode === 1 ? rng.pick(['abc', '-1', '', '1e3', String(LIMITS.maxBodyBytes + 1), '99999999999999999999']) : undefined,
        chunkSizes: randomChunkSizes(rng, length),
        format: rng.pick(INGRESS_FORMATS),
      };
      const outcome = await check(family, index, testCase);
      const unsupported = contentEncoding !== undefined && !['gzip', 'x-gzip', 'identity', ''].includes(contentEncoding.trim().toLowerCase());
      const declaredTooLarge = testCase.contentLength !== undefined && Number(testCase.contentLength) > LIMITS.maxBodyBytes;
      // Either refusal is right when both apply; the product need not pick a particular one first.
      if (declaredTooLarge && unsupported)
        expectOutcome(new Context(family, index, testCase), outcome, { code: ['batch_too_large', 'unsupported_media_type'] });
      else if (declaredTooLarge) expectOutcome(new Context(family, index, testCase), outcome, { code: 'batch_too_large' });
      else if (unsupported) expectOutcome(new Context(family, index, testCase), outcome, { code: 'unsupported_media_type' });
    }
  });

  it('JSON token soup: outcomes agree with JSON.parse wherever it parses the whole body', async () => {
    const family = 'token soup';
    const rng = familyRng(family);
    const tokens = [
      '[',
      ']',
      '{',
      '}',
      ',',
      ':',
      '"a"',
      '"records"',
      '"format"',
      '"zeek"',
      '"syslog"',
      '"collector_id"',
      '1',
      '-0.5e3',
      'null',
      'true',
      '"\\u00e9"',
      '"\\ud83d"',
      ' ',
      '\n',
      '\r\n',
      '\t',
      '{"src_ip":"10.0.0.1"}',
      '[]',
      '{}',
      '"',
      '\\',
      '\u00a0',
      '\ufeff',
    ];
    for (let index = 0; index < 3_000; index += 1) {
      const text = Array.from({ length: rng.int(1, 40) }, () => rng.pick(tokens)).join('');
      const format = rng.pick(INGRESS_FORMATS);
      const testCase: Case = { name: 'token soup', body: Buffer.from(text), chunkSizes: randomChunkSizes(rng, text.length), format };
      const context = new Context(family, index, testCase);
      const outcome = await runCase(context);
      const expected = oracle(text);
      if (expected) expectOutcome(context, outcome, expected);
    }
  });

  it('every cut point of valid bodies (array, envelope, pretty object, JSON Lines; plain and gzip)', async () => {
    const family = 'cut points';
    const rng = familyRng(family);
    const items = records(rng, 3);
    const samples: Array<{ name: string; text: string; lines: boolean }> = [
      { name: 'array', text: JSON.stringify(items), lines: false },
      { name: 'pretty array', text: JSON.stringify(items, null, 2), lines: false },
      { name: 'envelope', text: JSON.stringify({ collector_id: 'edge-1', format: 'flows.v1', records: items }), lines: false },
      { name: 'pretty envelope', text: JSON.stringify({ collector_id: 'edge-1', type: 'netflow', records: items }, null, 2), lines: false },
      { name: 'pretty single object', text: JSON.stringify(items[0], null, 2), lines: false },
      { name: 'JSON Lines (LF)', text: ndjson(items, '\n'), lines: true },
      { name: 'JSON Lines (CRLF)', text: ndjson(items, '\r\n'), lines: true },
    ];
    let index = 0;
    for (const sample of samples) {
      const full = Buffer.from(sample.text);
      for (let cut = 0; cut <= full.length; cut += 1) {
        const prefix = full.subarray(0, cut);
        const text = prefix.toString();
        // A cut inside a multibyte character leaves bytes that are not UTF-8.
        const expected: Expectation = !isUtf8(prefix)
          ? { code: 'invalid_encoding' }
          : sample.lines
            ? linesOracle(text)
            : cut === full.length
              ? { records: sample.name.includes('single') ? 1 : 3 }
              : truncatedDocumentOracle(text);
        await check(family, index++, { name: `${sample.name} cut at ${cut}/${full.length}`, body: prefix, chunkSizes: randomChunkSizes(rng, cut) }, expected);
      }
      const zipped = gzip(full);
      for (let cut = 0; cut <= zipped.length; cut += 1) {
        const prefix = zipped.subarray(0, cut);
        const complete = cut === zipped.length;
        const full1 = sample.lines ? { records: 3 } : { records: sample.name.includes('single') ? 1 : 3 };
        // With the header a truncated stream can only be decompress_failed.
        await check(
          family,
          index++,
          { name: `gzip(${sample.name}) cut at ${cut} with Content-Encoding`, body: prefix, contentEncoding: 'gzip' },
          complete ? full1 : { code: 'decompress_failed' },
        );
        // By magic bytes only: under two bytes it is not recognisably gzip and is refused as a shape.
        const byMagic: Expectation = complete ? full1 : cut < 2 ? { code: 'bad_batch_shape' } : { code: 'decompress_failed' };
        await check(
          family,
          index++,
          { name: `gzip(${sample.name}) cut at ${cut} by magic bytes`, body: prefix, chunkSizes: randomChunkSizes(rng, cut) },
          byMagic,
        );
      }
    }
  });

  it('deep nesting (100k brackets and braces) is parsed or refused with a code, never a RangeError', async () => {
    const family = 'deep nesting';
    const rng = familyRng(family);
    const depth = 100_000;
    const deepArray = '['.repeat(depth) + ']'.repeat(depth);
    const deepObject = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const fixed: Array<[string, string | Buffer, Expectation, string?]> = [
      ['100k nested arrays, closed', deepArray, { records: 1 }],
      ['100k "[" unclosed', '['.repeat(depth), { code: 'invalid_json' }],
      ['5 MiB of "[" unclosed', '['.repeat(LIMITS.maxBodyBytes), { code: 'invalid_json' }],
      ['100k nested objects, closed', deepObject, { records: 1 }],
      ['100k nested objects, unclosed', '{"a":'.repeat(depth), { code: 'invalid_json' }],
      ['100k "{" unclosed', '{'.repeat(depth), { code: 'invalid_json' }],
      ['a record holding 100k nested arrays', `[{"src_ip":"10.0.0.1","deep":${deepArray}}]`, { records: 1 }],
      ['an envelope holding 100k nested objects', `{"format":"netflow","records":[${deepObject},{}]}`, { records: 2 }],
      ['JSON Lines of deep records', `${deepObject}\n${deepArray}\n{"a":${deepArray}}\n`, { records: 3 }],
      ['JSON Lines with one deep broken line', `{"a":1}\n${'{"a":'.repeat(depth)}\n`, { code: 'invalid_json' }],
      ['gzip of 100k nested arrays', gzip(deepArray), { records: 1 }],
      ['gzip of 6 MiB of "["', gzip('['.repeat(6 * MiB)), { code: 'batch_too_large' }, 'gzip'],
      ['6 MiB of "[" on the wire', '['.repeat(6 * MiB), { code: 'batch_too_large' }],
    ];
    let index = 0;
    for (const [name, body, expected, contentEncoding] of fixed) {
      await check(family, index++, { name, body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentEncoding, chunkSizes: undefined }, expected);
    }
    const openers = ['[', '{"k":', '[{"k":[', '{"records":'];
    for (let round = 0; round < 60; round += 1) {
      const opener = rng.pick(openers);
      const levels = rng.int(1, 30_000);
      const closer = opener === '[' ? ']' : opener === '{"k":' ? '}' : opener === '[{"k":[' ? ']}]' : '}';
      let text = opener.repeat(levels) + (rng.bool() ? '0' : '[1]') + (rng.bool(0.7) ? closer.repeat(rng.bool(0.8) ? levels : rng.int(0, levels)) : '');
      if (rng.bool(0.3)) {
        const at = rng.int(0, text.length);
        text = text.slice(0, at) + rng.pick([',', ':', '"', '\n', '}', ']', 'x']) + text.slice(at);
      }
      await check(
        family,
        index++,
        {
          name: `random depth ${levels} of ${opener}`,
          body: Buffer.from(text),
          chunkSizes: randomChunkSizes(rng, text.length),
          format: rng.pick(INGRESS_FORMATS),
        },
        oracle(text),
      );
    }
  });

  it('huge strings and the exact byte limits, plain and gzip', async () => {
    const family = 'huge strings';
    const rng = familyRng(family);
    const big = 'x'.repeat(4 * MiB);
    const exactly = (bytes: number): string => {
      const head = '[{"s":"';
      const tail = '"}]';
      return head + 'y'.repeat(bytes - head.length - tail.length) + tail;
    };
    const multibyte = 'é日😀\\u00e9\\n'.repeat(Math.floor((4 * MiB) / 16));
    const cases: Array<[string, Buffer, Omit<Case, 'name' | 'body'>, Expectation]> = [
      ['a 4 MiB string', Buffer.from(`[{"s":"${big}"}]`), {}, { records: 1 }],
      ['a 4 MiB string, sent with Content-Length', Buffer.from(`[{"s":"${big}"}]`), { sendLength: true }, { records: 1 }],
      ['a 4 MiB string in 4 KiB chunks', Buffer.from(`[{"s":"${big}"}]`), { chunkSizes: new Array(1100).fill(4096) }, { records: 1 }],
      ['a 4 MiB unterminated string', Buffer.from(`[{"s":"${big}`), {}, { code: 'invalid_json' }],
      ['a 4 MiB unterminated string as a JSON line', Buffer.from(`{"s":"${big}`), {}, { code: 'invalid_json' }],
      ['a 4 MiB string key', Buffer.from(`{"${big}":1}`), {}, { records: 1 }],
      ['a ~4 MiB string of multibyte characters and escapes', Buffer.from(`{"s":"${multibyte}"}`), {}, { records: 1 }],
      ['exactly the wire limit', Buffer.from(exactly(LIMITS.maxBodyBytes)), { sendLength: true }, { records: 1 }],
      ['exactly the wire limit, streamed', Buffer.from(exactly(LIMITS.maxBodyBytes)), { chunkSizes: new Array(100).fill(64 * 1024) }, { records: 1 }],
      ['one byte over the wire limit, declared', Buffer.from(exactly(LIMITS.maxBodyBytes + 1)), { sendLength: true }, { code: 'batch_too_large' }],
      [
        'one byte over the wire limit, streamed',
        Buffer.from(exactly(LIMITS.maxBodyBytes + 1)),
        { chunkSizes: new Array(100).fill(64 * 1024) },
        { code: 'batch_too_large' },
      ],
      ['a 6 MiB string', Buffer.from(`[{"s":"${'z'.repeat(6 * MiB)}"}]`), {}, { code: 'batch_too_large' }],
      ['gzip inflating to exactly the cap', gzip(exactly(LIMITS.maxInflatedBytes)), { contentEncoding: 'gzip' }, { records: 1 }],
      ['gzip inflating to the cap + 1', gzip(exactly(LIMITS.maxInflatedBytes + 1)), { contentEncoding: 'gzip' }, { code: 'batch_too_large' }],
      ['gzip (magic bytes) inflating to the cap + 1', gzip(exactly(LIMITS.maxInflatedBytes + 1)), {}, { code: 'batch_too_large' }],
      ['gzip of incompressible 6 MiB', gzip(rng.bytes(6 * MiB), 1), { contentEncoding: 'gzip' }, { code: 'batch_too_large' }],
    ];
    let index = 0;
    for (const [name, body, options, expected] of cases) {
      const outcome = await check(family, index++, { name, body, ...options }, expected);
      if (!outcome.ok && outcome.error.code === 'batch_too_large') {
        const inflated = name.startsWith('gzip inflating') || name.startsWith('gzip (magic');
        expect(outcome.error.details).toMatchObject({ limit_bytes: inflated ? LIMITS.maxInflatedBytes : LIMITS.maxBodyBytes });
      }
    }
  });

  it('bad UTF-8 anywhere (overlong, surrogates, lone continuation, truncated, out of range) is invalid_encoding, plain or gzipped', async () => {
    const family = 'bad utf-8';
    const rng = familyRng(family);
    const badSequences: number[][] = [
      [0xc0, 0x80], // overlong NUL
      [0xc1, 0xbf], // overlong
      [0xe0, 0x80, 0x80], // overlong 3-byte
      [0xe0, 0x9f, 0xbf],
      [0xf0, 0x80, 0x80, 0x80], // overlong 4-byte
      [0xf0, 0x8f, 0xbf, 0xbf],
      [0xed, 0xa0, 0x80], // lone high surrogate U+D800
      [0xed, 0xbf, 0xbf], // lone low surrogate U+DFFF
      [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], // CESU-8 surrogate pair
      [0x80], // lone continuation bytes
      [0xbf],
      [0x80, 0x80, 0x80],
      [0xe2, 0x82], // truncated 3-byte sequence
      [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
      [0xc2], // lead byte without continuation
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xf5, 0x80, 0x80, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
      [0xfe],
      [0xff],
      [0xff, 0xfe], // a UTF-16 BOM
    ];
    const validSequences = ['é', 'ß', '€', '日本語', '😀', '\u{10ffff}', '\u2028'];
    let index = 0;
    for (let round = 0; round < 800; round += 1) {
      const items = records(rng, rng.int(1, 4));
      const text = rng.pick([JSON.stringify(items), ndjson(items), JSON.stringify(anEnvelope(rng, items), null, rng.bool() ? 2 : 0)]);
      const valid = Buffer.from(text);
      const bad = Buffer.from(rng.pick(badSequences));
      const at = rng.int(1, valid.length);
      const body = Buffer.concat([valid.subarray(0, at), bad, valid.subarray(at)]);
      await check(
        family,
        index++,
        { name: `${bad.toString('hex')} at ${at}`, body, chunkSizes: randomChunkSizes(rng, body.length) },
        { code: 'invalid_encoding' },
      );
      await check(
        family,
        index++,
        { name: `gzip of ${bad.toString('hex')} at ${at}`, body: gzip(body), contentEncoding: rng.pick(['gzip', undefined]) },
        { code: 'invalid_encoding' },
      );
      if (round % 4 === 0) {
        // Control: the same place, valid multibyte UTF-8 inside a string value, parses.
        const marker = /"note": ?"/.exec(text);
        if (marker) {
          const insert = marker.index + marker[0].length;
          const good = text.slice(0, insert) + rng.pick(validSequences) + text.slice(insert);
          const expected = oracle(good);
          await check(family, index++, { name: 'valid multibyte control', body: Buffer.from(good) }, expected);
        }
      }
    }
  });

  it('random corruption of valid gzip: decompress_failed unless only ignorable header bytes changed', async () => {
    const family = 'gzip corruption';
    const rng = familyRng(family);
    let index = 0;
    for (let round = 0; round < 1_500; round += 1) {
      const items = records(rng, rng.int(1, 6));
      const lines = rng.bool();
      const text = lines ? ndjson(items, rng.pick(['\n', '\r\n'])) : JSON.stringify(items);
      let zipped = gzip(text, rng.int(1, 9));
      const firstMember = zipped.length;
      // JSON Lines may come as several gzip members (one per flush of a streaming exporter).
      if (lines && rng.bool(0.2)) zipped = Buffer.concat([zipped, gzip(ndjson(records(rng, rng.int(1, 3))))]);
      const corrupted = Buffer.from(zipped);
      const flips = rng.int(1, 4);
      const positions: number[] = [];
      for (let flip = 0; flip < flips; flip += 1) {
        const position = rng.bool(0.2) ? rng.int(0, 9) : rng.int(0, corrupted.length - 1);
        positions.push(position);
        corrupted[position] ^= rng.int(1, 255);
      }
      const changed = positions.filter((position) => corrupted[position] !== zipped[position]);
      const byHeader = rng.bool();
      const testCase: Case = {
        name: `flipped bytes at ${positions.join(',')} of ${zipped.length}`,
        body: corrupted,
        contentEncoding: byHeader ? 'gzip' : undefined,
        chunkSizes: randomChunkSizes(rng, corrupted.length),
      };
      const outcome = await check(family, index++, testCase);
      const context = new Context(family, index - 1, testCase);
      // Offsets within a member: 0-1 magic, 2 CM, 3 FLG, 4-9 MTIME/XFL/OS (informational), then
      // deflate data, CRC-32 and ISIZE (the last 8 bytes). The last deflate byte may end in padding
      // bits nobody reads, so a change there proves nothing either way.
      const memberOf = (position: number) =>
        position >= firstMember ? { start: firstMember, length: zipped.length - firstMember } : { start: 0, length: firstMember };
      const offsetInMember = (position: number) => position - memberOf(position).start;
      const informational = (position: number) => offsetInMember(position) >= 4 && offsetInMember(position) <= 9;
      const payload = (position: number) => offsetInMember(position) >= 10 && offsetInMember(position) !== memberOf(position).length - 9;
      if (changed.length > 0 && changed.every(informational)) {
        // Changing only MTIME/XFL/OS leaves the same stream: the same records come out.
        expectOutcome(context, outcome, oracle(zlib.gunzipSync(zipped).toString()) ?? { records: items.length });
      } else if (changed.some(payload) && changed.every((position) => position >= 2)) {
        // Deflate data, CRC-32 or ISIZE changed with the first magic intact: zlib must notice.
        expectOutcome(context, outcome, { code: ['decompress_failed', 'batch_too_large'] });
      }
    }
  });

  it('gzip bombs are refused at the inflated cap with batch_too_large, whether named by header or magic bytes', async () => {
    const family = 'gzip bombs';
    const rng = familyRng(family);
    const fiftyMiBOfSpaces = gzip(Buffer.alloc(50 * MiB, 0x20), 9);
    const fiftyMiBOfBrackets = gzip(Buffer.alloc(50 * MiB, 0x5b), 9);
    const manyMembers = Buffer.concat(Array.from({ length: 60 }, () => gzip(Buffer.alloc(MiB, 0x7b), 9)));
    const validThenBomb = gzip(Buffer.concat([Buffer.from('[{"src_ip":"10.0.0.1"}'), Buffer.alloc(50 * MiB, 0x20), Buffer.from(']')]), 9);
    const bombs: Array<[string, Buffer]> = [
      ['50 MiB of spaces', fiftyMiBOfSpaces],
      ['50 MiB of "["', fiftyMiBOfBrackets],
      ['60 gzip members of 1 MiB each', manyMembers],
      ['a valid array padded to 50 MiB', validThenBomb],
    ];
    let index = 0;
    for (const [name, bomb] of bombs) {
      expect(bomb.length).toBeLessThan(LIMITS.maxBodyBytes);
      for (const contentEncoding of ['gzip', 'x-gzip', undefined]) {
        const outcome = await check(
          family,
          index++,
          {
            name: `${name} (${contentEncoding ?? 'magic bytes'})`,
            body: bomb,
            contentEncoding,
            chunkSizes: randomChunkSizes(rng, bomb.length),
            deadlineMs: 5_000,
          },
          { code: 'batch_too_large' },
        );
        if (!outcome.ok) expect(outcome.error.details).toMatchObject({ limit_bytes: LIMITS.maxInflatedBytes, measured: 'inflated' });
      }
    }
    // gzip inside gzip is inflated once, not twice: the inner stream is binary, not UTF-8 JSON.
    await check(family, index++, { name: 'gzip of a gzip bomb', body: gzip(fiftyMiBOfSpaces), contentEncoding: 'gzip' }, { code: 'invalid_encoding' });
  });

  it('JSON Lines with mixed line endings, blank lines and a BOM count every record', async () => {
    const family = 'line endings';
    const rng = familyRng(family);
    let index = 0;
    for (let round = 0; round < 600; round += 1) {
      const count = rng.int(1, 40);
      const items = records(rng, count);
      let loneCarriageReturn = false;
      let text = rng.bool(0.2) ? '\ufeff' : '';
      if (rng.bool(0.2)) text += rng.pick(['\n', '\r\n', '  \n', '\t\r\n']);
      items.forEach((item, position) => {
        text += JSON.stringify(item);
        if (position < items.length - 1 || rng.bool()) {
          const separator = rng.pick(['\n', '\r\n', '\n', '\r\n', '\n\n', '\r\n\r\n', '\n \t\n', rng.bool(0.1) ? '\r' : '\n']);
          if (separator === '\r' && position < items.length - 1) loneCarriageReturn = true;
          text += separator;
        }
      });
      const body = Buffer.from(text);
      const format = rng.pick(INGRESS_FORMATS);
      const expected: Expectation = loneCarriageReturn ? { code: 'invalid_json' } : { records: count };
      const outcome = await check(
        family,
        index++,
        { name: `${count} JSON lines`, body, chunkSizes: randomChunkSizes(rng, body.length), format },
        loneCarriageReturn ? undefined : expected,
      );
      if (loneCarriageReturn && outcome.ok && outcome.batch.records.length !== count) {
        new Context(family, index - 1, { name: 'lone CR', body }).fail(
          `a lone CR separator gave ${outcome.batch.records.length} records instead of ${count} or invalid_json`,
        );
      }
    }
    // Pretty-printed documents with CRLF and mixed endings are one document, not lines.
    const pretty = JSON.stringify(records(rng, 2), null, 2);
    await check(family, index++, { name: 'pretty array with CRLF', body: Buffer.from(pretty.replace(/\n/g, '\r\n')) }, { records: 2 });
    const prettyObject = JSON.stringify(aFlowRecord(rng), null, 4);
    await check(
      family,
      index++,
      {
        name: 'pretty object with mixed endings',
        body: Buffer.from(
          prettyObject
            .split('\n')
            .map((line, position) => line + (position % 2 ? '\r\n' : '\n'))
            .join(''),
        ),
      },
      { records: 1 },
    );
  });

  it('the record limit holds for arrays, envelopes and JSON Lines, with the observed count', async () => {
    const family = 'record limit';
    let index = 0;
    const record = '{"src_ip":"10.0.0.1","dst_ip":"10.0.0.2","ts":1}';
    for (const count of [1, LIMITS.maxRecords - 1, LIMITS.maxRecords, LIMITS.maxRecords + 1, 25_000]) {
      const items = new Array<string>(count).fill(record);
      const bodies: Array<[string, string]> = [
        ['array', `[${items.join(',')}]`],
        ['envelope', `{"collector_id":"c","format":"netflow","records":[${items.join(',')}]}`],
        ['JSON Lines', `${items.join('\n')}\n`],
      ];
      for (const [shape, text] of bodies) {
        const expected: Expectation = count > LIMITS.maxRecords ? { code: 'too_many_records' } : { records: count };
        const outcome = await check(family, index++, { name: `${shape} of ${count}`, body: Buffer.from(text) }, expected);
        if (!outcome.ok) expect(outcome.error.details).toMatchObject({ limit: LIMITS.maxRecords, observed: count });
      }
    }
    // The most records 5 MiB can hold: refused quickly, with the count.
    const tiny = `${'{}\n'.repeat(Math.floor((LIMITS.maxBodyBytes - 1) / 3))}`;
    const outcome = await check(family, index++, { name: '5 MiB of "{}" lines', body: Buffer.from(tiny) }, { code: 'too_many_records' });
    if (!outcome.ok) expect(outcome.error.details).toMatchObject({ observed: Math.floor((LIMITS.maxBodyBytes - 1) / 3) });
    const zeros = `[${'0,'.repeat(Math.floor(LIMITS.maxBodyBytes / 2) - 2)}0]`;
    await check(family, index++, { name: '5 MiB array of zeros', body: Buffer.from(zeros) }, { code: 'too_many_records' });
  });

  it('a chunked body over the limit is refused without being read whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const totalChunks = 1024; // 64 MiB on offer
    let pulled = 0;
    const stream = Readable.from(
      (function* () {
        for (let index = 0; index < totalChunks; index += 1) {
          pulled += chunk.length;
          yield chunk;
        }
      })(),
    );
    const started = performance.now();
    const error = await readBody(stream, {}, LIMITS).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const elapsedMs = performance.now() - started;
    const pulledAtRefusal = pulled;
    stream.destroy();
    expect(error).toBeInstanceOf(IngestError);
    expect(error).toMatchObject({ code: 'batch_too_large', status: 413 });
    expect((error as IngestError).details).toMatchObject({ limit_bytes: LIMITS.maxBodyBytes, actual_is_lower_bound: true });
    // Stopped near the limit: a few read-ahead chunks past it at most, not the 64 MiB offered.
    expect(pulledAtRefusal).toBeLessThanOrEqual(LIMITS.maxBodyBytes + 32 * chunk.length);
    expect(elapsedMs).toBeLessThan(LARGE_CASE_DEADLINE_MS);

    // Declared too large: refused before the body is read at all.
    let declaredPulled = 0;
    const declared = Readable.from(
      (function* () {
        for (let index = 0; index < totalChunks; index += 1) {
          declaredPulled += chunk.length;
          yield chunk;
        }
      })(),
    );
    const declaredError = await readBody(declared, { contentLength: String(totalChunks * chunk.length) }, LIMITS).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const declaredPulledAtRefusal = declaredPulled;
    declared.destroy();
    expect(declaredError).toMatchObject({ code: 'batch_too_large', details: { limit_bytes: LIMITS.maxBodyBytes, actual_bytes: totalChunks * chunk.length } });
    expect(declaredPulledAtRefusal).toBeLessThan(LIMITS.maxBodyBytes);
  });

  it('chunking does not change the outcome', async () => {
    const family = 'chunking invariance';
    const rng = familyRng(family);
    for (let index = 0; index < 500; index += 1) {
      const items = records(rng, rng.int(1, 8));
      let body: Buffer = Buffer.from(
        rng.pick([JSON.stringify(items), ndjson(items, rng.pick(['\n', '\r\n'])), JSON.stringify(anEnvelope(rng, items), null, 2)]),
      );
      if (rng.bool(0.3)) body = body.subarray(0, rng.int(0, body.length));
      if (rng.bool(0.3)) body = gzip(body);
      const whole = await check(family, index, { name: 'one chunk', body });
      const split = await check(family, index, { name: 'random chunks', body, chunkSizes: randomChunkSizes(rng, body.length) ?? [1] });
      const summary = (outcome: Outcome) => (outcome.ok ? `${outcome.batch.records.length} records as ${outcome.batch.format}` : outcome.error.code);
      if (summary(whole) !== summary(split))
        new Context(family, index, { name: 'chunking', body }).fail(`one chunk gave ${summary(whole)}, random chunks gave ${summary(split)}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Oracles

/**
 * The outcome a body must have when JSON.parse can judge it as one document (undefined when it
 * cannot: JSON Lines, or shapes whose envelope rules this oracle does not model).
 */
function oracle(text: string): Expectation | undefined {
  // One leading BOM is the UTF-8 signature; JSON whitespace and further BOMs may precede the body.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const first = body.replace(LEADING, '')[0];
  if (first === undefined || (first !== '[' && first !== '{')) return { code: 'bad_batch_shape' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not one document: an array is broken JSON, an object start may be JSON Lines.
    return first === '[' ? { code: 'invalid_json' } : linesOracle(body);
  }
  if (Array.isArray(parsed)) return countExpectation(parsed.length);
  if (!('records' in (parsed as object))) return { records: 1 };
  const envelope = parsed as Record<string, unknown>;
  if (!Array.isArray(envelope.records)) return { code: 'bad_batch_shape' };
  return undefined;
}

const LEADING = /^[ \t\n\r\ufeff]+/;

/** JSON Lines (a body whose first non-space character is "{"): each non-blank line is one JSON value. */
function linesOracle(text: string): Expectation {
  let count = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      JSON.parse(trimmed);
    } catch {
      return { code: 'invalid_json' };
    }
    count += 1;
  }
  return count === 0 ? { code: 'bad_batch_shape' } : countExpectation(count);
}

/** A strict prefix of one JSON document (array, envelope, pretty object). */
function truncatedDocumentOracle(text: string): Expectation {
  if (text.trim() === '') return { code: 'bad_batch_shape' };
  const first = text.trim()[0];
  if (first !== '[' && first !== '{') return { code: 'bad_batch_shape' };
  return { code: 'invalid_json' };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function countExpectation(count: number): Expectation {
  if (count === 0) return { code: 'empty_batch' };
  if (count > LIMITS.maxRecords) return { code: 'too_many_records' };
  return { records: count };
}
