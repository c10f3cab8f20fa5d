import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { HEADERS, SCOPES, TOPICS, type Scope } from '@telemetry/contracts';
import { EVENT_LOG, KafkaEventLog, type EventLog } from '@telemetry/event-log';
import {
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
import { issueKey, RunningProduct, startProduct, TEST_KEY, writeGeoFixtures } from './all-in-one.harness';

/*
 * Tenant isolation, generated: every HTTP route of the all-in-one × a key of every scope × its own
 * tenant or another's → the status the matrix below expects, and no answer given to one tenant
 * ever holds another tenant's record. The routes come from the running app's own route table, so a
 * route added without an entry here fails this test.
 */

/** `authenticated`: any valid key, whatever its scopes. */
type Access = 'public' | 'authenticated' | Scope;
interface RouteCase {
  /** The scope a key needs (admin satisfies every one), or public. */
  readonly access: Access;
  /** A request that succeeds for an allowed key, or fails for a reason other than auth (404 on a made-up id is fine). */
  readonly path: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
  /** The route answers data of the caller's tenant: no other tenant's id may appear in it, and its own must. */
  readonly tenantData?: boolean;
}

const NO_SUCH_KEY = 'tk_0000000000000000';
const zeek = (uid: string) => [{ ts: 1732288900, uid, 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp' }];

/** Every route: `METHOD /path` (Nest's route syntax) → how to call it and who may. */
function matrix(marker: string): Record<string, RouteCase> {
  return {
    'GET /v1/health': { access: 'public', path: '/v1/health' },
    'GET /v1/version': { access: 'public', path: '/v1/version' },
    'GET /v1/metrics/prometheus': { access: 'public', path: '/v1/metrics/prometheus' },
    'GET /health/live': { access: 'public', path: '/health/live' },
    'GET /health/ready': { access: 'public', path: '/health/ready' },
    'GET /v1/keys/scopes': { access: 'public', path: '/v1/keys/scopes' },
    'POST /v1/ingest': { access: 'ingest', path: '/v1/ingest', body: { format: 'zeek.conn', records: zeek(`${marker}-env`) } },
    'POST /v1/ingest/bulk': { access: 'ingest', path: '/v1/ingest/bulk', body: { format: 'zeek.conn', records: zeek(`${marker}-bulk`) } },
    'POST /v1/ingest/zeek': { access: 'ingest', path: '/v1/ingest/zeek', body: zeek(`${marker}-zeek`) },
    'POST /v1/ingest/netflow': {
      access: 'ingest',
      path: '/v1/ingest/netflow',
      body: [{ ts: 1732288900, src_ip: '10.0.0.2', dst_ip: '8.8.4.4', src_port: 1234, dst_port: 53, protocol: 'udp' }],
    },
    'GET /v1/download/json': { access: 'read_requests', path: '/v1/download/json', query: { limit: '1000' }, tenantData: true },
    'GET /v1/dlq/:sink': { access: 'read_requests', path: '/v1/dlq/ingest', query: { limit: '500' }, tenantData: true },
    'GET /v1/dlq/:sink/*id': { access: 'read_requests', path: '/v1/dlq/ingest/telemetry.ingest.dlq.v1/0/999999999' },
    'POST /v1/dlq/:sink/replay': { access: 'export', path: '/v1/dlq/ingest/replay', body: { ids: ['telemetry.ingest.dlq.v1/0/999999999'] } },
    'DELETE /v1/dlq/:sink': { access: 'admin', path: '/v1/dlq/ingest', query: { ids: 'telemetry.ingest.dlq.v1/0/999999999' } },
    'POST /v1/export/splunk-hec': { access: 'export', path: '/v1/export/splunk-hec' },
    'POST /v1/export/elastic': { access: 'export', path: '/v1/export/elastic' },
    'POST /v1/admin/tenants': { access: 'admin', path: '/v1/admin/tenants', body: { tenant_id: 'Invalid Slug' } },
    'GET /v1/admin/tenants': { access: 'admin', path: '/v1/admin/tenants' },
    'GET /v1/admin/tenants/:tenantId': { access: 'admin', path: '/v1/admin/tenants/no-such-tenant' },
    'PATCH /v1/admin/tenants/:tenantId': { access: 'admin', path: '/v1/admin/tenants/no-such-tenant', body: { name: 'x' } },
    'DELETE /v1/admin/tenants/:tenantId': { access: 'admin', path: '/v1/admin/tenants/no-such-tenant' },
    'POST /v1/admin/keys': { access: 'admin', path: '/v1/admin/keys', body: { scopes: [] } },
    'GET /v1/admin/keys': { access: 'admin', path: '/v1/admin/keys' },
    'GET /v1/admin/keys/:keyId': { access: 'admin', path: `/v1/admin/keys/${NO_SUCH_KEY}` },
    'DELETE /v1/admin/keys/:keyId': { access: 'admin', path: `/v1/admin/keys/${NO_SUCH_KEY}` },
    'POST /v1/admin/keys/:keyId/revoke': { access: 'admin', path: `/v1/admin/keys/${NO_SUCH_KEY}/revoke` },
    'POST /v1/admin/keys/:keyId/rotate': { access: 'admin', path: `/v1/admin/keys/${NO_SUCH_KEY}/rotate` },
    'POST /v1/keys': { access: 'admin', path: '/v1/keys', body: { scopes: [] } },
    'GET /v1/keys': { access: 'admin', path: '/v1/keys' },
    'DELETE /v1/keys/:keyId': { access: 'admin', path: `/v1/keys/${NO_SUCH_KEY}` },
    'POST /v1/keys/:keyId/rotate': { access: 'admin', path: `/v1/keys/${NO_SUCH_KEY}/rotate` },
    'GET /v1/admin/audit': { access: 'admin', path: '/v1/admin/audit' },
    'POST /v1/admin/rebuild/:model': { access: 'admin', path: '/v1/admin/rebuild/no-such-model' },
    'GET /v1/system': { access: 'admin', path: '/v1/system' },
    'GET /v1/admin/featureflags': { access: 'admin', path: '/v1/admin/featureflags' },
    'PATCH /v1/admin/featureflags': { access: 'admin', path: '/v1/admin/featureflags', body: { NO_SUCH_FLAG: true } },
    'POST /v1/lookup': { access: 'authenticated', path: '/v1/lookup', body: { ip: '45.155.205.233' } },
    'PUT /v1/indicators': { access: 'manage_indicators', path: '/v1/indicators', body: { ip_or_cidr: 'not-an-address' } },
    'GET /v1/indicators': { access: 'manage_indicators', path: '/v1/indicators', query: { size: '1000' }, tenantData: true },
    'GET /v1/indicators/:id': { access: 'manage_indicators', path: '/v1/indicators/0000000000000000' },
    'DELETE /v1/indicators/:id': { access: 'manage_indicators', path: '/v1/indicators/0000000000000000' },
    'POST /v1/indicators/:id/delete': { access: 'manage_indicators', path: '/v1/indicators/0000000000000000/delete' },
    'POST /v1/indicators/feeds': { access: 'manage_indicators', path: '/v1/indicators/feeds', body: { name: 'incomplete' } },
    'GET /v1/indicators/feeds': { access: 'manage_indicators', path: '/v1/indicators/feeds', tenantData: true },
    'GET /v1/indicators/feeds/:id': { access: 'manage_indicators', path: '/v1/indicators/feeds/no-such-feed' },
    'DELETE /v1/indicators/feeds/:id': { access: 'manage_indicators', path: '/v1/indicators/feeds/no-such-feed' },
    'POST /v1/indicators/feeds/:id/refresh': { access: 'manage_indicators', path: '/v1/indicators/feeds/no-such-feed/refresh' },
    'POST /v1/sources': { access: 'admin', path: '/v1/sources', body: { id: 'Not A Slug' } },
    'GET /v1/sources': { access: 'read_sources', path: '/v1/sources', query: { size: '100' }, tenantData: true },
    'GET /v1/sources/:id': { access: 'read_sources', path: '/v1/sources/no-such-source' },
    'PATCH /v1/sources/:id': { access: 'admin', path: '/v1/sources/no-such-source', body: { display_name: 'x' } },
    'DELETE /v1/sources/:id': { access: 'admin', path: '/v1/sources/no-such-source' },
    'POST /v1/sources/:id/admission/test': { access: 'read_sources', path: '/v1/sources/no-such-source/admission/test', body: { client_ip: '192.0.2.1' } },
    // MaxMind downloads are not configured here: 409 geoip_download_not_configured, never a job.
    'POST /v1/geo/download': { access: 'admin', path: '/v1/geo/download' },
    'GET /v1/geo/test': { access: 'admin', path: '/v1/geo/test', query: { ip: '8.8.8.8' } },
    // No file: 400 file_required, nothing stored.
    'POST /v1/upload/geoip': { access: 'admin', path: '/v1/upload/geoip' },
    'GET /v1/jobs': { access: 'admin', path: '/v1/jobs' },
    'GET /v1/jobs/:jobId': { access: 'admin', path: '/v1/jobs/00000000-0000-0000-0000-000000000000' },
  };
}

/** `METHOD /path` of every HTTP handler the app registered, read from Nest's own route metadata. */
function routeTable(app: INestApplication): string[] {
  const routes = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        routes.add(`${method} ${`/${base}/${sub}`.replace(/\/+/g, '/').replace(/\/$/, '')}`);
      }
    }
  }
  return [...routes].sort();
}

