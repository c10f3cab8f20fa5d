import request from 'supertest';
import { waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

/*
 * The admission feature flags as control events: the environment's values are the initial state,
 * PATCH sets them for every process (persisted on the control topic, audited), unknown ones are 422,
 * and what reads them (the sources' admission test here) follows at once.
 */

const admin = { Authorization: `Bearer ${TEST_KEY}` };

describe.each(['embedded', 'kafka'] as const)('feature flags (%s mode)', (mode) => {
  let product: RunningProduct;

  beforeAll(async () => {
    // The environment sets one flag: its initial value.
    product = await startProduct(mode, { RATE_LIMIT_PER_MIN: '0', ADMISSION_LOG_ONLY: 'true' });
  });

  afterAll(() => product?.close());

  const api = () => request(product.server);

  it('starts from the environment, sets flags through the API with an audit entry, and refuses unknown ones', async () => {
    const initial = await api().get('/v1/admin/featureflags').set(admin).expect(200);
    expect(initial.body).toEqual({
      ADMISSION_HTTP_ENABLED: false,
      ADMISSION_UDP_ENABLED: false,
      ADMISSION_LOG_ONLY: true,
      ADMISSION_FAIL_OPEN: false,
      ADMISSION_COMPAT_ALLOW_EMPTY_IPS: false,
      ADMISSION_BLOCK_ON_EXCEED_DEFAULT: true,
      HTTP_IP_ALLOWLIST_ENABLED: false,
      HTTP_TRUST_XFF: false,
    });
    const set = await api().patch('/v1/admin/featureflags').set(admin).send({ ADMISSION_HTTP_ENABLED: true, ADMISSION_LOG_ONLY: false }).expect(200);
    expect(set.body).toEqual({ ...initial.body, ADMISSION_HTTP_ENABLED: true, ADMISSION_LOG_ONLY: false });
    expect((await api().get('/v1/admin/featureflags').set(admin).expect(200)).body).toEqual(set.body);

    const refused = await api().patch('/v1/admin/featureflags').set(admin).send({ NOPE: true, HTTP_TRUST_XFF: 'yes' }).expect(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['NOPE', 'HTTP_TRUST_XFF']);
    expect((await api().get('/v1/admin/featureflags').set(admin).expect(200)).body).toEqual(set.body);

    // The admin audit read model projects the control topic: the accepted change and the refusal, with the flags named.
    const audit = await waitFor(
      async () => {
        const body = (await api().get('/v1/admin/audit').set(admin).query({ action: 'SetFeatureFlags' }).expect(200)).text;
        return body.includes('ADMISSION_HTTP_ENABLED') && body.includes('validation_failed') ? body : undefined;
      },
      { timeoutMs: 30_000, description: 'the flag change and the refusal in the admin audit' },
    );
    expect(audit).toContain('ADMISSION_LOG_ONLY');
  });

  it('applies ADMISSION_COMPAT_ALLOW_EMPTY_IPS to the admission test of a source without allowed_ips', async () => {
    await api().post('/v1/sources').set(admin).send({ id: 'open-http', type: 'http', display_name: 'Open', collector: 'c-open' }).expect(201);
    const test = () => api().post('/v1/sources/open-http/admission/test').set(admin).send({ client_ip: '198.51.100.4' }).expect(200);
    expect((await test()).body).toEqual(expect.objectContaining({ allowed: false, reason: 'ip_not_allowed' }));
    await api().patch('/v1/admin/featureflags').set(admin).send({ ADMISSION_COMPAT_ALLOW_EMPTY_IPS: true }).expect(200);
    expect((await test()).body).toEqual(expect.objectContaining({ allowed: true, reason: 'allowed' }));
  });
});
