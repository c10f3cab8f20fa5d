import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { IngestError } from './ingest-error';
import { IngestLimits } from './ingest-limits';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Reads a request body under the byte limit whether it comes with Content-Length or chunked, and
 * inflates gzip (by Content-Encoding or by its magic bytes) under the inflated-size cap. The limit
 * is checked while reading, so an oversized body is refused without buffering it whole; a body that
 * pauses longer than `limits.bodyIdleTimeoutMs` is refused with `request_timeout`. On either, the
 * stream is left paused with the rest unread: the caller discards it or closes the connection.
 */
export async function readBody(stream: Readable, headers: { contentLength?: string; contentEncoding?: string }, limits: IngestLimits): Promise<Buffer> {
  const declared = headers.contentLength !== undefined ? Number(headers.contentLength) : undefined;
  const encoding = (headers.contentEncoding ?? 'identity').trim().toLowerCase();
  if (declared !== undefined && Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    stream.resume();
    throw tooLarge(limits.maxBodyBytes, declared, encoding);
  }
  if (!['identity', 'gzip', 'x-gzip', ''].includes(encoding)) {
    stream.resume();
    throw new IngestError('unsupported_media_type', `Content-Encoding "${encoding}" is not supported; use gzip or identity`, {
      content_encoding: encoding,
      supported: ['identity', 'gzip'],
    });
  }
  const { chunks, received } = await readChunks(stream, limits, encoding);
  const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip' || (raw.length >= 2 && raw[0] === GZIP_MAGIC_0 && raw[1] === GZIP_MAGIC_1);
  return gzipped ? inflate(raw, limits) : raw;
}

/**
 * Collects the body chunk by chunk under the wire limit and the idle limit. It listens to the
 * stream's events rather than iterating it: an async iterator cannot be left while its next chunk
 * is pending (a stalled body), and leaving it destroys the stream.
 */
function readChunks(stream: Readable, limits: IngestLimits, encoding: string): Promise<{ chunks: Buffer[]; received: number }> {
  if (stream.readableEnded) return Promise.resolve({ chunks: [], received: 0 });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const idleMs = limits.bodyIdleTimeoutMs;
    const settle = (error: Error | undefined) => {
      if (idleTimer) clearTimeout(idleTimer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve({ chunks, received });
    };
    const armIdleTimer = () => {
      if (idleMs === undefined) return;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        // Nothing half-read goes on: the caller answers 408 (Connection: close) and publishes nothing.
        stream.pause();
        settle(
          new IngestError('request_timeout', `No body bytes arrived for ${idleMs} ms after ${received} bytes; send the body without pausing`, {
            idle_timeout_ms: idleMs,
            received_bytes: received,
          }),
        );
      }, idleMs);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      received += buffer.length;
      if (received > limits.maxBodyBytes) {
        // Stop pulling: nothing more is buffered or read here. An HTTP adapter discards the rest
        // (resume) rather than destroying the socket, so the client receives the 413.
        stream.pause();
        settle(tooLarge(limits.maxBodyBytes, received, encoding, true));
        return;
      }
      chunks.push(buffer);
      armIdleTimer();
    };
    const onEnd = () => settle(undefined);
    const onError = (error: Error) => settle(error);
    // Closed before its end (the client went away): there is no complete body and no one to answer.
    const onClose = () => settle(new Error(`the request closed after ${received} body bytes, before its end`));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    armIdleTimer();
  });
}

function inflate(raw: Buffer, limits: IngestLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxOutputLength makes zlib stop as soon as the cap is passed, so a bomb never inflates whole.
    zlib.gunzip(raw, { maxOutputLength: limits.maxInflatedBytes + 1 }, (error, result) => {
      if (error) {
        if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          reject(
            new IngestError('batch_too_large', `Inflated body exceeds ${limits.maxInflatedBytes} bytes`, {
              limit_bytes: limits.maxInflatedBytes,
              content_encoding: 'gzip',
              measured: 'inflated',
            }),
          );
          return;
        }
        reject(new IngestError('decompress_failed', `Body is not valid gzip: ${error.message}`, { content_encoding: 'gzip' }));
        return;
      }
      if (result.length > limits.maxInflatedBytes) {
        reject(
          new IngestError('batch_too_large', `Inflated body exceeds ${limits.maxInflatedBytes} bytes`, {
            limit_bytes: limits.maxInflatedBytes,
            actual_bytes: result.length,
            content_encoding: 'gzip',
            measured: 'inflated',
          }),
        );
        return;
      }
      resolve(result);
    });
  });
}

function tooLarge(limit: number, actual: number, encoding: string, atLeast = false): IngestError {
  return new IngestError('batch_too_large', `Body exceeds ${limit} bytes`, {
    limit_bytes: limit,
    actual_bytes: actual,
    ...(atLeast ? { actual_is_lower_bound: true } : {}),
    content_encoding: encoding || 'identity',
  });
}
