import type { ControlEvent, SourceRegistered } from '@telemetry/contracts';
import { given, testContext } from '../testing/decider-specification';
import { admissionOf, cidrContains } from './source-admission';
import { decideSource, SourceCommand } from './source.decider';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ctx = () => testContext(NOW);
const decide = decideSource;

const meta = (eventId: string, aggregateId: string, occurredAt = '2026-12-01T00:00:00.000Z') => ({
  schemaVersion: 1,
  eventId,
  aggregateId,
  occurredAt,
  actor: { system: 'seed' as const },
});
const tenant = (tenantId: string): ControlEvent => ({
  type: 'TenantCreated',
  ...meta(`created-${tenantId}`, `tenant:${tenantId}`),
  data: { tenantId, name: tenantId, retentionDays: 7, quotas: {} },
});
const registered = (tenantId: string, sourceId: string, overrides: Partial<SourceRegistered['data']> = {}): ControlEvent => ({
  type: 'SourceRegistered',
  ...meta(`registered-${tenantId}-${sourceId}`, `source:${tenantId}/${sourceId}`),
  data: {
    tenantId,
    sourceId,
    type: 'udp',
    displayName: sourceId,
    collector: `gw-${sourceId}`,
    tags: [],
    status: 'enabled',
    allowedIps: ['10.0.0.0/8'],
    maxEps: 0,
    blockOnExceed: true,
    ...overrides,
  },
});
const register = (sourceId: string, as: { tenantId?: string } = {}, tenantId?: string): SourceCommand => ({
  type: 'RegisterSource',
  as,
  ...(tenantId !== undefined ? { tenantId } : {}),
  sourceId,
  sourceType: 'udp',
  displayName: 'Edge router',
  collector: 'gw-1',
  tags: ['edge'],
  status: 'enabled',
  allowedIps: ['10.0.0.0/8'],
  maxEps: 0,
  blockOnExceed: true,
});
const history = [tenant('default'), tenant('acme'), tenant('globex')];

