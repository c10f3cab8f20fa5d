import { createHash } from 'node:crypto';
import { inspectMmdb, type GeoDatabaseKind, kindOfDatabaseType, type MmdbInfo } from '../geo-database';
import { GeoDownloadError } from '../geo.errors';
import { extractMmdb } from './tar-archive.reader';

export interface MaxmindEditionRequest {
  /** e.g. https://download.maxmind.com/geoip/databases (no trailing slash). */
  readonly baseUrl: string;
  readonly edition: string;
  readonly accountId: string;
  readonly licenseKey: string;
  /** The largest archive, and the largest unpacked database, accepted. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
  /** Archive bytes received so far. */
  readonly onBytes?: (bytes: number) => void;
}

/** A downloaded edition, checksum verified, unpacked and opened: ready to be written. */
export interface DownloadedEdition {
  readonly edition: string;
  readonly kind: GeoDatabaseKind;
  /** The mmdb's bytes. */
  readonly data: Buffer;
  /** SHA-256 of the archive, as MaxMind published it. */
  readonly archiveSha256: string;
  readonly info: MmdbInfo;
}

function editionUrl(request: MaxmindEditionRequest, suffix: 'tar.gz' | 'tar.gz.sha256'): string {
  return `${request.baseUrl}/${encodeURIComponent(request.edition)}/download?suffix=${suffix}`;
}

/**
 * GET with MaxMind's basic auth (account id : license key). MaxMind answers with a redirect to a
 * presigned storage URL; fetch follows it and, the host being another one, does not send the
 * Authorization header there.
 */
async function get(request: MaxmindEditionRequest, suffix: 'tar.gz' | 'tar.gz.sha256'): Promise<Response> {
  const url = editionUrl(request, suffix);
  const authorization = `Basic ${Buffer.from(`${request.accountId}:${request.licenseKey}`).toString('base64')}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization }, redirect: 'follow', signal: request.signal });
  } catch (error) {
    throw new GeoDownloadError('download_failed', `${request.edition}: ${suffix} request failed: ${(error as Error).message}`, true, { cause: error });
  }
  if (response.ok) return response;
  await response.body?.cancel().catch(() => undefined);
  if (response.status === 401 || response.status === 403) {
    throw new GeoDownloadError('maxmind_unauthorized', `MaxMind refused MAXMIND_ACCOUNT_ID/MAXMIND_LICENSE_KEY (HTTP ${response.status})`, false);
  }
  if (response.status === 404 || response.status === 400) {
    throw new GeoDownloadError('edition_not_found', `MaxMind has no edition "${request.edition}" for this account (HTTP ${response.status})`, false);
  }
  throw new GeoDownloadError(
    'download_failed',
    `${request.edition}: ${suffix} answered HTTP ${response.status}`,
    response.status === 429 || response.status >= 500,
  );
}

async function readCapped(request: MaxmindEditionRequest, response: Response): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new GeoDownloadError('download_failed', `${request.edition}: the archive download broke off: ${(error as Error).message}`, true, { cause: error });
    }
    if (chunk.done) break;
    bytes += chunk.value.byteLength;
    if (bytes > request.maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new GeoDownloadError('archive_too_large', `${request.edition}: the archive is larger than ${request.maxBytes} bytes (GEOIP_MAX_BYTES)`, false);
    }
    chunks.push(Buffer.from(chunk.value));
    request.onBytes?.(bytes);
  }
  return Buffer.concat(chunks, bytes);
}

/**
 * Downloads one edition as MaxMind's direct-download API serves it: the `.tar.gz.sha256` beside
 * the `.tar.gz`, the archive checked against it, the `.mmdb` unpacked and opened (so a damaged or
 * unexpected database never reaches the disk). Nothing is written here.
 */
export async function downloadMaxmindEdition(request: MaxmindEditionRequest): Promise<DownloadedEdition> {
  const checksumText = await (await get(request, 'tar.gz.sha256')).text();
  const expected = /\b([0-9a-f]{64})\b/i.exec(checksumText)?.[1]?.toLowerCase();
  if (!expected) throw new GeoDownloadError('checksum_unreadable', `${request.edition}: the .sha256 file holds no SHA-256 digest`, false);
  const archive = await readCapped(request, await get(request, 'tar.gz'));
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== expected) {
    throw new GeoDownloadError('checksum_mismatch', `${request.edition}: the archive's SHA-256 is ${actual}, MaxMind published ${expected}`, true);
  }
  const mmdb = await extractMmdb(archive, request.maxBytes);
  let info: MmdbInfo;
  try {
    info = inspectMmdb(mmdb.data, mmdb.name);
  } catch (error) {
    throw new GeoDownloadError('not_mmdb', `${request.edition}: ${(error as Error).message}`, false, { cause: error });
  }
  const kind = kindOfDatabaseType(info.databaseType);
  if (kind === null) {
    throw new GeoDownloadError(
      'unsupported_database_type',
      `${request.edition}: database type "${info.databaseType}" is neither a City/Country nor an ASN database`,
      false,
    );
  }
  return { edition: request.edition, kind, data: mmdb.data, archiveSha256: actual, info };
}
