import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { KafkaEventLog, type Tail } from '@telemetry/event-log';
import {
  buildCityDb,
  dropFreshDatabases,
  freePorts,
  freshDatabase,
  kafkaBrokers,
  RunningProcess,
  spawnTypeScript,
  uniqueName,
  waitFor,
  waitHealthy,
} from '@telemetry/testing';
import { issueKey, RunningProduct, SAMPLES, startProduct, TEST_KEY, writeGeoFixtures } from './all-in-one.harness';

/*
 * Threat intelligence as a live, event-sourced feature: the indicators API (scoped per tenant,
 * idempotent, CIDR aware), and an indicator added through the API changing the scores of live
 * flows, in the embedded all-in-one and across separate processes on real Kafka within 1 s.
 */

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
/**
 * On the shared broker, a topic prefix of its own: the global indicators these tests add live on the
 * control topic, which every other test's processes fold.
 */
const isolatedTopics = (mode: 'embedded' | 'kafka'): Record<string, string> => (mode === 'kafka' ? { KAFKA_TOPIC_PREFIX: `${uniqueName('intel')}.` } : {});
const admin = bearer(TEST_KEY);
const zeek = (uid: string, dst: string) => [
  { ts: 1732288900, uid, 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': dst, 'id.resp_p': 443, proto: 'tcp' },
];

describe.each(['embedded', 'kafka'] as const)('the indicators API (%s mode)', (mode) => {
  let product: RunningProduct;
  let acmeKey: string;
  let globexKey: string;

  beforeAll(async () => {
    product = await startProduct(mode, { RATE_LIMIT_PER_MIN: '0', ...isolatedTopics(mode) });
    acmeKey = await issueKey(product.server, TEST_KEY, 'acme', ['manage_indicators', 'ingest', 'read_requests']);
    globexKey = await issueKey(product.server, TEST_KEY, 'globex', ['manage_indicators']);
  });

  afterAll(() => product?.close());

  const api = () => request(product.server);

  it('adds, lists, reads and deletes indicators with the original’s shapes; re-adding is idempotent', async () => {
    const added = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '203.0.113.0/24', category: 'scanner', confidence: 40 }).expect(200);
    expect(added.body).toEqual(
      expect.objectContaining({
        status: 'added',
        created: true,
        ip_or_cidr: '203.0.113.0/24',
        category: 'scanner',
        confidence: 40,
        source: 'api',
        tenant_id: null,
      }),
    );
    expect(added.body.id).toMatch(/^[0-9a-f]{16}$/);
    const again = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '203.0.113.7/24', category: 'scanner', confidence: 40 }).expect(200);
    expect(again.body).toEqual(expect.objectContaining({ id: added.body.id, created: false, ip_or_cidr: '203.0.113.0/24' }));
    const raised = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '203.0.113.0/24', category: 'scanner', confidence: 75 }).expect(200);
    expect(raised.body).toEqual(expect.objectContaining({ id: added.body.id, confidence: 75, created: false }));
    await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '2001:db8:1::/48', category: 'C2', confidence: 90, source: 'soc' }).expect(200);

    const covering = await api().get('/v1/indicators').set(admin).query({ ip: '203.0.113.99' }).expect(200);
    expect(covering.body.indicators.map((i: { id: string }) => i.id)).toEqual([added.body.id]);
    expect(covering.body).toEqual(expect.objectContaining({ total: 1, page: 1, pages: 1 }));
    const v6 = await api().get('/v1/indicators').set(admin).query({ ip: '2001:db8:1:2::5', min_confidence: '80' }).expect(200);
    expect(v6.body.items.map((i: { ip_or_cidr: string }) => i.ip_or_cidr)).toEqual(['2001:db8:1::/48']);
    const paged = await api().get('/v1/indicators').set(admin).query({ size: '1', page: '2', tenant_id: 'global' }).expect(200);
    expect(paged.body).toEqual(expect.objectContaining({ size: 1, page: 2 }));
    expect(paged.body.indicators).toHaveLength(1);
    await api().get(`/v1/indicators/${added.body.id}`).set(admin).expect(200);

    await api().delete(`/v1/indicators/${added.body.id}`).set(admin).expect(200, { status: 'deleted', id: added.body.id });
    await api().delete(`/v1/indicators/${added.body.id}`).set(admin).expect(404);
    await api().post(`/v1/indicators/${added.body.id}/delete`).set(admin).expect(404);
    await api().get(`/v1/indicators/${added.body.id}`).set(admin).expect(404);
    const other = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '198.51.100.200' }).expect(200);
    expect(other.body).toEqual(expect.objectContaining({ category: 'malicious', confidence: 50, ip_or_cidr: '198.51.100.200/32' }));
    await api().post(`/v1/indicators/${other.body.id}/delete`).set(admin).expect(200, { status: 'deleted', id: other.body.id });
  });

  it('looks an address up as the enricher sees it: geo, ASN, matches for the caller’s tenant, and the score of a flow to it', async () => {
    const listed = await api().post('/v1/lookup').set(admin).send({ ip: '45.155.205.233' }).expect(200);
    expect(listed.body).toEqual(
      expect.objectContaining({
        ip: '45.155.205.233',
        ti: { matches: [expect.objectContaining({ indicator: '45.155.205.233', category: 'C2', confidence: 85, field: 'dst_ip' })] },
        risk_score: 70,
        risk_policy: 'original-live@1',
      }),
    );
    expect(listed.body.risk_reasons.map((reason: { code: string; points: number }) => [reason.code, reason.points])).toEqual([
      ['base', 10],
      ['threat_intel_match', 60],
    ]);
    const plain = await api().post('/v1/lookup').set(admin).send({ ip: ' 8.8.8.8 ' }).expect(200);
    expect(plain.body).toEqual(expect.objectContaining({ ip: '8.8.8.8', ti: { matches: [] }, risk_score: 10 }));
    expect(Object.keys(plain.body).sort()).toEqual(['asn', 'geo', 'ip', 'risk_policy', 'risk_reasons', 'risk_score', 'ti']);
    // A tenant's own indicator shows in its lookups only.
    await api().put('/v1/indicators').set(bearer(globexKey)).send({ ip_or_cidr: '198.51.100.250', category: 'C2', confidence: 90 }).expect(200);
    expect((await api().post('/v1/lookup').set(bearer(globexKey)).send({ ip: '198.51.100.250' }).expect(200)).body.risk_score).toBe(70);
    expect((await api().post('/v1/lookup').set(bearer(acmeKey)).send({ ip: '198.51.100.250' }).expect(200)).body.risk_score).toBe(10);
    const missing = await api().post('/v1/lookup').set(admin).send({}).expect(422);
    expect(missing.body.errors).toEqual([{ field: 'ip', message: 'is required' }]);
    const invalid = await api().post('/v1/lookup').set(admin).send({ ip: '999.1.1.1' }).expect(422);
    expect(invalid.body.errors[0].field).toBe('ip');
    await api().post('/v1/lookup').send({ ip: '8.8.8.8' }).expect(401);
  });

  it('refuses bad input with the field that is wrong', async () => {
    const bad = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '300.1.2.3', confidence: 101, extra: 1 }).expect(422);
    expect(bad.body.error).toBe('validation_failed');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['confidence', 'extra', 'ip_or_cidr']);
    const missing = await api().put('/v1/indicators').set(admin).send({ category: 'C2' }).expect(422);
    expect(missing.body.errors).toEqual([{ field: 'ip_or_cidr', message: 'is required' }]);
    await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '10.0.0.0/8', source: 'feed:x' }).expect(422);
    await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '10.0.0.0/8', tenant_id: 'no-such-tenant' }).expect(404);
    await api().get('/v1/indicators').set(admin).query({ ip: 'nope' }).expect(422);
    await api().get('/v1/indicators').set(admin).query({ size: '5000' }).expect(422);
  });

  it('scopes indicators per tenant: a tenant adds to its own, sees global and its own, and never another’s', async () => {
    const own = await api().put('/v1/indicators').set(bearer(acmeKey)).send({ ip_or_cidr: '192.0.2.10', category: 'C2', confidence: 90 }).expect(200);
    expect(own.body.tenant_id).toBe('acme');
    await api().put('/v1/indicators').set(bearer(acmeKey)).send({ ip_or_cidr: '192.0.2.11', tenant_id: 'globex' }).expect(403);
    const global = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '192.0.2.12', category: 'scanner' }).expect(200);
    const forGlobex = await api().put('/v1/indicators').set(admin).send({ ip_or_cidr: '192.0.2.13', tenant_id: 'globex' }).expect(200);
    expect(forGlobex.body.tenant_id).toBe('globex');

    const seen = async (key: string) =>
      ((await api().get('/v1/indicators').set(bearer(key)).query({ q: '192.0.2.1' }).expect(200)).body.indicators as Array<{ ip_or_cidr: string }>).map(
        (i) => i.ip_or_cidr,
      );
    expect(await seen(acmeKey)).toEqual(['192.0.2.10/32', '192.0.2.12/32']);
    expect(await seen(globexKey)).toEqual(['192.0.2.12/32', '192.0.2.13/32']);
    await api().get(`/v1/indicators/${own.body.id}`).set(bearer(globexKey)).expect(404);
    await api().delete(`/v1/indicators/${own.body.id}`).set(bearer(globexKey)).expect(404);
    await api().delete(`/v1/indicators/${global.body.id}`).set(bearer(acmeKey)).expect(403);
    // An admin acting as a tenant is that tenant.
    const asAcme = await api().put('/v1/indicators').set(admin).set('X-Tenant-ID', 'acme').send({ ip_or_cidr: '192.0.2.14' }).expect(200);
    expect(asAcme.body.tenant_id).toBe('acme');
    // Scope enforced: a key without manage_indicators is refused.
    const ingestOnly = await issueKey(product.server, TEST_KEY, 'acme', ['ingest']);
    await api().get('/v1/indicators').set(bearer(ingestOnly)).expect(403);
  });

  it("raises a live flow's score once an indicator matches it, for its tenant only, under the tenant's chosen risk policy", async () => {
    const dst = '198.51.100.77';
    const download = async (key: string) =>
      (await api().get('/v1/download/json').set(bearer(key)).query({ limit: '1000' }).expect(200)).text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as EnrichedFlow);
    const ingestAndFetch = async (key: string, uid: string) => {
      await api().post('/v1/ingest/zeek').set(bearer(key)).send(zeek(uid, dst)).expect(202);
      return waitFor(async () => (await download(key)).find((flow) => flow.zeek?.uid === uid), { timeoutMs: 30_000, description: `flow ${uid} downloadable` });
    };
    const before = await ingestAndFetch(acmeKey, uniqueName('before'));
    expect(before.risk_score).toBe(10);
    await api()
      .put('/v1/indicators')
      .set(bearer(acmeKey))
      .send({ ip_or_cidr: `${dst}/32`, category: 'C2', confidence: 95 })
      .expect(200);
    const after = await ingestAndFetch(acmeKey, uniqueName('after'));
    expect(after.risk_score).toBe(70);
    expect(after.ti.matches).toEqual([expect.objectContaining({ indicator: `${dst}/32`, category: 'C2', confidence: 95, source: 'api', field: 'dst_ip' })]);
    expect(after.risk_reasons.map((reason) => reason.code)).toEqual(['base', 'threat_intel_match']);
    // The default tenant's flows to the same address do not match acme's indicator.
    const theirs = await ingestAndFetch(TEST_KEY, uniqueName('default'));
    expect(theirs.ti.matches).toEqual([]);

    // A tenant's own risk policy, chosen through the control plane, scores its next flows.
    const patched = await api().patch('/v1/admin/tenants/acme').set(admin).send({ risk_policy: 'confidence-weighted' }).expect(200);
    expect(patched.body.risk_policy).toBe('confidence-weighted');
    const weighted = await ingestAndFetch(acmeKey, uniqueName('weighted'));
    expect(weighted.risk_policy).toBe('confidence-weighted@1');
    expect(weighted.risk_reasons.map((reason) => reason.code)).toContain('weighted_threat_intel_match');
    expect((await ingestAndFetch(TEST_KEY, uniqueName('default'))).risk_policy).toBe('original-live@1');
    await api().patch('/v1/admin/tenants/acme').set(admin).send({ risk_policy: 'no-such-policy' }).expect(422);
    const reset = await api().patch('/v1/admin/tenants/acme').set(admin).send({ risk_policy: null }).expect(200);
    expect(reset.body.risk_policy).toBeNull();
    expect((await ingestAndFetch(acmeKey, uniqueName('reset'))).risk_policy).toBe('original-live@1');
  });
});

