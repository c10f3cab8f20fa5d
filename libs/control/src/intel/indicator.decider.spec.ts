import type { ControlEvent } from '@telemetry/contracts';
import { given, testContext } from '../testing/decider-specification';
import { decideIndicator, indicatorIdOf } from './indicator.decider';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ctx = () => testContext(NOW);
const decide = decideIndicator;

const meta = (eventId: string, aggregateId: string) => ({
  schemaVersion: 1,
  eventId,
  aggregateId,
  occurredAt: '2026-12-01T00:00:00.000Z',
  actor: { system: 'seed' as const },
});
const tenant = (tenantId: string): ControlEvent => ({
  type: 'TenantCreated',
  ...meta(`created-${tenantId}`, `tenant:${tenantId}`),
  data: { tenantId, name: tenantId, retentionDays: 7, quotas: {} },
});
const added = (value: string, source: string, tenantId?: string, confidence = 80): ControlEvent => {
  const indicatorId = indicatorIdOf(tenantId, value, source);
  return {
    type: 'IndicatorAdded',
    ...meta(`added-${indicatorId}`, `indicator:${indicatorId}`),
    data: { indicatorId, ...(tenantId ? { tenantId } : {}), value, category: 'C2', confidence, source },
  };
};
const add = (value: string, tenantId?: string, confidence = 80) => ({
  type: 'AddIndicator' as const,
  value,
  category: 'C2',
  confidence,
  source: 'api',
  ...(tenantId ? { tenantId } : {}),
});

describe('the indicator decider', () => {
  it('adds an indicator under an id derived from its scope, value and source', () => {
    const id = indicatorIdOf(undefined, '45.155.205.233/32', 'api');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    given(decide, [])
      .when(add('45.155.205.233/32'), ctx())
      .thenEvents([
        {
          type: 'IndicatorAdded',
          aggregateId: `indicator:${id}`,
          data: { indicatorId: id, value: '45.155.205.233/32', category: 'C2', confidence: 80, source: 'api' },
        },
      ]);
  });

  it('is idempotent: the same indicator again appends nothing; a new confidence replaces it under the same id', () => {
    given(decide, [added('45.155.205.233/32', 'api')])
      .when(add('45.155.205.233/32'), ctx())
      .thenEvents([]);
    const [event] = given(decide, [added('45.155.205.233/32', 'api')])
      .when(add('45.155.205.233/32', undefined, 95), ctx())
      .thenEvents([{ type: 'IndicatorAdded' }]);
    expect(event.type === 'IndicatorAdded' && event.data.indicatorId).toBe(indicatorIdOf(undefined, '45.155.205.233/32', 'api'));
  });

  it('gives the same value a different id per tenant and per source', () => {
    const ids = new Set([
      indicatorIdOf(undefined, '10.0.0.0/8', 'api'),
      indicatorIdOf('acme', '10.0.0.0/8', 'api'),
      indicatorIdOf('globex', '10.0.0.0/8', 'api'),
      indicatorIdOf(undefined, '10.0.0.0/8', 'other'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('refuses an unknown tenant (404), a feed source (422) and an expiry in the past (422)', () => {
    given(decide, []).when(add('10.0.0.0/8', 'acme'), ctx()).thenError('tenant_not_found', 404);
    given(decide, [])
      .when({ ...add('10.0.0.0/8'), source: 'feed:x' }, ctx())
      .thenError('reserved_source', 422);
    given(decide, [])
      .when({ ...add('10.0.0.0/8'), expiresAt: '2026-12-01T00:00:00.000Z' }, ctx())
      .thenError('validation_failed', 422);
    given(decide, [tenant('acme')])
      .when(add('10.0.0.0/8', 'acme'), ctx())
      .thenEvents([{ type: 'IndicatorAdded' }]);
  });

  it('removes an indicator once: 404 after it is gone', () => {
    const id = indicatorIdOf(undefined, '10.0.0.0/8', 'api');
    const removed = given(decide, [added('10.0.0.0/8', 'api')])
      .when({ type: 'RemoveIndicator', indicatorId: id, as: {} }, ctx())
      .thenEvents([{ type: 'IndicatorRemoved', data: { indicatorId: id } }]);
    given(decide, [added('10.0.0.0/8', 'api'), ...removed])
      .when({ type: 'RemoveIndicator', indicatorId: id, as: {} }, ctx())
      .thenError('indicator_not_found', 404);
  });

  it('lets a tenant remove its own only: another tenant’s is not found, a global one is 403', () => {
    const history = [tenant('acme'), tenant('globex'), added('10.0.0.0/8', 'api', 'globex'), added('192.0.2.0/24', 'api')];
    given(decide, history)
      .when({ type: 'RemoveIndicator', indicatorId: indicatorIdOf('globex', '10.0.0.0/8', 'api'), as: { tenantId: 'acme' } }, ctx())
      .thenError('indicator_not_found', 404);
    given(decide, history)
      .when({ type: 'RemoveIndicator', indicatorId: indicatorIdOf(undefined, '192.0.2.0/24', 'api'), as: { tenantId: 'acme' } }, ctx())
      .thenError('global_indicator', 403);
    given(decide, history)
      .when({ type: 'RemoveIndicator', indicatorId: indicatorIdOf('globex', '10.0.0.0/8', 'api'), as: { tenantId: 'globex' } }, ctx())
      .thenEvents([{ type: 'IndicatorRemoved', data: { indicatorId: indicatorIdOf('globex', '10.0.0.0/8', 'api'), tenantId: 'globex' } }]);
  });

  it('drops a tenant’s indicators when the tenant is deleted, and ignores one added after the delete', () => {
    const state = given(decide, [
      tenant('acme'),
      added('10.0.0.0/8', 'api', 'acme'),
      { type: 'TenantDeleted', ...meta('deleted-acme', 'tenant:acme'), data: { tenantId: 'acme' } },
      added('172.16.0.0/12', 'api', 'acme'),
    ]).state;
    expect([...state.intel.indicators()]).toEqual([]);
  });
});
