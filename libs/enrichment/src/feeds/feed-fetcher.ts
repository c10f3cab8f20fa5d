import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

/** Where a feed lives: exactly one of an `http:`/`https:` URL or a local file path. */
export interface FeedLocation {
  readonly url?: string;
  readonly path?: string;
}

/** What the previous fetch answered, sent back so an unchanged feed is not downloaded again. */
export interface FeedValidators {
  readonly etag?: string;
  /** An HTTP date (`Wed, 02 Dec 2026 10:00:00 GMT`). */
  readonly lastModified?: string;
}

export interface FetchFeedOptions {
  /** For the whole fetch, redirects and body included; 30 000 by default. */
  readonly timeoutMs?: number;
  /** The most body bytes kept, counted after decompression; 64 MiB by default. */
  readonly maxBytes?: number;
  /** Aborting it rejects the fetch with the signal's reason, untranslated (the caller asked for it). */
  readonly signal?: AbortSignal;
  /** Extra request headers (an API key…). Dropped when a redirect leaves the origin if they are credentials. */
  readonly headers?: Record<string, string>;
  /**
   * Asked before each request, the first and every redirect's: throw (a {@link FeedFetchError}
   * `blocked_address`) to refuse a host, e.g. one that resolves to a private address.
   */
  readonly checkHost?: (url: URL) => Promise<void>;
}

export type FeedFetchResult =
  | { readonly kind: 'not_modified'; readonly httpStatus?: number }
  | {
      readonly kind: 'fetched';
      readonly text: string;
      /** Body bytes after decompression, before UTF-8 decoding. */
      readonly bytes: number;
      readonly etag?: string;
      readonly lastModified?: string;
      readonly httpStatus?: number;
    };

export type FeedFetchErrorCode = 'http_status' | 'timeout' | 'too_large' | 'unreachable' | 'not_found' | 'unreadable' | 'invalid_location' | 'blocked_address';

/**
 * A feed that could not be fetched. `retriable` says whether trying again later may help: timeouts,
 * unreachable hosts and 408/425/429/5xx answers are; a bad location, a missing or unreadable file, an
 * oversize body and other statuses are not, until someone changes the feed or its registration.
 */
export class FeedFetchError extends Error {
  readonly retriable: boolean;
  readonly httpStatus?: number;