const FIXTURES = path.resolve(__dirname, '../../libs/enrichment/src/feeds/fixtures');

/** A feed server as real ones behave: ETag and Last-Modified, 304 on a matching conditional request, and a switch to fail. */
class FeedServer {
  private readonly bodies = new Map<string, { body: Buffer; etag: string }>();
  private version = 0;
  failWith: number | undefined;
  readonly requests: Array<{ path: string; ifNoneMatch?: string }> = [];
  private readonly server = http.createServer((request, response) => {
    const ifNoneMatch = request.headers['if-none-match'];
    this.requests.push({ path: request.url ?? '', ...(ifNoneMatch ? { ifNoneMatch } : {}) });
    const entry = this.bodies.get(request.url ?? '');
    if (this.failWith !== undefined) return void response.writeHead(this.failWith).end('upstream trouble');
    if (!entry) return void response.writeHead(404).end();
    if (ifNoneMatch === entry.etag) return void response.writeHead(304, { ETag: entry.etag }).end();
    response.writeHead(200, { ETag: entry.etag, 'Content-Type': 'text/plain' }).end(entry.body);
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  serve(route: string, body: Buffer | string): string {
    this.bodies.set(route, { body: Buffer.from(body), etag: `"v${(this.version += 1)}"` });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${route}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(['embedded', 'kafka'] as const)('threat-intel feeds (%s mode)', (mode) => {
  let product: RunningProduct;
  let feeds: FeedServer;

  beforeAll(async () => {
    product = await startProduct(mode, { RATE_LIMIT_PER_MIN: '0', ...isolatedTopics(mode) });
    feeds = await new FeedServer().start();
  });

  afterAll(async () => {
    await feeds?.close();
    await product?.close();
  });

  const api = () => request(product.server);

  it('registers a feed, applies each fetch as a diff, keeps the last good set when a fetch fails, and deletes it with its indicators', async () => {
    const url = feeds.serve('/list.txt', '# test list\n192.0.2.1\n192.0.2.2\n198.51.100.0/24\n');
    const registered = await api()
      .post('/v1/indicators/feeds')
      .set(admin)
      .send({ name: 'test-list', url, format: 'plain', refresh: '1h', category: 'scanner', confidence: 60 })
      .expect(201);
    expect(registered.body).toEqual(expect.objectContaining({ name: 'test-list', url, format: 'plain', refresh_s: 3600, tenant_id: null }));
    const id = registered.body.id as string;
    const first = await waitFor(
      async () => {
        const feed = (await api().get(`/v1/indicators/feeds/${id}`).set(admin).expect(200)).body;
        return feed.status === 'ok' ? feed : undefined;
      },
      { timeoutMs: 30_000, description: 'the first fetch recorded' },
    );
    expect(first.last_sync).toEqual(
      expect.objectContaining({ outcome: 'updated', etag: '"v1"', counts: { added: 3, changed: 0, removed: 0, total: 3, malformed: 0, skipped: 1 } }),
    );
    expect(first.indicators).toBe(3);
    const listed = await api().get('/v1/indicators').set(admin).query({ feed_id: id }).expect(200);
    expect(listed.body.indicators.map((i: { ip_or_cidr: string; source: string }) => [i.ip_or_cidr, i.source])).toEqual([
      ['192.0.2.1/32', 'feed:test-list'],
      ['192.0.2.2/32', 'feed:test-list'],
      ['198.51.100.0/24', 'feed:test-list'],
    ]);
    // A feed's indicator goes with its feed.
    await api().delete(`/v1/indicators/${listed.body.indicators[0].id}`).set(admin).expect(409);

    // Unchanged: a conditional fetch, 304.
    const unchanged = await api().post(`/v1/indicators/feeds/${id}/refresh`).set(admin).expect(200);
    expect(unchanged.body.last_sync).toEqual(expect.objectContaining({ outcome: 'not_modified', counts: expect.objectContaining({ total: 3 }) }));
    expect(feeds.requests.at(-1)).toEqual({ path: '/list.txt', ifNoneMatch: '"v1"' });

    // Changed: the diff, with a malformed line counted and never fatal.
    feeds.serve('/list.txt', '192.0.2.1\n203.0.113.5\nnot-an-address\n198.51.100.0/24\n');
    const changed = await api().post(`/v1/indicators/feeds/${id}/refresh`).set(admin).expect(200);
    expect(changed.body.last_sync.counts).toEqual({ added: 1, changed: 0, removed: 1, total: 3, malformed: 1, skipped: 0 });
    expect(changed.body.last_sync.malformed_sample).toEqual([{ line: 3, reason: expect.stringContaining('not-an-address') }]);

    // Failing: the error reported, the last good set kept.
    feeds.failWith = 503;
    const failed = await api().post(`/v1/indicators/feeds/${id}/refresh`).set(admin).expect(200);
    feeds.failWith = undefined;
    expect(failed.body).toEqual(expect.objectContaining({ status: 'error', indicators: 3 }));
    expect(failed.body.last_error).toEqual(expect.objectContaining({ error_code: 'http_status', http_status: 503 }));
    const covering = await api().get('/v1/indicators').set(admin).query({ ip: '203.0.113.5' }).expect(200);
    expect(covering.body.total).toBe(1);

    // /v1/system reports the feed with its count and error, and the GeoIP/ASN databases with their build dates.
    const system = (await api().get('/v1/system').set(admin).expect(200)).body;
    expect(system.threatintel).toEqual(
      expect.objectContaining({
        status: 'degraded',
        error_count: 1,
        sources: expect.arrayContaining([expect.objectContaining({ id, name: 'test-list', indicators: 3, status: 'error' })]),
      }),
    );
    expect(system.threatintel.indicators).toBeGreaterThanOrEqual(3);
    expect(system.geoip).toEqual(expect.objectContaining({ status: 'loaded', build_date: expect.stringMatching(/^\d{4}-/) }));
    expect(system.asn.status).toBe('loaded');

    const deleted = await api().delete(`/v1/indicators/feeds/${id}`).set(admin).expect(200);
    expect(deleted.body).toEqual({ status: 'deleted', id, indicators_removed: 3 });
    expect((await api().get('/v1/indicators').set(admin).query({ feed_id: id }).expect(200)).body.total).toBe(0);
    await api().get(`/v1/indicators/feeds/${id}`).set(admin).expect(404);
  });

  it('reads every supported format through the API', async () => {
    const formats: Array<[string, string, Record<string, string>?]> = [
      ['csv', 'threats.csv'],
      ['plain', 'plain.txt'],
      ['firehol', 'firehol_level1.netset'],
      ['spamhaus-drop', 'drop.txt'],
      ['spamhaus-drop-json', 'drop_v4.json'],
      ['feodo-csv', 'feodo-ipblocklist.csv'],
      ['zeek-intel', 'intel.dat'],
      ['suricata-iprep', 'iprep.list', { categories_url: feeds.serve('/iprep-categories.txt', fs.readFileSync(path.join(FIXTURES, 'iprep-categories.txt'))) }],
      ['misp-csv', 'misp-attributes.csv'],
      ['stix2', 'bundle.json'],
    ];
    for (const [format, file, extra] of formats) {
      const url = feeds.serve(`/formats/${file}`, fs.readFileSync(path.join(FIXTURES, file)));
      const registered = await api()
        .post('/v1/indicators/feeds')
        .set(admin)
        .send({ name: `format-${format}`, url, format, ...extra })
        .expect(201);
      const feed = (await api().post(`/v1/indicators/feeds/${registered.body.id}/refresh`).set(admin).expect(200)).body;
      expect({ format, status: feed.status, error: feed.last_error }).toEqual({ format, status: 'ok', error: null });
      expect(feed.indicators).toBeGreaterThan(0);
    }
    const listed = await api().get('/v1/indicators/feeds').set(admin).expect(200);
    expect(listed.body.feeds.map((feed: { name: string }) => feed.name)).toEqual(expect.arrayContaining(formats.map(([format]) => `format-${format}`)));
  });

  it('refuses bad registrations with the field that is wrong, and path feeds from tenant keys', async () => {
    const bad = await api().post('/v1/indicators/feeds').set(admin).send({ name: 'x', url: 'ftp://example.net/x', format: 'nope', refresh: '5s' }).expect(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['format', 'refresh', 'url']);
    await api().post('/v1/indicators/feeds').set(admin).send({ name: 'x', format: 'plain' }).expect(422);
    const url = feeds.serve('/dup.txt', '192.0.2.99\n');
    await api().post('/v1/indicators/feeds').set(admin).send({ name: 'dup', url, format: 'plain' }).expect(201);
    await api().post('/v1/indicators/feeds').set(admin).send({ name: 'dup', url, format: 'plain' }).expect(409);
    const tenantKey = await issueKey(product.server, TEST_KEY, 'feeds-tenant', ['manage_indicators']);
    const refused = await api().post('/v1/indicators/feeds').set(bearer(tenantKey)).send({ name: 'local', path: '/etc/hosts', format: 'plain' }).expect(403);
    expect(refused.body.error).toBe('path_feed_requires_admin');
    // A tenant's feed is fetched from public addresses only: the server's own network is not the tenant's to read.
    const local = await api().post('/v1/indicators/feeds').set(bearer(tenantKey)).send({ name: 'dup', url, format: 'plain' }).expect(422);
    expect(local.body.errors).toEqual([{ field: 'url', message: expect.stringContaining('private, loopback or reserved') }]);
    const own = await api()
      .post('/v1/indicators/feeds')
      .set(bearer(tenantKey))
      .send({ name: 'dup', url: 'http://1.1.1.1:9/list.txt', format: 'plain' })
      .expect(201);
    expect(own.body.tenant_id).toBe('feeds-tenant');
  });
});

describe('threat intel across processes on real Kafka', () => {
  const running: RunningProcess[] = [];
  let dir: string;
  let log: KafkaEventLog | undefined;
  let tail: Tail | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-intel-'));
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((process) => process.kill()));
    await tail?.close();
    await log?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await dropFreshDatabases();
  });

  function start(entry: string, port: number, env: Record<string, string>): RunningProcess {
    const process = spawnTypeScript(entry, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env });
    running.push(process);
    return process;
  }

  it('an indicator added on query-api changes the score of live flows in the separate enricher within 1 s; an uploaded GeoIP database is reloaded there', async () => {
    const geo = writeGeoFixtures(dir);
    const key = `${uniqueName('intel')}-0123456789`;
    const prefix = `${uniqueName('intel')}.`;
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: await freshDatabase('intel'),
      DEFAULT_TENANT: uniqueName('tenant'),
      API_KEY: key,
      KAFKA_GROUP_PREFIX: uniqueName('intel'),
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      THREATLIST_CSV: path.join(SAMPLES, 'threatlist.csv'),
      DATA_DIR: dir,
      RATE_LIMIT_PER_MIN: '0',
    };
    const [ingestPort, queryPort, enricherPort] = await freePorts(3);
    const processes = [
      start('apps/ingest-api/src/main.ts', ingestPort, env),
      start('apps/query-api/src/main.ts', queryPort, env),
      start('apps/enricher/src/main.ts', enricherPort, env),
    ];
    await Promise.all([ingestPort, queryPort, enricherPort].map((port, index) => waitHealthy(port, processes[index])));

    // What the enricher writes, read straight from the (prefixed) enriched topic.
    const enriched = new Map<string, EnrichedFlow>();
    log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: uniqueName('intel-test') });
    tail = await log.tail({
      topics: [prefix + TOPICS.enriched],
      handler: async (batch) => {
        for (const record of batch.records) {
          const text = record.value.toString('utf8');
          for (const line of text.split('\n')) if (line.length > 0) collect(JSON.parse(line));
        }
      },
    });
    const collect = (value: unknown) => {
      for (const flow of Array.isArray(value) ? value : [value]) {
        const uid = (flow as EnrichedFlow).zeek?.uid as string | undefined;
        if (uid) enriched.set(uid, flow as EnrichedFlow);
      }
    };

