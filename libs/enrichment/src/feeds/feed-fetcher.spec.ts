import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FEED_FORMATS, type FeedFormat, type FeedParseOptions } from './feed.types';
import { FeedFetchError, fetchFeed, type FeedFetchResult, type FeedLocation, type FetchFeedOptions, type FeedValidators } from './feed-fetcher';
import { parseFeed } from './parse-feed';

// The feed fetcher against a real HTTP peer: node:http on 127.0.0.1, port 0, one route per test.

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface TestServer {
  readonly origin: string;
  route(path: string, handler: Handler): string;
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const server: Server = createServer((request, response) => {
    const handler = routes.get(new URL(request.url ?? '/', 'http://test').pathname);
    if (handler === undefined) response.writeHead(404, { 'content-type': 'text/plain' }).end('no such feed');
    else handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    route(path, handler) {
      routes.set(path, handler);
      return `${origin}${path}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A document as a real server holds it; change the fields to publish a new version. */
interface Document {
  body: Buffer;
  etag?: string;
  lastModified?: string;
  headers?: Record<string, string>;
}

const strongTag = (body: Buffer): string => `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');

/**
 * Serves `doc` honouring conditional requests as RFC 9110 §13.2.2 orders them: If-None-Match (weak
 * comparison, `*`, lists) when present, else If-Modified-Since against Last-Modified.
 */
function serve(doc: Document): Handler {
  return (request, response) => {
    const validators: Record<string, string> = {};
    if (doc.etag !== undefined) validators.etag = doc.etag;
    if (doc.lastModified !== undefined) validators['last-modified'] = doc.lastModified;
    const ifNoneMatch = request.headers['if-none-match'];
    const ifModifiedSince = request.headers['if-modified-since'];
    let notModified = false;
    if (ifNoneMatch !== undefined) {
      notModified = doc.etag !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(doc.etag as string));
    } else if (ifModifiedSince !== undefined && doc.lastModified !== undefined) {
      const since = Date.parse(ifModifiedSince);
      notModified = !Number.isNaN(since) && Date.parse(doc.lastModified) <= since;
    }
    if (notModified) {
      response.writeHead(304, validators).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(doc.body.length), ...validators, ...doc.headers })
      .end(doc.body);
  };
}

const fixturePath = (name: string): string => join(__dirname, 'fixtures', name);
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));

async function fetchError(location: FeedLocation, validators: FeedValidators = {}, options?: FetchFeedOptions): Promise<FeedFetchError> {
  try {
    await fetchFeed(location, validators, options);
  } catch (error) {
    if (error instanceof FeedFetchError) return error;
    throw error;
  }
  throw new Error('expected fetchFeed to fail');
}