type HttpTarget = Parameters<typeof request>[0];

/** Where each route is served and how to put data in: the all-in-one, or the apps as separate processes. */
interface Deployment {
  /** The default tenant first (only its keys may hold admin), then another. */
  readonly tenants: readonly [string, string];
  readonly adminKey: string;
  /** The process that serves a path. */
  target(path: string): HttpTarget;
  /** Writes one raw record to an ingress topic, as a direct producer naming the tenant would. */
  produce(tenant: string, value: string): Promise<void>;
}

function call(deployment: Deployment, method: string, route: RouteCase, key: string | undefined, headers: Record<string, string> = {}) {
  const agent = request(deployment.target(route.path));
  const pending =
    method === 'GET'
      ? agent.get(route.path)
      : method === 'POST'
        ? agent.post(route.path)
        : method === 'PATCH'
          ? agent.patch(route.path)
          : method === 'PUT'
            ? agent.put(route.path)
            : agent.delete(route.path);
  if (key) pending.set('Authorization', `Bearer ${key}`);
  for (const [name, value] of Object.entries(headers)) pending.set(name, value);
  if (route.query) pending.query(route.query);
  return route.body === undefined ? pending : pending.send(route.body as object);
}

/** The scopes a tenant's keys may hold: every one for the default tenant, all but admin for another. */
function scopesOf(deployment: Deployment, tenant: string): readonly Scope[] {
  return tenant === deployment.tenants[0] ? SCOPES : SCOPES.filter((scope) => scope !== 'admin');
}