    const dst = '198.51.100.88';
    const sent: Array<{ uid: string; at: number }> = [];
    let sending = true;
    const sender = (async () => {
      while (sending) {
        const uid = uniqueName('live');
        const at = Date.now();
        const response = await fetch(`http://127.0.0.1:${ingestPort}/v1/ingest/zeek`, {
          method: 'POST',
          headers: { ...bearer(key), 'Content-Type': 'application/json' },
          body: JSON.stringify(zeek(uid, dst)),
        });
        expect(response.status).toBe(202);
        sent.push({ uid, at });
        // Paced by the pipeline itself: the next flow goes once this one is on the enriched topic.
        await waitFor(() => enriched.has(uid), { timeoutMs: 30_000, intervalMs: 5, description: `live flow ${uid} enriched` });
      }
    })();
    try {
      // Flows are flowing, and scored 10 (no match) before the indicator exists.
      await waitFor(() => sent.filter(({ uid }) => enriched.has(uid)).length >= 5, { timeoutMs: 60_000, description: 'live flows enriched' });
      const before = [...enriched.values()];
      expect(before.map((flow) => flow.risk_score)).toEqual(before.map(() => 10));
      const response = await fetch(`http://127.0.0.1:${queryPort}/v1/indicators`, {
        method: 'PUT',
        headers: { ...bearer(key), 'Content-Type': 'application/json' },
        body: JSON.stringify({ ip_or_cidr: dst, category: 'C2', confidence: 90 }),
      });
      expect(response.status).toBe(200);
      const addedAt = Date.now();
      // Every flow sent 1 s or more after the answer is matched; wait until some are enriched.
      await waitFor(() => sent.filter(({ uid, at }) => at >= addedAt + 1_000 && enriched.has(uid)).length >= 5, {
        timeoutMs: 60_000,
        description: 'flows sent a second after the indicator enriched',
      });
      sending = false;
      await sender;
      const late = sent.filter(({ uid, at }) => at >= addedAt + 1_000 && enriched.has(uid)).map(({ uid }) => enriched.get(uid)!);
      expect(late.map((flow) => flow.risk_score)).toEqual(late.map(() => 70));
      expect(late[0].ti.matches).toEqual([expect.objectContaining({ indicator: `${dst}/32`, category: 'C2', confidence: 90 })]);
    } finally {
      sending = false;
      await sender.catch(() => undefined);
    }