  constructor(
    readonly code: FeedFetchErrorCode,
    message: string,
    options?: { readonly httpStatus?: number; readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeedFetchError';
    this.httpStatus = options?.httpStatus;
    this.retriable = code === 'timeout' || code === 'unreachable' || (code === 'http_status' && isRetriableStatus(options?.httpStatus));
  }
}

export const DEFAULT_FEED_TIMEOUT_MS = 30_000;
export const DEFAULT_FEED_MAX_BYTES = 64 * 1024 * 1024;
/** Redirects followed before giving up; real feeds use one or two (http → https, a CDN). */
export const MAX_FEED_REDIRECTS = 5;

const EXCERPT_BYTES = 200;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * Fetches a feed's text, conditionally: `validators` from the previous fetch make an unchanged feed
 * `not_modified` without downloading it.
 *
 * - `url`: a GET with `If-None-Match` / `If-Modified-Since` from the validators. 304 is
 *   `not_modified`; 2xx is `fetched` with the response's `ETag` and `Last-Modified`; redirects are
 *   followed up to {@link MAX_FEED_REDIRECTS}; any other status is an `http_status` error whose
 *   message has the start of the body.
 * - `path`: a local file. Its `lastModified` is its mtime as an HTTP date and its `etag` a weak tag
 *   of its size and mtime (nanoseconds); it is `not_modified` when the given etag equals the file's,
 *   or, with no etag given, when the given lastModified equals the file's.
 * - The body may be at most `maxBytes` after decompression, checked while it streams in. A body
 *   with `Content-Encoding: gzip` is decoded by `fetch`; a `.gz` URL or path whose bytes start with
 *   the gzip magic is gunzipped here. The text is decoded as UTF-8 with a leading BOM dropped; a
 *   byte sequence that is not UTF-8 becomes U+FFFD (so its line is malformed, not the feed).
 *
 * Throws {@link FeedFetchError}, or the reason of `options.signal` when that aborts.
 */
export async function fetchFeed(location: FeedLocation, validators: FeedValidators, options: FetchFeedOptions = {}): Promise<FeedFetchResult> {
  const target = checkLocation(location);
  options.signal?.throwIfAborted();
  const timeoutMs = options.timeoutMs ?? DEFAULT_FEED_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new FeedFetchError('timeout', `${target.label}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
  const signal = options.signal === undefined ? timeout.signal : AbortSignal.any([timeout.signal, options.signal]);
  try {
    return target.kind === 'url'
      ? await fetchUrl(target.url, validators, {
          maxBytes,
          signal,
          headers: options.headers ?? {},
          ...(options.checkHost ? { checkHost: options.checkHost } : {}),
        })
      : await fetchFile(target.path, validators, { maxBytes, signal });
  } catch (error) {
    // Whatever was in flight when a signal fired reports it in its own words (a cut-off connection,
    // an AbortError); say which signal fired instead. An answer already classified stands.
    const classified = error instanceof FeedFetchError && error.code !== 'unreachable' && error.code !== 'unreadable';
    if (classified && error.code !== 'timeout') throw error;
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout.signal.aborted) throw timeout.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

type Target = { kind: 'url'; url: URL; label: string } | { kind: 'path'; path: string; label: string };

function checkLocation(location: FeedLocation): Target {
  const { url, path } = location;
  if ((url === undefined) === (path === undefined)) throw new FeedFetchError('invalid_location', 'a feed location needs exactly one of url and path');
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') throw new FeedFetchError('invalid_location', 'a feed path must be a non-empty string');
    return { kind: 'path', path, label: path };
  }
  let parsed: URL;
  try {
    parsed = new URL(url as string);
  } catch {
    throw new FeedFetchError('invalid_location', `not a URL: ${JSON.stringify(url)}`);
  }
  if (!isHttp(parsed)) throw new FeedFetchError('invalid_location', `only http: and https: feed URLs are fetched, got ${parsed.protocol}`);
  return { kind: 'url', url: parsed, label: redacted(parsed) };
}

async function fetchUrl(
  url: URL,
  validators: FeedValidators,
  options: { maxBytes: number; signal: AbortSignal; headers: Record<string, string>; checkHost?: (url: URL) => Promise<void> },
): Promise<FeedFetchResult> {
  const headers = new Headers(options.headers);
  if (validators.etag !== undefined) headers.set('if-none-match', validators.etag);
  if (validators.lastModified !== undefined) headers.set('if-modified-since', validators.lastModified);
  let current = url;
  for (let redirects = 0; ; redirects++) {
    let response: Response;
    await options.checkHost?.(current);
    try {
      // Redirects are followed here rather than by fetch, to bound them and to check each target.
      response = await fetch(current, { headers, redirect: 'manual', signal: options.signal });
    } catch (error) {
      throw new FeedFetchError('unreachable', `${redacted(current)}: ${describe(error)}`, { cause: error });
    }
    const location = response.headers.get('location');
    if (isRedirect(response.status) && location !== null) {
      await discard(response);
      if (redirects === MAX_FEED_REDIRECTS) {
        throw new FeedFetchError('http_status', `${redacted(url)}: more than ${MAX_FEED_REDIRECTS} redirects`, { httpStatus: response.status });
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new FeedFetchError('invalid_location', `${redacted(current)}: redirect to an unusable location ${JSON.stringify(location)}`);
      }
      if (!isHttp(next)) throw new FeedFetchError('invalid_location', `${redacted(current)}: redirect to a ${next.protocol} URL`);
      if (next.origin !== current.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      current = next;
      continue;
    }
    if (response.status === 304) {
      await discard(response);
      return { kind: 'not_modified', httpStatus: 304 };
    }
    if (response.status < 200 || response.status > 299) {
      const excerpt = await bodyExcerpt(response);
      throw new FeedFetchError('http_status', `${redacted(current)}: HTTP ${response.status}${excerpt === '' ? '' : `: ${excerpt}`}`, {
        httpStatus: response.status,
      });
    }
    const declared = Number(response.headers.get('content-length'));
    // Refused up front when the length is known. With a Content-Encoding it counts the encoded bytes,
    // not the decoded ones the limit is on, so only the check while streaming applies.
    if (response.headers.get('content-encoding') === null && Number.isFinite(declared) && declared > options.maxBytes) {
      await discard(response);
      throw tooLarge(redacted(current), options.maxBytes);
    }
    const raw = await readBody(response, redacted(current), options.maxBytes);
    const gz = [url, current].some((u) => u.pathname.toLowerCase().endsWith('.gz'));
    const body = gz ? await gunzipIfGzip(raw, redacted(current), options.maxBytes) : raw;
    return {
      kind: 'fetched',
      text: decodeUtf8(body),
      bytes: body.length,
      etag: response.headers.get('etag') ?? undefined,
      lastModified: response.headers.get('last-modified') ?? undefined,
      httpStatus: response.status,
    };
  }
}

async function fetchFile(path: string, validators: FeedValidators, options: { maxBytes: number; signal: AbortSignal }): Promise<FeedFetchResult> {
  let handle: FileHandle;
  try {
    // Non-blocking so that a FIFO is refused as not a regular file instead of waiting for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) throw new FeedFetchError('unreadable', `${path}: not a regular file`);
    const etag = `W/"${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`;
    const lastModified = new Date(Number(stat.mtimeMs)).toUTCString();
    const unchanged = validators.etag !== undefined ? opaqueTag(validators.etag) === opaqueTag(etag) : validators.lastModified === lastModified;
    if (unchanged) return { kind: 'not_modified' };
    if (stat.size > BigInt(options.maxBytes)) throw tooLarge(path, options.maxBytes);
    // Read in chunks rather than trusting the size just read: the file may grow while we read it.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      options.signal.throwIfAborted();
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(FILE_CHUNK_BYTES), 0, FILE_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) throw tooLarge(path, options.maxBytes);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    const raw = Buffer.concat(chunks, total);
    const body = path.toLowerCase().endsWith('.gz') ? await gunzipIfGzip(raw, path, options.maxBytes) : raw;
    return { kind: 'fetched', text: decodeUtf8(body), bytes: body.length, etag, lastModified };
  } catch (error) {
    if (error instanceof FeedFetchError || options.signal.aborted) throw error;
    throw fileError(path, error);
  } finally {
    await handle.close();
  }
}