/** A key of every scope for both tenants, records of each through the API, and one bad record each in the ingest DLQ. */
async function populate(deployment: Deployment): Promise<Record<string, Record<Scope, string>>> {
  const keys: Record<string, Record<Scope, string>> = {};
  const admin = deployment.target('/v1/admin');
  for (const tenant of deployment.tenants) {
    keys[tenant] = {} as Record<Scope, string>;
    for (const scope of scopesOf(deployment, tenant)) keys[tenant][scope] = await issueKey(admin, deployment.adminKey, tenant, [scope]);
  }
  // admin reaches every tenant: another tenant's key may not hold it.
  const refused = await request(admin)
    .post('/v1/admin/keys')
    .set('Authorization', `Bearer ${deployment.adminKey}`)
    .send({ tenant_id: deployment.tenants[1], scopes: ['admin'] });
  expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 422, error: 'validation_failed' });
  const ingest = deployment.target('/v1/ingest');
  for (const tenant of deployment.tenants) {
    const auth = { Authorization: `Bearer ${keys[tenant].ingest}` };
    await request(ingest)
      .post('/v1/ingest/zeek')
      .set(auth)
      .send(zeek(`marker-${tenant}`))
      .expect(202);
    await request(ingest)
      .post('/v1/ingest/zeek')
      .set(auth)
      .send([...zeek(`marker-${tenant}-ok`), { ...zeek(`marker-${tenant}-bad`)[0], 'id.orig_h': 'not-an-ip' }])
      .expect(207);
    // A record the enricher cannot read, from a direct producer naming the tenant: the ingest DLQ.
    await deployment.produce(tenant, `not json, marker-${tenant}`);
    // An indicator and a feed of the tenant's own (a public address that answers nothing here: its fetch fails, which is reported).
    const intel = deployment.target('/v1/indicators');
    const manage = { Authorization: `Bearer ${keys[tenant].manage_indicators}` };
    await request(intel)
      .put('/v1/indicators')
      .set(manage)
      .send({ ip_or_cidr: '192.0.2.1', source: `marker-${tenant}` })
      .expect(200);
    await request(intel)
      .post('/v1/indicators/feeds')
      .set(manage)
      .send({ name: `marker-${tenant}`, url: 'http://1.1.1.1:9/list.txt', format: 'plain' })
      .expect(201);
    // A source of the tenant's own, registered by the admin for it (source writes need admin).
    await request(deployment.target('/v1/sources'))
      .post('/v1/sources')
      .set('Authorization', `Bearer ${deployment.adminKey}`)
      .send({ id: `marker-${tenant}`, tenant_id: tenant, type: 'http', display_name: `marker ${tenant}`, collector: `gw-${tenant}` })
      .expect(201);
  }
  const query = deployment.target('/v1/download');
  await waitFor(
    async () => {
      for (const tenant of deployment.tenants) {
        const auth = { Authorization: `Bearer ${keys[tenant].read_requests}` };
        const rows = await request(query).get('/v1/download/json').query({ limit: '1000' }).set(auth);
        if (!rows.text.includes(`marker-${tenant}"`)) return false;
        const letters = await request(query).get('/v1/dlq/ingest').query({ limit: '500' }).set(auth);
        if (!letters.text.includes(`"tenant_id":"${tenant}"`)) return false;
      }
      return true;
    },
    { timeoutMs: 90_000, description: "each tenant's records projected and its bad record in the ingest DLQ" },
  );
  return keys;
}