    // A City database uploaded on query-api replaces the file the separate enricher watches: its
    // next flows are enriched from it, without a restart.
    const uploaded = buildCityDb(
      [{ cidr: '8.8.8.0/24', country: 'US', city: 'Uploaded City', latitude: 37.4, longitude: -122.1, timeZone: 'America/Los_Angeles' }],
      {
        buildEpoch: Date.parse('2026-11-30T00:00:00Z') / 1000,
      },
    );
    const upload = await request(`http://127.0.0.1:${queryPort}`)
      .post('/v1/upload/geoip')
      .set(bearer(key))
      .attach('f', uploaded, 'GeoLite2-City.mmdb')
      .expect(200);
    expect(upload.body).toEqual(expect.objectContaining({ path: geo.city, kind: 'city', build_date: '2026-11-30T00:00:00.000Z' }));
    const reloaded = await waitFor(
      async () => {
        const uid = uniqueName('geo');
        const sentGeo = await fetch(`http://127.0.0.1:${ingestPort}/v1/ingest/zeek`, {
          method: 'POST',
          headers: { ...bearer(key), 'Content-Type': 'application/json' },
          body: JSON.stringify(zeek(uid, '8.8.8.8')),
        });
        expect(sentGeo.status).toBe(202);
        const flow = await waitFor(() => enriched.get(uid), { timeoutMs: 30_000, description: `flow ${uid} enriched` });
        return flow.geo.dst?.city === 'Uploaded City' ? flow : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: "the enricher's flows geolocated from the uploaded database" },
    );
    expect(reloaded.geo.dst).toEqual(expect.objectContaining({ city: 'Uploaded City', country: 'US' }));
  });
});