function fetchedText(result: FeedFetchResult): string {
  if (result.kind !== 'fetched') throw new Error(`expected fetched, got ${result.kind}`);
  return result.text;
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

interface Golden {
  readonly fixture: string;
  readonly options?: Omit<FeedParseOptions, 'source' | 'categories'>;
  /** `suricata-iprep`: the categories file, fetched from the same server. */
  readonly categoriesFixture?: string;
  readonly indicators: ReadonlyArray<readonly [value: string, category: string, confidence: number]>;
  readonly malformedLines: readonly number[];
  readonly skipped: number;
}

// What each fixture yields, written out: a parser change that alters any of it shows up here.
const GOLDEN: Record<FeedFormat, Golden> = {
  csv: {
    fixture: 'threats.csv',
    indicators: [
      ['45.155.205.233', 'C2', 85],
      ['91.121.0.0/16', 'Malware', 60],
      ['2001:db8:dead::/48', 'Scanner', 50],
    ],
    malformedLines: [7, 8],
    skipped: 3,
  },
  plain: {
    fixture: 'plain.txt',
    indicators: [
      ['203.0.113.7', 'malicious', 50],
      ['198.51.100.0/24', 'malicious', 50],
      ['2001:db8::1', 'malicious', 50],
    ],
    malformedLines: [7, 8, 9, 10],
    skipped: 3,
  },
  firehol: {
    fixture: 'firehol_level1.netset',
    indicators: [
      ['1.10.16.0/20', 'attacks', 50],
      ['2.56.192.0/22', 'attacks', 50],
      ['2a06:e480::/29', 'attacks', 50],
    ],
    malformedLines: [12, 14],
    skipped: 9,
  },
  'spamhaus-drop': {
    fixture: 'drop.txt',
    indicators: [
      ['1.10.16.0/20', 'hijacked', 90],
      ['2.56.192.0/22', 'hijacked', 90],
      ['2001:678:738::/48', 'hijacked', 90],
      ['5.134.128.0/19', 'hijacked', 90],
    ],
    malformedLines: [9, 10],
    skipped: 4,
  },
  'spamhaus-drop-json': {
    fixture: 'drop_v4.json',
    indicators: [
      ['1.10.16.0/20', 'hijacked', 90],
      ['2.56.192.0/22', 'hijacked', 90],
      ['2001:678:738::/48', 'hijacked', 90],
    ],
    malformedLines: [4, 5, 6, 7],
    skipped: 2,
  },
  'feodo-csv': {
    fixture: 'feodo-ipblocklist.csv',
    indicators: [
      ['162.243.103.246', 'botnet_cc', 90],
      ['50.16.216.118', 'botnet_cc', 90],
      ['2001:db8:c2::10', 'botnet_cc', 90],
    ],
    malformedLines: [13, 14, 15],
    skipped: 10,
  },
  'zeek-intel': {
    fixture: 'intel.dat',
    options: { confidence: 70 },
    indicators: [
      ['203.0.113.7', 'malicious', 70],
      ['198.51.100.0/24', 'malicious', 70],
      ['2001:db8::bad', 'malicious', 70],
    ],
    malformedLines: [8, 9, 10, 11],
    skipped: 5,
  },
  'suricata-iprep': {
    fixture: 'iprep.list',
    categoriesFixture: 'iprep-categories.txt',
    indicators: [
      ['1.2.3.4', 'BadHosts', 80],
      ['192.0.2.0/24', 'CnC', 100],
      ['2001:db8::/32', 'Google', 50],
      ['198.51.100.10', 'BadHosts', 0],
    ],
    malformedLines: [5, 6, 7, 8],
    skipped: 1,
  },
  'misp-csv': {
    fixture: 'misp-attributes.csv',
    indicators: [
      ['203.0.113.7', 'network_activity', 50],
      ['2001:db8::7', 'network_activity', 50],
      ['198.51.100.0/24', 'external_analysis', 50],
      ['192.0.2.55', 'malicious', 50],
    ],
    malformedLines: [7, 8, 10],
    skipped: 4,
  },
  stix2: {
    fixture: 'bundle.json',
    indicators: [
      ['198.51.100.1', 'malicious-activity', 85],
      ['2001:db8::/32', 'anomalous-activity', 50],
      ['203.0.113.0/24', 'anomalous-activity', 50],
      ['192.0.2.0/25', 'anomalous-activity', 50],
    ],
    malformedLines: [7, 8, 11, 13],
    skipped: 7,
  },
};

describe('fetchFeed + parseFeed, golden per format over HTTP', () => {
  it('covers every format', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual([...FEED_FORMATS].sort());
  });

  it.each(FEED_FORMATS.map((format) => [format]))('%s', async (format) => {
    const golden = GOLDEN[format];
    const body = fixture(golden.fixture);
    const url = server.route(`/golden/${golden.fixture}`, serve({ body, etag: strongTag(body), lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' }));
    let categories: string | undefined;
    if (golden.categoriesFixture !== undefined) {
      const categoriesUrl = server.route(`/golden/${golden.categoriesFixture}`, serve({ body: fixture(golden.categoriesFixture) }));
      categories = fetchedText(await fetchFeed({ url: categoriesUrl }, {}));
    }

    const fetched = await fetchFeed({ url }, {});

    expect(fetched).toEqual({
      kind: 'fetched',
      text: body.toString('utf8'),
      bytes: body.length,
      etag: strongTag(body),
      lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT',
      httpStatus: 200,
    });
    const parsed = parseFeed(format, fetchedText(fetched), { source: `feed-${format}`, categories, ...golden.options });
    expect(parsed.indicators.map((i) => [i.indicator, i.category, i.confidence])).toEqual(golden.indicators);
    expect(parsed.indicators.every((i) => i.source === `feed-${format}`)).toBe(true);
    expect(parsed.malformed.map((m) => m.line)).toEqual(golden.malformedLines);
    expect(parsed.skipped).toBe(golden.skipped);
  });

  it('bad lines in the middle of a feed are counted, and every good line around them loads', async () => {
    const url = server.route('/damaged.txt', serve({ body: fixture('plain-bad-lines.txt') }));
    const parsed = parseFeed('plain', fetchedText(await fetchFeed({ url }, {})), { source: 'damaged' });
    expect(parsed.indicators.map((i) => i.indicator)).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.4', '2001:db8::4']);
    expect(parsed.malformed.map((m) => m.line)).toEqual([4, 5, 6, 7]);
    expect(parsed.skipped).toBe(1);
  });

  it('bytes that are not UTF-8 spoil their own line only', async () => {
    const body = Buffer.concat([Buffer.from('192.0.2.1\n192.0.2.'), Buffer.from([0xff, 0xfe]), Buffer.from('\n192.0.2.3\n')]);
    const url = server.route('/not-utf8.txt', serve({ body }));
    const parsed = parseFeed('plain', fetchedText(await fetchFeed({ url }, {})), { source: 's' });
    expect(parsed.indicators.map((i) => i.indicator)).toEqual(['192.0.2.1', '192.0.2.3']);
    expect(parsed.malformed).toEqual([{ line: 2, reason: 'invalid IP address or CIDR "192.0.2.\uFFFD\uFFFD"' }]);
  });

  it('drops a UTF-8 byte order mark', async () => {
    const url = server.route('/bom.csv', serve({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ip,category\n192.0.2.1,c2\n')]) }));
    const text = fetchedText(await fetchFeed({ url }, {}));
    expect(text).toBe('ip,category\n192.0.2.1,c2\n');
  });
});

describe('fetchFeed conditional requests', () => {
  it('ETag round trip: the returned etag makes the next fetch 304 not_modified until the feed changes', async () => {
    const doc: Document = { body: Buffer.from('192.0.2.1\n'), etag: '"v1"' };
    const url = server.route('/etag.txt', serve(doc));

    const first = await fetchFeed({ url }, {});
    expect(first).toMatchObject({ kind: 'fetched', etag: '"v1"' });
    const etag = first.kind === 'fetched' ? first.etag : undefined;
    await expect(fetchFeed({ url }, { etag })).resolves.toEqual({ kind: 'not_modified', httpStatus: 304 });

    doc.body = Buffer.from('192.0.2.1\n192.0.2.2\n');
    doc.etag = '"v2"';
    await expect(fetchFeed({ url }, { etag })).resolves.toMatchObject({ kind: 'fetched', text: '192.0.2.1\n192.0.2.2\n', etag: '"v2"' });
  });

  it('a weak ETag matches weakly', async () => {
    const url = server.route('/weak-etag.txt', serve({ body: Buffer.from('192.0.2.1\n'), etag: 'W/"abc"' }));
    await expect(fetchFeed({ url }, { etag: 'W/"abc"' })).resolves.toEqual({ kind: 'not_modified', httpStatus: 304 });
  });

  it('If-Modified-Since round trip against Last-Modified', async () => {
    const doc: Document = { body: Buffer.from('192.0.2.1\n'), lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' };
    const url = server.route('/last-modified.txt', serve(doc));

    const first = await fetchFeed({ url }, {});
    expect(first).toMatchObject({ kind: 'fetched', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' });
    expect(first.kind === 'fetched' && first.etag).toBeUndefined();
    const lastModified = first.kind === 'fetched' ? first.lastModified : undefined;
    await expect(fetchFeed({ url }, { lastModified })).resolves.toEqual({ kind: 'not_modified', httpStatus: 304 });
    await expect(fetchFeed({ url }, { lastModified: 'Mon, 30 Nov 2026 10:00:00 GMT' })).resolves.toMatchObject({ kind: 'fetched' });

    doc.lastModified = 'Wed, 02 Dec 2026 10:00:00 GMT';
    await expect(fetchFeed({ url }, { lastModified })).resolves.toMatchObject({ kind: 'fetched', lastModified: 'Wed, 02 Dec 2026 10:00:00 GMT' });
  });

  it('sends both validators, and a changed ETag wins over an unchanged date', async () => {
    const doc: Document = { body: Buffer.from('192.0.2.1\n'), etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' };
    const url = server.route('/both.txt', serve(doc));
    const validators = { etag: '"v1"', lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT' };
    await expect(fetchFeed({ url }, validators)).resolves.toEqual({ kind: 'not_modified', httpStatus: 304 });
    doc.etag = '"v2"';
    await expect(fetchFeed({ url }, validators)).resolves.toMatchObject({ kind: 'fetched', etag: '"v2"' });
  });
});

describe('fetchFeed HTTP errors and limits', () => {
  it('a 500 is an http_status error with the status and the start of the body, retriable', async () => {
    const url = server.route('/500', (_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`upstream   database\n  down ${'x'.repeat(400)}`);
    });
    const error = await fetchError({ url });
    expect(error).toMatchObject({ code: 'http_status', httpStatus: 500, retriable: true, name: 'FeedFetchError' });
    expect(error.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/500: HTTP 500: upstream database down x+…$/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('a 404 is an http_status error that is not retriable', async () => {
    const error = await fetchError({ url: `${server.origin}/nowhere` });
    expect(error).toMatchObject({ code: 'http_status', httpStatus: 404, retriable: false });
    expect(error.message).toContain('HTTP 404: no such feed');
  });

  it('a 429 is retriable', async () => {
    const url = server.route('/429', (_request, response) => response.writeHead(429).end());
    await expect(fetchError({ url })).resolves.toMatchObject({ code: 'http_status', httpStatus: 429, retriable: true });
  });

  it('a server that never answers is a timeout', async () => {
    const url = server.route('/silent', () => undefined);
    await expect(fetchError({ url }, {}, { timeoutMs: 100 })).resolves.toMatchObject({ code: 'timeout', retriable: true });
  });

  it('a body that stops half way is a timeout', async () => {
    const url = server.route('/stalls', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('192.0.2.1\n');
    });
    await expect(fetchError({ url }, {}, { timeoutMs: 200 })).resolves.toMatchObject({ code: 'timeout' });
  });

  it('a body larger than maxBytes is too_large', async () => {
    const url = server.route('/big', serve({ body: Buffer.alloc(2048, '192.0.2.1\n') }));
    await expect(fetchError({ url }, {}, { maxBytes: 1024 })).resolves.toMatchObject({ code: 'too_large', retriable: false });
  });

  it('a Content-Length over maxBytes is refused before the body arrives', async () => {
    // Only the first bytes are ever sent: waiting for the rest would end in a timeout instead.
    const url = server.route('/declared-big', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(10 * 1024 * 1024) });
      response.write('192.0.2.1\n');
    });
    await expect(fetchError({ url }, {}, { maxBytes: 1024, timeoutMs: 10_000 })).resolves.toMatchObject({ code: 'too_large' });
  });

  it('a body of exactly maxBytes is fetched', async () => {
    const url = server.route('/exact', serve({ body: Buffer.alloc(1000, '192.0.2.1\n') }));
    await expect(fetchFeed({ url }, {}, { maxBytes: 1000 })).resolves.toMatchObject({ kind: 'fetched', bytes: 1000 });
  });

  it('an endless body without a Content-Length is refused while it streams', async () => {
    const chunk = Buffer.alloc(16 * 1024, '192.0.2.1\n');
    const url = server.route('/endless', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    await expect(fetchError({ url }, {}, { maxBytes: 1024 * 1024 })).resolves.toMatchObject({ code: 'too_large' });
  });

  it('a refused connection is unreachable, retriable', async () => {
    const closed = await startServer();
    await closed.close();
    await expect(fetchError({ url: `${closed.origin}/feed.txt` })).resolves.toMatchObject({ code: 'unreachable', retriable: true });
  });

  it('an aborted signal rejects with its reason', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const url = server.route('/abort', () => arrived());
    const controller = new AbortController();
    const fetching = fetchFeed({ url }, {}, { signal: controller.signal });
    await requestArrived;
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(fetching).rejects.toBe(reason);
  });

  it('a signal aborted beforehand rejects at once, before the file is read', async () => {
    const reason = new Error('already stopped');
    await expect(fetchFeed({ path: fixturePath('drop.txt') }, {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('sends the given headers', async () => {
    const url = server.route('/keyed', (request, response) => {
      if (request.headers['x-api-key'] !== 'k1') response.writeHead(401).end('missing key');
      else response.writeHead(200).end('192.0.2.1\n');
    });
    await expect(fetchFeed({ url }, {}, { headers: { 'X-Api-Key': 'k1' } })).resolves.toMatchObject({ kind: 'fetched', text: '192.0.2.1\n' });
    await expect(fetchError({ url })).resolves.toMatchObject({ code: 'http_status', httpStatus: 401 });
  });
});

describe('fetchFeed redirects', () => {
  it('follows a redirect, sending the validators to the target', async () => {
    const doc: Document = { body: Buffer.from('192.0.2.1\n'), etag: '"r1"' };
    const target = server.route('/moved/feed.txt', serve(doc));
    const url = server.route('/feed-old.txt', (_request, response) => response.writeHead(301, { location: '/moved/feed.txt' }).end());
    await expect(fetchFeed({ url }, {})).resolves.toMatchObject({ kind: 'fetched', text: '192.0.2.1\n', etag: '"r1"' });
    await expect(fetchFeed({ url }, { etag: '"r1"' })).resolves.toEqual({ kind: 'not_modified', httpStatus: 304 });
    expect(target).toMatch(/\/moved\/feed\.txt$/);
  });

  it('gives up after 5 redirects', async () => {
    const url = server.route('/loop', (_request, response) => response.writeHead(302, { location: '/loop' }).end());
    const error = await fetchError({ url });
    expect(error).toMatchObject({ code: 'http_status', httpStatus: 302 });
    expect(error.message).toContain('more than 5 redirects');
  });

  it('refuses a redirect to another scheme', async () => {
    const url = server.route('/to-ftp', (_request, response) => response.writeHead(302, { location: 'ftp://example.com/feed.txt' }).end());
    await expect(fetchError({ url })).resolves.toMatchObject({ code: 'invalid_location' });
  });

  it('drops credentials when a redirect leaves the origin, keeps other headers', async () => {
    const other = await startServer();
    try {
      const echo: Handler = (request, response) =>
        response.writeHead(200).end(`${request.headers.authorization ?? 'no authorization'}|${request.headers['x-client'] ?? 'no x-client'}`);
      const elsewhere = other.route('/echo', echo);
      server.route('/echo', echo);
      const sameOrigin = server.route('/redirect-same', (_request, response) => response.writeHead(302, { location: '/echo' }).end());
      const crossOrigin = server.route('/redirect-cross', (_request, response) => response.writeHead(302, { location: elsewhere }).end());
      const headers = { authorization: 'Bearer t', 'x-client': 'telemetry' };
      await expect(fetchFeed({ url: sameOrigin }, {}, { headers })).resolves.toMatchObject({ text: 'Bearer t|telemetry' });
      await expect(fetchFeed({ url: crossOrigin }, {}, { headers })).resolves.toMatchObject({ text: 'no authorization|telemetry' });
    } finally {
      await other.close();
    }
  });
});

describe('fetchFeed gzip', () => {
  const text = '# gzipped\n192.0.2.1\n2001:db8::1\n';

  it('decodes a body sent with Content-Encoding: gzip', async () => {
    const url = server.route('/encoded.txt', serve({ body: gzipSync(text), headers: { 'content-encoding': 'gzip' } }));
    await expect(fetchFeed({ url }, {})).resolves.toMatchObject({ kind: 'fetched', text, bytes: Buffer.byteLength(text) });
  });

  it('gunzips a .gz URL whose bytes are gzip', async () => {
    const url = server.route('/feed.txt.gz', serve({ body: gzipSync(text), headers: { 'content-type': 'application/gzip' } }));
    const parsed = parseFeed('plain', fetchedText(await fetchFeed({ url }, {})), { source: 's' });
    expect(parsed.indicators.map((i) => i.indicator)).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('keeps a .gz URL whose bytes are not gzip (already decoded on the way) as it is', async () => {
    const url = server.route('/plain.txt.gz', serve({ body: Buffer.from(text) }));
    await expect(fetchFeed({ url }, {})).resolves.toMatchObject({ text });
  });

  it('a .gz that inflates past maxBytes is too_large', async () => {
    const url = server.route('/bomb.txt.gz', serve({ body: gzipSync(Buffer.alloc(4 * 1024 * 1024, '192.0.2.1\n')) }));
    await expect(fetchError({ url }, {}, { maxBytes: 1024 * 1024 })).resolves.toMatchObject({ code: 'too_large' });
  });

  it('a Content-Encoding: gzip body that inflates past maxBytes is too_large', async () => {
    const url = server.route(
      '/bomb-encoded.txt',
      serve({ body: gzipSync(Buffer.alloc(4 * 1024 * 1024, '192.0.2.1\n')), headers: { 'content-encoding': 'gzip' } }),
    );
    await expect(fetchError({ url }, {}, { maxBytes: 1024 * 1024 })).resolves.toMatchObject({ code: 'too_large' });
  });

  it('a body that is not the gzip its Content-Encoding claims is unreadable', async () => {
    const url = server.route('/mislabelled.txt', serve({ body: Buffer.from('192.0.2.1\n'.repeat(10)), headers: { 'content-encoding': 'gzip' } }));
    const error = await fetchError({ url });
    expect(error).toMatchObject({ code: 'unreadable', retriable: false });
    expect(error.message).toContain('incorrect header check');
  });

  it('a truncated .gz is unreadable', async () => {
    const url = server.route('/truncated.txt.gz', serve({ body: gzipSync(text).subarray(0, 12) }));
    await expect(fetchError({ url })).resolves.toMatchObject({ code: 'unreadable', retriable: false });
  });
});

describe('fetchFeed path', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'feed-fetcher-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file, and an unchanged file is not_modified with the validators it returned', async () => {
    const path = join(dir, 'drop.txt');
    writeFileSync(path, fixture('drop.txt'));
    utimesSync(path, new Date('2026-12-01T10:00:00Z'), new Date('2026-12-01T10:00:00Z'));

    const first = await fetchFeed({ path }, {});
    expect(first).toMatchObject({
      kind: 'fetched',
      text: fixture('drop.txt').toString('utf8'),
      bytes: fixture('drop.txt').length,
      lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT',
    });
    if (first.kind !== 'fetched') throw new Error('expected fetched');
    expect(first.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.httpStatus).toBeUndefined();
    expect(parseFeed('spamhaus-drop', first.text, { source: 'drop' }).indicators).toHaveLength(4);

    await expect(fetchFeed({ path }, { etag: first.etag, lastModified: first.lastModified })).resolves.toEqual({ kind: 'not_modified' });
    await expect(fetchFeed({ path }, { lastModified: first.lastModified })).resolves.toEqual({ kind: 'not_modified' });
  });

  it('a rewritten file is fetched again, even with the same size and second', async () => {
    const path = join(dir, 'list.txt');
    writeFileSync(path, '192.0.2.1\n');
    utimesSync(path, new Date('2026-12-01T10:00:00.100Z'), new Date('2026-12-01T10:00:00.100Z'));
    const first = await fetchFeed({ path }, {});
    if (first.kind !== 'fetched') throw new Error('expected fetched');

    writeFileSync(path, '192.0.2.2\n');
    utimesSync(path, new Date('2026-12-01T10:00:00.900Z'), new Date('2026-12-01T10:00:00.900Z'));
    await expect(fetchFeed({ path }, { etag: first.etag, lastModified: first.lastModified })).resolves.toMatchObject({ kind: 'fetched', text: '192.0.2.2\n' });
  });

  it('a missing file is not_found', async () => {
    await expect(fetchError({ path: join(dir, 'absent.txt') })).resolves.toMatchObject({ code: 'not_found', retriable: false });
  });

  it('a directory is unreadable', async () => {
    await expect(fetchError({ path: dir })).resolves.toMatchObject({ code: 'unreadable' });
  });

  it('a named pipe is unreadable, without waiting for a writer', async () => {
    const path = join(dir, 'feed.fifo');
    execFileSync('mkfifo', [path]);
    await expect(fetchError({ path }, {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ code: 'unreadable' });
  });

  it('a file larger than maxBytes is too_large', async () => {
    const path = join(dir, 'big.txt');
    writeFileSync(path, Buffer.alloc(2048, '192.0.2.1\n'));
    await expect(fetchError({ path }, {}, { maxBytes: 1024 })).resolves.toMatchObject({ code: 'too_large' });
  });

  it('gunzips a .gz file', async () => {
    const path = join(dir, 'intel.dat.gz');
    writeFileSync(path, gzipSync(fixture('intel.dat')));
    const parsed = parseFeed('zeek-intel', fetchedText(await fetchFeed({ path }, {})), { source: 'intel' });
    expect(parsed.indicators.map((i) => i.indicator)).toEqual(['203.0.113.7', '198.51.100.0/24', '2001:db8::bad']);
  });
});

describe('fetchFeed locations', () => {
  it.each<[string, FeedLocation]>([
    ['neither url nor path', {}],
    ['both url and path', { url: 'https://example.com/feed.txt', path: '/tmp/feed.txt' }],
    ['an empty path', { path: '' }],
    ['not a URL', { url: 'feeds/drop.txt' }],
    ['an ftp: URL', { url: 'ftp://example.com/feed.txt' }],
    ['a file: URL', { url: 'file:///etc/hosts' }],
  ])('%s is invalid_location', async (_name, location) => {
    await expect(fetchError(location)).resolves.toMatchObject({ code: 'invalid_location', retriable: false });
  });
});
