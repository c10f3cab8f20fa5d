import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildTarGz } from '../tar-archive.builder';

/** An edition as MaxMind serves it: the `.tar.gz` and the SHA-256 its `.tar.gz.sha256` publishes. */
export interface MaxmindEditionFixture {
  readonly archive: Buffer;
  readonly sha256: string;
}

/** An edition's archive as MaxMind packs it (`<edition>_<date>/<edition>.mmdb` with the licence texts), and its true checksum. */
export function maxmindEdition(edition: string, mmdb: Buffer, date = '20261128'): MaxmindEditionFixture {
  const archive = buildTarGz([
    { name: `${edition}_${date}/`, data: '', type: '5' },
    { name: `${edition}_${date}/COPYRIGHT.txt`, data: 'Database and Contents Copyright (c) MaxMind, Inc.' },
    { name: `${edition}_${date}/${edition}.mmdb`, data: mmdb },
    { name: `${edition}_${date}/LICENSE.txt`, data: 'licence' },
  ]);
  return { archive, sha256: createHash('sha256').update(archive).digest('hex') };
}

export interface FakeMaxmind {
  /** For MAXMIND_DOWNLOAD_URL. */
  readonly baseUrl: string;
  /** `METHOD /path?query` of every request, in order. */
  readonly requests: string[];
  /** What each edition serves; replace entries to serve new releases. */
  readonly editions: Record<string, MaxmindEditionFixture>;
  close(): Promise<void>;
}

/**
 * A stand-in for download.maxmind.com's direct-download API on a local port:
 * `/geoip/databases/{edition}/download?suffix=tar.gz[.sha256]` behind basic auth
 * (account id : license key); the archive itself is a redirect to a storage path, as MaxMind
 * redirects to presigned storage URLs.
 */
export async function startFakeMaxmind(
  credentials: { accountId: string; licenseKey: string },
  editions: Record<string, MaxmindEditionFixture>,
): Promise<FakeMaxmind> {
  const requests: string[] = [];
  const expected = `Basic ${Buffer.from(`${credentials.accountId}:${credentials.licenseKey}`).toString('base64')}`;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const stored = /^\/storage\/([\w-]+)\.tar\.gz$/.exec(url.pathname);
    if (stored && editions[stored[1]]) {
      response.writeHead(200, { 'content-type': 'application/gzip' }).end(editions[stored[1]].archive);
      return;
    }
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end('Invalid account ID or license key');
      return;
    }
    const match = /^\/geoip\/databases\/([\w-]+)\/download$/.exec(url.pathname);
    const edition = match?.[1];
    const file = edition ? editions[edition] : undefined;
    if (!edition || !file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Database edition not found');
      return;
    }
    const suffix = url.searchParams.get('suffix');
    if (suffix === 'tar.gz.sha256') response.writeHead(200, { 'content-type': 'text/plain' }).end(`${file.sha256}  ${edition}_20261128.tar.gz\n`);
    else if (suffix === 'tar.gz') response.writeHead(302, { location: `/storage/${edition}.tar.gz` }).end();
    else response.writeHead(400, { 'content-type': 'text/plain' }).end('Invalid suffix');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/geoip/databases`,
    requests,
    editions,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