/** Every route × every scope × own/other tenant: what differs from the matrix, as readable lines. */
async function matrixFailures(deployment: Deployment, keys: Record<string, Record<Scope, string>>): Promise<string[]> {
  const failures: string[] = [];
  const [first, second] = deployment.tenants;
  for (const [name, route] of Object.entries(matrix(uniqueName('m')))) {
    const method = name.split(' ')[0];
    const anonymous = await call(deployment, method, route, undefined);
    if (route.access === 'public' ? anonymous.status >= 400 : anonymous.status !== 401) {
      failures.push(`${name} without a key: ${anonymous.status}, expected ${route.access === 'public' ? 'an answer' : 401}`);
    }
    if (route.access === 'public') continue;
    for (const tenant of deployment.tenants) {
      const foreign = tenant === first ? second : first;
      for (const scope of scopesOf(deployment, tenant)) {
        const response = await call(deployment, method, route, keys[tenant][scope]);
        const allowed = scope === 'admin' || scope === route.access || route.access === 'authenticated';
        if (allowed && (response.status === 401 || response.status === 403))
          failures.push(`${name} with ${tenant}'s ${scope} key: ${response.status}, expected access`);
        if (!allowed && response.status !== 403) failures.push(`${name} with ${tenant}'s ${scope} key: ${response.status}, expected 403`);
        // A non-admin key's answers hold nothing of another tenant's (admins see across tenants by design).
        if (route.tenantData && allowed && scope !== 'admin') {
          if (response.text.includes(foreign)) failures.push(`${name}: ${tenant}'s ${scope} key saw ${foreign}'s records`);
          if (!response.text.includes(`"tenant_id":"${tenant}"`)) failures.push(`${name}: ${tenant}'s ${scope} key did not see its own records`);
        }
        // Naming another tenant is an admin's privilege only.
        if (!allowed || scope === 'admin') continue;
        const override = await call(deployment, method, route, keys[tenant][scope], { 'X-Tenant-ID': foreign });
        if (override.status !== 403) failures.push(`${name} with ${tenant}'s ${scope} key and X-Tenant-ID ${foreign}: ${override.status}, expected 403`);
      }
      // An admin acting as a tenant sees only that tenant's data.
      if (route.tenantData) {
        const acting = await call(deployment, method, route, deployment.adminKey, { 'X-Tenant-ID': tenant });
        if (acting.status !== 200 || acting.text.includes(foreign) || !acting.text.includes(`"tenant_id":"${tenant}"`)) {
          failures.push(`${name} as admin with X-Tenant-ID ${tenant}: ${acting.status}, or it held another tenant's records`);
        }
      }
    }
    const unknown = await call(deployment, method, route, deployment.adminKey, { 'X-Tenant-ID': 'no-such-tenant' });
    if (unknown.status !== 404 || unknown.body.error !== 'tenant_not_found') {
      failures.push(`${name} as admin with an unknown X-Tenant-ID: ${unknown.status} ${unknown.body.error}`);
    }
  }
  return failures;
}