describe('the source decider', () => {
  it('registers a source under `source:<tenant>/<id>`, for the tenant an admin acting globally names', () => {
    given(decide, history)
      .when(register('edge-1', {}, 'acme'), ctx())
      .thenEvents([
        {
          type: 'SourceRegistered',
          aggregateId: 'source:acme/edge-1',
          data: {
            tenantId: 'acme',
            sourceId: 'edge-1',
            type: 'udp',
            displayName: 'Edge router',
            collector: 'gw-1',
            tags: ['edge'],
            status: 'enabled',
            allowedIps: ['10.0.0.0/8'],
            maxEps: 0,
            blockOnExceed: true,
          },
        },
      ]);
  });

  it('registers for the key’s own tenant when none is named; a tenant’s caller naming another tenant is 403', () => {
    given(decide, history)
      .when(register('edge-1'), ctx())
      .thenEvents([{ type: 'SourceRegistered', aggregateId: 'source:default/edge-1' }]);
    given(decide, history)
      .when(register('edge-1', { tenantId: 'acme' }), ctx())
      .thenEvents([{ type: 'SourceRegistered', aggregateId: 'source:acme/edge-1' }]);
    given(decide, history)
      .when(register('edge-1', { tenantId: 'acme' }, 'acme'), ctx())
      .thenEvents([{ type: 'SourceRegistered', aggregateId: 'source:acme/edge-1' }]);
    given(decide, history)
      .when(register('edge-1', { tenantId: 'acme' }, 'globex'), ctx())
      .thenError('tenant_mismatch', 403);
  });

  it('refuses a duplicate id within a tenant (409 source_exists), not across tenants; an unknown tenant is 404', () => {
    given(decide, [...history, registered('acme', 'edge-1')])
      .when(register('edge-1', {}, 'acme'), ctx())
      .thenError('source_exists', 409);
    given(decide, [...history, registered('acme', 'edge-1')])
      .when(register('edge-1', {}, 'globex'), ctx())
      .thenEvents([{ type: 'SourceRegistered', aggregateId: 'source:globex/edge-1' }]);
    given(decide, history)
      .when(register('edge-1', {}, 'initech'), ctx())
      .thenError('tenant_not_found', 404);
  });

  it('updates only what changes, based on the version it read; a no-op PATCH appends nothing', () => {
    const spec = given(decide, [...history, registered('acme', 'edge-1')]);
    spec
      .when({ type: 'UpdateSource', sourceId: 'edge-1', as: { tenantId: 'acme' }, changes: { status: 'disabled', maxEps: 500, displayName: 'edge-1' } }, ctx())
      .thenEvents([
        {
          type: 'SourceUpdated',
          aggregateId: 'source:acme/edge-1',
          data: { tenantId: 'acme', sourceId: 'edge-1', status: 'disabled', maxEps: 500, basedOn: '2026-12-01T00:00:00.000Z' },
        },
      ]);
    spec
      .when(
        {
          type: 'UpdateSource',
          sourceId: 'edge-1',
          as: {},
          changes: { status: 'enabled', allowedIps: ['10.0.0.0/8'], blockOnExceed: true, site: '', notes: '' },
        },
        ctx(),
      )
      .thenEvents([]);
  });

  it('folds an update, clears site and notes with "", and ignores an update decided on a replaced version', () => {
    const state = given(decide, [
      ...history,
      registered('acme', 'edge-1', { site: 'fra1', notes: 'rack 4' }),
      {
        type: 'SourceUpdated',
        ...meta('u1', 'source:acme/edge-1', '2026-12-01T01:00:00.000Z'),
        data: { tenantId: 'acme', sourceId: 'edge-1', site: '', allowedIps: ['192.0.2.0/24'], basedOn: '2026-12-01T00:00:00.000Z' },
      },
      {
        type: 'SourceUpdated',
        ...meta('u2', 'source:acme/edge-1', '2026-12-01T02:00:00.000Z'),
        data: { tenantId: 'acme', sourceId: 'edge-1', status: 'disabled', basedOn: '2026-12-01T00:00:00.000Z' },
      },
    ]).state;
    const source = state.source('acme', 'edge-1')!;
    expect(source).toEqual(
      expect.objectContaining({ allowedIps: ['192.0.2.0/24'], status: 'enabled', notes: 'rack 4', updatedAt: '2026-12-01T01:00:00.000Z' }),
    );
    expect(source.site).toBeUndefined();
  });

  it('hides another tenant’s source from a tenant (404); an admin acting globally names the tenant when an id is used by several', () => {
    const spec = given(decide, [...history, registered('acme', 'edge-1'), registered('globex', 'edge-1'), registered('globex', 'only-globex')]);
    spec.when({ type: 'DeleteSource', sourceId: 'only-globex', as: { tenantId: 'acme' } }, ctx()).thenError('source_not_found', 404);
    spec.when({ type: 'DeleteSource', sourceId: 'edge-1', as: {} }, ctx()).thenError('source_ambiguous', 409);
    spec
      .when({ type: 'DeleteSource', sourceId: 'edge-1', as: {}, tenant: 'globex' }, ctx())
      .thenEvents([{ type: 'SourceDeleted', aggregateId: 'source:globex/edge-1', data: { tenantId: 'globex', sourceId: 'edge-1' } }]);
    spec
      .when({ type: 'DeleteSource', sourceId: 'only-globex', as: {} }, ctx())
      .thenEvents([{ type: 'SourceDeleted', aggregateId: 'source:globex/only-globex' }]);
    spec.when({ type: 'UpdateSource', sourceId: 'edge-1', as: { tenantId: 'acme' }, tenant: 'globex', changes: {} }, ctx()).thenError('tenant_mismatch', 403);
  });

  it('deletes a source once: 404 after it is gone, and its id may be registered again', () => {
    const deleted = given(decide, [...history, registered('acme', 'edge-1')])
      .when({ type: 'DeleteSource', sourceId: 'edge-1', as: { tenantId: 'acme' } }, ctx())
      .thenEvents([{ type: 'SourceDeleted' }]);
    const after = given(decide, [...history, registered('acme', 'edge-1'), ...deleted]);
    after.when({ type: 'DeleteSource', sourceId: 'edge-1', as: { tenantId: 'acme' } }, ctx()).thenError('source_not_found', 404);
    after.when({ type: 'UpdateSource', sourceId: 'edge-1', as: {}, tenant: 'acme', changes: { status: 'disabled' } }, ctx()).thenError('source_not_found', 404);
    after.when(register('edge-1', { tenantId: 'acme' }), ctx()).thenEvents([{ type: 'SourceRegistered' }]);
  });

  it('indexes sources by collector, and drops a tenant’s sources when the tenant is deleted (one registered after the delete never applies)', () => {
    const spec = given(decide, [...history, registered('acme', 'edge-1', { collector: 'gw-7' }), registered('globex', 'edge-2', { collector: 'gw-7' })]);
    expect(spec.state.sourceByCollector('acme', 'gw-7')?.sourceId).toBe('edge-1');
    expect(spec.state.sourceByCollector('globex', 'gw-7')?.sourceId).toBe('edge-2');
    expect(spec.state.sourceByCollector('acme', 'gw-8')).toBeUndefined();
    const state = given(decide, [
      ...history,
      registered('acme', 'edge-1', { collector: 'gw-7' }),
      { type: 'TenantDeleted', ...meta('deleted-acme', 'tenant:acme'), data: { tenantId: 'acme' } },
      registered('acme', 'edge-3'),
    ]).state;
    expect(state.sources.list()).toEqual([]);
    expect(state.sourceByCollector('acme', 'gw-7')).toBeUndefined();
  });
});

describe('the admission test of a source', () => {
  const enabled = { status: 'enabled' as const, allowedIps: ['10.0.0.0/8', '2001:db8::/32'] };
  const strict = { compatAllowEmptyIps: false };

  it('admits an address in one of the allowed networks, IPv4 and IPv6, and refuses one outside them', () => {
    expect(admissionOf(enabled, '10.20.30.40', strict)).toBe('allowed');
    expect(admissionOf(enabled, '2001:db8:1::5', strict)).toBe('allowed');
    expect(admissionOf(enabled, '::ffff:10.0.0.1', strict)).toBe('allowed');
    expect(admissionOf(enabled, '192.0.2.1', strict)).toBe('ip_not_allowed');
    expect(admissionOf(enabled, '2001:db9::1', strict)).toBe('ip_not_allowed');
  });

  it('refuses everything for a disabled source, and for an empty list unless compatAllowEmptyIps', () => {
    expect(admissionOf({ ...enabled, status: 'disabled' }, '10.0.0.1', strict)).toBe('disabled');
    expect(admissionOf({ status: 'enabled', allowedIps: [] }, '10.0.0.1', strict)).toBe('ip_not_allowed');
    expect(admissionOf({ status: 'enabled', allowedIps: [] }, '10.0.0.1', { compatAllowEmptyIps: true })).toBe('allowed');
  });

  it('compares families: an IPv4 network never holds an IPv6 address', () => {
    expect(cidrContains('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '10.0.0.1')).toBe(true);
  });
});
