import { PassThrough, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { readBody } from './body-reader';
import { IngestError } from './ingest-error';

const limits = { maxBodyBytes: 1024, maxInflatedBytes: 4096, maxRecords: 10 };

function streamOf(...chunks: Buffer[]): Readable {
  return Readable.from(chunks);
}

async function errorOf(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('expected an IngestError');
}

describe('readBody', () => {
  it('returns a plain body as sent', async () => {
    const body = Buffer.from('[{"a":1}]');
    await expect(readBody(streamOf(body), {}, limits)).resolves.toEqual(body);
  });

  it('inflates gzip named by Content-Encoding', async () => {
    const body = Buffer.from('[{"a":1}]');
    await expect(readBody(streamOf(zlib.gzipSync(body)), { contentEncoding: 'gzip' }, limits)).resolves.toEqual(body);
  });

  it('inflates gzip recognised by its magic bytes when no Content-Encoding is sent', async () => {
    const body = Buffer.from('{"a":1}\n{"a":2}\n');
    await expect(readBody(streamOf(zlib.gzipSync(body)), {}, limits)).resolves.toEqual(body);
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const error = await errorOf(readBody(streamOf(Buffer.alloc(10)), { contentLength: '5000' }, limits));
    expect(error).toMatchObject({ code: 'batch_too_large', status: 413 });
    expect(error.details).toMatchObject({ limit_bytes: 1024, actual_bytes: 5000 });
  });

  it('refuses a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(200, 0x20));
    const error = await errorOf(readBody(streamOf(...chunks), {}, limits));
    expect(error.code).toBe('batch_too_large');
    expect(error.details).toMatchObject({ limit_bytes: 1024, actual_is_lower_bound: true });
  });

  it('stops a gzip bomb at the inflated cap instead of inflating it all', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(limits.maxBodyBytes * 100);
    const error = await errorOf(readBody(streamOf(bomb), { contentEncoding: 'gzip' }, { ...limits, maxBodyBytes: bomb.length + 1 }));
    expect(error).toMatchObject({ code: 'batch_too_large' });
    expect(error.details).toMatchObject({ limit_bytes: 4096, measured: 'inflated' });
  });

  it('refuses a body that claims gzip but is not', async () => {
    const error = await errorOf(readBody(streamOf(Buffer.from('[{"a":1}]')), { contentEncoding: 'gzip' }, limits));
    expect(error).toMatchObject({ code: 'decompress_failed', status: 400 });
  });

  it('refuses truncated gzip', async () => {
    const gz = zlib.gzipSync(Buffer.from('[{"a":1},{"b":2}]'));
    const error = await errorOf(readBody(streamOf(gz.subarray(0, gz.length - 6)), {}, limits));
    expect(error.code).toBe('decompress_failed');
  });

  it('refuses an unsupported Content-Encoding with 415', async () => {
    const error = await errorOf(readBody(streamOf(Buffer.from('x')), { contentEncoding: 'br' }, limits));
    expect(error).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });
});

describe('readBody: the body idle limit', () => {
  /** A body that sends `first`, then nothing, until the test ends it. */
  function stalling(first: Buffer): PassThrough {
    const stream = new PassThrough();
    stream.write(first);
    return stream;
  }

  it('refuses a body that stalls longer than bodyIdleTimeoutMs with request_timeout (408)', async () => {
    const stream = stalling(Buffer.from('[{"ts":1,'));
    const started = Date.now();
    const error = await errorOf(readBody(stream, {}, { ...limits, bodyIdleTimeoutMs: 100 }));
    expect({ code: error.code, status: error.status, details: error.details }).toEqual({
      code: 'request_timeout',
      status: 408,
      details: { idle_timeout_ms: 100, received_bytes: 9 },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    stream.destroy();
  });

  it('takes a body whose chunks come slower than instantly but within the idle limit', async () => {
    const stream = new PassThrough();
    const body = readBody(stream, {}, { ...limits, bodyIdleTimeoutMs: 1_000 });
    const parts = ['[{"a"', ':1},', '{"b":2}]'];
    for (const part of parts) {
      stream.write(part);
      // Each chunk after the previous one was consumed: a paced, not instant, upload.
      await new Promise((resolve) => setImmediate(resolve));
    }
    stream.end();
    await expect(body).resolves.toEqual(Buffer.from(parts.join('')));
  });

  it('answers an already-ended stream with an empty body instead of waiting for an end that has passed', async () => {
    const stream = Readable.from([Buffer.from('x')]);
    for await (const _ of stream) void _;
    await expect(readBody(stream, {}, limits)).resolves.toEqual(Buffer.alloc(0));
  });
});