describe.each(['embedded', 'kafka'] as const)('tenant isolation on every route of the all-in-one (%s mode)', (mode) => {
  let product: RunningProduct;
  let deployment: Deployment;
  let keys: Record<string, Record<Scope, string>>;

  beforeAll(async () => {
    product = await startProduct(mode, { RATE_LIMIT_PER_MIN: '0', AUTH_FAILURES_PER_MIN: '0' });
    const log = product.app.get<EventLog>(EVENT_LOG);
    deployment = {
      tenants: [product.tenant, uniqueName('other')],
      adminKey: TEST_KEY,
      target: () => product.server,
      produce: (tenant, value) => log.publish(TOPICS.ingestZeekConn, [{ key: tenant, value, headers: { [HEADERS.tenantId]: tenant } }]),
    };
    keys = await populate(deployment);
  });

  afterAll(() => product?.close());

  it('has a matrix entry for every route the app serves, and no entry for a route it does not', () => {
    expect(routeTable(product.app)).toEqual(Object.keys(matrix('x')).sort());
  });

  it('answers every route × scope × tenant as the matrix says, and never with another tenant’s record', async () => {
    expect(await matrixFailures(deployment, keys)).toEqual([]);
  });

  it('documents every route in the OpenAPI document', async () => {
    const document = (await request(product.server).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const missing = Object.keys(matrix('x')).filter((name) => {
      const [method, route] = name.split(' ');
      const openApiPath = route.replace(/[:*](\w+)/g, '{$1}');
      return !document.paths[openApiPath]?.[method.toLowerCase()];
    });
    expect(missing).toEqual([]);
  });
});

describe('tenant isolation on every route of the apps as separate processes (Kafka + Postgres)', () => {
  const running: RunningProcess[] = [];
  let dir: string;
  let producer: EventLog | undefined;

  afterAll(async () => {
    await Promise.all(running.splice(0).map((process) => process.kill()));
    await producer?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await dropFreshDatabases();
  });

  it('answers every route × scope × tenant as the matrix says on ingest-api and query-api, never with another tenant’s record', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-isolation-'));
    const geo = writeGeoFixtures(dir);
    const adminKey = `${uniqueName('admin')}-0123456789`;
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      DATABASE_URL: await freshDatabase('isolation'),
      DEFAULT_TENANT: uniqueName('tenant'),
      API_KEY: adminKey,
      KAFKA_GROUP_PREFIX: uniqueName('isolation'),
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      DATA_DIR: dir,
      RATE_LIMIT_PER_MIN: '0',
      AUTH_FAILURES_PER_MIN: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const [ingestPort, queryPort, enricherPort] = await freePorts(3);
    const start = (entry: string, port: number) => {
      const child = spawnTypeScript(entry, { ...env, PORT: String(port) });
      running.push(child);
      return waitHealthy(port, child);
    };
    await Promise.all([
      start('apps/ingest-api/src/main.ts', ingestPort),
      start('apps/query-api/src/main.ts', queryPort),
      start('apps/enricher/src/main.ts', enricherPort),
    ]);
    producer = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: uniqueName('isolation-producer') });
    const log = producer;
    const deployment: Deployment = {
      tenants: [env.DEFAULT_TENANT, uniqueName('other')],
      adminKey,
      // Ingest routes on the ingest-api; everything else on the query-api (system routes are on both).
      target: (route) => `http://127.0.0.1:${route.startsWith('/v1/ingest') ? ingestPort : queryPort}`,
      produce: (tenant, value) => log.publish(TOPICS.ingestZeekConn, [{ key: tenant, value, headers: { [HEADERS.tenantId]: tenant } }]),
    };
    const keys = await populate(deployment);
    expect(await matrixFailures(deployment, keys)).toEqual([]);
  });
});
