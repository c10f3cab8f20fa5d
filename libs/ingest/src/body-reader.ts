import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { IngestError } from './ingest-error';
import { IngestLimits } from './ingest-limits';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Reads a request body under the byte limit whether it comes with Content-Length or chunked, and
 * inflates gzip (by Content-Encoding or by its magic bytes) under the inflated-size cap. The limit
 * is checked while reading, so an oversized body is refused without buffering it whole.
 */
export async function readBody(
  stream: Readable,
  headers: { contentLength?: string; contentEncoding?: string },
  limits: IngestLimits,
): Promise<Buffer> {
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
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    received += buffer.length;
    if (received > limits.maxBodyBytes) {
      // Discard the rest instead of destroying the socket, so the client receives the 413 (the
      // answer says Connection: close). Nothing more is buffered.
      stream.resume();
      throw tooLarge(limits.maxBodyBytes, received, encoding, true);
    }
    chunks.push(buffer);
  }
  const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip' || (raw.length >= 2 && raw[0] === GZIP_MAGIC_0 && raw[1] === GZIP_MAGIC_1);
  return gzipped ? inflate(raw, limits) : raw;
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
