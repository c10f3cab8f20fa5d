import type { AuthenticatedRequest, Principal } from '@telemetry/auth';
import { defaultTopicSpecs } from '@telemetry/contracts';
import { InMemoryEventLog } from '@telemetry/event-log';
import { createMetricsRegistry } from '@telemetry/platform';
import { ControlCommandError } from '../control-decision';
import { DEFAULT_FEATURE_FLAGS } from '../control.config';
import { ControlMetrics } from '../control.metrics';
import { ControlPlaneService } from '../control-plane.service';
import { TEST_CONTROL_CONFIG } from '../testing/control-test-config';
import { SourcesService } from './sources.http.controller';

/*
 * The sources service over a real control plane on the in-memory log: what the HTTP routes answer,
 * without Nest (the e2e spec covers the routes on the all-in-one).
 */

const globalAdmin: Principal = { keyId: 'tk_00000000000000ad', tenantId: 'default', keyTenantId: 'default', scopes: ['admin'] };
const actingAs = (tenantId: string): Principal => ({ ...globalAdmin, tenantId, actingAsTenant: true });
const reader = (tenantId: string): Principal => ({ keyId: `tk_${tenantId.padEnd(16, '0')}`, tenantId, keyTenantId: tenantId, scopes: ['read_sources'] });
const asRequest = (principal: Principal): AuthenticatedRequest => ({ headers: {}, principal });
const body = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'udp', display_name: id, collector: `gw-${id}`, ...extra });

