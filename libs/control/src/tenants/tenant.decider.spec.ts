import type { ControlEvent } from '@telemetry/contracts';
import { decideTenant } from './tenant.decider';
import { given, testContext } from '../testing/decider-specification';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ctx = () => testContext(NOW);
const decide = decideTenant;

const meta = (eventId: string, aggregateId: string, occurredAt = '2026-12-01T00:00:00.000Z') => ({
  schemaVersion: 1,
  eventId,
  aggregateId,
  occurredAt,
  actor: { system: 'seed' as const },
});
const created = (tenantId: string): ControlEvent => ({
  type: 'TenantCreated',
  ...meta(`created-${tenantId}`, `tenant:${tenantId}`),
  data: { tenantId, name: tenantId, retentionDays: 7, quotas: {} },
});
const keyIssued = (keyId: string, tenantId: string): ControlEvent => ({
  type: 'ApiKeyIssued',
  ...meta(`issued-${keyId}`, `api_key:${keyId}`),
  data: { keyId, tenantId, scopes: ['ingest'], secret: { alg: 'sha256-salted', salt: 'c2FsdA==', digest: 'ZGlnZXN0' }, origin: 'api' },
});
const deleted = (tenantId: string): ControlEvent => ({ type: 'TenantDeleted', ...meta(`deleted-${tenantId}`, `tenant:${tenantId}`), data: { tenantId } });

describe('the tenant decider', () => {
  it('creates a tenant that does not exist', () => {
    given(decide, [])
      .when({ type: 'CreateTenant', tenantId: 'acme', name: 'ACME', retentionDays: 30, quotas: { eps: 500 } }, ctx())
      .thenEvents([
        {
          type: 'TenantCreated',
          schemaVersion: 1,
          eventId: 'event-1',
          aggregateId: 'tenant:acme',
          occurredAt: NOW.toISOString(),
          requestId: 'req-1',
          data: { tenantId: 'acme', name: 'ACME', retentionDays: 30, quotas: { eps: 500 } },
        },
      ]);
  });

  it('refuses an id that exists (409 tenant_exists) and one that was deleted (409 tenant_id_retired)', () => {
    const command = { type: 'CreateTenant' as const, tenantId: 'acme', name: 'ACME', retentionDays: 7, quotas: {} };
    given(decide, [created('acme')])
      .when(command, ctx())
      .thenError('tenant_exists', 409);
    given(decide, [created('acme'), deleted('acme')])
      .when(command, ctx())
      .thenError('tenant_id_retired', 409);
  });

  it('updates only what changed, and a PATCH with the current values appends nothing', () => {
    const spec = given(decide, [created('acme')]);
    spec
      .when({ type: 'UpdateTenant', tenantId: 'acme', name: 'acme', retentionDays: 14 }, ctx())
      .thenEvents([{ type: 'TenantUpdated', data: { tenantId: 'acme', retentionDays: 14, basedOn: '2026-12-01T00:00:00.000Z' } }]);
    spec.when({ type: 'UpdateTenant', tenantId: 'acme', name: 'acme', retentionDays: 7, quotas: {} }, ctx()).thenEvents([]);
  });

  it('answers 404 tenant_not_found for an unknown or deleted tenant', () => {
    given(decide, []).when({ type: 'UpdateTenant', tenantId: 'nobody', name: 'x' }, ctx()).thenError('tenant_not_found', 404);
    given(decide, [created('acme'), deleted('acme')])
      .when({ type: 'DeleteTenant', tenantId: 'acme', force: true }, ctx())
      .thenError('tenant_not_found', 404);
  });

  it('refuses to delete a tenant with active keys unless forced, which revokes them first', () => {
    const spec = given(decide, [created('acme'), keyIssued('tk_a', 'acme'), keyIssued('tk_b', 'acme'), created('other'), keyIssued('tk_c', 'other')]);
    const refused = spec.when({ type: 'DeleteTenant', tenantId: 'acme', force: false }, ctx()).thenError('tenant_has_active_keys', 409);
    expect(refused.details).toEqual({ tenant_id: 'acme', active_key_ids: ['tk_a', 'tk_b'] });
    spec.when({ type: 'DeleteTenant', tenantId: 'acme', force: true }, ctx()).thenEvents([
      { type: 'ApiKeyRevoked', aggregateId: 'api_key:tk_a', data: { keyId: 'tk_a', tenantId: 'acme', reason: 'tenant_deleted' } },
      { type: 'ApiKeyRevoked', aggregateId: 'api_key:tk_b', data: { keyId: 'tk_b', tenantId: 'acme', reason: 'tenant_deleted' } },
      { type: 'TenantDeleted', aggregateId: 'tenant:acme', data: { tenantId: 'acme' } },
    ]);
  });

  it('two changes decided on the same version: the first to land applies, the second loses (optimistic concurrency)', () => {
    const spec = given(decide, [created('acme')]);
    const [first] = spec.when({ type: 'UpdateTenant', tenantId: 'acme', quotas: { eps: 100 } }, ctx()).thenEvents([{ type: 'TenantUpdated' }]);
    const [second] = spec.when({ type: 'UpdateTenant', tenantId: 'acme', retentionDays: 30 }, ctx()).thenEvents([{ type: 'TenantUpdated' }]);
    expect(spec.state.apply(first)).toBe(true);
    expect(spec.state.apply(second)).toBe(false);
    expect(spec.state.tenant('acme')).toMatchObject({ quotas: { eps: 100 }, retentionDays: 7 });
  });

  it('never deletes the default tenant', () => {
    given(decide, [created('default')])
      .when({ type: 'DeleteTenant', tenantId: 'default', force: true }, ctx())
      .thenError('default_tenant', 409);
  });

  it('folds a lost race to the first writer: a second TenantCreated for the same id changes nothing', () => {
    const spec = given(decide, [created('acme')]);
    const second: ControlEvent = {
      type: 'TenantCreated',
      ...meta('created-again', 'tenant:acme'),
      data: { tenantId: 'acme', name: 'Other name', retentionDays: 1, quotas: {} },
    };
    expect(spec.state.apply(second)).toBe(false);
    expect(spec.state.tenant('acme')).toMatchObject({ name: 'acme', retentionDays: 7 });
  });

  it("sets a tenant's risk policy, and resets it to the deployment's default with an empty name", () => {
    const spec = given(decide, [created('acme')]);
    const [chosen] = spec.when({ type: 'UpdateTenant', tenantId: 'acme', riskPolicy: 'confidence-weighted' }, ctx()).thenEvents([{ type: 'TenantUpdated' }]);
    spec.state.apply(chosen);
    expect(spec.state.tenant('acme')?.riskPolicy).toBe('confidence-weighted');
    spec.when({ type: 'UpdateTenant', tenantId: 'acme', riskPolicy: 'confidence-weighted' }, ctx()).thenEvents([]);
    const [reset] = spec
      .when({ type: 'UpdateTenant', tenantId: 'acme', riskPolicy: '' }, ctx())
      .thenEvents([{ type: 'TenantUpdated', data: expect.objectContaining({ riskPolicy: '' }) }]);
    spec.state.apply(reset);
    expect(spec.state.tenant('acme')).not.toHaveProperty('riskPolicy');
    spec.when({ type: 'UpdateTenant', tenantId: 'acme', riskPolicy: '' }, ctx()).thenEvents([]);
  });
});
