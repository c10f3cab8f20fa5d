import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
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
import { RunningProduct, SAMPLES, startProduct, TEST_KEY, writeGeoFixtures } from './all-in-one.harness';

/*
 * The event-sourced control plane end to end: tenants and API keys through the admin API, keys
 * that work on the next request and stop when revoked, on the embedded all-in-one and across
 * separate processes on real Kafka; seeding that is idempotent across replicas; the embedded first
 * start's generated key.
 */

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const admin = bearer(TEST_KEY);
const zeek = (uid: string) => [{ ts: 1732288900, uid, 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp' }];

describe('the control plane API (embedded mode)', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct('embedded', { RATE_LIMIT_PER_MIN: '0', AUTH_FAILURES_PER_MIN: '0' });
  });

  afterAll(() => product?.close());

  const api = () => request(product.server);
  /** One Zeek record sent with `key`, expecting `status`. */
  const ingestWith = (key: string, status: number) =>
    api()
      .post('/v1/ingest/zeek')
      .set(bearer(key))
      .send(zeek(uniqueName('uid')))
      .expect(status);

  it('creates, lists, reads, changes and deletes tenants, with the errors a client can act on', async () => {
    const id = uniqueName('acme');
    const created = await api()
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ tenant_id: id, name: 'ACME', retention_days: 30, quotas: { eps: 500 } })
      .expect(201);
    expect(created.body).toMatchObject({ tenant_id: id, name: 'ACME', retention_days: 30, quotas: { eps: 500 }, active_keys: 0 });

    const duplicate = await api().post('/v1/admin/tenants').set(admin).send({ tenant_id: id }).expect(409);
    expect(duplicate.body).toMatchObject({ error: 'tenant_exists', tenant_id: id });

    const invalid = await api()
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ tenant_id: 'Not A Slug', retention_days: 0, quotas: { eps: -1, burst: 3 }, colour: 'red' })
      .expect(422);
    expect(invalid.body.error).toBe('validation_failed');
    expect(invalid.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'colour',
      'quotas.burst',
      'quotas.eps',
      'retention_days',
      'tenant_id',
    ]);

    const list = await api().get('/v1/admin/tenants').set(admin).expect(200);
    expect(list.body.tenants.map((tenant: { tenant_id: string }) => tenant.tenant_id)).toEqual(expect.arrayContaining([id, product.tenant]));
    expect(list.body.total).toBe(list.body.tenants.length);

    const patched = await api().patch(`/v1/admin/tenants/${id}`).set(admin).send({ retention_days: 14 }).expect(200);
    expect(patched.body).toMatchObject({ tenant_id: id, name: 'ACME', retention_days: 14 });
    expect((await api().get(`/v1/admin/tenants/${id}`).set(admin).expect(200)).body.retention_days).toBe(14);

    const key = await api()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ tenant_id: id, scopes: ['ingest'] })
      .expect(201);
    const refused = await api().delete(`/v1/admin/tenants/${id}`).set(admin).expect(409);
    expect(refused.body).toMatchObject({ error: 'tenant_has_active_keys', active_key_ids: [key.body.key_id] });
    await ingestWith(key.body.api_key, 202);

    const deleted = await api().delete(`/v1/admin/tenants/${id}`).query({ force: 'true' }).set(admin).expect(200);
    expect(deleted.body).toEqual({ status: 'deleted', tenant_id: id, revoked_key_ids: [key.body.key_id] });
    await ingestWith(key.body.api_key, 401);
    expect((await api().get(`/v1/admin/tenants/${id}`).set(admin).expect(404)).body.error).toBe('tenant_not_found');
    expect((await api().post('/v1/admin/tenants').set(admin).send({ tenant_id: id }).expect(409)).body.error).toBe('tenant_id_retired');
    expect((await api().delete(`/v1/admin/tenants/${product.tenant}`).query({ force: 'true' }).set(admin).expect(409)).body.error).toBe('default_tenant');
  });

  it('issues a key once with its secret, lists keys without secrets, enforces scopes, revokes and rotates', async () => {
    const tenant = uniqueName('scoped');
    await api().post('/v1/admin/tenants').set(admin).send({ tenant_id: tenant }).expect(201);
    const issued = await api()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ tenant_id: tenant, scopes: ['ingest', 'export'], name: 'sensor 1' })
      .expect(201);
    expect(issued.body).toMatchObject({ tenant_id: tenant, scopes: ['ingest', 'export'], name: 'sensor 1', origin: 'api', is_active: true });
    expect(issued.body.api_key).toMatch(/^tk_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const secret = issued.body.api_key as string;

    const listed = await api().get('/v1/admin/keys').query({ tenant_id: tenant }).set(admin).expect(200);
    expect(listed.body.keys).toEqual([expect.objectContaining({ key_id: issued.body.key_id, scopes: ['ingest', 'export'] })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.split('.')[1]);
    expect(listed.body.keys[0]).not.toHaveProperty('api_key');

    // Scopes: ingest works, admin routes do not; X-Tenant-ID is for admins only.
    await ingestWith(secret, 202);
    expect((await api().get('/v1/admin/tenants').set(bearer(secret)).expect(403)).body).toMatchObject({ error: 'forbidden', required_scope: 'admin' });
    expect((await api().get('/v1/download/json').set(bearer(secret)).set('X-Tenant-ID', product.tenant).expect(403)).body.error).toBe('forbidden');
    expect((await api().get('/v1/download/json').set(admin).set('X-Tenant-ID', 'no-such-tenant').expect(404)).body.error).toBe('tenant_not_found');

    const invalid = await api()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ tenant_id: tenant, scopes: ['ingest', 'root'], expires_at: 'tomorrow' })
      .expect(422);
    expect(invalid.body.errors).toEqual([
      { field: 'scopes[1]', message: expect.stringContaining('unknown scope "root"') },
      { field: 'expires_at', message: expect.stringContaining('RFC 3339') },
    ]);
    expect(
      (
        await api()
          .post('/v1/admin/keys')
          .set(admin)
          .send({ tenant_id: 'nobody-here', scopes: ['ingest'] })
          .expect(404)
      ).body.error,
    ).toBe('tenant_not_found');

    // Rotation: the new secret works at once, the old one for the grace period it was given.
    const rotated = await api().post(`/v1/admin/keys/${issued.body.key_id}/rotate`).set(admin).send({ grace_seconds: 3600 }).expect(200);
    expect(rotated.body.key_id).toBe(issued.body.key_id);
    expect(rotated.body.api_key).not.toBe(secret);
    await ingestWith(rotated.body.api_key, 202);
    await ingestWith(secret, 202);
    const again = await api().post(`/v1/admin/keys/${issued.body.key_id}/rotate`).set(admin).send({ grace_seconds: 0 }).expect(200);
    await ingestWith(rotated.body.api_key, 401);
    await ingestWith(again.body.api_key, 202);
    // The first secret keeps the grace its own rotation gave it.
    await ingestWith(secret, 202);

    const revoked = await api().delete(`/v1/admin/keys/${issued.body.key_id}`).set(admin).expect(200);
    expect(revoked.body).toMatchObject({ key_id: issued.body.key_id, is_active: false, revoked_at: expect.any(String) });
    await ingestWith(again.body.api_key, 401);
    await ingestWith(secret, 401);
    expect((await api().delete(`/v1/admin/keys/${issued.body.key_id}`).set(admin).expect(409)).body.error).toBe('key_revoked');
    expect((await api().delete('/v1/admin/keys/tk_0000000000000000').set(admin).expect(404)).body.error).toBe('key_not_found');
  });

  it("enforces a tenant's quotas at ingest: records per request, records per second, requests in flight", async () => {
    const tenant = uniqueName('quota');
    await api()
      .post('/v1/admin/tenants')
      .set(admin)
      .send({ tenant_id: tenant, quotas: { eps: 1, batch_max: 3, in_flight: 1 } })
      .expect(201);
    const key = await api()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ tenant_id: tenant, scopes: ['ingest'] })
      .expect(201);
    const send = (count: number) =>
      api()
        .post('/v1/ingest/zeek')
        .set(bearer(key.body.api_key))
        .send(Array.from({ length: count }, () => zeek(uniqueName('uid'))[0]));

    const tooMany = await send(4).expect(413);
    expect(tooMany.body).toMatchObject({ error: 'too_many_records', limit: 3, observed: 4 });
    // The bucket holds two seconds' worth (2 records); a full bucket lets a larger batch through into
    // debt, and the next request waits until it has refilled (2 s at 1 record/s: no slow machine gets there first).
    await send(3).expect(202);
    const limited = await send(1).expect(429);
    expect(limited.body).toMatchObject({ error: 'tenant_rate_limited', tenant_id: tenant, limit: 1, retry_after: expect.any(Number) });
    expect(Number(limited.headers['retry-after'])).toBe(limited.body.retry_after);

    // One request in flight: a body that has not finished arriving holds the tenant's only slot.
    const address = product.server.address() as AddressInfo;
    const stalled = http.request({
      host: '127.0.0.1',
      port: address.port,
      path: '/v1/ingest/zeek',
      method: 'POST',
      headers: { ...bearer(key.body.api_key), 'Content-Type': 'application/json', 'Content-Length': '1000' },
    });
    stalled.on('error', () => undefined);
    stalled.write('[');
    const busy = await waitFor(
      async () => {
        const response = await send(1);
        return response.status === 429 && response.body.error === 'tenant_in_flight_limited' ? response : undefined;
      },
      { timeoutMs: 5_000, description: 'the second request refused while the first is in flight' },
    );
    expect(busy.body).toMatchObject({ tenant_id: tenant, limit: 1, retry_after: 1 });
    stalled.destroy();

    const metrics = await api().get('/v1/metrics/prometheus').expect(200);
    expect(metrics.text).toContain(`telemetry_ingest_quota_rejections_total{tenant="${tenant}",reason="batch_max"} 1`);
    expect(metrics.text).toMatch(new RegExp(`telemetry_ingest_quota_rejections_total\\{tenant="${tenant}",reason="records_per_second"\\} 1\\b`));
    expect(metrics.text).toMatch(new RegExp(`telemetry_ingest_quota_rejections_total\\{tenant="${tenant}",reason="in_flight"\\} [1-9]`));
  });

  it('audits every admin command, accepted or refused, newest first with filters and pages; a rebuild by replay gives the same answers', async () => {
    const tenant = uniqueName('audited');
    await api().post('/v1/admin/tenants').set(admin).set('X-Request-ID', 'req-audit-1').send({ tenant_id: tenant, name: 'Audited' }).expect(201);
    await api().post('/v1/admin/tenants').set(admin).send({ tenant_id: tenant }).expect(409);
    await api().patch(`/v1/admin/tenants/${tenant}`).set(admin).send({ retention_days: 3, name: 'Renamed' }).expect(200);

    const entries = (await api().get('/v1/admin/audit').query({ tenant_id: tenant }).set(admin).expect(200)).body;
    expect(entries.count).toBe(3);
    expect(entries.audit_logs.map((entry: { action: string; outcome: string }) => `${entry.action}:${entry.outcome}`)).toEqual([
      'UpdateTenant:accepted',
      'CreateTenant:refused',
      'CreateTenant:accepted',
    ]);
    expect(entries.audit_logs[0]).toMatchObject({
      tenant_id: tenant,
      target: tenant,
      changed_fields: ['name', 'retention_days'],
      actor_key_id: expect.stringMatching(/^seed_/),
    });
    expect(entries.audit_logs[1]).toMatchObject({ error_code: 'tenant_exists', changed_fields: [] });
    expect(entries.audit_logs[2]).toMatchObject({ request_id: 'req-audit-1', client_ip: expect.any(String) });

    // A request refused before it is a command (its body does not validate) is audited too.
    await api().post('/v1/admin/tenants').set(admin).set('X-Request-ID', 'req-audit-invalid').send({ tenant_id: 'Not A Slug' }).expect(422);
    const invalid = (await api().get('/v1/admin/audit').query({ action: 'CreateTenant', outcome: 'refused', limit: 5 }).set(admin).expect(200)).body;
    expect(invalid.audit_logs[0]).toMatchObject({ request_id: 'req-audit-invalid', error_code: 'validation_failed', outcome: 'refused' });
    const refused = (await api().get('/v1/admin/audit').query({ tenant_id: tenant, outcome: 'refused' }).set(admin).expect(200)).body;
    expect(refused.audit_logs.map((entry: { id: string }) => entry.id)).toEqual([entries.audit_logs[1].id]);
    const first = (await api().get('/v1/admin/audit').query({ tenant_id: tenant, limit: 2 }).set(admin).expect(200)).body;
    const second = (await api().get('/v1/admin/audit').query({ tenant_id: tenant, limit: 2, cursor: first.next_cursor }).set(admin).expect(200)).body;
    expect([...first.audit_logs, ...second.audit_logs]).toEqual(entries.audit_logs);
    expect(second.next_cursor).toBeNull();
    expect((await api().get('/v1/admin/audit').query({ limit: 0 }).set(admin).expect(400)).body).toMatchObject({ error: 'invalid_parameter', field: 'limit' });

    const everything = (await api().get('/v1/admin/audit').query({ limit: 1000 }).set(admin).expect(200)).body;
    const rebuilt = await api().post('/v1/admin/rebuild/admin-audit').set(admin).expect(200);
    expect(rebuilt.body).toEqual({ model: 'admin-audit', rows: expect.any(Number) });
    expect(rebuilt.body.rows).toBeGreaterThanOrEqual(everything.count);
    const after = (await api().get('/v1/admin/audit').query({ limit: 1000 }).set(admin).expect(200)).body;
    // The rebuild itself is not an admin command of the audited kind: the same entries come back.
    expect(after.audit_logs).toEqual(everything.audit_logs);
    expect((await api().post('/v1/admin/rebuild/nothing').set(admin).expect(404)).body.error).toBe('unknown_read_model');
  });

  it('keeps the v0.7.9 /v1/keys family as aliases', async () => {
    const scopes = await api().get('/v1/keys/scopes').expect(200);
    expect(Object.keys(scopes.body.scopes)).toEqual(['ingest', 'read_metrics', 'read_requests', 'export', 'manage_indicators', 'read_sources', 'admin']);
    const created = await api()
      .post('/v1/keys')
      .set(admin)
      .send({ scopes: ['read_metrics'], note: 'grafana' })
      .expect(201);
    expect(created.body).toEqual({
      key_id: expect.any(String),
      api_key: expect.any(String),
      scopes: ['read_metrics'],
      note: 'grafana',
      created_at: expect.any(String),
    });
    const list = await api().get('/v1/keys').set(admin).expect(200);
    expect(list.body.keys).toEqual(expect.arrayContaining([expect.objectContaining({ key_id: created.body.key_id, note: 'grafana', is_active: true })]));
    expect((await api().delete(`/v1/keys/${created.body.key_id}`).set(admin).expect(200)).body).toEqual({ status: 'deleted', key_id: created.body.key_id });
  });

  it('answers repeated failed authentications from one address with 429 before checking the next guess', async () => {
    const limited = await startProduct('embedded', { AUTH_FAILURES_PER_MIN: '5' });
    try {
      const guess = bearer(`tk_${'0'.repeat(16)}.${'x'.repeat(43)}`);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt += 1) statuses.push((await request(limited.server).get('/v1/download/json').set(guess)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // Even the right key waits: the address is refused before any key is checked.
      const refused = await request(limited.server).get('/v1/download/json').set(admin).expect(429);
      expect(refused.body).toMatchObject({ error: 'too_many_failed_authentications', retry_after: expect.any(Number) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe('the control plane across processes', () => {
  const running: RunningProcess[] = [];
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-control-'));
  });

  afterAll(dropFreshDatabases);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((process) => process.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(entry: string, port: number, env: Record<string, string>): RunningProcess {
    const process = spawnTypeScript(entry, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env });
    running.push(process);
    return process;
  }

  it('on real Kafka: replicas starting at once seed one key; a key made on query-api works on the next ingest-api request; a revoked key stops within 1 s', async () => {
    const seedKey = `${uniqueName('seed')}-0123456789`;
    const tenant = uniqueName('tenant');
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      DATABASE_URL: await freshDatabase('control'),
      DEFAULT_TENANT: tenant,
      API_KEY: seedKey,
      KAFKA_GROUP_PREFIX: uniqueName('control'),
      DATA_DIR: dir,
      RATE_LIMIT_PER_MIN: '0',
    };
    const [ingestA, ingestB, queryPort] = await freePorts(3);
    const processes = [
      start('apps/ingest-api/src/main.ts', ingestA, env),
      start('apps/ingest-api/src/main.ts', ingestB, env),
      start('apps/query-api/src/main.ts', queryPort, env),
    ];
    await Promise.all([ingestA, ingestB, queryPort].map((port, index) => waitHealthy(port, processes[index])));

    const query = `http://127.0.0.1:${queryPort}`;
    const keys = async () =>
      (await (await fetch(`${query}/v1/admin/keys?tenant_id=${tenant}&include_revoked=true`, { headers: bearer(seedKey) })).json()) as {
        keys: Array<Record<string, unknown>>;
      };
    expect((await keys()).keys.filter((key) => key.origin === 'seed')).toHaveLength(1);

    const ingest = (port: number, key: string) =>
      fetch(`http://127.0.0.1:${port}/v1/ingest/zeek`, {
        method: 'POST',
        headers: { ...bearer(key), 'Content-Type': 'application/json' },
        body: JSON.stringify(zeek(uniqueName('uid'))),
      });
    const issued = await fetch(`${query}/v1/admin/keys`, {
      method: 'POST',
      headers: { ...bearer(seedKey), 'Content-Type': 'application/json' },
      body: JSON.stringify({ scopes: ['ingest'] }),
    });
    expect(issued.status).toBe(201);
    const { api_key: token, key_id: keyId } = (await issued.json()) as { api_key: string; key_id: string };
    // The very next request, to other processes: read-your-writes.
    expect((await ingest(ingestA, token)).status).toBe(202);
    expect((await ingest(ingestB, token)).status).toBe(202);

    const revoke = await fetch(`${query}/v1/admin/keys/${keyId}`, { method: 'DELETE', headers: bearer(seedKey) });
    expect(revoke.status).toBe(200);
    const revokedAt = Date.now();
    await waitFor(async () => (await ingest(ingestA, token)).status === 401 && (await ingest(ingestB, token)).status === 401, {
      timeoutMs: 1_000,
      intervalMs: 20,
      description: 'the revoked key refused by both ingest-api processes',
    });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
  });

  it('embedded first start with no key configured: generates one admin key, shown once, in a file only the user reads; a restart generates none', async () => {
    const geo = writeGeoFixtures(dir);
    const env = {
      DATA_DIR: path.join(dir, 'data'),
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      THREATLIST_CSV: path.join(SAMPLES, 'threatlist.csv'),
      LOG_LEVEL: 'log',
    };
    const [port] = await freePorts(1);
    let product = start('apps/all-in-one/src/main.ts', port, env);
    await waitHealthy(port, product);
    const file = path.join(dir, 'data', 'admin-api-key');
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(product.output()).toContain(token);
    const get = (key: string) => fetch(`http://127.0.0.1:${port}/v1/admin/keys`, { headers: bearer(key) });
    expect((await get('TEST_KEY')).status).toBe(401);
    expect((await get(token)).status).toBe(200);

    await product.kill();
    running.splice(running.indexOf(product), 1);
    product = start('apps/all-in-one/src/main.ts', port, env);
    await waitHealthy(port, product);
    expect(product.output()).not.toContain(token);
    const list = (await (await get(token)).json()) as { keys: Array<{ origin: string }> };
    expect(list.keys.map((key) => key.origin)).toEqual(['generated']);
  });
});