async function refusal(run: () => unknown): Promise<{ code: string; status: number }> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ControlCommandError) return { code: error.code, status: error.status };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the sources service', () => {
  let control: ControlPlaneService;
  let sources: SourcesService;

  beforeAll(async () => {
    const log = new InMemoryEventLog();
    await log.ensureTopics(defaultTopicSpecs(1, 7));
    control = new ControlPlaneService(log, () => new Date('2026-12-02T08:00:00.000Z'), TEST_CONTROL_CONFIG, new ControlMetrics(createMetricsRegistry()));
    await control.onModuleInit();
    for (const tenantId of ['default', 'acme', 'globex']) {
      await control.execute({ type: 'CreateTenant', tenantId, name: tenantId, retentionDays: 7, quotas: {} }, { actor: { system: 'seed' }, audit: false });
    }
    sources = new SourcesService(control, TEST_CONTROL_CONFIG);
    const admin = asRequest(globalAdmin);
    await sources.register(body('a-1', { tenant_id: 'acme', type: 'http', status: 'disabled', site: 'ams1' }), admin);
    await sources.register(body('a-2', { tenant_id: 'acme', site: 'ams1', allowed_ips: '["192.0.2.0/24"]' }), admin);
    await sources.register(body('a-3', { tenant_id: 'acme', type: 'http' }), admin);
    await sources.register(body('a-1', { tenant_id: 'globex' }), admin);
    await sources.register(body('own'), admin);
  });

  afterAll(() => control.onModuleDestroy());

  const ids = (principal: Principal, filter: Record<string, string> = {}) => sources.list(filter, principal).sources.map((s) => `${s.tenant_id}/${s.id}`);

  it('lists by tenant then id; a tenant’s caller sees its own, an admin acting globally every tenant’s', () => {
    expect(ids(reader('acme'))).toEqual(['acme/a-1', 'acme/a-2', 'acme/a-3']);
    expect(ids(reader('globex'))).toEqual(['globex/a-1']);
    expect(ids(actingAs('globex'))).toEqual(['globex/a-1']);
    expect(ids(globalAdmin)).toEqual(['acme/a-1', 'acme/a-2', 'acme/a-3', 'default/own', 'globex/a-1']);
    expect(ids(globalAdmin, { tenant: 'globex' })).toEqual(['globex/a-1']);
  });

  it('filters by type, status (or health), enabled, site and collector, and pages with size or page_size', () => {
    const acme = reader('acme');
    expect(ids(acme, { type: 'http' })).toEqual(['acme/a-1', 'acme/a-3']);
    expect(ids(acme, { status: 'enabled' })).toEqual(['acme/a-2', 'acme/a-3']);
    expect(ids(acme, { status: 'stale', enabled: 'false' })).toEqual(['acme/a-1']);
    expect(ids(acme, { status: 'healthy' })).toEqual([]);
    expect(ids(acme, { site: 'ams1', enabled: 'true' })).toEqual(['acme/a-2']);
    expect(ids(acme, { collector: 'gw-a-3' })).toEqual(['acme/a-3']);
    const page = sources.list({ page: '2', page_size: '2' }, acme);
    expect(page).toEqual(expect.objectContaining({ total: 3, page: 2, size: 2, page_size: 2, pages: 2 }));
    expect(page.items.map((s) => s.id)).toEqual(['a-3']);
    expect(sources.list({}, acme)).toEqual(expect.objectContaining({ size: 50, pages: 1 }));
  });

  it('refuses bad list parameters (422) and another tenant’s filter for a tenant’s caller (403)', async () => {
    for (const filter of [{ size: '101' }, { page_size: '0' }, { page: '0' }, { type: 'tcp' }, { status: 'on' }, { enabled: 'maybe' }]) {
      expect(await refusal(() => sources.list(filter, reader('acme')))).toEqual({ code: 'invalid_parameter', status: 422 });
    }
    expect(await refusal(() => sources.list({ tenant: 'globex' }, reader('acme')))).toEqual({ code: 'tenant_mismatch', status: 403 });
  });

  it('answers the admission test with the original’s fields', async () => {
    expect(sources.admissionTest('a-2', undefined, { client_ip: '192.0.2.9' }, reader('acme'))).toEqual({
      allowed: true,
      reason: 'allowed',
      source_id: 'a-2',
      client_ip: '192.0.2.9',
      source_status: 'enabled',
      source_allowed_ips: ['192.0.2.0/24'],
    });
    expect(sources.admissionTest('a-2', undefined, { client_ip: '198.51.100.1' }, reader('acme')).reason).toBe('ip_not_allowed');
    expect(sources.admissionTest('a-1', undefined, { client_ip: '192.0.2.9' }, reader('acme')).reason).toBe('disabled');
    expect(sources.admissionTest('a-3', undefined, { client_ip: '192.0.2.9' }, reader('acme')).reason).toBe('ip_not_allowed');
    const lenient = new SourcesService(control, {
      ...TEST_CONTROL_CONFIG,
      featureFlagDefaults: { ...DEFAULT_FEATURE_FLAGS, ADMISSION_COMPAT_ALLOW_EMPTY_IPS: true },
    });
    expect(lenient.admissionTest('a-3', undefined, { client_ip: '192.0.2.9' }, reader('acme')).reason).toBe('allowed');
    expect(await refusal(() => sources.admissionTest('a-2', undefined, {}, reader('acme')))).toEqual({ code: 'validation_failed', status: 422 });
    expect(await refusal(() => sources.admissionTest('a-3', undefined, { client_ip: '1.2.3.4' }, reader('globex')))).toEqual({
      code: 'source_not_found',
      status: 404,
    });
  });

  it('updates and deletes by id, naming the tenant when several use it', async () => {
    const admin = asRequest(globalAdmin);
    expect(await refusal(() => sources.update('a-1', undefined, { status: 'enabled' }, admin))).toEqual({ code: 'source_ambiguous', status: 409 });
    const updated = await sources.update('a-1', 'acme', { status: 'enabled', tags: ['x'] }, admin);
    expect(updated).toEqual(expect.objectContaining({ tenant_id: 'acme', status: 'enabled', enabled: true, tags: ['x'] }));
    expect((await sources.update('a-1', undefined, { max_eps: 10 }, asRequest(actingAs('globex')))).tenant_id).toBe('globex');
    expect(await sources.remove('a-1', 'globex', admin)).toEqual({ message: 'Source deleted successfully', id: 'a-1' });
    expect(await refusal(() => sources.remove('a-1', 'globex', admin))).toEqual({ code: 'source_not_found', status: 404 });
    expect(sources.get('a-1', {}).tenantId).toBe('acme');
  });
});