/** Reads the body, refusing it as soon as it passes `maxBytes` rather than after buffering it all. */
async function readBody(response: Response, label: string, maxBytes: number): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(label, maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FeedFetchError) throw error;
    // A Content-Encoding the server got wrong fails in zlib; anything else is the connection.
    if (isZlibError(error)) throw new FeedFetchError('unreadable', `${label}: the body cannot be decoded: ${describe(error)}`, { cause: error });
    throw new FeedFetchError('unreachable', `${label}: the body was cut off: ${describe(error)}`, { cause: error });
  }
  return Buffer.concat(chunks, total);
}

async function gunzipIfGzip(raw: Buffer, label: string, maxBytes: number): Promise<Buffer> {
  // A server that sends a .gz with Content-Encoding: gzip has had it decoded by fetch already.
  if (raw.length < 2 || raw[0] !== GZIP_MAGIC[0] || raw[1] !== GZIP_MAGIC[1]) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(label, maxBytes);
    throw new FeedFetchError('unreadable', `${label}: not a readable gzip file: ${describe(error)}`, { cause: error });
  }
}

/** The first bytes of an error body, whitespace collapsed, for the error message. */
async function bodyExcerpt(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    // The status is the error; a body that fails to arrive only loses the excerpt.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder('utf-8').decode(Buffer.concat(chunks, total).subarray(0, EXCERPT_BYTES)).replace(/\s+/g, ' ').trim();
  return total > EXCERPT_BYTES ? `${text}…` : text;
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function decodeUtf8(bytes: Uint8Array): string {
  // TextDecoder drops a leading BOM by default.
  return new TextDecoder('utf-8').decode(bytes);
}

function fileError(path: string, error: unknown): FeedFetchError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FeedFetchError('not_found', `${path}: no such file`, { cause: error });
  return new FeedFetchError('unreadable', `${path}: ${describe(error)}`, { cause: error });
}

function tooLarge(label: string, maxBytes: number): FeedFetchError {
  return new FeedFetchError('too_large', `${label}: larger than ${maxBytes} bytes`);
}

function isHttp(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:';
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function isRetriableStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 408 || status === 425 || status === 429 || status >= 500);
}

function isZlibError(error: unknown): boolean {
  // Duck-typed rather than instanceof: undici's errors may come from another realm (a test VM).
  let e: unknown = error;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++, e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) return true;
  }
  return false;
}

/** An entity tag without its weakness marker, for the weak comparison of RFC 9110 §8.8.3.2. */
function opaqueTag(tag: string): string {
  const trimmed = tag.trim();
  return trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed;
}

/** The URL without credentials or query (which may hold an API key), for messages. */
function redacted(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function describe(error: unknown): string {
  const message = (e: unknown): string | undefined => {
    const m = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
    return typeof m === 'string' ? m : undefined;
  };
  const own = message(error) ?? String(error);
  const cause = message(typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined);
  return cause === undefined ? own : `${own}: ${cause}`;
}
