import request from 'supertest';
import { issueKey, RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

/*
 * The sources registry on the embedded all-in-one: the original's /v1/sources paths, bodies and
 * envelopes, event-sourced on the control topic; admin writes, read_sources reads, scoped per tenant;
 * and the admission test of a client address against a source.
 */

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const admin = bearer(TEST_KEY);
const source = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'udp', display_name: `Source ${id}`, collector: `gw-${id}`, ...extra });

describe('the sources registry (embedded all-in-one)', () => {
  let product: RunningProduct;
  let acmeReader: string;
  let globexReader: string;
  let acmeIngest: string;

  beforeAll(async () => {
    product = await startProduct('embedded', { RATE_LIMIT_PER_MIN: '0' });
    acmeReader = await issueKey(product.server, TEST_KEY, 'acme', ['read_sources']);
    acmeIngest = await issueKey(product.server, TEST_KEY, 'acme', ['ingest']);
    globexReader = await issueKey(product.server, TEST_KEY, 'globex', ['read_sources']);
  });

  afterAll(() => product?.close());

  const api = () => request(product.server);

  it('registers a source with the original’s fields, canonical allowed_ips as an array, and refuses the same id in the same tenant (409)', async () => {
    const created = await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('edge-fra1', { tenant_id: 'acme', site: 'fra1', tags: '["edge","prod"]', allowed_ips: '["10.1.2.3/8", "2001:DB8::/32"]', max_eps: 5000 }))
      .expect(201);
    expect(created.body).toEqual({
      id: 'edge-fra1',
      tenant_id: 'acme',
      type: 'udp',
      display_name: 'Source edge-fra1',
      collector: 'gw-edge-fra1',
      site: 'fra1',
      tags: ['edge', 'prod'],
      notes: null,
      status: 'enabled',
      enabled: true,
      allowed_ips: ['10.0.0.0/8', '2001:db8::/32'],
      max_eps: 5000,
      block_on_exceed: true,
      health_status: 'stale',
      last_seen: null,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      updated_at: created.body.created_at,
    });
    const duplicate = await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('edge-fra1', { tenant_id: 'acme' }))
      .expect(409);
    expect(duplicate.body.error).toBe('source_exists');
    // The same id in another tenant is another source.
    await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('edge-fra1', { tenant_id: 'globex', type: 'http' }))
      .expect(201);
    // Without tenant_id: the admin key's own tenant.
    const own = await api().post('/v1/sources').set(admin).send(source('own-1')).expect(201);
    expect(own.body.tenant_id).toBe(product.tenant);
    // With X-Tenant-ID the admin acts for that tenant: naming another is 403.
    const mismatch = await api()
      .post('/v1/sources')
      .set(admin)
      .set('X-Tenant-ID', 'acme')
      .send(source('x-1', { tenant_id: 'globex' }))
      .expect(403);
    expect(mismatch.body.error).toBe('tenant_mismatch');
    await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('x-1', { tenant_id: 'no-such-tenant' }))
      .expect(404);
  });

  it('answers 422 validation_failed naming each bad field, allowed_ips by index', async () => {
    const bad = await api()
      .post('/v1/sources')
      .set(admin)
      .send({ id: 'Bad Id', type: 'tcp', collector: 'gw', allowed_ips: ['10.0.0.0/8', '192.0.2.0/24', '300.1.1.1/24'], max_eps: -1, block_on_exceed: 'yes' })
      .expect(422);
    expect(bad.body.error).toBe('validation_failed');
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      ['allowed_ips[2]', 'block_on_exceed', 'display_name', 'id', 'max_eps', 'type'].sort(),
    );
    const many = Array.from({ length: 129 }, (_, i) => `10.${i}.0.0/16`);
    const tooMany = await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('many', { allowed_ips: many }))
      .expect(422);
    expect(tooMany.body.errors).toEqual([{ field: 'allowed_ips', message: 'must hold at most 128 entries, got 129' }]);
    await api().post('/v1/sources').set(admin).send('[]').set('Content-Type', 'application/json').expect(400);
  });

  it('lists with the original’s envelope, filters and paging; a tenant’s key sees its own tenant’s only', async () => {
    for (const [id, extra] of [
      ['list-a', { type: 'http', status: 'disabled', site: 'ams1' }],
      ['list-b', { type: 'udp', site: 'ams1', collector: 'gw-shared' }],
      ['list-c', { type: 'http' }],
    ] as const) {
      await api()
        .post('/v1/sources')
        .set(admin)
        .send(source(id, { tenant_id: 'acme', ...extra }))
        .expect(201);
    }
    const all = await api().get('/v1/sources').set(bearer(acmeReader)).expect(200);
    expect(all.body.sources.map((s: { id: string }) => s.id)).toEqual(['edge-fra1', 'list-a', 'list-b', 'list-c']);
    expect(all.body).toEqual(expect.objectContaining({ total: 4, page: 1, size: 50, page_size: 50, pages: 1 }));
    expect(all.body.items).toEqual(all.body.sources);
    expect(all.body.sources.every((s: { tenant_id: string }) => s.tenant_id === 'acme')).toBe(true);

    const ids = async (query: Record<string, string>, key = acmeReader) =>
      (await api().get('/v1/sources').set(bearer(key)).query(query).expect(200)).body.sources.map((s: { id: string }) => s.id);
    expect(await ids({ type: 'http' })).toEqual(['list-a', 'list-c']);
    expect(await ids({ status: 'disabled' })).toEqual(['list-a']);
    expect(await ids({ enabled: 'true', site: 'ams1' })).toEqual(['list-b']);
    expect(await ids({ collector: 'gw-shared' })).toEqual(['list-b']);
    expect(await ids({ status: 'stale', type: 'udp' })).toEqual(['edge-fra1', 'list-b']);
    expect(await ids({ tenant: 'acme', type: 'udp' })).toEqual(['edge-fra1', 'list-b']);
    expect(await ids({}, globexReader)).toEqual(['edge-fra1']);

    const paged = await api().get('/v1/sources').set(bearer(acmeReader)).query({ page: '2', page_size: '3' }).expect(200);
    expect(paged.body).toEqual(expect.objectContaining({ total: 4, page: 2, size: 3, page_size: 3, pages: 2 }));
    expect(paged.body.sources.map((s: { id: string }) => s.id)).toEqual(['list-c']);

    // An admin acting globally sees every tenant's, `tenant` narrows, X-Tenant-ID acts for one tenant.
    const global = await api().get('/v1/sources').set(admin).query({ size: '100' }).expect(200);
    expect(new Set(global.body.sources.map((s: { tenant_id: string }) => s.tenant_id))).toEqual(new Set(['acme', 'globex', product.tenant]));
    expect((await api().get('/v1/sources').set(admin).query({ tenant: 'globex' }).expect(200)).body.total).toBe(1);
    expect((await api().get('/v1/sources').set(admin).set('X-Tenant-ID', 'globex').expect(200)).body.total).toBe(1);

    const foreign = await api().get('/v1/sources').set(bearer(acmeReader)).query({ tenant: 'globex' }).expect(403);
    expect(foreign.body.error).toBe('tenant_mismatch');
    for (const query of [{ size: '101' }, { size: '0' }, { page: '0' }, { type: 'tcp' }, { status: 'on' }]) {
      const refused = await api().get('/v1/sources').set(bearer(acmeReader)).query(query).expect(422);
      expect(refused.body.error).toBe('invalid_parameter');
    }
    await api().get('/v1/sources').set(bearer(acmeIngest)).expect(403);
    await api().get('/v1/sources').expect(401);
  });

  it('reads one source, scoped: another tenant’s is 404, an id used by several tenants needs ?tenant= for a global admin', async () => {
    const one = await api().get('/v1/sources/edge-fra1').set(bearer(acmeReader)).expect(200);
    expect(one.body).toEqual(expect.objectContaining({ id: 'edge-fra1', tenant_id: 'acme' }));
    expect((await api().get('/v1/sources/edge-fra1').set(bearer(globexReader)).expect(200)).body.tenant_id).toBe('globex');
    await api().get('/v1/sources/list-a').set(bearer(globexReader)).expect(404);
    const ambiguous = await api().get('/v1/sources/edge-fra1').set(admin).expect(409);
    expect(ambiguous.body.error).toBe('source_ambiguous');
    expect((await api().get('/v1/sources/edge-fra1').set(admin).query({ tenant: 'globex' }).expect(200)).body.type).toBe('http');
    expect((await api().get('/v1/sources/list-a').set(admin).expect(200)).body.tenant_id).toBe('acme');
    await api().get('/v1/sources/no-such-source').set(admin).expect(404);
  });

  it('patches the original’s fields (admin only), a no-op PATCH changes nothing, and 422s name the field', async () => {
    const patched = await api()
      .patch('/v1/sources/list-c')
      .set(admin)
      .send({ display_name: 'List C', status: 'disabled', allowed_ips: '["192.0.2.0/24"]', max_eps: 100, block_on_exceed: false, notes: 'moved' })
      .expect(200);
    expect(patched.body).toEqual(
      expect.objectContaining({
        id: 'list-c',
        tenant_id: 'acme',
        display_name: 'List C',
        status: 'disabled',
        enabled: false,
        allowed_ips: ['192.0.2.0/24'],
        max_eps: 100,
        block_on_exceed: false,
        notes: 'moved',
      }),
    );
    expect(patched.body.updated_at >= patched.body.created_at).toBe(true);
    const again = await api().patch('/v1/sources/list-c').set(admin).send({ status: 'disabled', max_eps: 100 }).expect(200);
    expect(again.body.updated_at).toBe(patched.body.updated_at);
    const cleared = await api().patch('/v1/sources/list-c').set(admin).send({ notes: null, status: 'enabled' }).expect(200);
    expect(cleared.body).toEqual(expect.objectContaining({ notes: null, status: 'enabled' }));

    const invalid = await api()
      .patch('/v1/sources/list-c')
      .set(admin)
      .send({ allowed_ips: ['10.0.0.0/8', 'bogus'], max_eps: 2_000_000 })
      .expect(422);
    expect(invalid.body.errors.map((error: { field: string }) => error.field)).toEqual(['allowed_ips[1]', 'max_eps']);
    await api().patch('/v1/sources/no-such-source').set(admin).send({ status: 'disabled' }).expect(404);
    // Acting for globex, acme's source is not found.
    await api().patch('/v1/sources/list-c').set(admin).set('X-Tenant-ID', 'globex').send({ status: 'disabled' }).expect(404);
    await api().patch('/v1/sources/list-c').set(bearer(acmeReader)).send({ status: 'disabled' }).expect(403);
  });

  it('tests admission: allowed, ip_not_allowed, disabled, an empty list admits nothing; 422 without a valid client_ip', async () => {
    const test = (id: string, clientIp: unknown, key = acmeReader) =>
      api()
        .post(`/v1/sources/${id}/admission/test`)
        .set(bearer(key))
        .send(clientIp === undefined ? {} : { client_ip: clientIp });
    expect((await test('edge-fra1', '10.9.8.7').expect(200)).body).toEqual({
      allowed: true,
      reason: 'allowed',
      source_id: 'edge-fra1',
      client_ip: '10.9.8.7',
      source_status: 'enabled',
      source_allowed_ips: ['10.0.0.0/8', '2001:db8::/32'],
    });
    expect((await test('edge-fra1', '2001:db8:ff::1').expect(200)).body.allowed).toBe(true);
    expect((await test('edge-fra1', '192.0.2.1').expect(200)).body).toEqual(expect.objectContaining({ allowed: false, reason: 'ip_not_allowed' }));
    expect((await test('list-a', '10.0.0.1').expect(200)).body).toEqual(
      expect.objectContaining({ allowed: false, reason: 'disabled', source_status: 'disabled' }),
    );
    expect((await test('list-b', '10.0.0.1').expect(200)).body).toEqual(
      expect.objectContaining({ allowed: false, reason: 'ip_not_allowed', source_allowed_ips: [] }),
    );
    const missing = await test('edge-fra1', undefined).expect(422);
    expect(missing.body.errors).toEqual([{ field: 'client_ip', message: 'is required' }]);
    expect((await test('edge-fra1', 'not-an-ip').expect(422)).body.errors[0].field).toBe('client_ip');
    await test('no-such-source', '10.0.0.1').expect(404);
    await test('list-a', '10.0.0.1', globexReader).expect(404);
    await test('edge-fra1', '10.0.0.1', acmeIngest).expect(403);
  });

  it('deletes a source (admin): the original’s message, 404 once gone, and the id is free again', async () => {
    await api().delete('/v1/sources/list-b').set(bearer(acmeReader)).expect(403);
    await api().delete('/v1/sources/list-b').set(admin).expect(200, { message: 'Source deleted successfully', id: 'list-b' });
    await api().delete('/v1/sources/list-b').set(admin).expect(404);
    await api().get('/v1/sources/list-b').set(bearer(acmeReader)).expect(404);
    await api().delete('/v1/sources/edge-fra1').set(admin).expect(409);
    await api().delete('/v1/sources/edge-fra1').set(admin).query({ tenant: 'globex' }).expect(200);
    expect((await api().get('/v1/sources/edge-fra1').set(admin).expect(200)).body.tenant_id).toBe('acme');
    await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('list-b', { tenant_id: 'acme' }))
      .expect(201);
  });

  it('drops a deleted tenant’s sources', async () => {
    await issueKey(product.server, TEST_KEY, 'initech', ['read_sources']);
    await api()
      .post('/v1/sources')
      .set(admin)
      .send(source('gone-1', { tenant_id: 'initech' }))
      .expect(201);
    await api().delete('/v1/admin/tenants/initech').set(admin).query({ force: 'true' }).expect(200);
    await api().get('/v1/sources/gone-1').set(admin).expect(404);
    expect((await api().get('/v1/sources').set(admin).query({ tenant: 'initech' }).expect(200)).body.total).toBe(0);
  });

  it('audits source commands, accepted and refused, with tenant and target', async () => {
    const deleted = await api().get('/v1/admin/audit').set(admin).query({ action: 'DeleteSource' }).expect(200);
    expect(deleted.body.audit_logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'DeleteSource', tenant_id: 'acme', target: 'list-b', outcome: 'accepted' }),
        expect.objectContaining({ action: 'DeleteSource', target: 'list-b', outcome: 'refused', error_code: 'source_not_found' }),
      ]),
    );
    const registered = await api().get('/v1/admin/audit').set(admin).query({ action: 'RegisterSource', limit: '1000' }).expect(200);
    expect(registered.body.audit_logs).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'refused', error_code: 'source_exists' })]));
  });
});
